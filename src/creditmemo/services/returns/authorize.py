"""Authorizing a return (RMA-000001), editing it while authorized, cancelling it (from authorized only,
with a reason). Locks (docs/CONCURRENCY.md): the return (when it exists), then its invoice, whose lock
guards what returns and posted credits hold of its lines; the number counter last."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from creditmemo.domain.documents import Invoice, MemoKind
from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.returns import (
    ReturnAction,
    ReturnAuthorization,
    ReturnLineInput,
    ReturnStatus,
    build_return_lines,
    ensure_return_action,
    returnable,
)
from creditmemo.ids import new_id
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.memos.build import check_reason
from creditmemo.store.uow import UnitOfWork

DEFAULT_REASON = "return"
_UNSET: object = object()


def _case_reference(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 200:
        raise ValidationFailedError.single("case_reference", "Text of at most 200 characters.", "invalid")
    return value.strip() or None


def _available(uow: UnitOfWork, invoice: Invoice, *, excluding: str | None = None) -> dict[str, Decimal]:
    """What may still be returned of each line of ``invoice`` (read under the invoice's lock)."""
    held = uow.returns.held(invoice.company_id, invoice.id, excluding=excluding)
    through = uow.returns.credited_through_returns(invoice.company_id, invoice.id)
    return {
        line.id: returnable(line, held.get(line.id, Decimal(0)), through.get(line.id, Decimal(0)))
        for line in invoice.lines
    }


def returnable_quantities(uow: UnitOfWork, actor: Actor, invoice: Invoice) -> dict[str, Decimal]:
    """What may still be returned of each line of ``invoice`` (a read, for forms: the create re-checks)."""
    authorize(actor, Permission.READ)
    return _available(uow, invoice)


def summary(ret: ReturnAuthorization) -> dict[str, object]:
    return {
        "number": [None, ret.number],
        "status": [None, str(ret.status)],
        "invoice_id": [None, ret.invoice_id],
        "reason_code": [None, ret.reason_code],
        "case_reference": [None, ret.case_reference],
        "lines": [None, [[line.invoice_line_id, str(line.quantity), line.restock] for line in ret.lines]],
    }


def create_return(
    uow: UnitOfWork,
    actor: Actor,
    *,
    invoice_id: object,
    lines: Sequence[ReturnLineInput],
    reason_code: object = None,
    case_reference: object = None,
) -> ReturnAuthorization:
    """Authorize a return of invoiced quantities (at most what is left after earlier returns and
    quantity credits: over_return)."""
    authorize(actor, Permission.CREATE_MEMO)
    if not isinstance(invoice_id, str):
        raise ValidationFailedError.single("invoice_id", "An invoice id is required.", "required")
    case = _case_reference(case_reference)
    reason = check_reason(
        uow, actor.company_id, DEFAULT_REASON if reason_code is None else reason_code, MemoKind.CREDIT
    )
    invoice = uow.invoices.get(actor.company_id, invoice_id, for_update=True)
    built = build_return_lines(invoice, lines, _available(uow, invoice), new_id)
    now = uow.now()
    ret = ReturnAuthorization(
        id=new_id("rma"),
        company_id=actor.company_id,
        number="",
        customer_id=invoice.customer_id,
        invoice_id=invoice.id,
        status=ReturnStatus.AUTHORIZED,
        reason_code=reason,
        lines=built,
        case_reference=case,
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    ret = replace(ret, number=uow.numbers.take(actor.company_id, "return", ret.id))  # the counter last
    uow.returns.add(ret)
    audit.record(uow, actor, "return.authorized", "return", ret.id, summary(ret))
    return ret


def update_return(
    uow: UnitOfWork,
    actor: Actor,
    return_id: str,
    *,
    reason_code: object = _UNSET,
    case_reference: object = _UNSET,
    lines: Sequence[ReturnLineInput] | None = None,
) -> ReturnAuthorization:
    """Change an authorized return: its reason, case reference or (all of) its lines."""
    authorize(actor, Permission.CREATE_MEMO)
    ret = uow.returns.get(actor.company_id, return_id, for_update=True)
    ensure_return_action(ret, ReturnAction.EDIT)
    changed = ret
    if reason_code is not _UNSET:
        changed = replace(changed, reason_code=check_reason(uow, actor.company_id, reason_code, MemoKind.CREDIT))
    if case_reference is not _UNSET:
        changed = replace(changed, case_reference=_case_reference(case_reference))
    if lines is not None:
        invoice = uow.invoices.get(actor.company_id, ret.invoice_id, for_update=True)
        available = _available(uow, invoice, excluding=ret.id)
        changed = replace(changed, lines=build_return_lines(invoice, lines, available, new_id))
    changes = audit.diff(
        {"reason_code": ret.reason_code, "case_reference": ret.case_reference, "lines": _lines(ret)},
        {"reason_code": changed.reason_code, "case_reference": changed.case_reference, "lines": _lines(changed)},
    )
    updated = replace(changed, updated_at=uow.now(), version=ret.version + 1)
    uow.returns.save(updated, replace_lines=lines is not None)
    audit.record(uow, actor, "return.updated", "return", ret.id, changes)
    return updated


def _lines(ret: ReturnAuthorization) -> list[list[object]]:
    return [[line.invoice_line_id, str(line.quantity), line.restock] for line in ret.lines]


def cancel_return(uow: UnitOfWork, actor: Actor, return_id: str, *, reason: object) -> ReturnAuthorization:
    """Cancel an authorized return (nothing received): its quantities can be returned again."""
    authorize(actor, Permission.EDIT_MEMO)
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 2000:
        raise ValidationFailedError.single("reason", "A reason (1 to 2000 characters) is required.", "required")
    ret = uow.returns.get(actor.company_id, return_id, for_update=True)
    ensure_return_action(ret, ReturnAction.CANCEL)
    now = uow.now()
    cancelled = replace(
        ret,
        status=ReturnStatus.CANCELLED,
        cancel_reason=reason.strip(),
        cancelled_at=now,
        cancelled_by=actor.user_id,
        updated_at=now,
        version=ret.version + 1,
    )
    uow.returns.save(cancelled)
    audit.record(
        uow,
        actor,
        "return.cancelled",
        "return",
        ret.id,
        {"status": [str(ret.status), str(cancelled.status)], "reason": [None, cancelled.cancel_reason]},
    )
    return cancelled
