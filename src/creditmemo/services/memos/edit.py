"""Editing a memo. A draft: header fields, lines, text and metadata. Past draft (rule 4: posted is final) only
the text (``memo``) and the metadata change, in every status (issue 17: notes after posting, metadata even
while ``ready_to_post``); the amounts and the rest of the header never do (``posted_is_final``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from creditmemo.domain.documents import Memo, MemoKind, MemoSource, memo_totals
from creditmemo.domain.errors import PostedIsFinalError, ValidationFailedError
from creditmemo.domain.inputs import CreditLineInput, FreeLineInput
from creditmemo.domain.lifecycle import Status, ensure_editable
from creditmemo.domain.metadata import merge_metadata
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
    metadata: object = _UNSET,
) -> Memo:
    authorize(actor, Permission.EDIT_MEMO)
    memo = uow.memos.get(actor.company_id, memo_id, kind, for_update=True)
    if memo.status is not Status.DRAFT:
        _refuse_final(
            memo,
            {"reason_code": reason_code, "reference": reference, "issue_date": issue_date, "auto_apply": auto_apply},
            lines,
        )
        return update_notes(uow, actor, memo, memo_text=memo_text, metadata=metadata)
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
        current_reason=memo.reason_code,
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
    if metadata is not _UNSET:
        updated = replace(updated, metadata=merge_metadata(memo.metadata, metadata))
    changes = audit.diff(_fields(memo), _fields(updated))
    if lines is not None:
        changes["lines"] = [len(memo.lines), len(updated.lines)]
    uow.memos.save(updated, replace_lines=lines is not None)
    if updated.metadata != memo.metadata:
        uow.memos.save_notes(updated)
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
        "metadata": dict(memo.metadata),
    }


def update_notes(uow: UnitOfWork, actor: Actor, memo: Memo, *, memo_text: object, metadata: object) -> Memo:
    """The text and metadata of a memo (locked by the caller) in any status: written alone (no amount, status,
    version or queue position moves) and audited with before and after."""
    text = memo.memo_text if memo_text is _UNSET else build.text(memo_text, "memo", build.MAX_TEXT)
    meta = dict(memo.metadata) if metadata is _UNSET else merge_metadata(memo.metadata, metadata)
    updated = replace(memo, memo_text=text, metadata=meta)
    changes = audit.diff(
        {"memo_text": memo.memo_text, "metadata": dict(memo.metadata)}, {"memo_text": text, "metadata": meta}
    )
    if changes:
        uow.memos.save_notes(updated)
        audit.record(uow, actor, f"{memo.kind}_memo.notes_updated", f"{memo.kind}_memo", memo.id, changes)
    return updated


def _refuse_final(memo: Memo, sent: dict[str, object], lines: object) -> None:
    """Past draft, a field other than the text and metadata may be sent only unchanged; lines never."""
    current = {
        "reason_code": memo.reason_code,
        "reference": memo.reference,
        "issue_date": str(memo.issue_date),
        "auto_apply": memo.auto_apply,
    }
    changed = [name for name, value in sent.items() if value is not _UNSET and _as_sent(value) != current[name]]
    if lines is not None:
        changed.insert(0, "lines")
    if changed:
        raise PostedIsFinalError(
            f"{memo.number} is {memo.status}: its amounts and header are final (rule 4); only memo and metadata "
            f"can change (refused: {', '.join(changed)}). To correct it, void it and issue a new one.",
            field=changed[0],
            memo_status=str(memo.status),
            editable=["memo", "metadata"],
        )


def _as_sent(value: object) -> object:
    return str(value) if isinstance(value, date) else value
