"""Editing a draft: header fields and lines. Only drafts change (rule 4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from creditmemo.domain.documents import Memo, MemoKind, MemoSource, memo_totals
from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.inputs import CreditLineInput, FreeLineInput
from creditmemo.domain.lifecycle import ensure_editable
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.memos import build
from creditmemo.store.uow import UnitOfWork

_UNSET: object = object()


def update_memo(
    uow: UnitOfWork,
    actor: Actor,
    memo_id: str,
    *,
    kind: MemoKind | None = None,
    reason_code: object = _UNSET,
    memo_text: object = _UNSET,
    reference: object = _UNSET,
    issue_date: object = _UNSET,
    auto_apply: object = _UNSET,
    lines: Sequence[CreditLineInput] | Sequence[FreeLineInput] | None = None,
) -> Memo:
    authorize(actor, Permission.EDIT_MEMO)
    memo = uow.memos.get(actor.company_id, memo_id, kind, for_update=True)
    ensure_editable(memo.status, f"{memo.kind} memo")
    head = build.header(
        uow,
        actor,
        memo.kind,
        reason_code=memo.reason_code if reason_code is _UNSET else reason_code,
        memo_text=memo.memo_text if memo_text is _UNSET else memo_text,
        reference=memo.reference if reference is _UNSET else reference,
        issue_date=memo.issue_date if issue_date is _UNSET else issue_date,
        auto_apply=memo.auto_apply if auto_apply is _UNSET else auto_apply,
        not_before=build.memo_bounds(uow, memo) if issue_date is not _UNSET else (),
        check_date=issue_date is not _UNSET,
    )
    new_lines = memo.lines
    if lines is not None:
        if memo.return_id is not None:
            raise ValidationFailedError.single(
                "lines",
                "A memo from a return credits what the return received; its lines are not edited.",
                "from_return",
            )
        if memo.source is MemoSource.STANDALONE:
            new_lines = build.free_lines(uow, actor.company_id, lines, memo.currency, memo.kind)  # type: ignore[arg-type]  # a standalone memo is edited with free lines
        else:
            invoice = uow.invoices.get(actor.company_id, memo.invoice_id or "")
            new_lines = build.lines_from_invoice(invoice, lines, restock=memo.source is MemoSource.RETURN)  # type: ignore[arg-type]  # a memo from an invoice is edited with credit lines
        build.check_line_privilege(actor, len(new_lines))
    subtotal, tax_total, total = memo_totals(new_lines, memo.currency)
    updated = replace(
        memo,
        reason_code=head.reason_code,
        memo_text=head.memo_text,
        reference=head.reference,
        issue_date=head.issue_date,
        auto_apply=head.auto_apply,
        lines=new_lines,
        subtotal=subtotal,
        tax_total=tax_total,
        total=total,
        updated_at=uow.now(),
        version=memo.version + 1,
    )
    changes = audit.diff(_fields(memo), _fields(updated))
    if lines is not None:
        changes["lines"] = [len(memo.lines), len(updated.lines)]
    uow.memos.save(updated, replace_lines=lines is not None)
    audit.record(uow, actor, f"{memo.kind}_memo.updated", f"{memo.kind}_memo", memo.id, changes)
    return updated


def _fields(memo: Memo) -> dict[str, object]:
    return {
        "reason_code": memo.reason_code,
        "memo_text": memo.memo_text,
        "reference": memo.reference,
        "issue_date": str(memo.issue_date),
        "auto_apply": memo.auto_apply,
        "total": str(memo.total.amount),
    }
