"""Automatic credits in the browser (issue 11): "Prorate a downgrade" from an invoice line, "SLA credit" from a
customer, each with a server preview of the computation before anything is created; and the SLA policy,
which an admin edits. Same services as the API (services/memos/automatic.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from creditmemo.domain.errors import DomainError, ValidationFailedError
from creditmemo.domain.proration import SlaPolicy
from creditmemo.services.actors import Permission, authorize
from creditmemo.services.customers import get_customer
from creditmemo.services.invoices import get_invoice
from creditmemo.services.memos.automatic import create_proration_credit, create_sla_credit, subscription_lines
from creditmemo.services.settings import get_sla_policy, update_sla_policy
from creditmemo.store.uow import UnitOfWork
from creditmemo.web.core import (
    FormDep,
    ViewerDep,
    WebRoute,
    WriterDep,
    as_str,
    db_of,
    env,
    field_errors,
    redirect,
    render,
)
from creditmemo.web.messages import on_form
from creditmemo.web.once import submit_once

router = APIRouter(route_class=WebRoute)


def _preview(memo: Any, errors: dict[str, str]) -> HTMLResponse:
    return HTMLResponse(env.get_template("_automatic_preview.html").render(memo=memo, errors=errors))


def _minutes(form: FormData) -> object:
    text = as_str(form, "outage_minutes") or ""
    return int(text) if text.isdigit() else (text or None)


# prorate a downgrade ------------------------------------------------------------------------------------------
def _proration(uow: UnitOfWork, v: Any, invoice_id: str, form: FormData, *, preview: bool) -> Any:
    by_price = form.get("change") == "price"
    return create_proration_credit(
        uow,
        v.actor,
        invoice_id,
        invoice_line_id=as_str(form, "invoice_line_id"),
        effective_date=as_str(form, "effective_date"),
        new_quantity=None if by_price else as_str(form, "new_quantity"),
        new_unit_price=as_str(form, "new_unit_price") if by_price else None,
        apply_to_next_invoice=form.get("apply_to_next_invoice") is not None,
        post=form.get("post") is not None,
        preview=preview,
    )


def _prorate_page(
    request: Request,
    uow: UnitOfWork,
    v: Any,
    invoice_id: str,
    line_id: str | None,
    form: FormData | None,
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    invoice = get_invoice(uow, v.actor, invoice_id)
    lines = [line for line in invoice.lines if line.service_start is not None]
    return render(
        request,
        "prorate.html",
        status,
        invoice=invoice,
        lines=lines,
        chosen=line_id,
        form=form,
        errors=on_form(errors, ("invoice_line_id", "effective_date", "new_quantity", "new_unit_price")),
        can_post=v.actor.can(Permission.POST_MEMO),
    )


@router.get("/invoices/{invoice_id}/prorate", include_in_schema=False)
def prorate_form(request: Request, invoice_id: str, v: ViewerDep, line: str | None = None) -> Response:
    authorize(v.actor, Permission.CREATE_MEMO)
    with db_of(request).uow(readonly=True) as uow:
        return _prorate_page(request, uow, v, invoice_id, line, None, {})


@router.post("/invoices/{invoice_id}/prorate/preview", include_in_schema=False)
def prorate_preview(request: Request, invoice_id: str, v: WriterDep, form: FormDep) -> Response:
    with db_of(request).uow(readonly=True) as uow:
        try:
            return _preview(_proration(uow, v, invoice_id, form, preview=True), {})
        except DomainError as e:
            return _preview(None, field_errors(e) or {"form": e.detail})
        finally:
            uow.rollback()


@router.post("/invoices/{invoice_id}/prorate", include_in_schema=False)
def prorate_create(request: Request, invoice_id: str, v: WriterDep, form: FormDep) -> Response:
    def attempt(uow: UnitOfWork) -> Response:
        try:
            memo = _proration(uow, v, invoice_id, form, preview=False)
        except ValidationFailedError as e:
            uow.rollback()
            return _prorate_page(
                request, uow, v, invoice_id, as_str(form, "invoice_line_id"), form, field_errors(e), 422
            )
        except DomainError as e:
            if e.code in ("not_found", "forbidden"):
                raise
            uow.rollback()
            return _prorate_page(
                request, uow, v, invoice_id, as_str(form, "invoice_line_id"), form, {"form": e.detail}, 422
            )
        return redirect(f"/memos/{memo.id}?created=1")

    return submit_once(request, v, form, attempt)


# SLA credit ---------------------------------------------------------------------------------------------------
def _sla(uow: UnitOfWork, v: Any, customer_id: str, form: FormData, *, preview: bool) -> Any:
    return create_sla_credit(
        uow,
        v.actor,
        customer_id,
        invoice_line_id=as_str(form, "invoice_line_id"),
        outage_minutes=_minutes(form),
        incident_reference=as_str(form, "incident_reference"),
        apply_to_next_invoice=form.get("apply_to_next_invoice") is not None,
        post=form.get("post") is not None,
        preview=preview,
    )


def _sla_page(
    request: Request,
    uow: UnitOfWork,
    v: Any,
    customer_id: str,
    form: FormData | None,
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    customer = get_customer(uow, v.actor, customer_id)
    return render(
        request,
        "sla_credit.html",
        status,
        customer=customer,
        lines=subscription_lines(uow, v.actor, customer.id),
        form=form,
        errors=on_form(errors, ("invoice_line_id", "outage_minutes", "incident_reference")),
        can_post=v.actor.can(Permission.POST_MEMO),
        policy=get_sla_policy(uow, v.actor),
    )


@router.get("/customers/{customer_id}/sla-credit", include_in_schema=False)
def sla_form(request: Request, customer_id: str, v: ViewerDep) -> Response:
    authorize(v.actor, Permission.CREATE_MEMO)
    with db_of(request).uow(readonly=True) as uow:
        return _sla_page(request, uow, v, customer_id, None, {})


@router.post("/customers/{customer_id}/sla-credit/preview", include_in_schema=False)
def sla_preview(request: Request, customer_id: str, v: WriterDep, form: FormDep) -> Response:
    with db_of(request).uow(readonly=True) as uow:
        try:
            return _preview(_sla(uow, v, customer_id, form, preview=True), {})
        except DomainError as e:
            return _preview(None, field_errors(e) or {"form": e.detail})
        finally:
            uow.rollback()


@router.post("/customers/{customer_id}/sla-credit", include_in_schema=False)
def sla_create(request: Request, customer_id: str, v: WriterDep, form: FormDep) -> Response:
    def attempt(uow: UnitOfWork) -> Response:
        try:
            memo = _sla(uow, v, customer_id, form, preview=False)
        except DomainError as e:
            if e.code in ("forbidden",) or (e.code == "not_found" and e.field is None):
                raise
            uow.rollback()
            errors = field_errors(e) if isinstance(e, ValidationFailedError) else {e.field or "form": e.detail}
            return _sla_page(request, uow, v, customer_id, form, errors, 409 if e.code == "duplicate_incident" else 422)
        return redirect(f"/memos/{memo.id}?created=1")

    return submit_once(request, v, form, attempt)


# the SLA policy (admin) ---------------------------------------------------------------------------------------
@router.get("/settings/sla", include_in_schema=False)
def sla_policy_page(request: Request, v: ViewerDep) -> Response:
    with db_of(request).uow(readonly=True) as uow:
        policy = get_sla_policy(uow, v.actor)
    return render(
        request,
        "sla_policy.html",
        policy=policy,
        errors={},
        saved=request.query_params.get("saved"),
        can_edit=v.actor.can(Permission.MANAGE),
    )


@router.post("/settings/sla", include_in_schema=False)
def sla_policy_save(request: Request, v: WriterDep, form: FormDep) -> Response:
    tiers = []
    for n in range(20):
        below, credit = as_str(form, f"below_{n}"), as_str(form, f"credit_{n}")
        if below or credit:
            tiers.append({"below_uptime": below or "", "credit_percent": credit or ""})

    def run(uow: UnitOfWork) -> Response:
        update_sla_policy(uow, v.actor, {"tiers": tiers})
        return redirect("/settings/sla?saved=1")

    try:
        return submit_once(request, v, form, run)
    except ValidationFailedError as e:
        policy = {"tiers": tiers or SlaPolicy().to_dict()["tiers"]}
        return render(request, "sla_policy.html", 422, policy=policy, errors=field_errors(e), saved=None, can_edit=True)
