"""Posting a memo: lock it, re-check over-credit under the invoice's lock (rule 1), re-price the completing
tax (rule 2), write a balanced journal entry (rule 5), apply a memo from an invoice to that invoice, and
move the customer's balance. Locks in the order of docs/CONCURRENCY.md: the memo, its invoice, then (at
commit) the customer and the audit head."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from creditmemo.domain.crediting import credited_after, reprice_for_post
from creditmemo.domain.documents import Invoice, InvoiceLine, Memo, MemoKind, memo_totals
from creditmemo.domain.ledger import JournalEntry
from creditmemo.domain.lifecycle import Action, next_status
from creditmemo.domain.money import Money
from creditmemo.domain.posting_rules import memo_description, memo_entry
from creditmemo.domain.settlement import Application, Party
from creditmemo.ids import new_id
from creditmemo.services import audit, periods, revenue
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.memos.actions import ensure_allowed
from creditmemo.services.memos.approval import approval_tier, submit_draft
from creditmemo.services.settlement import account_credit, discounts
from creditmemo.services.settlement.applications import memo_source, plan_auto_apply, record_auto_apply
from creditmemo.store.uow import UnitOfWork


class Route(StrEnum):
    """Where a new memo created with ``post: true`` goes."""

    POST = "post"  # posted now
    SUBMIT = "submit"  # the approval policy applies: submitted for approval instead
    QUEUE = "queue"  # longer than the line limit: ready_to_post, for the worker


def post_memo(
    uow: UnitOfWork, actor: Actor, memo_id: str, *, kind: MemoKind | None = None, on: date | None = None
) -> Memo:
    """Post now, or queue to ready_to_post when the memo is longer than the company's line limit."""
    authorize(actor, Permission.POST_MEMO)
    memo = uow.memos.get(actor.company_id, memo_id, kind, for_update=True)
    ensure_allowed(uow, actor, memo, Action.POST)  # e.g. approval_required for a draft the policy sends to approval
    if len(memo.lines) > uow.companies.background_line_limit(actor.company_id):  # fresh: a setting
        return queue_post(uow, actor, memo)
    return finish_post(uow, actor, memo, on=on)


def route_new(uow: UnitOfWork, actor: Actor, memo: Memo) -> Route:
    """For a draft about to be created with ``post: true``: post it, submit it (the approval policy
    applies) or queue it (over the line limit). Decided, and the settings read, before the memo takes
    its number, so the number counter is held as briefly as possible."""
    authorize(actor, Permission.POST_MEMO)
    if approval_tier(uow, memo) is not None:
        return Route.SUBMIT
    if len(memo.lines) > uow.companies.background_line_limit(actor.company_id):
        return Route.QUEUE
    return Route.POST


def post_new(uow: UnitOfWork, actor: Actor, memo: Memo, route: Route, *, invoice: Invoice | None = None) -> Memo:
    """Finish a ``post: true`` create in the same transaction: ``memo`` was just stored (and ``invoice``,
    when given, is its invoice, already locked by the create)."""
    if route is Route.SUBMIT:
        return submit_draft(uow, actor, memo)
    if route is Route.QUEUE:
        return queue_post(uow, actor, memo)
    return finish_post(uow, actor, memo, invoice=invoice)


def queue_post(uow: UnitOfWork, actor: Actor, memo: Memo) -> Memo:
    """Hand the memo to the background worker (DESIGN §2: > line limit, or a bulk post). The worker posts it on
    its issue date: refused now if that is in a closed period (the worker checks again when it posts)."""
    status = next_status(memo.status, Action.QUEUE_POST, f"{memo.kind} memo")
    periods.check(uow, actor.company_id, "date", memo.issue_date, what="posting date", future_ok=True)
    queued = replace(memo, status=status, post_error=None, updated_at=uow.now())
    uow.memos.save(queued)
    audit.record(
        uow,
        actor,
        f"{memo.kind}_memo.queued_for_posting",
        f"{memo.kind}_memo",
        memo.id,
        {"status": [str(memo.status), str(status)]},
    )
    return queued


@dataclass(frozen=True, slots=True)
class PostPlan:
    """A posting worked out in memory, before anything is written (rules 1, 2 and 5 already checked)."""

    draft: Memo  # the memo as it was
    posted: Memo  # status posted, re-priced lines and totals, the auto-applied amount
    entry: JournalEntry
    credited: tuple[InvoiceLine, ...]  # the invoice lines with this memo's credit added
    applications: tuple[Application, ...]  # the auto-apply to its invoice, or to the customer's next invoices
    on: date
    split: revenue.CreditSplit | None = None  # issue 12: each line's recognized / deferred reversal


def finish_post(
    uow: UnitOfWork,
    actor: Actor,
    memo: Memo,
    *,
    on: date | None = None,
    invoice: Invoice | None = None,
    action: Action = Action.POST,
) -> Memo:
    """The posting itself, shared by the direct path (``post``) and the worker (``finish_post``). ``memo`` is
    locked; ``invoice``, when given, is its invoice under this transaction's lock."""
    plan = plan_post(uow, actor, memo, on=on, invoice=invoice, action=action)
    write_invoice_side(uow, plan)
    return write_memo_side(uow, actor, plan)


