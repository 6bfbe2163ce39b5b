"""Voiding a posted memo: a reversing journal entry dated the void date (rule 4); only when nothing
of it is applied or refunded, and on or after its issue and posting dates and its last settlement event
(domain/dating.py)."""

from __future__ import annotations

from dataclasses import replace

from creditmemo.domain.crediting import credited_after
from creditmemo.domain.dating import settlement_bounds
from creditmemo.domain.documents import Memo, MemoKind
from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.ledger import reverse
from creditmemo.domain.lifecycle import Action, next_status
from creditmemo.domain.parsing import parse_date
from creditmemo.ids import new_id
from creditmemo.services import audit, periods, revenue
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.memos.actions import ensure_allowed
from creditmemo.services.returns.release import give_back
from creditmemo.store.uow import UnitOfWork


def void_memo(
    uow: UnitOfWork,
    actor: Actor,
    memo_id: str,
    *,
    kind: MemoKind | None = None,
    on: object = None,
    reason: object = None,
) -> Memo:
    authorize(actor, Permission.VOID_MEMO)
    memo = uow.memos.get(actor.company_id, memo_id, kind, for_update=True)
    ensure_allowed(uow, actor, memo, Action.VOID)  # e.g. memo_settled while part of it is applied or refunded
    status = next_status(memo.status, Action.VOID, f"{memo.kind} memo")
    entries = uow.journal.for_source(actor.company_id, memo.id)
    bounds = [periods.Bound(memo.issue_date, f"{memo.number}'s issue date")]
    bounds += [periods.Bound(e.date, f"{memo.number}'s posting date") for e in entries if e.kind == "post"]
    # Nor before its last settlement event (read under the memo's lock): a void between an application and its
    # unapplication, or a refund and its reversal, would show the memo voided yet applied as of the days between.
    applied, unapplied = uow.applications.latest_dates(actor.company_id, memo.id)
    refunds = uow.refunds.for_source(actor.company_id, memo.id) if memo.kind is MemoKind.CREDIT else []
    bounds += settlement_bounds(str(memo.number), applied, unapplied, refunds)
    given = None if on is None else parse_date(on, "void_date")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 2000):
        raise ValidationFailedError.single("reason", "Text of at most 2000 characters.", "invalid")
    reason = reason.strip() or None if isinstance(reason, str) else None
    give_back(uow, actor, memo, "voided")  # a memo from a return: its return (locked before the invoice)
    if memo.kind is MemoKind.CREDIT and memo.invoice_id is not None:
        # The invoice's lock guards its lines' credited totals (docs/CONCURRENCY.md).
        invoice = uow.invoices.get(actor.company_id, memo.invoice_id, for_update=True)
        invoice_lines = {line.id: line for line in invoice.lines}
        uow.invoices.save_credited(
            actor.company_id,
            (credited_after(invoice_lines[ln.invoice_line_id], ln, sign=-1) for ln in memo.lines if ln.invoice_line_id),
        )
    # After the documents' locks (docs/CONCURRENCY.md, step 4b). No date given and today's period closed: the
    # first day of the first open period, and the entry says so.
    void_date, skipped = periods.void_date(uow, actor.company_id, given, field="void_date", not_before=bounds)
    now = uow.now()
    text = f"Reversal of {memo.number}"  # not of je_…
    if skipped is not None:
        text += f", dated {void_date}: {skipped} is closed"
    for entry in entries:
        if entry.kind == "post":
            reversal = reverse(entry, entry_id=new_id("je"), on=void_date)
            uow.journal.add(replace(reversal, description=text), now)
    revenue.reverse_split(uow, memo, void_date)  # issue 12: the months it took from deferred revenue come back
    amount = memo.total.to_minor()
    if memo.kind is MemoKind.CREDIT:
        uow.customers.adjust(actor.company_id, memo.customer_id, balance=amount, available_credit=-amount)
    else:
        uow.customers.adjust(actor.company_id, memo.customer_id, balance=-amount)
    voided = replace(
        memo,
        status=status,
        void_date=void_date,
        voided_at=now,
        voided_by=actor.user_id,
        updated_at=now,
        version=memo.version + 1,
    )
    uow.memos.save(voided)
    audit.record(
        uow,
        actor,
        f"{memo.kind}_memo.voided",
        f"{memo.kind}_memo",
        memo.id,
        {
            "status": [str(memo.status), str(status)],
            "void_date": [None, str(void_date)],
            **({"reason": [None, reason]} if reason else {}),  # no "reason: None" in the timeline
        },
    )
    return voided
