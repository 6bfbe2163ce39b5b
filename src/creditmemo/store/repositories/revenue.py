"""Revenue schedules and the credits' splits (issue 12), and the set-based recognition run.

Locks (docs/CONCURRENCY.md): a recognition run takes the company's revenue-run lock first (store/locking.py,
step 0) and then updates due schedule rows in one statement; nothing else updates schedule rows. Issuing an
invoice inserts its rows; posting and voiding a memo insert credit rows (insert-only), so they never wait for
a run nor a run for them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Date, bindparam, func, insert, select, text

from creditmemo.store.tables import revenue_credits, revenue_schedules

_insert_schedule = insert(revenue_schedules)
_insert_credit = insert(revenue_credits)

# What credits took from deferred revenue, by line and month, for one company.
_CREDITED = (
    "SELECT invoice_line_id, month, SUM(deferred_minor) AS deferred FROM revenue_credits "
    "WHERE company_id = :company GROUP BY invoice_line_id, month"
)
# Due months whose recognition is not what it should be: never recognized, or a credit (or its void) changed
# what is left of them since. ``target`` is what the month should have recognized in all.
_DUE = (
    "SELECT s.invoice_line_id, s.month, s.amount_minor - COALESCE(cr.deferred, 0) AS target, "
    "s.recognized_minor AS done, s.currency, s.exchange_rate, s.revenue_account, s.deferred_account "
    f"FROM revenue_schedules s LEFT JOIN ({_CREDITED}) cr "
    "ON cr.invoice_line_id = s.invoice_line_id AND cr.month = s.month "
    "WHERE s.company_id = :company AND s.due_on <= :through "
    "AND (s.recognized_on IS NULL OR s.recognized_minor <> s.amount_minor - COALESCE(cr.deferred, 0))"
)
_GROUPS = "month, currency, exchange_rate, revenue_account, deferred_account"
# PostgreSQL: one statement, one snapshot: the rows updated are exactly the rows summed.
_RECOGNIZE_PG = text(
    f"WITH due AS ({_DUE}), upd AS ("
    "UPDATE revenue_schedules s SET recognized_minor = due.target, recognized_on = :through FROM due "
    "WHERE s.company_id = :company AND s.invoice_line_id = due.invoice_line_id AND s.month = due.month "
    "RETURNING due.month, due.currency, due.exchange_rate, due.revenue_account, due.deferred_account, "
    "due.target - due.done AS delta) "
    f"SELECT {_GROUPS}, SUM(delta) AS delta, COUNT(*) AS months FROM upd GROUP BY {_GROUPS}"
).bindparams(bindparam("through", type_=Date))
# SQLite: the writer holds the database lock, so the sum and the update see the same rows.
_SUM_SQLITE = text(
    f"SELECT {_GROUPS}, SUM(target - done) AS delta, COUNT(*) AS months FROM ({_DUE}) due GROUP BY {_GROUPS}"
).bindparams(bindparam("through", type_=Date))
_UPDATE_SQLITE = text(
    "UPDATE revenue_schedules SET recognized_minor = due.target, recognized_on = :through "
    f"FROM ({_DUE}) AS due WHERE revenue_schedules.company_id = :company "
    "AND revenue_schedules.invoice_line_id = due.invoice_line_id AND revenue_schedules.month = due.month"
).bindparams(bindparam("through", type_=Date))


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
    months: int


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

    def recognized_months(self, company_id: str, line_ids: Iterable[str]) -> dict[str, set[date]]:
        """The months a run has recognized, per scheduled line."""
        ids = list(line_ids)
        if not ids:
            return {}
        s = revenue_schedules.c
        out: dict[str, set[date]] = {}
        rows = self.conn.execute(
            select(s.invoice_line_id, s.month).where(
                s.company_id == company_id, s.invoice_line_id.in_(ids), s.recognized_on.is_not(None)
            )
        )
        for line_id, month in rows:
            out.setdefault(line_id, set()).add(month)
        return out

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

    def recognize(self, company_id: str, through: date) -> list[DueGroup]:
        """Move every due month to what it should have recognized (set-based: no row comes to Python) and
        return the sums to post. The caller holds the company's revenue-run lock."""
        params = {"company": company_id, "through": through}
        if self.conn.dialect.name == "postgresql":
            rows = list(self.conn.execute(_RECOGNIZE_PG, params))
        else:
            rows = list(self.conn.execute(_SUM_SQLITE, params))
            if rows:
                self.conn.execute(_UPDATE_SQLITE, params)
        return [
            DueGroup(
                _as_date(r.month),
                r.currency,
                Decimal(str(r.exchange_rate)),
                r.revenue_account,
                r.deferred_account,
                int(r.delta),
                int(r.months),
            )
            for r in rows
        ]

    def last_recognized_through(self, company_id: str) -> date | None:
        s = revenue_schedules.c
        value = self.conn.execute(
            select(func.max(s.recognized_on)).where(s.company_id == company_id)
        ).scalar_one_or_none()
        return None if value is None else _as_date(value)
