"""Payments in the browser (issue 16 item 5): record a receipt (``/payments/new``, ``?customer_id=`` picks the
customer), and on its page apply it to the customer's open invoices and debit memos (oldest due first, amounts
editable), unapply an application and refund what is left of it. The same services as /v1/payments; the list
is a declaration of web/routes/lists.py. Buttons follow the API's permissions: recording and applying for the
clerk and above, refunds for a controller; an auditor or admin only reads."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from creditmemo.domain.errors import DomainError, NotFoundError, ValidationFailedError
from creditmemo.domain.money import Money, parse_amount
from creditmemo.domain.settlement import Payment
from creditmemo.presentation.statuses import status_for
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.customers import get_customer
from creditmemo.services.lists import customer_choices
from creditmemo.services.settlement.history import OpenTarget, apply_proposal, open_targets, settlements_of_source
from creditmemo.services.settlement.payments import get_payment, record_payment
from creditmemo.services.settlement.refunds import list_refunds
from creditmemo.store.uow import UnitOfWork
from creditmemo.web import settle
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
    today,
)
from creditmemo.web.messages import on_form
from creditmemo.web.once import submit_once

router = APIRouter(route_class=WebRoute)

PAYMENT_METHODS: Final = ("bank_transfer", "check", "card", "cash", "direct_debit")
REFUND_METHODS: Final = ("bank_transfer", "card", "check", "cash")
RECORD_FIELDS: Final = ("customer_id", "received_on", "amount", "currency", "method", "reference")


# record ------------------------------------------------------------------------------------------------
def _new_page(
    request: Request,
    actor: Actor,
    *,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    authorize(actor, Permission.RECORD_PAYMENT)
    with db_of(request).uow(readonly=True) as uow:
        customers = customer_choices(uow, actor)
    chosen = next((c for c in customers if c["id"] == values.get("customer_id")), None)
    return render(
        request,
        "payment_new.html",
        status,
        customers=customers,
        chosen=chosen,
        values=values,
        errors=errors or {},
        methods=PAYMENT_METHODS,
    )


@router.get("/payments/new", include_in_schema=False)
def new_payment_page(request: Request, v: ViewerDep) -> Response:
    values = {"received_on": str(today(request)), "method": PAYMENT_METHODS[0]}
    customer_id = request.query_params.get("customer_id") or ""
    if customer_id:
        values["customer_id"] = customer_id
    return _new_page(request, v.actor, values=values)


@router.post("/payments/new", include_in_schema=False)
def record_payment_form(request: Request, v: WriterDep, form: FormDep) -> Response:
    values = {name: as_str(form, name) or "" for name in RECORD_FIELDS}

    def run(uow: UnitOfWork) -> Response:
        if not values["customer_id"]:
            raise ValidationFailedError.single("customer_id", "Choose the customer who paid.", "required")
        try:
            customer = get_customer(uow, v.actor, values["customer_id"])
        except NotFoundError:
            raise ValidationFailedError.single("customer_id", "Choose the customer who paid.", "invalid") from None
        payment = record_payment(
            uow,
            v.actor,
            customer_id=customer.id,
            amount=values["amount"] or None,
            currency=customer.currency,  # a payment is in its customer's currency
            received_on=values["received_on"] or None,
            method=values["method"] or None,
            reference=values["reference"] or None,
        )
        return redirect(f"/payments/{payment.id}?done=recorded", request)

    try:
        return submit_once(request, v, form, run)
    except DomainError as e:
        errors = on_form(field_errors(e), RECORD_FIELDS)
        return _new_page(request, v.actor, values=values, errors=errors, status=status_for(e.code))


# the payment page --------------------------------------------------------------------------------------
def payment_context(uow: UnitOfWork, actor: Actor, payment_id: str) -> dict[str, Any]:
    payment = get_payment(uow, actor, payment_id)
    customer = get_customer(uow, actor, payment.customer_id)
    available = payment.amount_available.is_positive()
    can_apply = available and actor.can(Permission.APPLY)
    return {
        "payment": payment,
        "customer": customer,
        "settlements": settlements_of_source(uow, actor, payment.id),
        "refunds": list_refunds(uow, actor, payment.id),
        "targets": apply_proposal(uow, actor, payment.customer_id, payment.amount_available) if can_apply else [],
        "can_apply": can_apply,
        "can_unapply": actor.can(Permission.APPLY),
        "can_refund": available and actor.can(Permission.REFUND),
        "can_override": actor.can(Permission.OVERRIDE_REFUND_LIMIT),
        "refund_methods": REFUND_METHODS,
    }


def _notice(done: str | None, context: dict[str, Any]) -> str | None:
    payment: Payment = context["payment"]
    n, left = payment.number, fmt_money(payment.amount_available)
    if done == "recorded":
        return f"{n} recorded: {fmt_money(payment.amount)} received from {context['customer'].name}."
    if done == "apply":
        return f"{fmt_money(payment.amount_applied)} of {n} is applied; {left} available."
    if done == "unapply":
        return f"Application reversed: {n} has {left} available."
    if done == "refund" and context["refunds"]:
        last = context["refunds"][-1]
        return f"Refund {last.number} of {fmt_money(last.amount)} recorded against {n}; {left} available."
    return None


def _page(
    request: Request,
    actor: Actor,
    payment_id: str,
    *,
    errors: dict[str, str] | None = None,
    form: FormData | None = None,
    status: int = 200,
    done: str | None = None,
) -> Response:
    with db_of(request).uow(readonly=True) as uow:
        context = payment_context(uow, actor, payment_id)
    return render(
        request,
        "payment.html",
        status,
        errors=errors or {},
        # what was sent comes back in the form it was sent from (the other form starts afresh)
        apply_form=form
        if form is not None and any(k == "apply" or k.startswith("alloc_") for k in errors or {})
        else None,
        refund_form=form if form is not None and any(k.startswith("refund.") for k in errors or {}) else None,
        notice=_notice(done, context),
        today=today(request),
        **context,
    )


@router.get("/payments/{payment_id}", include_in_schema=False)
def payment_page(request: Request, payment_id: str, v: ViewerDep) -> Response:
    return _page(request, v.actor, payment_id, done=request.query_params.get("done"))


# apply -------------------------------------------------------------------------------------------------
def check_rows(
    payment: Payment, open_rows: Sequence[OpenTarget], rows: list[tuple[int, str, str, str]]
) -> dict[str, str]:
    """Every problem of the form at once, each next to its row: an amount that is not one, one above what is due
    on its document, and the total above the payment's available amount. What the page showed may be stale: the
    service checks again under the locks (docs/CONCURRENCY.md) and has the last word."""
    errors: dict[str, str] = {}
    due = {r.id: (r.number, r.due) for r in open_rows}
    total = Money.zero(payment.currency)
    for n, _kind, target_id, text in rows:
        try:
            amount = parse_amount(text, payment.currency, f"alloc_{n}", positive=True)
        except ValidationFailedError as e:
            errors[f"alloc_{n}"] = e.errors[0].message
            continue
        number, owed = due.get(target_id, (None, Money.zero(payment.currency)))
        if number is None:
            errors[f"alloc_{n}"] = "Nothing is due on this document any more: set 0."
        elif amount > owed:
            errors[f"alloc_{n}"] = f"{fmt_money(amount)} is more than the {fmt_money(owed)} due on {number}."
        total = total + amount
    if not rows:
        errors["apply"] = "Enter an amount for at least one document."
    elif total > payment.amount_available:
        errors["apply"] = (
            f"The amounts add up to {fmt_money(total)}, more than the {fmt_money(payment.amount_available)} "
            f"available on {payment.number}."
        )
    return errors


@router.post("/payments/{payment_id}/apply", include_in_schema=False)
def payment_apply(request: Request, payment_id: str, v: WriterDep, form: FormDep) -> Response:
    rows = settle.allocation_rows(form)
    authorize(v.actor, Permission.APPLY)
    with db_of(request).uow(readonly=True) as uow:
        payment = get_payment(uow, v.actor, payment_id)
        open_rows = open_targets(uow, v.actor, payment.customer_id, payment.currency)
    errors = check_rows(payment, open_rows, rows)
    if errors:
        return _page(request, v.actor, payment_id, errors=errors, form=form, status=422)
    page = partial(_page, request, v.actor, payment_id)
    back = f"/payments/{payment_id}"
    return settle.apply_form(request, v, form, rows, source_type="payment", source_id=payment_id, back=back, page=page)


# unapply and refund ------------------------------------------------------------------------------------
@router.post("/payments/{payment_id}/applications/{application_id}/unapply", include_in_schema=False)
def payment_unapply(request: Request, payment_id: str, application_id: str, v: WriterDep, form: FormDep) -> Response:
    page = partial(_page, request, v.actor, payment_id)
    back = f"/payments/{payment_id}"
    return settle.unapply_form(request, v, form, application_id, document_id=payment_id, back=back, page=page)


@router.post("/payments/{payment_id}/refund", include_in_schema=False)
def payment_refund(request: Request, payment_id: str, v: WriterDep, form: FormDep) -> Response:
    page = partial(_page, request, v.actor, payment_id)
    back = f"/payments/{payment_id}"
    return settle.refund_form(request, v, form, source_type="payment", source_id=payment_id, back=back, page=page)
