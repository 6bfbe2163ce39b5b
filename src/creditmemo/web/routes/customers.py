"""Customers (issue 16 item 4): create and edit a customer, and apply its available credit to its oldest open
items in one click, previewed on the customer page (services/settlement/oldest_first.py) and confirmed with the
preview's fingerprint: a preview that no longer holds is refused in words and shown again. The same services as
/v1/customers; the roles are the API's (create_customer to create and edit, apply to apply)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from creditmemo.domain.errors import DomainError, PlanChangedError
from creditmemo.domain.money import Money
from creditmemo.services.actors import Permission, authorize
from creditmemo.services.customers import create_customer, get_customer, set_legal_details, update_customer
from creditmemo.services.settlement.oldest_first import apply_planned
from creditmemo.store.uow import UnitOfWork
from creditmemo.web.core import (
    FormDep,
    ViewerDep,
    WebRoute,
    WriterDep,
    as_str,
    db_of,
    field_errors,
    fmt_money,
    redirect,
    render,
)
from creditmemo.web.messages import on_form
from creditmemo.web.once import submit_once

router = APIRouter(route_class=WebRoute)
LEGAL_FIELDS: Final = ("legal_name", "address_line1", "address_line2", "postal_code", "city", "country", "tax_id")
FIELD_IDS: Final = (
    "name",
    "currency",
    "email",
    "payment_terms_days",
    "auto_apply_credit",
    "credit_terms",
    "net_days",
    "discount_percent",
    "discount_days",
    *LEGAL_FIELDS,
)


def _whole(raw: str | None) -> object:
    """A whole number as typed ("30"), else the text itself (the service names the field in its error)."""
    if raw is None:
        return None
    return int(raw) if raw.isdigit() and len(raw) < 7 else raw


def _values(form: FormData) -> dict[str, Any]:
    """The service's arguments from the form, as typed (validation is the service's)."""
    terms_given = any(as_str(form, n) for n in ("net_days", "discount_percent", "discount_days"))
    auto = as_str(form, "auto_apply_credit")
    return {
        "name": as_str(form, "name") or "",
        "email": as_str(form, "email"),
        "payment_terms_days": _whole(as_str(form, "payment_terms_days") or "30"),
        "auto_apply_credit": {"yes": True, "no": False}.get(auto or ""),
        "credit_terms": {
            "net_days": _whole(as_str(form, "net_days")),
            "discount_percent": as_str(form, "discount_percent") or "0",
            "discount_days": _whole(as_str(form, "discount_days") or "0"),
        }
        if terms_given
        else None,
        "legal": {n: as_str(form, n) for n in LEGAL_FIELDS},
    }


def _errors(err: DomainError) -> dict[str, str]:
    """Service fields to the form's input ids (credit_terms.net_days -> net_days)."""
    result: dict[str, str] = {}
    for field, message in field_errors(err).items():
        key = field.removeprefix("credit_terms.").removeprefix("legal.")
        result.setdefault(key, message)
    return on_form(result, FIELD_IDS)


def _form_page(
    request: Request, v: Any, *, customer: Any = None, form: Any = None, errors: Any = None, status: int = 200
) -> Response:
    if form is None and customer is not None:  # editing: the stored values
        terms = customer.credit_terms
        form = {
            "name": customer.name,
            "currency": customer.currency,
            "email": customer.email or "",
            "payment_terms_days": str(customer.payment_terms_days),
            "auto_apply_credit": {True: "yes", False: "no"}.get(customer.auto_apply_credit, ""),
            "net_days": str(terms.net_days) if terms else "",
            "discount_percent": str(terms.discount_percent) if terms else "",
            "discount_days": str(terms.discount_days) if terms else "",
            **{n: getattr(customer.legal, n) or "" for n in LEGAL_FIELDS},
        }
    return render(request, "customer_form.html", status, customer=customer, form=form or {}, errors=errors or {})


@router.get("/customers/new", include_in_schema=False)
def new_customer_form(request: Request, v: ViewerDep) -> Response:
    authorize(v.actor, Permission.CREATE_CUSTOMER)
    return _form_page(request, v, form={"currency": "USD", "payment_terms_days": "30"})


@router.post("/customers/new", include_in_schema=False)
def new_customer(request: Request, v: WriterDep, form: FormDep) -> Response:
    values = _values(form)

    def run(uow: UnitOfWork) -> Response:
        customer = create_customer(uow, v.actor, currency=(as_str(form, "currency") or "").upper(), **values)
        return redirect(f"/customers/{customer.id}?saved=created")

    try:
        return submit_once(request, v, form, run)
    except DomainError as e:
        if e.code == "forbidden":
            raise
        return _form_page(request, v, form=form, errors=_errors(e), status=422)


@router.get("/customers/{customer_id}/edit", include_in_schema=False)
def edit_customer_form(request: Request, customer_id: str, v: ViewerDep) -> Response:
    authorize(v.actor, Permission.CREATE_CUSTOMER)
    with db_of(request).uow(readonly=True) as uow:
        customer = get_customer(uow, v.actor, customer_id)
    return _form_page(request, v, customer=customer)


@router.post("/customers/{customer_id}/edit", include_in_schema=False)
def edit_customer(request: Request, customer_id: str, v: WriterDep, form: FormDep) -> Response:
    values = _values(form)
    legal = values.pop("legal")

    def run(uow: UnitOfWork) -> Response:
        customer = update_customer(uow, v.actor, customer_id, **values)
        current = customer.legal.as_dict()
        changed = {n: legal[n] for n in LEGAL_FIELDS if (legal[n] or None) != current[n]}
        if changed:
            set_legal_details(uow, v.actor, customer_id, changed)
        return redirect(f"/customers/{customer_id}?saved=updated")

    try:
        return submit_once(request, v, form, run)
    except DomainError as e:
        if e.code in ("forbidden", "not_found"):
            raise
        with db_of(request).uow(readonly=True) as uow:
            customer = get_customer(uow, v.actor, customer_id)
        return _form_page(request, v, customer=customer, form=form, errors=_errors(e), status=422)


@router.post("/customers/{customer_id}/apply-credit", include_in_schema=False)
def apply_credit_oldest(request: Request, customer_id: str, v: WriterDep, form: FormDep) -> Response:
    """Confirm the preview the page showed (its fingerprint): all its applications in one transaction, or none."""

    def run(uow: UnitOfWork) -> Response:
        apps = apply_planned(uow, v.actor, customer_id, as_str(form, "fingerprint"))
        total = sum((a.amount.amount for a in apps), Decimal(0))
        query = urlencode({"applied": str(len(apps)), "total": str(total)})
        return redirect(f"/customers/{customer_id}?{query}")

    try:
        return submit_once(request, v, form, run)
    except PlanChangedError:
        return redirect(f"/customers/{customer_id}?stale=1#apply-credit")


def applied_notice(request: Request, currency: str) -> str | None:
    """What the page says after a confirmation ("Applied 270.00 USD of credit in 3 applications.")."""
    count, total = request.query_params.get("applied"), request.query_params.get("total")
    if count is None or not count.isdigit():
        return None
    if count == "0":
        return "Nothing was applied: the customer has no credit that can go to its open items."
    try:
        amount = Money(Decimal(total or "0"), currency)
    except (InvalidOperation, ValueError, DomainError):
        return None
    n = int(count)
    return f"Applied {fmt_money(amount)} of credit in {n} application{'' if n == 1 else 's'}, oldest items first."
