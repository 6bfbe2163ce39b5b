"""Credit and debit memos (one table, `kind` tells them apart) and their lines."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update

from creditmemo.domain.documents import Memo, MemoKind
from creditmemo.domain.errors import NotFoundError
from creditmemo.store.mapping import MEMO_HEADER_FIELDS, memo_from_row, memo_line_to_row, memo_to_row
from creditmemo.store.tables import memo_lines, memos


def _entity(kind: MemoKind) -> str:
    return f"{kind}_memo"


class MemoRepository:
    def __init__(self, conn: Connection, *, row_locks: bool) -> None:
        self.conn = conn
        self.row_locks = row_locks

    def add(self, memo: Memo) -> None:
        self.conn.execute(insert(memos).values(**memo_to_row(memo)))
        self._insert_lines(memo)

    def _insert_lines(self, memo: Memo) -> None:
        if memo.lines:
            self.conn.execute(insert(memo_lines), [
                memo_line_to_row(line, memo.id, memo.company_id) for line in memo.lines])

    def get(self, company_id: str, memo_id: str, kind: MemoKind | None = None, *,
            for_update: bool = False) -> Memo:
        stmt = select(memos).where(memos.c.company_id == company_id, memos.c.id == memo_id)
        if kind is not None:
            stmt = stmt.where(memos.c.kind == str(kind))
        if for_update and self.row_locks:
            stmt = stmt.with_for_update()
        row = self.conn.execute(stmt).mappings().first()
        if row is None:
            raise NotFoundError(_entity(kind) if kind else "memo", memo_id)
        lines = self.conn.execute(
            select(memo_lines).where(memo_lines.c.memo_id == memo_id).order_by(memo_lines.c.line_no)
        ).mappings().all()
        return memo_from_row(row, lines)

    def save(self, memo: Memo, *, replace_lines: bool = False) -> None:
        """Write the header (and, when asked, the lines) of an existing memo."""
        row = memo_to_row(memo)
        self.conn.execute(update(memos).where(memos.c.id == memo.id, memos.c.company_id == memo.company_id)
                          .values({k: row[k] for k in MEMO_HEADER_FIELDS}))
        if replace_lines:
            # Draft edits and discards replace lines; posted lines are never touched (rule 4).
            self.conn.execute(delete(memo_lines).where(memo_lines.c.memo_id == memo.id))
            self._insert_lines(memo)

    def save_line_amounts(self, memo: Memo) -> None:
        """Re-priced amounts at post (rule 2: the completing credit takes the remaining tax)."""
        for line in memo.lines:
            self.conn.execute(update(memo_lines).where(memo_lines.c.id == line.id).values(
                net_minor=line.net.to_minor(), tax_minor=line.tax.to_minor()))

    def adjust_settlement(self, company_id: str, memo_id: str, *, applied: int = 0, refunded: int = 0) -> None:
        self.conn.execute(update(memos).where(memos.c.company_id == company_id, memos.c.id == memo_id).values(
            amount_applied_minor=memos.c.amount_applied_minor + applied,
            amount_refunded_minor=memos.c.amount_refunded_minor + refunded))

    def ids_in_status(self, company_id: str | None, status: str, limit: int = 100) -> list[tuple[str, str]]:
        stmt = select(memos.c.company_id, memos.c.id).where(memos.c.status == status)
        if company_id:
            stmt = stmt.where(memos.c.company_id == company_id)
        return [(r[0], r[1]) for r in self.conn.execute(stmt.order_by(memos.c.updated_at).limit(limit))]
