"""Revenue schedules and the credits' splits (issue 12), and the set-based recognition run.

Locks (docs/CONCURRENCY.md): a recognition run takes the company's revenue-run lock first (store/locking.py,
step 0), reads the due months in one aggregate and writes only its own rows (revenue_recognized, revenue_runs).
Issuing an invoice inserts its schedule rows; posting and voiding a memo insert credit rows (insert-only), so
they never wait for a run nor a run for them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Date, bindparam, func, insert, select, text, update

from creditmemo.store.tables import revenue_credits, revenue_recognized, revenue_runs, revenue_schedules
from creditmemo.store.types import plain

_insert_schedule = insert(revenue_schedules)
_insert_credit = insert(revenue_credits)

# What each due month, currency, rate and pair of accounts should have recognized in all: the schedule rows due
# on or before :through, less what credits took from deferred revenue on them. One aggregate, no row updated.
_TARGETS = text(
    "SELECT s.month, s.currency, s.exchange_rate, s.revenue_account, s.deferred_account, "
    "SUM(s.amount_minor) - COALESCE(SUM(cr.deferred), 0) AS target "
    "FROM revenue_schedules s LEFT JOIN ("
    "SELECT invoice_line_id, month, SUM(deferred_minor) AS deferred FROM revenue_credits "
    "WHERE company_id = :company GROUP BY invoice_line_id, month"
    ") cr ON cr.invoice_line_id = s.invoice_line_id AND cr.month = s.month "
    "WHERE s.company_id = :company AND s.due_on <= :through "
    "GROUP BY s.month, s.currency, s.exchange_rate, s.revenue_account, s.deferred_account"
).bindparams(bindparam("through", type_=Date))
_GROUP = ("month", "currency", "exchange_rate", "revenue_account", "deferred_account")


@dataclass(frozen=True, slots=True)
class DueGroup:
    """What a run moves for one month, currency, rate and pair of accounts (``delta_minor`` may be negative:
    a credit's void gives a recognized month back, or a credit raced a run)."""

    month: date
    currency: str
    exchange_rate: Decimal
    revenue_account: str
    deferred_account: str
    delta_minor: int
    target_minor: int
    known: bool  # already in revenue_recognized


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


class RevenueRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_schedules(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self.conn.execute(_insert_schedule, list(rows))

    def add_credits(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self.conn.execute(_insert_credit, list(rows))

    def credits_for_memo(self, company_id: str, memo_id: str) -> list[dict[str, Any]]:
        c = revenue_credits.c
        rows = self.conn.execute(
            select(revenue_credits).where(c.company_id == company_id, c.memo_id == memo_id).order_by(c.id)
        ).mappings()
        return [dict(r) for r in rows]

    def schedules_for_invoice(self, company_id: str, invoice_id: str) -> list[dict[str, Any]]:
        s = revenue_schedules.c
        rows = self.conn.execute(
            select(revenue_schedules)
            .where(s.company_id == company_id, s.invoice_id == invoice_id)
            .order_by(s.invoice_line_id, s.month)
        ).mappings()
        return [dict(r) for r in rows]

    def credits_for_lines(self, company_id: str, line_ids: Iterable[str]) -> list[dict[str, Any]]:
        ids = list(line_ids)
        if not ids:
            return []
        c = revenue_credits.c
        rows = self.conn.execute(
            select(revenue_credits)
            .where(c.company_id == company_id, c.invoice_line_id.in_(ids))
            .order_by(c.invoice_line_id, c.month, c.id)
        ).mappings()
        return [dict(r) for r in rows]

    def recognition_due(self, company_id: str, through: date) -> list[DueGroup]:
        """What a run through ``through`` must post, by month, currency, rate and accounts: what the due months
        should have recognized less what runs already moved (set-based: one aggregate over the schedule)."""
        r = revenue_recognized.c
        done = {
            (
                _as_date(row.month),
                row.currency,
                plain(row.exchange_rate),
                row.revenue_account,
                row.deferred_account,
            ): int(row.recognized_minor)
            for row in self.conn.execute(select(revenue_recognized).where(r.company_id == company_id))
        }
        out = []
        for row in self.conn.execute(_TARGETS, {"company": company_id, "through": through}):
            rate = plain(Decimal(str(row.exchange_rate)))
            key = (_as_date(row.month), row.currency, rate, row.revenue_account, row.deferred_account)
            target = int(row.target)
            out.append(DueGroup(key[0], key[1], rate, key[3], key[4], target - done.get(key, 0), target, key in done))
        return out

    def mark_recognized(self, company_id: str, groups: Sequence[DueGroup]) -> None:
        r = revenue_recognized.c
        for g in groups:
            values = {"recognized_minor": g.target_minor}
            where = (
                r.company_id == company_id,
                r.month == g.month,
                r.currency == g.currency,
                r.exchange_rate == g.exchange_rate,
                r.revenue_account == g.revenue_account,
                r.deferred_account == g.deferred_account,
            )
            if g.known:
                self.conn.execute(update(revenue_recognized).where(*where).values(values))
            else:
                self.conn.execute(
                    insert(revenue_recognized).values(
                        company_id=company_id,
                        month=g.month,
                        currency=g.currency,
                        exchange_rate=g.exchange_rate,
                        revenue_account=g.revenue_account,
                        deferred_account=g.deferred_account,
                        **values,
                    )
                )

    def add_run(self, row: Mapping[str, Any]) -> None:
        self.conn.execute(insert(revenue_runs).values(**row))

    def recognized_through(self, company_id: str) -> date | None:
        """The latest ``through`` of a run that posted: months due on or before it count as recognized."""
        value = self.conn.execute(
            select(func.max(revenue_runs.c.through)).where(revenue_runs.c.company_id == company_id)
        ).scalar_one_or_none()
        return None if value is None else _as_date(value)
