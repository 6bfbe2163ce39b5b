"""Journal entries and lines: insert-only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, func, insert, or_, select, text

from creditmemo.domain.ledger import JournalEntry
from creditmemo.domain.money import Money
from creditmemo.store.bulk import insert_rows, set_column
from creditmemo.store.mapping import journal_entry_from_row
from creditmemo.store.numbering import Numbers
from creditmemo.store.tables import (
    accounts,
    applications,
    invoices,
    journal_entries,
    journal_lines,
    memos,
    payments,
    refunds,
)

_insert_entry = insert(journal_entries)
_insert_lines = insert(journal_lines)
# The GL export's sequence (issue 13): the company's entries not sequenced yet, numbered on from the highest
# number given so far, in the order they were written. Run by the sealer only, under the company's chain head
# (store/sealer.py), so two runs never overlap and each one's numbers follow the previous run's committed ones.
_sequence = text(
    "UPDATE journal_entries SET export_seq = ordered.n FROM ("
    " SELECT id, (SELECT coalesce(max(export_seq), 0) FROM journal_entries WHERE company_id = :b_company)"
    "   + row_number() OVER (ORDER BY created_at, id) AS n"
    " FROM journal_entries WHERE company_id = :b_company AND export_seq IS NULL) AS ordered"
    " WHERE journal_entries.company_id = :b_company AND journal_entries.id = ordered.id"
)


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
                    "entry_date": entry.date,
                }
                for i, line in enumerate(entry.lines)
            ],
        )

    def add_many(self, entries: Sequence[JournalEntry], now: datetime) -> None:
        """Many entries, one multi-row statement per table (a bulk import, issue 13)."""
        if not entries:
            return
        insert_rows(self.conn, journal_entries, [_entry_row(e, now) for e in entries])
        insert_rows(self.conn, journal_lines, [row for e in entries for row in _line_rows(e)])

    def set_descriptions(self, company_id: str, descriptions: Mapping[str, str]) -> None:
        """Entry id -> description, one statement (a bulk import's numbers, issue 13)."""
        set_column(self.conn, journal_entries, company_id, "description", descriptions)

    def sequence_pending(self, company_id: str) -> None:
        """Give the company's committed, unsequenced entries their export numbers (the sealer, under the head)."""
        self.conn.execute(_sequence, {"b_company": company_id})

    def feed(
        self, company_id: str, *, after: int, limit: int, filters: Mapping[str, object]
    ) -> list[tuple[JournalEntry, int]]:
        """The GL export's page: sequenced entries after ``after`` in export order, with their numbers. Only
        sequenced ones: an entry committed but not sequenced yet is handed out later, after every entry
        already handed out (the sealer numbers in commit order), so a cursor never skips or repeats one."""
        c = journal_entries.c
        where = [c.company_id == company_id, c.export_seq.is_not(None), c.export_seq > after]
        where += [
            col == filters[name]
            for name, col in (("source_type", c.source_type), ("source_id", c.source_id), ("kind", c.kind))
            if filters.get(name) is not None
        ]
        if filters.get("date_from") is not None:
            where.append(c.date >= filters["date_from"])
        if filters.get("date_to") is not None:
            where.append(c.date <= filters["date_to"])
        rows = (
            self.conn.execute(select(journal_entries).where(*where).order_by(c.export_seq).limit(limit))
            .mappings()
            .all()
        )
        lines: dict[str, list[object]] = {r["id"]: [] for r in rows}
        if rows:
            for line in self.conn.execute(
                select(journal_lines)
                .where(journal_lines.c.company_id == company_id, journal_lines.c.entry_id.in_(list(lines)))
                .order_by(journal_lines.c.entry_id, journal_lines.c.line_no)
            ).mappings():
                lines[line["entry_id"]].append(line)
        return [(journal_entry_from_row(r, lines[r["id"]]), int(r["export_seq"])) for r in rows]  # type: ignore[arg-type]  # result rows are mappings

    def export_lines(self, company_id: str, date_from: object, date_to: object) -> list[Mapping[str, object]]:
        """Every journal line of entries dated in [date_from, date_to], with its entry, account name and source
        document number, in posting order (export sequence; entries not sequenced yet last, as written)."""
        je, jl, a = journal_entries.c, journal_lines.c, accounts.c
        number = func.coalesce(
            select(invoices.c.number)
            .where(invoices.c.company_id == je.company_id, invoices.c.id == je.source_id)
            .scalar_subquery(),
            select(memos.c.number)
            .where(memos.c.company_id == je.company_id, memos.c.id == je.source_id)
            .scalar_subquery(),
            select(payments.c.number)
            .where(payments.c.company_id == je.company_id, payments.c.id == je.source_id)
            .scalar_subquery(),
            select(refunds.c.number)
            .where(refunds.c.company_id == je.company_id, refunds.c.id == je.source_id)
            .scalar_subquery(),
            "",
        )
        stmt = (
            select(
                je.id.label("entry_id"),
                je.export_seq,
                je.date,
                je.kind,
                je.source_type,
                je.source_id,
                number.label("source_number"),
                je.description,
                je.currency,
                je.functional_currency,
                je.exchange_rate,
                jl.line_no,
                jl.account_code,
                func.coalesce(a.name, "").label("account_name"),
                jl.debit_minor,
                jl.credit_minor,
                jl.functional_debit_minor,
                jl.functional_credit_minor,
                jl.customer_id,
            )
            .select_from(
                journal_lines.join(
                    journal_entries, (je.company_id == jl.company_id) & (je.id == jl.entry_id)
                ).outerjoin(accounts, (a.company_id == jl.company_id) & (a.code == jl.account_code))
            )
            .where(je.company_id == company_id, je.date >= date_from, je.date <= date_to)
            .order_by(je.export_seq.is_(None), je.export_seq, je.created_at, je.id, jl.line_no)
        )
        return [dict(r) for r in self.conn.execute(stmt).mappings()]

    def companies_unsequenced(self) -> list[str]:
        c = journal_entries.c
        stmt = select(c.company_id).where(c.export_seq.is_(None)).distinct().order_by(c.company_id)
        return list(self.conn.execute(stmt).scalars())

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


def _entry_row(entry: JournalEntry, now: datetime) -> dict[str, object]:
    return {
        "id": entry.id,
        "company_id": entry.company_id,
        "date": entry.date,
        "source_type": entry.source_type,
        "source_id": entry.source_id,
        "kind": entry.kind,
        "currency": entry.currency,
        "functional_currency": entry.functional_currency,
        "exchange_rate": entry.exchange_rate,
        "description": entry.description,
        "created_at": now,
    }


def _line_rows(entry: JournalEntry) -> list[dict[str, object]]:
    return [
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
            "entry_date": entry.date,
        }
        for i, line in enumerate(entry.lines)
    ]
