"""Invoices: immutable once issued, except the running credit and settlement totals. The invoice's row
lock guards its lines too: whoever changes a line's credited amounts (posting, voiding) holds it, so the
lines themselves are never locked (docs/CONCURRENCY.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from creditmemo.domain.documents import Invoice, InvoiceLine
from creditmemo.domain.errors import NotFoundError
from creditmemo.store.bulk import insert_rows, set_column
from creditmemo.store.locking import touch
from creditmemo.store.mapping import invoice_from_row, invoice_line_to_row, invoice_to_row, later_release
from creditmemo.store.repositories.listing import WithLines, filter_conditions, keyset_page, lines_by_parent
from creditmemo.store.repositories.lookup import by_id_or
from creditmemo.store.tables import invoice_lines, invoices

_add_settlement = (
    update(invoices)
    .where(invoices.c.company_id == bindparam("b_company"), invoices.c.id == bindparam("b_id"))
    .values(
        amount_credited_minor=invoices.c.amount_credited_minor + bindparam("b_credited"),
        amount_paid_minor=invoices.c.amount_paid_minor + bindparam("b_paid"),
        discount_taken_minor=invoices.c.discount_taken_minor + bindparam("b_discount"),
    )
)
# The same, for an unapplication: the invoice's latest release date too (migration 0027).
_add_settlement_released = _add_settlement.values(released_on=later_release(invoices.c.released_on))
_set_credited = (
    update(invoice_lines)
    .where(invoice_lines.c.company_id == bindparam("b_company"), invoice_lines.c.id == bindparam("b_id"))
    .values(
        credited_quantity=bindparam("b_qty"),
        credited_net_minor=bindparam("b_net"),
        credited_tax_minor=bindparam("b_tax"),
    )
)


_insert_invoice = insert(invoices)
_insert_lines = insert(invoice_lines)
_with_lines = WithLines(invoices, invoice_lines, invoice_lines.c.invoice_id)
_touch = touch(
    invoices, invoices.c.status, invoices.c.company_id == bindparam("b_company"), invoices.c.id == bindparam("b_id")
)
# The invoice of an invoice line (b_line), found by the statement that locks or reads it: no round trip first.
_owner = invoice_lines.alias("owner")
_owner_of_line = (
    select(_owner.c.invoice_id)
    .where(_owner.c.company_id == bindparam("b_company"), _owner.c.id == bindparam("b_line"))
    .scalar_subquery()
)
_touch_by_line = touch(
    invoices, invoices.c.status, invoices.c.company_id == bindparam("b_company"), invoices.c.id == _owner_of_line
)
_with_lines_by_line = _with_lines.where_id(_owner_of_line)


def invoice_with_lines(rows: Sequence[Any]) -> Invoice:
    return invoice_from_row(*_with_lines.split(rows))


class InvoiceRepository:
    def __init__(self, conn: Connection, *, row_locks: bool) -> None:
        self.conn = conn
        self.row_locks = row_locks

    def add(self, invoice: Invoice, created_by: str | None) -> None:
        self.conn.execute(_insert_invoice, invoice_to_row(invoice, created_by))
        self.conn.execute(
            _insert_lines, [invoice_line_to_row(line, invoice.id, invoice.company_id) for line in invoice.lines]
        )

    def add_many(self, docs: Sequence[tuple[Invoice, str | None]], created_by: str | None) -> None:
        """Invoices with their external ids (a bulk import, issue 13): one multi-row statement per table."""
        if not docs:
            return
        insert_rows(
            self.conn,
            invoices,
            [{**invoice_to_row(inv, created_by), "external_id": ext} for inv, ext in docs],
        )
        insert_rows(
            self.conn,
            invoice_lines,
            [invoice_line_to_row(line, inv.id, inv.company_id) for inv, _ in docs for line in inv.lines],
        )

    def set_numbers(self, company_id: str, numbers: Mapping[str, str]) -> None:
        """Invoice id -> number, one statement (a bulk import writes placeholders first, issue 13)."""
        set_column(self.conn, invoices, company_id, "number", numbers)

    def external_ids_present(self, company_id: str, external_ids: Iterable[str]) -> set[str]:
        """Which of these external ids the company's invoices already carry (an earlier import)."""
        wanted = sorted(set(external_ids))
        if not wanted:
            return set()
        c = invoices.c
        stmt = select(c.external_id).where(c.company_id == company_id, c.external_id.in_(wanted))
        return {str(x) for x in self.conn.execute(stmt).scalars()}

    def save_metadata(self, company_id: str, doc_id: str, metadata: dict[str, str]) -> None:
        """The metadata alone (issue 17): nothing else of an issued document changes."""
        self.conn.execute(
            update(invoices)
            .where(invoices.c.company_id == company_id, invoices.c.id == doc_id)
            .values(metadata=metadata)
        )

    def add_settlement(
        self,
        company_id: str,
        deltas: Mapping[str, tuple[int, int]],
        discounts: Mapping[str, int] | None = None,
        *,
        released_on: date | None = None,
    ) -> None:
        """Add (credited, paid) minor units, and settlement discounts taken, to invoices' running totals
        (negative when unapplied), in one round of statements. ``released_on``: an unapplication's date, which
        moves each invoice's latest release date too."""
        discounts = discounts or {}
        rows = [
            {"b_company": company_id, "b_id": i, "b_credited": c, "b_paid": p, "b_discount": discounts.get(i, 0)}
            for i, (c, p) in sorted(deltas.items())
        ]
        rows += [
            {"b_company": company_id, "b_id": i, "b_credited": 0, "b_paid": 0, "b_discount": d}
            for i, d in sorted(discounts.items())
            if i not in deltas and d
        ]
        if rows and released_on is not None:
            self.conn.execute(_add_settlement_released, [{**r, "b_released": released_on} for r in rows])
        elif rows:
            self.conn.execute(_add_settlement, rows)

    def find(self, company_id: str, ref: str) -> str | None:
        """The id of the invoice numbered ``ref`` (INV-000001) or with that id."""
        row = by_id_or(self.conn, invoices, company_id, ref, invoices.c.number)
        return None if row is None else str(row[0])

    def get(self, company_id: str, invoice_id: str, *, for_update: bool = False) -> Invoice:
        """The invoice with its lines (and their posted credit), one round trip. ``for_update`` locks the
        invoice, which guards its lines (rule 1): posting and voiding re-check credit under this lock."""
        params = {"b_company": company_id, "b_id": invoice_id}
        if for_update and self.row_locks:
            self.conn.execute(_touch, params)
        rows = self.conn.execute(_with_lines.query, params).mappings().all()
        if not rows:
            raise NotFoundError("invoice", invoice_id)
        return invoice_with_lines(rows)

    def of_line(self, company_id: str, line_id: str, *, for_update: bool = False) -> Invoice | None:
        """The invoice an invoice line belongs to, with its lines, in one round trip (locked like ``get``);
        None when the company has no such line."""
        params = {"b_company": company_id, "b_line": line_id}
        if for_update and self.row_locks:
            self.conn.execute(_touch_by_line, params)
        rows = self.conn.execute(_with_lines_by_line, params).mappings().all()
        return invoice_with_lines(rows) if rows else None

    def with_service_periods(self, company_id: str, customer_id: str, *, limit: int) -> list[str]:
        """Ids of a customer's invoices that have a line with a service period, newest first."""
        lines = select(invoice_lines.c.invoice_id).where(
            invoice_lines.c.company_id == company_id, invoice_lines.c.service_start.is_not(None)
        )
        stmt = (
            select(invoices.c.id)
            .where(invoices.c.company_id == company_id, invoices.c.customer_id == customer_id, invoices.c.id.in_(lines))
            .order_by(invoices.c.issue_date.desc(), invoices.c.number.desc())
            .limit(limit)
        )
        return [str(i) for i in self.conn.execute(stmt).scalars()]

    def credited_total(self, company_id: str, invoice_id: str) -> int:
        """Posted credit of the memos from an invoice (its lines' credited net and tax, minor units). Read
        under the invoice's lock, which guards these totals."""
        il = invoice_lines.c
        return int(
            self.conn.execute(
                select(func.coalesce(func.sum(il.credited_net_minor + il.credited_tax_minor), 0)).where(
                    il.company_id == company_id, il.invoice_id == invoice_id
                )
            ).scalar_one()
        )

    def save_credited(self, company_id: str, lines: Iterable[InvoiceLine]) -> None:
        params = [
            {
                "b_company": company_id,
                "b_id": line.id,
                "b_qty": line.credited_quantity,
                "b_net": line.credited_net.to_minor() if line.credited_net else 0,
                "b_tax": line.credited_tax.to_minor() if line.credited_tax else 0,
            }
            for line in lines
        ]
        if params:
            self.conn.execute(_set_credited, params)

    def list(
        self,
        company_id: str,
        *,
        filters: dict[str, object],
        sort: str = "-id",
        starting_after: str | None = None,
        limit: int = 20,
    ) -> tuple[list[Invoice], bool]:
        """A page of invoices with their lines (one query for the lines of the whole page)."""
        c = invoices.c
        where = filter_conditions(
            filters, {"customer_id": c.customer_id, "number": c.number, "status": c.status}, c.issue_date
        )
        rows, more = keyset_page(
            self.conn,
            invoices,
            company_id,
            where,
            sort=sort,
            starting_after=starting_after,
            limit=limit,
            columns={
                "id": c.id,
                "number": c.number,
                "issue_date": c.issue_date,
                "due_date": c.due_date,
                "total": c.total_minor,
            },
        )
        by_invoice = lines_by_parent(
            self.conn, invoice_lines, company_id, invoice_lines.c.invoice_id, [r["id"] for r in rows]
        )
        return [invoice_from_row(r, by_invoice[r["id"]]) for r in rows], more
