"""Posting a memo: lock it, re-check over-credit under row locks (rule 1), re-price the completing
tax (rule 2), write a balanced journal entry (rule 5) and move the customer's balance."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from creditmemo.domain.crediting import credited_after, reprice_for_post
from creditmemo.domain.documents import Memo, MemoKind, memo_totals
from creditmemo.domain.lifecycle import Action, Status, next_status
from creditmemo.domain.posting_rules import memo_entry
from creditmemo.ids import new_id
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.memos.approval import ensure_cleared_for_posting
from creditmemo.services.settlement.applications import auto_apply_credit_memo
from creditmemo.store.uow import UnitOfWork


def post_memo(uow: UnitOfWork, actor: Actor, memo_id: str, *, kind: MemoKind | None = None,
              on: date | None = None) -> Memo:
    """Post now, or queue to ready_to_post when the memo is longer than the company's line limit."""
    authorize(actor, Permission.POST_MEMO)
    memo = uow.memos.get(actor.company_id, memo_id, kind, for_update=True)
    ensure_cleared_for_posting(uow, memo)  # approval_required for a draft the policy sends to approval
    if len(memo.lines) > uow.companies.background_line_limit(actor.company_id):  # fresh: a setting
        return queue_post(uow, actor, memo)
    next_status(memo.status, Action.POST, f"{memo.kind} memo")
    return finish_post(uow, actor, memo, on=on)


def queue_post(uow: UnitOfWork, actor: Actor, memo: Memo) -> Memo:
    """Hand the memo to the background worker (DESIGN §2: > line limit, or a bulk post)."""
    status = next_status(memo.status, Action.QUEUE_POST, f"{memo.kind} memo")
    queued = replace(memo, status=status, post_error=None, updated_at=uow.now())
    uow.memos.save(queued)
    audit.record(uow, actor, f"{memo.kind}_memo.queued_for_posting", f"{memo.kind}_memo", memo.id,
                 {"status": [str(memo.status), str(status)]})
    return queued


def finish_post(uow: UnitOfWork, actor: Actor, memo: Memo, *, on: date | None = None) -> Memo:
    """The posting itself, shared by the direct path and the worker. ``memo`` is already locked."""
    company = uow.companies.get(actor.company_id)
    lines = memo.lines
    if memo.kind is MemoKind.CREDIT and memo.invoice_id is not None:
        invoice_lines = uow.invoices.lock_lines(actor.company_id, memo.currency, memo.invoice_line_ids())
        lines = reprice_for_post(memo.lines, invoice_lines)  # raises OverCreditError
        for line in lines:
            if line.invoice_line_id:
                invoice_lines[line.invoice_line_id] = credited_after(invoice_lines[line.invoice_line_id], line)
        uow.invoices.save_credited(invoice_lines[line.invoice_line_id] for line in lines if line.invoice_line_id)
    subtotal, tax_total, total = memo_totals(lines, memo.currency)
    now = uow.now()
    posted = replace(memo, status=Status.POSTED, lines=lines, subtotal=subtotal, tax_total=tax_total, total=total,
                     posted_at=now, posted_by=actor.user_id, updated_at=now, post_error=None,
                     version=memo.version + 1)
    uow.memos.save(posted)
    if lines != memo.lines:
        uow.memos.save_line_amounts(posted)
    uow.journal.add(memo_entry(posted, company, new_id, on or posted.issue_date), now)
    amount = total.to_minor()
    if memo.kind is MemoKind.CREDIT:
        uow.customers.adjust(actor.company_id, memo.customer_id, balance=-amount, available_credit=amount)
    else:
        uow.customers.adjust(actor.company_id, memo.customer_id, balance=amount)
    changes: dict[str, object] = {"status": [str(memo.status), str(Status.POSTED)]}
    if total != memo.total:
        changes["total"] = [str(memo.total.amount), str(total.amount)]
    audit.record(uow, actor, f"{memo.kind}_memo.posted", f"{memo.kind}_memo", memo.id, changes)
    if memo.kind is MemoKind.CREDIT and memo.invoice_id is not None and memo.auto_apply:
        app = auto_apply_credit_memo(uow, actor, memo.id, on=on or posted.issue_date)
        if app is not None:
            posted = replace(posted, amount_applied=posted.amount_applied + app.amount)
    return posted
