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

    # reports and reconciliation ---------------------------------------------------------------------------
    def unrecognized_by_account(self, company_id: str) -> dict[tuple[str, str], int]:
        """(deferred account, currency) -> what the schedules hold unrecognized: their amounts, less what credits
        took from deferred revenue, less what runs moved."""
        out: dict[tuple[str, str], int] = {}
        rows = self.conn.execute(
            text(
                "SELECT deferred_account, currency, SUM(amount_minor) FROM revenue_schedules "
                "WHERE company_id = :c GROUP BY deferred_account, currency "
                "UNION ALL SELECT s.deferred_account, s.currency, -SUM(cr.deferred_minor) FROM revenue_credits cr "
                "JOIN revenue_schedules s ON s.company_id = cr.company_id AND s.invoice_line_id = cr.invoice_line_id "
                "AND s.month = cr.month WHERE cr.company_id = :c GROUP BY s.deferred_account, s.currency "
                "UNION ALL SELECT deferred_account, currency, -SUM(recognized_minor) FROM revenue_recognized "
                "WHERE company_id = :c GROUP BY deferred_account, currency"
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
                    "SELECT s.customer_id, c.name, s.deferred_account, s.currency, "
                    "SUM(CASE WHEN s.due_on <= :recognized THEN 0 "
                    "ELSE s.amount_minor - COALESCE(cr.deferred, 0) END) AS deferred "
                    "FROM revenue_schedules s "
                    "JOIN invoices i ON i.company_id = s.company_id AND i.id = s.invoice_id "
                    "JOIN customers c ON c.company_id = s.company_id AND c.id = s.customer_id "
                    "LEFT JOIN (SELECT invoice_line_id, month, SUM(deferred_minor) AS deferred FROM revenue_credits "
                    "WHERE company_id = :c AND on_date <= :as_of GROUP BY invoice_line_id, month) cr "
                    "ON cr.invoice_line_id = s.invoice_line_id AND cr.month = s.month "
                    "WHERE s.company_id = :c AND i.issue_date <= :as_of "
                    "GROUP BY s.customer_id, c.name, s.deferred_account, s.currency "
                    "ORDER BY c.name, s.customer_id, s.deferred_account, s.currency"
                ).bindparams(bindparam("as_of", type_=Date), bindparam("recognized", type_=Date)),
                {"c": company_id, "as_of": as_of, "recognized": recognized or date(1, 1, 1)},
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
