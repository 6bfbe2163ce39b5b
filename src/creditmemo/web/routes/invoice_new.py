"""Issuing an invoice from the web (issue 16 item 6): customer, currency (the customer's by default), issue and due
dates, and lines (description, quantity, unit price, discount, tax rate, service period). Lines are added and
removed in the browser (static/invoice_lines.js, no inline script); totals come from a server preview as the user
types (services/invoices.preview_invoice, the builder issue_invoice uses). Errors appear next to their fields and
the form keeps what was typed."""

from __future__ import annotations

import re
import secrets
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from creditmemo.domain.errors import DomainError, ValidationFailedError
from creditmemo.domain.inputs import InvoiceLineInput
from creditmemo.services.actors import Permission, authorize
from creditmemo.services.customers import get_customer
from creditmemo.services.invoices import InvoicePreview, issue_invoice, preview_invoice
from creditmemo.services.lists import customer_choices
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
    today,
)
from creditmemo.web.messages import on_form
from creditmemo.web.once import submit_once

router = APIRouter(route_class=WebRoute)
_LINE_FIELD: Final = re.compile(r"^lines\[(\d+)\](?:\.(\w+))?$")
# a line's input names: <prefix>_<key>; the service's field names to those prefixes
LINE_INPUTS: Final = {
    "description": "desc",
    "quantity": "qty",
    "unit_price": "price",
    "discount": "disc",
    "tax_rate": "tax",
    "service_start": "start",
    "service_end": "end",
}
HEADER_IDS: Final = ("customer_id", "currency", "issue_date", "due_date", "memo", "lines", "form")


def _keys(form: FormData | None) -> list[str]:
    keys = [str(k) for k in form.getlist("line_key")] if form is not None else []
    keys = [k for k in keys if re.fullmatch(r"[0-9a-f]{6}", k)][:500]
    return keys or [secrets.token_hex(3)]


def _error_ids(keys: list[str]) -> list[str]:
    return [*HEADER_IDS, *(f"{p}_{k}" for k in keys for p in (*LINE_INPUTS.values(), "line"))]


def _map(errors: dict[str, str], keys: list[str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for field, message in errors.items():
        m = _LINE_FIELD.match(field)
        if m is None:
            result.setdefault(field or "form", message)
            continue
        index, attr = int(m.group(1)), m.group(2)
        key = keys[index] if index < len(keys) else None
        if key is None:
            result.setdefault("lines", message)
        else:
            result.setdefault(f"{LINE_INPUTS.get(attr or '', 'line')}_{key}", message)
    return on_form(result, _error_ids(keys))


def _lines(form: FormData, keys: list[str]) -> list[InvoiceLineInput]:
    return [
        InvoiceLineInput(
            as_str(form, f"desc_{k}"),
            as_str(form, f"qty_{k}"),
            as_str(form, f"price_{k}"),
            discount=as_str(form, f"disc_{k}"),
            tax_rate=as_str(form, f"tax_{k}") or "0",
            service_start=as_str(form, f"start_{k}"),
            service_end=as_str(form, f"end_{k}"),
        )
        for k in keys
    ]


def _customer_id(form: FormData) -> str:
    customer_id = as_str(form, "customer_id")
    if customer_id is None:
        raise ValidationFailedError.single("customer_id", "Choose a customer.", "required")
    return customer_id


def _currency(uow: UnitOfWork, v: Any, form: FormData) -> str:
    """The currency typed, else the customer's (the page fills it in with its script; without it, the server)."""
    typed = as_str(form, "currency")
    return typed.upper() if typed else get_customer(uow, v.actor, _customer_id(form)).currency


def _page(
    request: Request,
    uow: UnitOfWork,
    v: Any,
    form: Any,
    errors: dict[str, str],
    preview: InvoicePreview | None = None,
    status: int = 200,
) -> HTMLResponse:
    keys = _keys(form if isinstance(form, FormData) else None)
    return render(
        request,
        "invoice_new.html",
        status,
        customers=customer_choices(uow, v.actor),
        form=form,
        keys=keys,
        errors=errors,
        preview=preview,
    )


@router.get("/invoices/new", include_in_schema=False)
def invoice_form(request: Request, v: ViewerDep) -> Response:
    authorize(v.actor, Permission.ISSUE_INVOICE)
    with db_of(request).uow(readonly=True) as uow:
        chosen = request.query_params.get("customer_id")
        customers = customer_choices(uow, v.actor)
        currency = next((c["currency"] for c in customers if c["id"] == chosen), "")
        form = {"customer_id": chosen or "", "currency": currency, "issue_date": today(request).isoformat()}
        return _page(request, uow, v, form, {})


def _not_found_is_customer(e: DomainError, errors: dict[str, str]) -> dict[str, str]:
    return {"customer_id": "Choose a customer."} if e.code == "not_found" else errors


@router.post("/invoices/new/preview", include_in_schema=False)
def invoice_preview(request: Request, v: WriterDep, form: FormDep) -> Response:
    keys = _keys(form)
    preview, errors = None, {}
    with db_of(request).uow(readonly=True) as uow:
        try:
            preview = preview_invoice(
                uow,
                v.actor,
                customer_id=_customer_id(form),
                currency=_currency(uow, v, form),
                lines=_lines(form, keys),
            )
        except DomainError as e:
            errors = _not_found_is_customer(e, field_errors(e))
    html = env.get_template("_invoice_preview.html").render(
        preview=preview, errors=_map(errors, keys), error_ids=_error_ids(keys), oob=True
    )
    return HTMLResponse(html)


@router.post("/invoices/new", include_in_schema=False)
def invoice_create(request: Request, v: WriterDep, form: FormDep) -> Response:
    keys = _keys(form)

    def run(uow: UnitOfWork) -> Response:
        invoice = issue_invoice(
            uow,
            v.actor,
            customer_id=_customer_id(form),
            currency=_currency(uow, v, form),
            issue_date=as_str(form, "issue_date"),
            due_date=as_str(form, "due_date"),
            memo=as_str(form, "memo"),
            lines=_lines(form, keys),
        )
        return redirect(f"/invoices/{invoice.id}?created=1")

    try:
        return submit_once(request, v, form, run)
    except DomainError as e:
        if e.code == "forbidden":
            raise
        errors = _map(_not_found_is_customer(e, field_errors(e)), keys)
        with db_of(request).uow(readonly=True) as uow:
            return _page(request, uow, v, form, errors, status=422)
