"""Invoice and customer pages, and creating memos: from an invoice (every line pre-populated; remove,
narrow by quantity or amount) and standalone (free lines added and removed). Totals and tax come from
a server preview as the user types — the same builder the create service uses, never saved."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from creditmemo.domain.documents import Invoice, Memo, MemoKind
from creditmemo.domain.errors import DomainError, NotFoundError, ValidationFailedError
from creditmemo.domain.inputs import CreditLineInput, FreeLineInput
from creditmemo.domain.money import Money
from creditmemo.services.actors import Permission, authorize
from creditmemo.services.chart import list_reason_codes
from creditmemo.services.customers import get_customer
from creditmemo.services.invoices import get_invoice, memos_of_invoice
from creditmemo.services.lists import ListQuery, customer_choices, list_page
from creditmemo.services.memos.create import (
    build_credit_memo_from_invoice,
    build_free_memo,
    create_credit_memo_from_invoice,
    create_debit_memo,
    create_standalone_credit_memo,
)
from creditmemo.services.returns.read import returns_of_invoice
from creditmemo.services.revenue_reports import invoice_schedule
from creditmemo.services.settlement import discounts, oldest_first
from creditmemo.services.settlement.history import settlements_of_target
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
from creditmemo.web.routes.customers import applied_notice

router = APIRouter(route_class=WebRoute)
OPEN_STATUSES = frozenset({"draft", "pending_approval", "approved", "ready_to_post"})  # not yet posted or ended
_LINE_FIELD = re.compile(r"^lines\[(\d+)\](?:\.(\w+))?$")


# pages ---------------------------------------------------------------------------------------------
@router.get("/invoices/{invoice_id}", include_in_schema=False)
def invoice_page(request: Request, invoice_id: str, v: ViewerDep) -> Response:
    with db_of(request).uow(readonly=True) as uow:
        invoice = get_invoice(uow, v.actor, invoice_id)
        customer = get_customer(uow, v.actor, invoice.customer_id)
        memos = memos_of_invoice(uow, v.actor, invoice.id)
        returns = returns_of_invoice(uow, v.actor, invoice.id)
        settlements = settlements_of_target(uow, v.actor, invoice.id)
        today = uow.now().date()
        schedules = invoice_schedule(uow, v.actor, invoice.id)  # issue 12: lines with a revenue schedule
        # settlement discounts (issue 15): the terms that apply, what a payment in time may still take
        terms = discounts.terms_for(uow, v.actor.company_id, customer)
    # "Credited" is what credit memos from this invoice took off its lines (posted ones); credits and payments
    # applied to it, from any memo, are its settlement, shown apart.
    on_lines = sum((m.total for m in memos if m.status == "posted"), Money.zero(invoice.currency))
    overdue_days = (today - invoice.due_date).days if invoice.amount_due.is_positive() else 0
    return render(
        request,
        "invoice.html",
        invoice=invoice,
        customer=customer,
        memos=memos,
        returns=returns,
        settlements=settlements,
        credited_on_lines=on_lines,
        overdue_days=max(overdue_days, 0),
        schedules=schedules,
        terms=terms,
        discount_available=discounts.invoice_offer(invoice),
    )


CUSTOMER_PAGE_SIZE = 50


def _page_number(request: Request, name: str) -> int:
    """A 1-based page number from the query (anything else: the first page)."""
    raw = request.query_params.get(name, "")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


@router.get("/customers/{customer_id}", include_in_schema=False)
def customer_page(request: Request, customer_id: str, v: ViewerDep) -> Response:
    at = {name: _page_number(request, f"{name}_page") for name in ("invoices", "credit", "debit")}
    with db_of(request).uow(readonly=True) as uow:
        customer = get_customer(uow, v.actor, customer_id)

        def query(name: str) -> ListQuery:
            return ListQuery(customer_id=customer.id, page=at[name], page_size=CUSTOMER_PAGE_SIZE)

        invoices = list_page(uow, v.actor, "invoices", query("invoices"))
        credit = list_page(uow, v.actor, "credit_memos", query("credit"))
        debit = list_page(uow, v.actor, "debit_memos", query("debit"))
        # open items and credits, and what applying the credit oldest first would do (issue 16 item 4)
        credit_plan = oldest_first.plan(uow, v.actor, customer.id, every_item=False)

    def page_url(name: str, number: int) -> str:
        params = {f"{k}_page": str(number if k == name else n) for k, n in at.items()}
        return f"/customers/{customer.id}?" + urlencode({k: val for k, val in params.items() if val != "1"})

    return render(
        request,
        "customer.html",
        customer=customer,
        invoices=invoices,
        credit=credit,
        debit=debit,
        page_url=page_url,
        plan=credit_plan,
        applied=applied_notice(request, customer.currency),
        stale=request.query_params.get("stale") == "1",
        saved=request.query_params.get("saved"),
    )


# memo from an invoice ---------------------------------------------------------------------------------
def _credit_inputs(invoice: Invoice, form: FormData) -> tuple[list[CreditLineInput], list[int]]:
    """The included lines as inputs, and for each input the invoice line's position (for error ids)."""
    inputs, positions = [], []
    for pos, line in enumerate(invoice.lines):
        if form.get(f"include_{pos}") is None:
            continue
        amount, qty = as_str(form, f"amount_{pos}"), as_str(form, f"qty_{pos}")
        if amount is not None:
            inputs.append(CreditLineInput(line.id, amount=amount))
        else:
            inputs.append(CreditLineInput(line.id, quantity=qty or str(line.remaining_quantity)))
        positions.append(pos)
    return inputs, positions


