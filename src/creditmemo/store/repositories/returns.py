"""Return authorizations (RMA) and their lines; what returns hold of invoice lines (the over-return rule)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from creditmemo.domain.errors import NotFoundError
from creditmemo.domain.returns import ReturnAuthorization, ReturnStatus
from creditmemo.store.locking import touch
from creditmemo.store.mapping import RETURN_HEADER_FIELDS, return_from_row, return_line_to_row, return_to_row
from creditmemo.store.numbering import Numbers, numbered_insert
from creditmemo.store.repositories.listing import WithLines, filter_conditions, keyset_page, lines_by_parent
from creditmemo.store.tables import memo_lines, memos, return_authorizations, return_lines

ra, rl = return_authorizations, return_lines
_insert = insert(ra)
_insert_lines = insert(rl)
_with_lines = WithLines(ra, rl, rl.c.return_id)
_touch = touch(ra, ra.c.version, ra.c.company_id == bindparam("b_company"), ra.c.id == bindparam("b_id"))
_save_header = (
    update(ra)
    .where(ra.c.company_id == bindparam("b_company"), ra.c.id == bindparam("b_id"))
    .values({k: bindparam(f"v_{k}") for k in RETURN_HEADER_FIELDS})
)
_save_line = (
    update(rl)
    .where(rl.c.company_id == bindparam("b_company"), rl.c.id == bindparam("b_id"))
    .values(
        quantity_received=bindparam("v_received"),
        quantity_credited=bindparam("v_credited"),
        quantity_cancelled=bindparam("v_cancelled"),
        restock=bindparam("v_restock"),
        condition=bindparam("v_condition"),
    )
)


class ReturnRepository:
    def __init__(self, conn: Connection, *, row_locks: bool, numbers: Numbers | None = None) -> None:
        self.conn = conn
        self.row_locks = row_locks
        self.numbers = numbers

    def add(self, ret: ReturnAuthorization) -> None:
        row = return_to_row(ret)
        reservation = self.numbers.reservation(ret.number) if self.numbers else None
        if reservation is None:
            self.conn.execute(_insert, row)
        else:  # the number is taken by the insert itself, in the commit's flight (store/numbering.py)
            params = {f"v_{k}": v for k, v in row.items() if k != "number"}
            self.conn.execute(
                numbered_insert(ra, reservation.doc_type),
                {**params, "n_company": reservation.company_id, "n_type": reservation.doc_type},
            )
        self._insert_lines(ret)

    def _insert_lines(self, ret: ReturnAuthorization) -> None:
        if ret.lines:
            self.conn.execute(_insert_lines, [return_line_to_row(line, ret.id, ret.company_id) for line in ret.lines])

    def get(self, company_id: str, return_id: str, *, for_update: bool = False) -> ReturnAuthorization:
        """The return with its lines, one round trip; ``for_update`` locks it first (store/locking.py)."""
        params = {"b_company": company_id, "b_id": return_id}
        if for_update and self.row_locks:
            self.conn.execute(_touch, params)
        rows = self.conn.execute(_with_lines.query, params).mappings().all()
        if not rows:
            raise NotFoundError("return", return_id)
        return return_from_row(*_with_lines.split(rows))

    def by_number(self, company_id: str, number: str) -> ReturnAuthorization:
        found = self.conn.execute(select(ra.c.id).where(ra.c.company_id == company_id, ra.c.number == number)).first()
        if found is None:
            raise NotFoundError("return", number)
        return self.get(company_id, found[0])

    def save(self, ret: ReturnAuthorization, *, replace_lines: bool = False) -> None:
        """The header and each line's receipt and credit (or, editing an authorized return, every line)."""
        row = return_to_row(ret)
        self.conn.execute(
            _save_header,
            {**{f"v_{k}": row[k] for k in RETURN_HEADER_FIELDS}, "b_company": ret.company_id, "b_id": ret.id},
        )
        if replace_lines:
            self.conn.execute(delete(rl).where(rl.c.company_id == ret.company_id, rl.c.return_id == ret.id))
            self._insert_lines(ret)
        elif ret.lines:
            self.conn.execute(
                _save_line,
                [
                    {
                        "b_company": ret.company_id,
                        "b_id": line.id,
                        "v_received": line.quantity_received,
                        "v_credited": line.quantity_credited,
                        "v_cancelled": line.quantity_cancelled,
                        "v_restock": line.restock,
                        "v_condition": line.condition,
                    }
                    for line in ret.lines
                ],
            )

    def held(self, company_id: str, invoice_id: str, *, excluding: str | None = None) -> dict[str, Decimal]:
        """Authorized, not cancelled quantity per invoice line of the invoice's returns that are not
        cancelled (but one: the return being edited). Summed here: SQLite keeps exact decimals as text."""
        stmt = (
            select(rl.c.invoice_line_id, rl.c.quantity, rl.c.quantity_cancelled)
            .select_from(rl.join(ra, (ra.c.company_id == rl.c.company_id) & (ra.c.id == rl.c.return_id)))
            .where(
                ra.c.company_id == company_id,
                ra.c.invoice_id == invoice_id,
                ra.c.status != str(ReturnStatus.CANCELLED),
            )
        )
        if excluding is not None:
            stmt = stmt.where(ra.c.id != excluding)
        rows = [(line_id, Decimal(qty) - Decimal(cancelled)) for line_id, qty, cancelled in self.conn.execute(stmt)]
        return _sums(rows)

    def credited_through_returns(self, company_id: str, invoice_id: str) -> dict[str, Decimal]:
        """Posted credit by quantity per invoice line that came through returns (part of the lines'
        credited_quantity that the returns themselves already hold)."""
        stmt = (
            select(memo_lines.c.invoice_line_id, memo_lines.c.quantity)
            .select_from(
                memo_lines.join(
                    memos, (memos.c.company_id == memo_lines.c.company_id) & (memos.c.id == memo_lines.c.memo_id)
                )
            )
            .where(
                memos.c.company_id == company_id,
                memos.c.invoice_id == invoice_id,
                memos.c.return_id.is_not(None),
                memos.c.status == "posted",
                memo_lines.c.credit_by == "quantity",
            )
        )
        return _sums(self.conn.execute(stmt).all())

    def memos_of(self, company_id: str, return_id: str) -> list[dict[str, Any]]:
        """The credit memos created from a return: id, number, status, total, oldest first."""
        stmt = (
            select(memos.c.id, memos.c.number, memos.c.status, memos.c.total_minor, memos.c.currency)
            .where(memos.c.company_id == company_id, memos.c.return_id == return_id)
            .order_by(memos.c.created_at, memos.c.id)
        )
        return [dict(r) for r in self.conn.execute(stmt).mappings()]

    def of_invoice(self, company_id: str, invoice_id: str) -> list[ReturnAuthorization]:
        rows, _ = self.list(company_id, filters={"invoice_id": invoice_id}, sort="number", limit=100)
        return rows

    def list(
        self,
        company_id: str,
        *,
        filters: dict[str, object],
        sort: str = "-id",
        starting_after: str | None = None,
        limit: int = 20,
    ) -> tuple[list[ReturnAuthorization], bool]:
        c = ra.c
        where = filter_conditions(
            filters,
            {"status": c.status, "customer_id": c.customer_id, "invoice_id": c.invoice_id, "number": c.number},
            c.created_at,
        )
        rows, more = keyset_page(
            self.conn,
            ra,
            company_id,
            where,
            sort=sort,
            starting_after=starting_after,
            limit=limit,
            columns={"id": c.id, "number": c.number, "created_at": c.created_at},
        )
        by_return = lines_by_parent(self.conn, rl, company_id, rl.c.return_id, [r["id"] for r in rows])
        return [return_from_row(r, by_return[r["id"]]) for r in rows], more


def _sums(rows: Sequence[Any]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for line_id, quantity in rows:
        if quantity is not None:
            out[line_id] = out.get(line_id, Decimal(0)) + Decimal(quantity)
    return out