def plan_post(
    uow: UnitOfWork,
    actor: Actor,
    memo: Memo,
    *,
    on: date | None = None,
    invoice: Invoice | None = None,
    next_invoices: Sequence[Party] | None = None,
    action: Action = Action.POST,
) -> PostPlan:
    """Work the posting out: lock the memo's invoice (unless given), re-check and re-price under that lock.
    A "next invoice" credit (issue 11) also locks the customer's open invoices it may go to (unless given,
    as ``next_invoices``) with its own, in id order, and is applied to them instead of its own invoice."""
    status = next_status(memo.status, action, f"{memo.kind} memo")  # the table gives posted (or refuses)
    company = uow.companies.get(actor.company_id)
    lines = memo.lines
    credited: list[InvoiceLine] = []
    before: dict[str, InvoiceLine] = {}
    next_invoice = memo.kind is MemoKind.CREDIT and memo.apply_to_next_invoice
    if next_invoice and next_invoices is None:
        invoice, targets = account_credit.lock_next_invoices(
            uow, memo.company_id, memo.customer_id, memo.currency, account_credit.apply_from(memo), memo.invoice_id
        )
        next_invoices = targets
    if memo.kind is MemoKind.CREDIT and memo.invoice_id is not None:
        if invoice is None:
            invoice = uow.invoices.get(actor.company_id, memo.invoice_id, for_update=True)
        invoice_lines = {line.id: line for line in invoice.lines}
        before = dict(invoice_lines)
        lines = reprice_for_post(memo.lines, invoice_lines)  # raises OverCreditError
        for line in lines:
            if line.invoice_line_id:
                invoice_lines[line.invoice_line_id] = credited_after(invoice_lines[line.invoice_line_id], line)
        credited = [invoice_lines[line.invoice_line_id] for line in lines if line.invoice_line_id]
    else:
        invoice = None
    subtotal, tax_total, total = memo_totals(lines, memo.currency)
    now = uow.now()
    posted = replace(
        memo,
        status=status,
        lines=lines,
        subtotal=subtotal,
        tax_total=tax_total,
        total=total,
        posted_at=now,
        posted_by=actor.user_id,
        updated_at=now,
        post_error=None,
        version=memo.version + 1,
    )
    posted_on = periods.check(
        uow,
        actor.company_id,
        "date",
        on or posted.issue_date,
        what="posting date",
        not_before=[periods.Bound(posted.issue_date, f"{posted.number or 'the memo'}'s issue date")],
    )
    if next_invoice:
        apps = account_credit.plan_next_invoice(uow, actor, posted, next_invoices or (), on=posted_on)
    else:
        app = None if invoice is None else plan_auto_apply(uow, actor, posted, invoice, on=posted_on)
        apps = [] if app is None else [app]
    if apps:
        posted = replace(
            posted, amount_applied=posted.amount_applied + sum((a.amount for a in apps), Money.zero(posted.currency))
        )
    # the potential settlement discount, stored with the posting (issue 15 item 7)
    posted = replace(posted, settlement_discount=discounts.for_memo(uow, company, posted, invoice))
    split = revenue.split_memo(uow, memo.company_id, lines, before, posted_on) if before else None
    entry = memo_entry(
        posted,
        company,
        new_id,
        posted_on,
        None if split is None else split.reversals,
        to_line_accounts=revenue.reverses_to_line_account(uow, memo.company_id, memo.reason_code),
    )
    return PostPlan(memo, posted, entry, tuple(credited), tuple(apps), posted_on, split)


def write_invoice_side(uow: UnitOfWork, plan: PostPlan) -> None:
    """What needs no memo number: the invoice lines' credited totals (rule 1's running totals)."""
    uow.invoices.save_credited(plan.draft.company_id, plan.credited)


def write_memo_side(uow: UnitOfWork, actor: Actor, plan: PostPlan, *, inserted: bool = False) -> Memo:
    """The memo header (unless ``inserted`` already in its posted state), re-priced line amounts, the
    journal entry, the auto-apply, the customer's balance and the events."""
    memo, posted = plan.draft, plan.posted
    if not inserted:
        uow.memos.save(posted)  # one header write: status, totals and the auto-applied amount
        if posted.lines != memo.lines:
            uow.memos.save_line_amounts(posted)
    uow.journal.add(replace(plan.entry, description=memo_description(posted)), uow.now())
    if plan.split is not None:
        revenue.record_split(uow, posted, plan.split, plan.on)
    changes: dict[str, object] = {"status": [str(memo.status), str(posted.status)]}
    if posted.total != memo.total:
        changes["total"] = [str(memo.total.amount), str(posted.total.amount)]
    audit.record(uow, actor, f"{memo.kind}_memo.posted", f"{memo.kind}_memo", memo.id, changes)
    applied = 0
    for app in plan.applications:
        # what was open on the memo before this application (its exchange difference needs it)
        source = memo_source(posted, posted.total - Money.from_minor(applied, posted.currency))
        record_auto_apply(uow, actor, app, source=source)
        applied += app.amount.to_minor()
    amount = posted.total.to_minor()
    if memo.kind is MemoKind.CREDIT:
        uow.customers.adjust(actor.company_id, memo.customer_id, balance=-amount, available_credit=amount - applied)
    else:
        uow.customers.adjust(actor.company_id, memo.customer_id, balance=amount)
    return posted
