"""The dashboard's figures (seed 004): memo counts by kind and status, posted credit by day since a date, what
awaits approval, the oldest drafts. Read-only, scoped by the actor's company; the rows are summed into the
company's currency and charted by the edge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from creditmemo.domain.lifecycle import Status
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.lists import Row
from creditmemo.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class DashboardFigures:
    currency: str  # the company's functional currency, which the sums are converted into
    counts: list[Row]  # kind, status, n
    posted_credit_by_day: list[Row]  # issue_date, reason_code, currency, exchange_rate, total_minor
    pending_approval: list[Row]  # currency, exchange_rate, total_minor, n
    oldest_drafts: list[Row]  # id, kind, number, total_minor, currency, created_at, customer


def dashboard_figures(uow: UnitOfWork, actor: Actor, *, since: date) -> DashboardFigures:
    """The dashboard's figures, posted credit from ``since`` on."""
    authorize(actor, Permission.READ)
    company, q = actor.company_id, uow.web_queries
    return DashboardFigures(
        currency=uow.companies.get(company).functional_currency,
        counts=q.memo_status_counts(company),
        posted_credit_by_day=q.posted_credit_by_day(company, since),
        pending_approval=q.totals_in_status(company, Status.PENDING_APPROVAL),
        oldest_drafts=q.oldest_drafts(company),
    )
