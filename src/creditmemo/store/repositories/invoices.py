"""Invoices: immutable once issued, except the running credit and settlement totals."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, bindparam, insert, select, update

from creditmemo.domain.documents import Invoice, InvoiceLine
from creditmemo.domain.errors import NotFoundError
from creditmemo.store.mapping import invoice_from_row, invoice_line_from_row, invoice_line_to_row, invoice_to_row
from creditmemo.store.repositories.listing import filter_conditions, keyset_page, lines_by_parent
from creditmemo.store.tables import invoice_lines, invoices

_set_credited = (
    update(invoice_lines)
    .where(invoice_lines.c.id == bindparam("b_id"))
    .values(
        credited_quantity=bindparam("b_qty"),
        credited_net_minor=bindparam("b_net"),
        credited_tax_minor=bindparam("b_tax"),
    )
)


_insert_invoice = insert(invoices)
_insert_lines = insert(invoice_lines)
_by_id = select(invoices).where(invoices.c.company_id == bindparam("b_company"), invoices.c.id == bindparam("b_id"))
_by_id_locked = _by_id.with_for_update()
_lines_of = (select(invoice_lines).where(invoice_lines.c.invoice_id == bindparam("b_id"))
             .order_by(invoice_lines.c.line_no))
_lines_by_ids = (select(invoice_lines)
                 .where(invoice_lines.c.company_id == bindparam("b_company"),
                        invoice_lines.c.id.in_(bindparam("b_ids", expanding=True)))
                 .order_by(invoice_lines.c.id))
_lines_by_ids_locked = _lines_by_ids.with_for_update()
_adjust_settlement = (
    update(invoices).where(invoices.c.company_id == bindparam("b_company"), invoices.c.id == bindparam("b_id"))
    .values(amount_credited_minor=invoices.c.amount_credited_minor + bindparam("b_credited"),
            amount_paid_minor=invoices.c.amount_paid_minor + bindparam("b_paid")))


class InvoiceRepository:
    def __init__(self, conn: Connection, *, row_locks: bool) -> None:
        self.conn = conn
        self.row_locks = row_locks

    def add(self, invoice: Invoice, created_by: str | None) -> None:
        self.conn.execute(_insert_invoice, invoice_to_row(invoice, created_by))
        self.conn.execute(_insert_lines, [
            invoice_line_to_row(line, invoice.id, invoice.company_id) for line in invoice.lines])

    def get(self, company_id: str, invoice_id: str, *, for_update: bool = False) -> Invoice:
        stmt = _by_id_locked if for_update and self.row_locks else _by_id
        row = self.conn.execute(stmt, {"b_company": company_id, "b_id": invoice_id}).mappings().first()
        if row is None:
            raise NotFoundError("invoice", invoice_id)
        lines = self.conn.execute(_lines_of, {"b_id": invoice_id}).mappings().all()
        return invoice_from_row(row, lines)

    def lock_lines(self, company_id: str, currency: str, line_ids: Iterable[str]) -> dict[str, InvoiceLine]:
        """Lines with their posted credit, locked for the rest of the transaction (rule 1).
        Locked in id order so two posts touching the same lines cannot deadlock."""
        ids = sorted(set(line_ids))
        if not ids:
            return {}
        stmt = _lines_by_ids_locked if self.row_locks else _lines_by_ids
        rows = self.conn.execute(stmt, {"b_company": company_id, "b_ids": ids}).mappings().all()
        return {r["id"]: invoice_line_from_row(r, currency) for r in rows}

    def save_credited(self, lines: Iterable[InvoiceLine]) -> None:
        params = [{
            "b_id": line.id, "b_qty": line.credited_quantity,
            "b_net": line.credited_net.to_minor() if line.credited_net else 0,
            "b_tax": line.credited_tax.to_minor() if line.credited_tax else 0,
        } for line in lines]
        if params:
            self.conn.execute(_set_credited, params)

    def adjust_settlement(self, company_id: str, invoice_id: str, *, credited: int = 0, paid: int = 0) -> None:
        self.conn.execute(_adjust_settlement, {"b_company": company_id, "b_id": invoice_id, "b_credited": credited,
                                               "b_paid": paid})

    def list(self, company_id: str, *, filters: dict[str, object], sort: str = "-id",
             starting_after: str | None = None, limit: int = 20) -> tuple[list[Invoice], bool]:
        """A page of invoices with their lines (one query for the lines of the whole page)."""
        c = invoices.c
        where = filter_conditions(filters, {"customer_id": c.customer_id, "number": c.number, "status": c.status},
                                  c.issue_date)
        rows, more = keyset_page(self.conn, invoices, company_id, where, sort=sort, starting_after=starting_after,
                                 limit=limit, columns={"id": c.id, "number": c.number, "issue_date": c.issue_date,
                                                       "due_date": c.due_date, "total": c.total_minor})
        by_invoice = lines_by_parent(self.conn, invoice_lines, invoice_lines.c.invoice_id, [r["id"] for r in rows])
        return [invoice_from_row(r, by_invoice[r["id"]]) for r in rows], more  # type: ignore[arg-type]