def _map_errors(errors: dict[str, str], key_of: Callable[[int], str]) -> dict[str, str]:
    """Service field paths (lines[2].quantity) to the form's input ids (qty_<key>)."""
    names = {
        "quantity": "qty",
        "amount": "amount",
        "description": "desc",
        "unit_price": "price",
        "tax_rate": "tax",
        "invoice_line_id": "line",
        None: "line",
    }
    result: dict[str, str] = {}
    for field, message in errors.items():
        m = _LINE_FIELD.match(field)
        if m is None:
            result[field or "form"] = message
            continue
        index, attr = int(m.group(1)), m.group(2)
        try:
            result[f"{names.get(attr, 'line')}_{key_of(index)}"] = message
        except IndexError:
            result["lines"] = message
    return result


def _header_fields(form: FormData, uow: UnitOfWork, v: Any, kind: MemoKind, create: bool) -> dict[str, Any]:
    reason = as_str(form, "reason_code")
    if reason is None and not create:
        # No reason is chosen for the user (issue 18 item 8); the live preview, which shows amounts only, uses
        # the first one of the kind until they choose, and creating without one says "Choose a reason".
        reason = next(
            (
                r["code"]
                for r in list_reason_codes(uow, v.actor)
                if r["active"] and r["applies_to"] in ("both", str(kind))
            ),
            None,
        )
    return {
        "reason_code": reason,
        "memo_text": as_str(form, "memo_text"),
        "auto_apply": form.get("auto_apply") is not None,
    }


Built = tuple[Memo | None, dict[str, str]]


def _invoice_build(uow: UnitOfWork, v: Any, invoice: Invoice, form: FormData, create: bool) -> Built:
    inputs, positions = _credit_inputs(invoice, form)
    fn = create_credit_memo_from_invoice if create else build_credit_memo_from_invoice
    try:
        return fn(uow, v.actor, invoice.id, lines=inputs, **_header_fields(form, uow, v, MemoKind.CREDIT, create)), {}
    except DomainError as e:
        return None, _map_errors(field_errors(e), lambda i: str(positions[i]))


