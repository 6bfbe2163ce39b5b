"""A customer's account credit used without a clerk choosing where (issue 11): credit memos marked "apply to
the next invoice" (automatic credits) and, when the company or the customer switches it on, every posted
credit memo left unapplied, go to the customer's open invoices, oldest memo first onto the oldest invoice.
Three moments: when such a memo is posted (posting calls ``plan_next_invoice``), when an invoice is issued
(``lock_for_new_invoice`` before it is numbered, ``apply_to_new_invoice`` after), and on demand
(``apply_account_credit``). The applications are ordinary ones (auto: true), reversible by unapplying.

Locks (docs/CONCURRENCY.md): the credit memos (step 1, id order), then the invoices (step 2, id order);
the new invoice of an issue is this transaction's own row; the customer's available credit is a delta."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from creditmemo.domain.dating import dated_by
from creditmemo.domain.documents import Invoice, Memo
from creditmemo.domain.settlement import Application, ParsedAllocation, Party, SourceType, TargetType, oldest_first
from creditmemo.services import periods
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.settings import auto_apply_credit
from creditmemo.services.settlement.applications import (
    automatic_date,
    invoice_party,
    invoice_target,
    memo_party,
    memo_source,
    new_applications,
    record_applications,
)
from creditmemo.store.uow import UnitOfWork

Row = Mapping[str, Any]


def apply_from(memo_row: Row | Memo) -> date:
    """The first day an invoice must be issued on to take a "next invoice" credit: a proration's effective date,
    else the memo's issue date (an SLA credit goes to the billing cycle after the incident was credited)."""
    if isinstance(memo_row, Memo):
        computation, issue_date = memo_row.computation, memo_row.issue_date
    else:
        computation, issue_date = memo_row["computation"], memo_row["issue_date"]
    effective = (computation or {}).get("effective_date")
    return date.fromisoformat(effective) if isinstance(effective, str) else issue_date


def _auto_on(uow: UnitOfWork, company_id: str, customer_override: bool | None) -> bool:
    return customer_override if customer_override is not None else auto_apply_credit(uow, company_id)


def _usable(row: Row, *, auto: bool, for_invoice_issued: date | None) -> bool:
    """Whether a posted credit memo goes to invoices on its own: a "next invoice" credit (for an invoice issued
    on or after its date), or any memo left with auto_apply when automatic use of account credit is on."""
    if row["apply_to_next_invoice"]:
        return for_invoice_issued is None or for_invoice_issued >= apply_from(row)
    return auto and bool(row["auto_apply"])


@dataclass(frozen=True, slots=True)
class Sources:
    parties: tuple[Party, ...]


def _lock_sources(
    uow: UnitOfWork, company_id: str, customer_id: str, currency: str, *, auto: bool, for_invoice_issued: date | None
) -> Sources:
    ids = uow.applications.open_credit_memo_ids(company_id, customer_id, currency)
    if not ids:
        return Sources(())
    rows = uow.applications.lock_credit_memos(company_id, ids)  # step 1, in id order; read again under the lock
    ordered = sorted(rows.values(), key=lambda r: (r["issue_date"], r["number"]))
    parties = [memo_party(r, "source") for r in ordered if _usable(r, auto=auto, for_invoice_issued=for_invoice_issued)]
    return Sources(tuple(p for p in parties if p.open_amount.is_positive()))


def _record_oldest_first(
    uow: UnitOfWork, actor: Actor, sources: Sequence[Party], targets: Sequence[Party], on: date
) -> list[Application]:
    """Each source onto the targets oldest first, dated ``on`` or, when the source or one of its targets is
    dated later, that later date (domain/dating.py ``application_date``)."""
    apps: list[Application] = []
    plan = oldest_first(sources, targets)
    left = {t.id: t for t in targets}  # what each target still has due when the next source comes to it
    for source in sources:
        parsed = [
            ParsedAllocation(TargetType.INVOICE, target.id, amount) for s, target, amount in plan if s.id == source.id
        ]
        if parsed:
            day = automatic_date(uow, actor.company_id, on, [source, *(left[a.target_id] for a in parsed)])
            apps += record_applications(
                uow, actor, SourceType.CREDIT_MEMO, source, parsed, day, targets=dict(left), auto=True
            )
            for a in parsed:
                left[a.target_id] = replace(left[a.target_id], open_amount=left[a.target_id].open_amount - a.amount)
    return apps


