"""Editing a draft (after a rejection, say): the create forms, filled from the memo, saved through
``update_memo``. Only drafts are editable (rule 4); the service refuses anything else."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from creditmemo.domain.documents import CreditBy, Memo, MemoSource
from creditmemo.domain.errors import DomainError
from creditmemo.domain.inputs import FreeLineInput
from creditmemo.domain.lifecycle import ensure_editable
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.invoices import get_invoice
from creditmemo.services.memos.edit import update_memo
from creditmemo.services.memos.read import get_memo
from creditmemo.store.uow import UnitOfWork
from creditmemo.web.core import (
    FormDep,
    ViewerDep,
    WebRoute,
    WriterDep,
    as_str,
    db_of,
    field_errors,
    fmt_decimal,
    redirect,
)
from creditmemo.web.once import submit_once
from creditmemo.web.routes.invoices import (
    _credit_inputs,
    _free_form,
    _header_fields,
    _invoice_form,
    _line_keys,
    _map_errors,
)

router = APIRouter(route_class=WebRoute)


def _form_of(uow: UnitOfWork, actor: Actor, memo: Memo) -> FormData:
    """The memo as the create form would have posted it."""
    items: list[tuple[str, str | UploadFile]] = [("reason_code", memo.reason_code), ("memo_text", memo.memo_text or "")]
    if memo.auto_apply:
        items.append(("auto_apply", "1"))
    if memo.source is MemoSource.STANDALONE:
        items.append(("customer_id", memo.customer_id))
        for line in memo.lines:
            key = secrets.token_hex(3)
            items += [
                ("line_key", key),
                (f"desc_{key}", line.description),
                (f"qty_{key}", fmt_decimal(line.quantity)),
                (f"price_{key}", fmt_decimal(line.unit_price)),
                (f"tax_{key}", fmt_decimal(line.tax_rate)),
            ]
        return FormData(items)
    invoice = get_invoice(uow, actor, memo.invoice_id or "")
    by_line = {line.invoice_line_id: line for line in memo.lines}
    for pos, inv_line in enumerate(invoice.lines):
        credit_line = by_line.get(inv_line.id)
        if credit_line is None:
            continue
        items.append((f"include_{pos}", "1"))
        if credit_line.credit_by is CreditBy.AMOUNT:
            items.append((f"amount_{pos}", f"{credit_line.net.amount}"))
        else:
            items.append((f"qty_{pos}", fmt_decimal(credit_line.quantity)))
    return FormData(items)


def _show(
    request: Request, uow: UnitOfWork, v: Any, memo: Memo, form: FormData, errors: dict[str, str], status: int = 200
) -> Response:
    if memo.source is MemoSource.STANDALONE:
        return _free_form(request, uow, v, memo.kind, form, None, errors, status, editing=memo)
    invoice = get_invoice(uow, v.actor, memo.invoice_id or "")
    return _invoice_form(request, uow, v, invoice, form, memo if not errors else None, errors, status, editing=memo)


@router.get("/memos/{memo_id}/edit", include_in_schema=False)
def edit_form(request: Request, memo_id: str, v: ViewerDep) -> Response:
    authorize(v.actor, Permission.EDIT_MEMO)
    with db_of(request).uow(readonly=True) as uow:
        memo = get_memo(uow, v.actor, memo_id)
        ensure_editable(memo.status, f"{memo.kind} memo")
        return _show(request, uow, v, memo, _form_of(uow, v.actor, memo), {})


@router.post("/memos/{memo_id}/edit", include_in_schema=False)
def edit_save(request: Request, memo_id: str, v: WriterDep, form: FormDep) -> Response:
    def attempt(uow: UnitOfWork) -> Response:
        memo = get_memo(uow, v.actor, memo_id)
        head = _header_fields(form, uow, v, memo.kind, create=True)
        try:
            if memo.source is MemoSource.STANDALONE:
                keys = _line_keys(form)
                lines: Any = [
                    FreeLineInput(
                        as_str(form, f"desc_{k}"),
                        as_str(form, f"qty_{k}"),
                        as_str(form, f"price_{k}"),
                        tax_rate=as_str(form, f"tax_{k}"),
                    )
                    for k in keys
                ]
                key_of: Any = lambda i: keys[i]  # noqa: E731
            else:
                invoice = get_invoice(uow, v.actor, memo.invoice_id or "")
                lines, positions = _credit_inputs(invoice, form)
                key_of = lambda i: str(positions[i])  # noqa: E731
            update_memo(uow, v.actor, memo.id, lines=lines, **head)
        except DomainError as e:
            uow.rollback()
            if e.code in ("not_found", "forbidden", "invalid_transition"):
                raise
            return _show(request, uow, v, memo, form, _map_errors(field_errors(e), key_of), 422)
        return redirect(f"/memos/{memo_id}?done=saved")

    return submit_once(request, v, form, attempt)