def _invoice_form(
    request: Request,
    uow: UnitOfWork,
    v: Any,
    invoice: Invoice,
    form: FormData | None,
    memo: Memo | None,
    errors: dict[str, str],
    status: int = 200,
    editing: Memo | None = None,
) -> HTMLResponse:
    customer = get_customer(uow, v.actor, invoice.customer_id)
    reasons = [r for r in list_reason_codes(uow, v.actor) if r["active"] and r["applies_to"] != "debit"]
    # Another memo on its way for this invoice (issue 18 item 8): both might credit the same lines twice over.
    on_the_way = [
        m
        for m in memos_of_invoice(uow, v.actor, invoice.id)
        if m.status in OPEN_STATUSES and (editing is None or m.id != editing.id)
    ]
    return render(
        request,
        "memo_from_invoice.html",
        status,
        invoice=invoice,
        customer=customer,
        reasons=reasons,
        on_the_way=on_the_way,
        form=form,
        memo=memo,
        errors=on_form(errors, _error_ids(invoice, None)),
        error_ids=_error_ids(invoice, None),
        editing=editing,
    )


def _error_ids(invoice: Invoice | None, keys: list[str] | None) -> list[str]:
    ids = ["reason_code", "memo_text", "lines", "form", "customer_id", "currency"]
    if invoice is not None:
        for pos in range(len(invoice.lines)):
            ids += [f"qty_{pos}", f"amount_{pos}", f"line_{pos}"]
    for key in keys or ():
        ids += [f"{p}_{key}" for p in ("desc", "qty", "price", "tax", "line")]
    return ids


@router.get("/invoices/{invoice_id}/credit-memo", include_in_schema=False)
def invoice_credit_form(request: Request, invoice_id: str, v: ViewerDep) -> Response:
    authorize(v.actor, Permission.CREATE_MEMO)
    with db_of(request).uow(readonly=True) as uow:
        invoice = get_invoice(uow, v.actor, invoice_id)
        try:
            memo, errors = build_credit_memo_from_invoice(uow, v.actor, invoice.id, reason_code="billing_error"), {}
        except DomainError as e:
            memo, errors = None, _map_errors(field_errors(e), str)
        return _invoice_form(request, uow, v, invoice, None, memo, errors)


@router.post("/invoices/{invoice_id}/credit-memo/preview", include_in_schema=False)
def invoice_credit_preview(request: Request, invoice_id: str, v: WriterDep, form: FormDep) -> Response:
    with db_of(request).uow(readonly=True) as uow:
        try:
            invoice = get_invoice(uow, v.actor, invoice_id)
            memo, errors = _invoice_build(uow, v, invoice, form, create=False)
        finally:
            uow.rollback()  # a preview never writes
    return _preview(memo, errors, _error_ids(invoice, None))


@router.post("/invoices/{invoice_id}/credit-memo", include_in_schema=False)
def invoice_credit_create(request: Request, invoice_id: str, v: WriterDep, form: FormDep) -> Response:
    def attempt(uow: UnitOfWork) -> Response:
        invoice = get_invoice(uow, v.actor, invoice_id)
        memo, errors = _invoice_build(uow, v, invoice, form, create=True)
        if memo is None:
            uow.rollback()
            return _invoice_form(request, uow, v, invoice, form, None, errors, 422)
        return redirect(f"/memos/{memo.id}?created=1")

    return submit_once(request, v, form, attempt)


def _preview(memo: Memo | None, errors: dict[str, str], ids: list[str]) -> HTMLResponse:
    html = env.get_template("_preview.html").render(memo=memo, errors=on_form(errors, ids), error_ids=ids, oob=True)
    return HTMLResponse(html)


# standalone credit memos and debit memos ---------------------------------------------------------
def _kind(path_kind: str) -> MemoKind:
    if path_kind not in ("credit-memos", "debit-memos"):
        raise NotFoundError("page", path_kind)
    return MemoKind.DEBIT if path_kind == "debit-memos" else MemoKind.CREDIT


def _line_keys(form: FormData | None) -> list[str]:
    keys = [str(k) for k in form.getlist("line_key")] if form is not None else []
    return [k for k in keys if re.fullmatch(r"[0-9a-f]{6}", k)][:500] or ([] if form is not None else [_new_key()])


def _new_key() -> str:
    return secrets.token_hex(3)


