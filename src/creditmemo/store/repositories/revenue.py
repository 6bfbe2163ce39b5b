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

from creditmemo.store.tables import (
    journal_entries,
    journal_lines,
    revenue_credits,
    revenue_recognized,
    revenue_runs,
    revenue_schedules,
)
from creditmemo.store.types import plain

_insert_schedule = insert(revenue_schedules)
_insert_credit = insert(revenue_credits)

# What each due month, currency, rate and pair of accounts should have recognized in all: the schedule rows due
# on or before :through, less what credits took from deferred revenue on them. One aggregate, no row updated.
_CREDITED_SQL = (
    "SELECT revenue_credits.invoice_line_id, revenue_credits.month, SUM(revenue_credits.deferred_minor) AS deferred "
    "FROM revenue_credits WHERE revenue_credits.company_id = :company{extra} "
    "GROUP BY revenue_credits.invoice_line_id, revenue_credits.month"
)
_SCHEDULE_KEYS = (
    "revenue_schedules.month, revenue_schedules.currency, revenue_schedules.exchange_rate, "
    "revenue_schedules.revenue_account, revenue_schedules.deferred_account"
)
_TARGETS = text(
    f"SELECT {_SCHEDULE_KEYS}, SUM(revenue_schedules.amount_minor) - COALESCE(SUM(cr.deferred), 0) AS target "
    f"FROM revenue_schedules LEFT JOIN ({_CREDITED_SQL.format(extra='')}) cr "
    "ON cr.invoice_line_id = revenue_schedules.invoice_line_id AND cr.month = revenue_schedules.month "
    "WHERE revenue_schedules.company_id = :company AND revenue_schedules.due_on <= :through "
    f"GROUP BY {_SCHEDULE_KEYS}"
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

    # reports and reconciliation ---------------------------------------------------------------------------
    def unrecognized_by_account(self, company_id: str) -> dict[tuple[str, str], int]:
        """(deferred account, currency) -> what the schedules hold unrecognized: their amounts, less what credits
        took from deferred revenue, less what runs moved."""
        out: dict[tuple[str, str], int] = {}
        rows = self.conn.execute(
            text(
                "SELECT revenue_schedules.deferred_account, revenue_schedules.currency, "
                "SUM(revenue_schedules.amount_minor) FROM revenue_schedules "
                "WHERE revenue_schedules.company_id = :c "
                "GROUP BY revenue_schedules.deferred_account, revenue_schedules.currency "
                "UNION ALL SELECT revenue_schedules.deferred_account, revenue_schedules.currency, "
                "-SUM(revenue_credits.deferred_minor) FROM revenue_credits JOIN revenue_schedules "
                "ON revenue_schedules.company_id = revenue_credits.company_id "
                "AND revenue_schedules.invoice_line_id = revenue_credits.invoice_line_id "
                "AND revenue_schedules.month = revenue_credits.month WHERE revenue_credits.company_id = :c "
                "GROUP BY revenue_schedules.deferred_account, revenue_schedules.currency "
                "UNION ALL SELECT revenue_recognized.deferred_account, revenue_recognized.currency, "
                "-SUM(revenue_recognized.recognized_minor) FROM revenue_recognized "
                "WHERE revenue_recognized.company_id = :c "
                "GROUP BY revenue_recognized.deferred_account, revenue_recognized.currency"
            ),
            {"c": company_id},
        )
        for account, currency, amount in rows:
            out[(account, currency)] = out.get((account, currency), 0) + int(amount or 0)
        return out

    def ledger_by_account(
        self, company_id: str, accounts: Iterable[str], *, as_of: date | None = None
    ) -> dict[tuple[str, str], int]:
        """(account, currency) -> credit less debit in the document currency, from the journal."""
        wanted = sorted(set(accounts))
        if not wanted:
            return {}
        je, jl = journal_entries.c, journal_lines.c
        stmt = (
            select(jl.account_code, je.currency, func.sum(jl.credit_minor - jl.debit_minor))
            .select_from(journal_lines.join(journal_entries, (je.company_id == jl.company_id) & (je.id == jl.entry_id)))
            .where(jl.company_id == company_id, jl.account_code.in_(wanted))
            .group_by(jl.account_code, je.currency)
        )
        if as_of is not None:
            stmt = stmt.where(je.date <= as_of)
        return {(a, c): int(v or 0) for a, c, v in self.conn.execute(stmt)}

    def deferred_accounts(self, company_id: str) -> set[str]:
        s = revenue_schedules.c
        return set(self.conn.execute(select(s.deferred_account).where(s.company_id == company_id).distinct()).scalars())

    def deferred_by_customer(self, company_id: str, as_of: date, recognized: date | None) -> list[Any]:
        """Per customer, deferred account and currency: what is deferred as of ``as_of`` (invoices issued by then,
        credits by then; months due on or before ``recognized`` count as recognized)."""
        return list(
            self.conn.execute(
                text(
                    "SELECT revenue_schedules.customer_id, customers.name, revenue_schedules.deferred_account, "
                    "revenue_schedules.currency, "
                    "SUM(CASE WHEN revenue_schedules.due_on <= :recognized THEN 0 "
                    "ELSE revenue_schedules.amount_minor - COALESCE(cr.deferred, 0) END) AS deferred "
                    "FROM revenue_schedules "
                    "JOIN invoices ON invoices.company_id = revenue_schedules.company_id "
                    "AND invoices.id = revenue_schedules.invoice_id "
                    "JOIN customers ON customers.company_id = revenue_schedules.company_id "
                    "AND customers.id = revenue_schedules.customer_id "
                    f"LEFT JOIN ({_CREDITED_SQL.format(extra=' AND revenue_credits.on_date <= :as_of')}) cr "
                    "ON cr.invoice_line_id = revenue_schedules.invoice_line_id AND cr.month = revenue_schedules.month "
                    "WHERE revenue_schedules.company_id = :c AND invoices.company_id = :c "
                    "AND customers.company_id = :c AND invoices.issue_date <= :as_of "
                    "GROUP BY revenue_schedules.customer_id, customers.name, revenue_schedules.deferred_account, "
                    "revenue_schedules.currency "
                    "ORDER BY customers.name, revenue_schedules.customer_id, revenue_schedules.deferred_account, "
                    "revenue_schedules.currency"
                ).bindparams(bindparam("as_of", type_=Date), bindparam("recognized", type_=Date)),
                {"c": company_id, "company": company_id, "as_of": as_of, "recognized": recognized or date(1, 1, 1)},
            )
        )

    def recognized_by_month(self, company_id: str, start: date, end: date, deferred: Iterable[str]) -> list[Any]:
        """(month's first day, currency, moved out of deferred revenue by recognition runs) for entries dated in
        ``start..end``."""
        wanted = sorted(set(deferred))
        if not wanted:
            return []
        je, jl = journal_entries.c, journal_lines.c
        rows = self.conn.execute(
            select(je.date, je.currency, func.sum(jl.debit_minor - jl.credit_minor))
            .select_from(journal_lines.join(journal_entries, (je.company_id == jl.company_id) & (je.id == jl.entry_id)))
            .where(
                jl.company_id == company_id,
                je.source_type == "revenue_run",
                je.date >= start,
                je.date <= end,
                jl.account_code.in_(wanted),
            )
            .group_by(je.date, je.currency)
        )
        return list(rows)

    def credits_by_day(self, company_id: str, start: date, end: date) -> list[Any]:
        """(day, currency, taken from revenue, taken from deferred revenue) of the credits' splits (voids negative)."""
        cr, s = revenue_credits.c, revenue_schedules.c
        return list(
            self.conn.execute(
                select(cr.on_date, s.currency, func.sum(cr.recognized_minor), func.sum(cr.deferred_minor))
                .select_from(
                    revenue_credits.join(
                        revenue_schedules,
                        (s.company_id == cr.company_id)
                        & (s.invoice_line_id == cr.invoice_line_id)
                        & (s.month == cr.month),
                    )
                )
                .where(cr.company_id == company_id, cr.on_date >= start, cr.on_date <= end)
                .group_by(cr.on_date, s.currency)
            )
        )
