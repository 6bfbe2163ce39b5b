"""Void and reissue (seed 001, issue 17): a posted credit memo that was wrong is voided (the same rules as a
void: nothing applied or refunded, a reversing entry) and a new draft copying its lines takes its place, in one
transaction. The two point at each other (``replaces_id`` / ``replaced_by_id``); the draft is then edited,
approved and posted like any other."""

from __future__ import annotations

from dataclasses import replace

from creditmemo.domain.documents import CreditBy, Memo, MemoKind, MemoLine, MemoSource
from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.inputs import CreditLineInput, FreeLineInput
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.memos import create
from creditmemo.services.memos.void import void_memo
from creditmemo.store.uow import UnitOfWork


def reissue_memo(
    uow: UnitOfWork, actor: Actor, memo_id: str, *, reason: object, on: object = None
) -> tuple[Memo, Memo]:
    """Returns (the voided memo, the new draft). The draft keeps the reason code, text, reference and
    auto-apply of the original, is dated today (or with its void, when today's period is closed), and
    credits the same invoice lines by the same quantity or amount (what the void gave back), or repeats
    the free lines of a standalone memo."""
    authorize(actor, Permission.VOID_MEMO)
    authorize(actor, Permission.CREATE_MEMO)
    original = uow.memos.get(actor.company_id, memo_id, MemoKind.CREDIT)
    if original.source is MemoSource.RETURN:
        raise ValidationFailedError.single(
            "memo_id",
            f"{original.number} credits a return: void it, then create the memo again from the return.",
            "from_return",
        )
    voided = void_memo(uow, actor, memo_id, kind=MemoKind.CREDIT, on=on, reason=reason)
    # Dated today, or with the void when that went to the first open period (today's being closed).
    issue_date = voided.void_date if voided.void_date and voided.void_date > uow.now().date() else None
    if voided.invoice_id is not None:
        draft = create.create_credit_memo_from_invoice(
            uow,
            actor,
            voided.invoice_id,
            lines=[_credit_line(line) for line in voided.lines if line.invoice_line_id is not None],
            reason_code=voided.reason_code,
            memo_text=voided.memo_text,
            reference=voided.reference,
            auto_apply=voided.auto_apply,
            issue_date=issue_date,
        )
    else:
        draft = create.create_standalone_credit_memo(
            uow,
            actor,
            customer_id=voided.customer_id,
            currency=voided.currency,
            exchange_rate=voided.exchange_rate,
            lines=[
                FreeLineInput(
                    line.description,
                    str(line.quantity),
                    str(line.unit_price),
                    tax_rate=str(line.tax_rate),
                    account_code=line.account_code,
                )
                for line in voided.lines
            ],
            reason_code=voided.reason_code,
            memo_text=voided.memo_text,
            reference=voided.reference,
            auto_apply=voided.auto_apply,
            issue_date=issue_date,
        )
    uow.memos.link_reissue(actor.company_id, voided.id, draft.id)
    audit.record(uow, actor, "credit_memo.reissued", "credit_memo", voided.id, {"replaced_by_id": [None, draft.id]})
    return replace(voided, replaced_by_id=draft.id), replace(draft, replaces_id=voided.id)


def _credit_line(line: MemoLine) -> CreditLineInput:
    if line.credit_by is CreditBy.AMOUNT:
        return CreditLineInput(line.invoice_line_id, amount=str(line.net.amount), restock=line.restock)
    return CreditLineInput(line.invoice_line_id, quantity=str(line.quantity), restock=line.restock)
