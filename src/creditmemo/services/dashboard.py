"""The dashboard's figures (seed 004): memo counts by kind and status, posted credit by day since a date, what
awaits approval, the oldest drafts. Read-only, scoped by the actor's company; amounts are ``Money``, the sums
already converted into the company's functional currency (each memo's total at its own rate, as posting does),
so the edge only charts and formats them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from creditmemo.domain.approval import functional_total
from creditmemo.domain.lifecycle import Status
from creditmemo.domain.money import Money
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.lists import Row, typed_row
from creditmemo.store.uow import UnitOfWork

# Each kind and status is counted up to this many memos and shown as "10,000+" beyond (issue 16 item 8): counting
# every memo of a large company on each view of the dashboard read them all, and past ten thousand the exact figure
# is on the list page, not what the dashboard is for. Counts are never kept in rows updated by each posting
# (docs/CONCURRENCY.md: that would serialise a company's postings).
COUNT_CAP: Final = 10_000


@dataclass(frozen=True, slots=True)
class StatusCount:
    kind: str  # credit | debit
    status: str
    n: int  # above COUNT_CAP: more than COUNT_CAP


@dataclass(frozen=True, slots=True)
class PostedCredit:
    """Posted credit memos of one issue date and reason, in the functional currency."""

    issue_date: date
    reason_code: str
    amount: Money


@dataclass(frozen=True, slots=True)
class Draft:
    id: str
    kind: str
    number: str
    customer: str
    total: Money
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DashboardFigures:
    currency: str  # the company's functional currency, which the sums are converted into
    counts: list[StatusCount]
    posted_credit_by_day: list[PostedCredit]
    awaiting_approval: Money  # the total of the memos pending approval, in ``currency``
    awaiting_count: int
    oldest_drafts: list[Draft]


def _functional(r: Row, currency: str) -> Money:
    """A grouped row's ``total_minor`` (in its ``currency``, at its ``exchange_rate``) in the functional currency."""
    total = Money.from_minor(int(r["total_minor"]), str(r["currency"]))
    return functional_total(total, Decimal(r["exchange_rate"]), currency)


def _sum(rows: Sequence[Row], currency: str) -> Money:
    return sum((_functional(r, currency) for r in rows), Money.zero(currency))


def dashboard_figures(uow: UnitOfWork, actor: Actor, *, since: date) -> DashboardFigures:
    """The dashboard's figures, posted credit from ``since`` on."""
    authorize(actor, Permission.READ)
    company, q = actor.company_id, uow.overviews
    currency = uow.companies.get(company).functional_currency
    pending = q.totals_in_status(company, Status.PENDING_APPROVAL)
    return DashboardFigures(
        currency=currency,
        counts=[typed_row(StatusCount, r) for r in q.memo_status_counts(company, at_most=COUNT_CAP)],
        posted_credit_by_day=[
            PostedCredit(r["issue_date"], r["reason_code"], _functional(r, currency))
            for r in q.posted_credit_by_day(company, since)
        ],
        awaiting_approval=_sum(pending, currency),
        awaiting_count=sum(int(r["n"]) for r in pending),
        oldest_drafts=[typed_row(Draft, r) for r in q.oldest_drafts(company)],
    )
