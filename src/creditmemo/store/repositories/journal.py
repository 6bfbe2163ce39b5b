"""Journal entries and lines: insert-only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, func, insert, or_, select

from creditmemo.domain.ledger import JournalEntry
from creditmemo.domain.money import Money
from creditmemo.store.mapping import journal_entry_from_row
from creditmemo.store.numbering import Numbers
from creditmemo.store.tables import applications, journal_entries, journal_lines, refunds

_insert_entry = insert(journal_entries)
_insert_lines = insert(journal_lines)


class JournalRepository:
    def __init__(self, conn: Connection, *, numbers: Numbers | None = None) -> None:
        self.conn = conn
        self.numbers = numbers

    def functional_ar_open(
        self,
        company_id: str,
        document_id: str,
        *,
        side: str,
        ar_account: str,
        rate: Decimal,
        currency: str,
        functional_currency: str,
    ) -> Money:
        """The functional AR still open on a document (domain/fx.py): what its own entries (and, for a credit
        source, its refunds' entries) put on AR, less what its active applications relieved on ``side``
        ("source" or "target"); an application from before realized differences counts at ``rate``."""
        je, jl = journal_entries.c, journal_lines.c
        refund_ids = select(refunds.c.id).where(refunds.c.company_id == company_id, refunds.c.source_id == document_id)
        booked = self.conn.execute(
            select(func.coalesce(func.sum(jl.functional_debit_minor - jl.functional_credit_minor), 0))
            .select_from(journal_lines.join(journal_entries, (je.company_id == jl.company_id) & (je.id == jl.entry_id)))
            .where(
                je.company_id == company_id,
                or_(je.source_id == document_id, je.source_id.in_(refund_ids)),
                jl.account_code == ar_account,
            )
        ).scalar_one()
        a = applications.c
        doc, relieved = (
            (a.source_id, a.functional_source_minor) if side == "source" else (a.target_id, a.functional_target_minor)
        )
        rows = self.conn.execute(
            select(a.amount_minor, relieved).where(a.company_id == company_id, doc == document_id, a.status == "active")
        ).all()
        taken = sum(
            minor
            if minor is not None
            else Money.rounded(Money.from_minor(amount, currency).amount * rate, functional_currency).to_minor()
            for amount, minor in rows
        )
        return Money.from_minor(abs(int(booked)) - taken, functional_currency)

    def add(self, entry: JournalEntry, now: datetime) -> None:
        row = dict(
            id=entry.id,
            company_id=entry.company_id,
            date=entry.date,
            source_type=entry.source_type,
            source_id=entry.source_id,
            kind=entry.kind,
            currency=entry.currency,
            functional_currency=entry.functional_currency,
            exchange_rate=entry.exchange_rate,
            description=entry.description,
            created_at=now,
        )
        if self.numbers is not None and self.numbers.carries(entry.description):
            row["description"] = self.numbers.text_sql(entry.description, "b_description")
            self.conn.execute(insert(journal_entries).values(row))
        else:
            self.conn.execute(_insert_entry, row)
        self.conn.execute(
            _insert_lines,
            [
                {
                    "entry_id": entry.id,
                    "company_id": entry.company_id,
                    "line_no": i + 1,
                    "account_code": line.account,
                    "debit_minor": line.debit.to_minor(),
                    "credit_minor": line.credit.to_minor(),
                    "functional_debit_minor": line.functional_debit.to_minor(),
                    "functional_credit_minor": line.functional_credit.to_minor(),
                    "customer_id": line.customer_id,
                }
                for i, line in enumerate(entry.lines)
            ],
        )

    def for_source(self, company_id: str, source_id: str) -> list[JournalEntry]:
        rows = (
            self.conn.execute(
                select(journal_entries)
                .where(
                    journal_entries.c.company_id == company_id,
                    journal_entries.c.source_id == source_id,
                )
                .order_by(journal_entries.c.created_at, journal_entries.c.id)
            )
            .mappings()
            .all()
        )
        result = []
        for row in rows:
            lines = (
                self.conn.execute(
                    select(journal_lines)
                    .where(journal_lines.c.company_id == company_id, journal_lines.c.entry_id == row["id"])
                    .order_by(journal_lines.c.line_no)
                )
                .mappings()
                .all()
            )
            result.append(journal_entry_from_row(row, lines))
        return result

    def list(
        self,
        company_id: str,
        *,
        filters: Mapping[str, object],
        sort: str = "-id",
        starting_after: str | None = None,
        limit: int = 20,
    ) -> tuple[list[JournalEntry], bool]:
        from creditmemo.store.repositories.listing import keyset_page

        c = journal_entries.c
        where = [
            col == filters[name]
            for name, col in (("source_type", c.source_type), ("source_id", c.source_id), ("kind", c.kind))
            if filters.get(name) is not None
        ]
        if filters.get("date_from") is not None:
            where.append(c.date >= filters["date_from"])
        if filters.get("date_to") is not None:
            where.append(c.date <= filters["date_to"])
        rows, more = keyset_page(
            self.conn,
            journal_entries,
            company_id,
            where,
            sort=sort,
            starting_after=starting_after,
            limit=limit,
            columns={"id": c.id, "date": c.date, "created_at": c.created_at},
        )
        lines: dict[str, list[object]] = {r["id"]: [] for r in rows}
        if rows:
            for line in self.conn.execute(
                select(journal_lines)
                .where(journal_lines.c.company_id == company_id, journal_lines.c.entry_id.in_(list(lines)))
                .order_by(journal_lines.c.entry_id, journal_lines.c.line_no)
            ).mappings():
                lines[line["entry_id"]].append(line)
        return [journal_entry_from_row(r, lines[r["id"]]) for r in rows], more  # type: ignore[arg-type]  # result rows are mappings