# when an invoice is issued -----------------------------------------------------------------------------------
def lock_for_new_invoice(
    uow: UnitOfWork, actor: Actor, customer_id: str, customer_override: bool | None, currency: str, issue_date: date
) -> Sources:
    """Before the new invoice is numbered: the memos that will go to it, locked (step 1)."""
    auto = _auto_on(uow, actor.company_id, customer_override)
    return _lock_sources(uow, actor.company_id, customer_id, currency, auto=auto, for_invoice_issued=issue_date)


def apply_to_new_invoice(uow: UnitOfWork, actor: Actor, invoice: Invoice, sources: Sources) -> list[Application]:
    if not sources.parties:
        return []
    target = invoice_target(invoice)
    return _record_oldest_first(uow, actor, sources.parties, [target], invoice.issue_date)


# when a "next invoice" credit is posted ----------------------------------------------------------------------
def lock_next_invoices(
    uow: UnitOfWork, company_id: str, customer_id: str, currency: str, issued_from: date, own_invoice_id: str | None
) -> tuple[Invoice | None, list[Party]]:
    """For posting a "next invoice" credit: the invoice it credits (rule 1) and the customer's open invoices
    issued on or after ``issued_from``, all locked together in id order (step 2). Returns the credited invoice,
    read under that lock, and the targets, oldest first."""
    target_ids = uow.applications.open_invoice_ids(
        company_id, customer_id, currency, issued_from=issued_from, exclude=own_invoice_id
    )
    rows = uow.applications.lock_invoices(company_id, [*target_ids, *([own_invoice_id] if own_invoice_id else [])])
    own = uow.invoices.get(company_id, own_invoice_id) if own_invoice_id else None  # under the lock just taken
    targets = sorted((rows[i] for i in target_ids if i in rows), key=lambda r: (r["issue_date"], r["number"]))
    return own, [p for p in map(invoice_party, targets) if p.open_amount.is_positive()]


def plan_next_invoice(
    uow: UnitOfWork, actor: Actor, memo: Memo, targets: Sequence[Party], *, on: date
) -> list[Application]:
    """The applications of a "next invoice" credit being posted: all of it, oldest invoice first, each dated
    the posting's date ``on`` or, for an invoice issued later (dated ahead), that invoice's issue date."""
    source = memo_source(memo, memo.total)
    apps: list[Application] = []
    for _, target, amount in oldest_first([source], targets):
        day = automatic_date(uow, actor.company_id, on, [source, target])
        parsed = [ParsedAllocation(TargetType.INVOICE, target.id, amount)]
        apps += new_applications(
            uow, actor, SourceType.CREDIT_MEMO, source, parsed, day, {target.id: target}, source_is_new=True
        )
    return apps


# on demand ----------------------------------------------------------------------------------------------------
def apply_account_credit(
    uow: UnitOfWork, actor: Actor, customer_id: str, *, on: date | None = None
) -> list[Application]:
    """POST /v1/customers/{id}/apply-credit: the customer's available credit (memos left with auto_apply, and
    "next invoice" credits for invoices issued on or after their date) onto its open invoices, oldest first,
    in the customer's currency. Does what issuing an invoice does when automatic use is on."""
    authorize(actor, Permission.APPLY)
    customer = uow.customers.get(actor.company_id, customer_id)
    applied_on = on or uow.now().date()
    sources = _lock_sources(uow, actor.company_id, customer.id, customer.currency, auto=True, for_invoice_issued=None)
    if not sources.parties:
        return []
    periods.check(uow, actor.company_id, "on", applied_on, what="application date")
    target_ids = uow.applications.open_invoice_ids(actor.company_id, customer.id, customer.currency)
    rows = uow.applications.lock_invoices(actor.company_id, target_ids)  # step 2, id order
    targets = [
        p
        for p in map(invoice_party, sorted(rows.values(), key=lambda r: (r["issue_date"], r["number"])))
        if p.open_amount.is_positive()
    ]
    apps: list[Application] = []
    for source in sources.parties:
        # A "next invoice" credit only goes to invoices issued on or after its date.
        memo_row = uow.applications.lock_memo(actor.company_id, source.id, "credit")
        allowed = [
            t
            for t in targets
            if (not memo_row["apply_to_next_invoice"] or rows[t.id]["issue_date"] >= apply_from(memo_row))
            and dated_by(t, applied_on)
            and dated_by(source, applied_on)
        ]
        done = _record_oldest_first(uow, actor, [source], allowed, applied_on)
        for app in done:  # what this source used is no longer due for the next one
            targets = [
                replace(t, open_amount=t.open_amount - app.amount) if t.id == app.target_id else t for t in targets
            ]
        apps += done
    return apps
