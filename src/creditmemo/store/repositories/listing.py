"""Keyset (cursor) pages for list endpoints: ``starting_after`` an id, sorted by a column then id.
Every query is scoped by company; a cursor from another company is simply unknown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Table, and_, or_, select

from creditmemo.domain.errors import ValidationFailedError

MAX_LIMIT = 100


def keyset_page(conn: Connection, table: Table, company_id: str, where: Sequence[Any], *, sort: str,
                columns: Mapping[str, Column[Any]], starting_after: str | None, limit: int) -> tuple[list[Any], bool]:
    """Rows of one page (at most ``limit``) and whether more follow."""
    name = sort.lstrip("-")
    if name not in columns:
        raise ValidationFailedError.single("sort", f"One of {', '.join(sorted(columns))}, optionally with '-'.",
                                           "invalid")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailedError.single("limit", f"From 1 to {MAX_LIMIT}.", "out_of_range")
    desc = sort.startswith("-")
    col, id_col = columns[name], table.c.id
    stmt = select(table).where(table.c.company_id == company_id, *where)
    if starting_after is not None:
        found = conn.execute(select(col).where(table.c.company_id == company_id, id_col == starting_after)).first()
        if found is None:
            raise ValidationFailedError.single("starting_after", "Unknown cursor.", "invalid")
        value = found[0]
        if col is id_col:
            stmt = stmt.where(id_col < value if desc else id_col > value)
        elif desc:
            stmt = stmt.where(or_(col < value, and_(col == value, id_col < starting_after)))
        else:
            stmt = stmt.where(or_(col > value, and_(col == value, id_col > starting_after)))
    order = (col.desc(), id_col.desc()) if desc else (col.asc(), id_col.asc())
    rows = list(conn.execute(stmt.order_by(*order).limit(limit + 1)).mappings())
    return rows[:limit], len(rows) > limit