def _free_build(uow: UnitOfWork, v: Any, kind: MemoKind, form: FormData, create: bool) -> Built:
    keys = _line_keys(form)
    lines = [
        FreeLineInput(
            as_str(form, f"desc_{k}"),
            as_str(form, f"qty_{k}"),
            as_str(form, f"price_{k}"),
            tax_rate=as_str(form, f"tax_{k}"),
        )
        for k in keys
    ]
    customer_id = as_str(form, "customer_id")
    try:
        if customer_id is None:
            raise ValidationFailedError.single("customer_id", "Choose a customer.", "required")
        customer = get_customer(uow, v.actor, customer_id)
        kwargs: dict[str, Any] = dict(
            customer_id=customer.id,
            currency=customer.currency,
            lines=lines,
            **_header_fields(form, uow, v, kind, create),
        )
        if create:
            fn = create_debit_memo if kind is MemoKind.DEBIT else create_standalone_credit_memo
            return fn(uow, v.actor, **kwargs), {}
        return build_free_memo(uow, v.actor, kind, **kwargs), {}
    except DomainError as e:
        errors = field_errors(e)
        if e.code == "not_found":
            errors = {"customer_id": "Choose a customer."}
        return None, _map_errors(errors, lambda i: keys[i])


def _free_form(
    request: Request,
    uow: UnitOfWork,
    v: Any,
    kind: MemoKind,
    form: FormData | None,
    memo: Memo | None,
    errors: dict[str, str],
    status: int = 200,
    editing: Memo | None = None,
) -> HTMLResponse:
    customers = customer_choices(uow, v.actor)
    reasons = [r for r in list_reason_codes(uow, v.actor) if r["active"] and r["applies_to"] in ("both", str(kind))]
    keys = _line_keys(form)
    return render(
        request,
        "memo_new.html",
        status,
        kind=str(kind),
        customers=customers,
        reasons=reasons,
        form=form,
        keys=keys,
        memo=memo,
        errors=on_form(errors, _error_ids(None, keys)),
        error_ids=_error_ids(None, keys),
        path_kind="debit-memos" if kind is MemoKind.DEBIT else "credit-memos",
        editing=editing,
    )


@router.get("/{path_kind}/new", include_in_schema=False)
def free_form(request: Request, path_kind: str, v: ViewerDep) -> Response:
    if path_kind not in ("credit-memos", "debit-memos"):
        raise NotFoundError("page", path_kind)
    authorize(v.actor, Permission.CREATE_MEMO)
    with db_of(request).uow(readonly=True) as uow:
        return _free_form(request, uow, v, _kind(path_kind), None, None, {})


@router.post("/{path_kind}/new/preview", include_in_schema=False)
def free_preview(request: Request, path_kind: str, v: WriterDep, form: FormDep) -> Response:
    with db_of(request).uow(readonly=True) as uow:
        try:
            memo, errors = _free_build(uow, v, _kind(path_kind), form, create=False)
        finally:
            uow.rollback()
    return _preview(memo, errors, _error_ids(None, _line_keys(form)))


@router.post("/{path_kind}/new", include_in_schema=False)
def free_create(request: Request, path_kind: str, v: WriterDep, form: FormDep) -> Response:
    kind = _kind(path_kind)

    def attempt(uow: UnitOfWork) -> Response:
        memo, errors = _free_build(uow, v, kind, form, create=True)
        if memo is None:
            uow.rollback()
            return _free_form(request, uow, v, kind, form, None, errors, 422)
        return redirect(f"/memos/{memo.id}?created=1")

    return submit_once(request, v, form, attempt)


@router.get("/lines/new-row", include_in_schema=False)
def free_line_row(request: Request, v: ViewerDep) -> Response:
    """One empty line for the standalone form (htmx appends it)."""
    html = env.get_template("_free_line.html").render(key=_new_key(), form=None, errors={})
    return HTMLResponse(html)


@router.get("/lines/removed", include_in_schema=False)
def free_line_removed(request: Request, v: ViewerDep) -> Response:
    """htmx swaps the removed row with nothing (hx-swap=delete needs a 200)."""
    return HTMLResponse("")
