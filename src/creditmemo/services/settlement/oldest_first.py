"""A customer's available credit onto its oldest open items, in one click (issue 16 item 4): every posted credit
memo with money left and every payment not fully applied or refunded (the sources, oldest first) goes to the open
invoices and posted debit memos (the targets, oldest due date first), as far as each goes, by the settlement
rules' own allocation (``domain.settlement.oldest_first``). A "next invoice" credit (issue 11) goes only to
invoices issued on or after its date; an application dated today touches only documents dated on or before it.

Two steps. ``plan`` reads without locks and answers the applications it would make with a fingerprint of them
(each source and target with what was open on it, and each amount). ``apply_planned`` takes the locks, works the
plan out again from what it read under them and, only if the fingerprint is the same, writes the applications:
all in the caller's one transaction. A different fingerprint (someone applied, posted, paid or voided in between)
raises ``PlanChangedError`` before anything is written: the user previews again.

Locks (docs/CONCURRENCY.md): the credit memos (step 1, id order), then the payments (step 1, id order), the
invoices (step 2, id order), the debit memos (step 3, id order), the period state (step 4b, by the date check);
the customer's available credit and the payments' totals are deltas and updates after those. No settlement
discount is taken (the amounts are exactly what the preview showed); an exchange difference is realized as by any
application (services/settlement/fx.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from creditmemo.domain.dating import dated_by
from creditmemo.domain.documents import Customer
from creditmemo.domain.errors import PlanChangedError
from creditmemo.domain.money import Money
from creditmemo.domain.settlement import Application as AppRecord
from creditmemo.domain.settlement import ParsedAllocation, Party, SourceType, TargetType
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.settlement.account_credit import apply_from
from creditmemo.services.settlement.applications import (
    check_application_date,
    invoice_party,
    memo_party,
    payment_party,
    record_applications,
)
from creditmemo.store.uow import UnitOfWork

Row = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Planned:
    """One application the plan makes: ``amount`` of ``source`` onto ``target`` (both with what was open on them
    before any of the plan's applications)."""

    source: Party
    target: Party
    amount: Money


@dataclass(frozen=True, slots=True)
class CreditPlan:
    customer: Customer
    on: date
    sources: tuple[Party, ...]  # open credits (credit memos, payments), oldest first
    targets: tuple[Party, ...]  # open items (invoices, debit memos), oldest due date first
    due_dates: Mapping[str, date]  # each target's due date (a debit memo's: its issue date)
    next_invoice_from: Mapping[str, date]  # "next invoice" credits: the first issue date they may go to
    applications: tuple[Planned, ...]
    fingerprint: str
    # How many open items the customer has: len(targets), or more when the plan read only the oldest ones it
    # needs (``plan(..., every_item=False)``, the customer page).
    open_item_count: int = -1

    def __post_init__(self) -> None:
        if self.open_item_count < 0:
            object.__setattr__(self, "open_item_count", len(self.targets))

    @property
    def total(self) -> Money:
        return sum((p.amount for p in self.applications), Money.zero(self.customer.currency))

    def applied_to(self, target_id: str) -> Money:
        return sum(
            (p.amount for p in self.applications if p.target.id == target_id), Money.zero(self.customer.currency)
        )

    def used_of(self, source_id: str) -> Money:
        return sum(
            (p.amount for p in self.applications if p.source.id == source_id), Money.zero(self.customer.currency)
        )


def _fingerprint(customer: Customer, on: date, planned: Sequence[Planned]) -> str:
    parts = [customer.id, customer.currency, on.isoformat()]
    for p in planned:
        parts.append(
            f"{p.source.type}:{p.source.id}:{p.source.open_amount.to_minor()}>"
            f"{p.target.type}:{p.target.id}:{p.target.open_amount.to_minor()}={p.amount.to_minor()}"
        )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _allocate(
    sources: Sequence[Party],
    targets: Sequence[Party],
    next_from: Mapping[str, date],
    on: date,
) -> list[Planned]:
    """Each source in turn (oldest first) onto the targets it may go to (oldest due first), as far as both go
    (domain.settlement.oldest_first for one source at a time). Linear in what is used (issue 16 item 8: a
    customer with 568 credits and 6,356 open items took 26 s when every source filtered every target): the
    targets used up at the front are skipped for good, and a source stops at the first target that exhausts it."""
    left = {t.id: t for t in targets}
    order = list(targets)
    start = 0  # order[:start] are used up
    planned: list[Planned] = []
    for source in sources:
        if not dated_by(source, on):
            continue
        first = next_from.get(source.id)
        remaining = source.open_amount
        for t in order[start:]:
            current = left[t.id]
            if not current.open_amount.is_positive():
                continue
            if not dated_by(t, on):
                continue
            if first is not None and not (t.type == "invoice" and t.dated is not None and t.dated >= first):
                continue
            amount = remaining.min(current.open_amount)
            if amount.is_positive():
                planned.append(Planned(source, t, amount))
                remaining = remaining - amount
                left[t.id] = replace(current, open_amount=current.open_amount - amount)
            if not remaining.is_positive():
                break
        while start < len(order) and not left[order[start].id].open_amount.is_positive():
            start += 1
    return planned


def _targets(invoice_rows: Mapping[str, Row], debit_rows: Mapping[str, Row]) -> tuple[list[Party], dict[str, date]]:
    """The open items among the rows read (a document paid or voided in between is left out), oldest due first,
    and each one's due date."""
    targets = [invoice_party(r) for r in invoice_rows.values() if r["status"] == "issued"]
    targets += [memo_party(r, "target") for r in debit_rows.values() if r["status"] == "posted"]
    due = {r["id"]: r["due_date"] for r in invoice_rows.values()} | {
        r["id"]: r["issue_date"] for r in debit_rows.values()
    }
    targets = sorted(
        (t for t in targets if t.open_amount.is_positive()),
        key=lambda t: (due[t.id], t.dated or date.min, t.number, t.id),
    )
    return targets, due


def _spent(sources: Sequence[Party], planned: Sequence[Planned], on: date) -> bool:
    """Whether every source the plan may use (dated by ``on``) is used up: then later open items take nothing."""
    used: dict[str, Money] = {}
    for p in planned:
        used[p.source.id] = used[p.source.id] + p.amount if p.source.id in used else p.amount
    return all(used.get(s.id) == s.open_amount for s in sources if dated_by(s, on))


FIRST_READ = 200  # open items the preview reads first (then four times as many, until the credit is used up)


def _read(uow: UnitOfWork, actor: Actor, customer: Customer, *, lock: bool, every_item: bool = True) -> CreditPlan:
    """The open credits and items of the customer (locked in the documented order when ``lock``), and the plan.
    ``every_item`` False (a preview, no lock): only the oldest open items the credit reaches are read (issue 16
    item 8: the busiest customer's 6,356 open items, read whole, took seconds, and 722 applications used the oldest
    ones); the plan is the same, as the credit is used up before the items not read."""
    cid, cur = actor.company_id, customer.currency
    apps = uow.applications
    memo_ids = apps.open_credit_memo_ids(cid, customer.id, cur)
    payment_ids = uow.payments.open_ids(cid, customer.id, cur)
    on = uow.now().date()
    invoice_rows: dict[str, Row] = {}
    debit_rows: dict[str, Row] = {}
    if lock:  # steps 1, 1, 2, 3: each in id order
        invoice_ids = apps.open_invoice_ids(cid, customer.id, cur)
        debit_ids = apps.open_debit_memo_ids(cid, customer.id, cur)
        memo_rows = apps.lock_credit_memos(cid, memo_ids)
        pays = uow.payments.lock_many(cid, payment_ids)
        invoice_rows = apps.lock_invoices(cid, invoice_ids)
        debit_rows = apps.lock_debit_memos(cid, debit_ids)
    else:
        memo_rows = apps.read_many("credit_memo", cid, memo_ids)
        pays = uow.payments.lock_many(cid, payment_ids, lock=False)
    # What the locks (or the read) found: a document voided or used up in between is left out.
    memo_sources = [memo_party(r, "source") for r in memo_rows.values() if r["status"] == "posted"]
    next_from = {r["id"]: apply_from(r) for r in memo_rows.values() if r["apply_to_next_invoice"]}
    sources = [*memo_sources, *(payment_party(p) for p in pays.values())]
    sources = sorted(
        (s for s in sources if s.open_amount.is_positive()), key=lambda s: (s.dated or date.min, s.number, s.id)
    )
    count = -1
    if lock:
        targets, due = _targets(invoice_rows, debit_rows)
        planned = _allocate(sources, targets, next_from, on)
    else:
        if every_item:
            invoice_rows = apps.read_many("invoice", cid, apps.open_invoice_ids(cid, customer.id, cur))
            debit_rows = apps.read_many("debit_memo", cid, apps.open_debit_memo_ids(cid, customer.id, cur))
            targets, due = _targets(invoice_rows, debit_rows)
            planned = _allocate(sources, targets, next_from, on)
        else:
            read = FIRST_READ
            while True:
                keys, count = apps.oldest_open_targets(cid, customer.id, cur, read)
                more = [k for k in keys if k[1] not in invoice_rows and k[1] not in debit_rows]
                invoice_rows |= apps.read_many("invoice", cid, [k[1] for k in more if k[0] == "invoice"])
                debit_rows |= apps.read_many("debit_memo", cid, [k[1] for k in more if k[0] == "debit_memo"])
                targets, due = _targets(invoice_rows, debit_rows)
                planned = _allocate(sources, targets, next_from, on)
                if read >= count:
                    break
                # Done when the credit is used up before the last due date read (items due that day that were
                # not read could sort before the last ones read: the database orders numbers by its collation).
                last = max((due[t.id], t.dated or date.min) for t in targets) if targets else None
                before_last = (
                    all((due[p.target.id], p.target.dated or date.min) < last for p in planned) if last else False
                )
                if before_last and _spent(sources, planned, on):
                    break
                read *= 4
    return CreditPlan(
        customer=customer,
        on=on,
        sources=tuple(sources),
        targets=tuple(targets),
        due_dates=due,
        next_invoice_from=next_from,
        applications=tuple(planned),
        fingerprint=_fingerprint(customer, on, planned),
        open_item_count=count,
    )


def plan(uow: UnitOfWork, actor: Actor, customer_id: str, *, every_item: bool = True) -> CreditPlan:
    """The preview: the customer's open credits and items and what applying its credit oldest first would do.
    Reads only (no lock): anyone who may read sees it. ``every_item`` False: ``targets`` holds only the oldest
    open items, those the credit reaches and at least FIRST_READ (``open_item_count`` counts them all); the
    applications, total and fingerprint are the same."""
    authorize(actor, Permission.READ)
    customer = uow.customers.get(actor.company_id, customer_id)
    return _read(uow, actor, customer, lock=False, every_item=every_item)


def apply_planned(uow: UnitOfWork, actor: Actor, customer_id: str, fingerprint: object) -> list[AppRecord]:
    """Make the applications of the plan previewed with ``fingerprint``, in the caller's transaction, or refuse
    with ``PlanChangedError`` (nothing written) when the plan worked out under the locks is another one."""
    authorize(actor, Permission.APPLY)
    customer = uow.customers.get(actor.company_id, customer_id)
    current = _read(uow, actor, customer, lock=True)
    if not isinstance(fingerprint, str) or fingerprint != current.fingerprint:
        raise PlanChangedError(
            "The customer's open items or credits changed since the preview (another application, posting, payment "
            "or void); nothing was applied. Check the new preview and confirm again.",
            field="fingerprint",
        )
    if not current.applications:
        return []
    involved = {p.source.id: p.source for p in current.applications} | {
        p.target.id: p.target for p in current.applications
    }
    on = check_application_date(uow, actor.company_id, current.on, list(involved.values()))  # step 4b
    left = {t.id: t for t in current.targets}
    done: list[AppRecord] = []
    for source in current.sources:
        mine = [p for p in current.applications if p.source.id == source.id]
        if not mine:
            continue
        parsed = [ParsedAllocation(TargetType(p.target.type), p.target.id, p.amount, take_discount=False) for p in mine]
        done += record_applications(
            uow, actor, SourceType(source.type), source, parsed, on, targets=dict(left), auto=True
        )
        for p in mine:
            left[p.target.id] = replace(left[p.target.id], open_amount=left[p.target.id].open_amount - p.amount)
    return done
