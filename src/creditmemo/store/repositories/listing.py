"""Keyset (cursor) pages for list endpoints: ``starting_after`` an id, sorted by a column then id.
Every query is scoped by company; a cursor from another company is simply unknown."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, Select, Table, and_, bindparam, or_, select

from creditmemo.domain.errors import ValidationFailedError

MAX_LIMIT = 100


def keyset_page(
    conn: Connection,
    table: Table,
    company_id: str,
    where: Sequence[Any],
    *,
    sort: str,
    columns: Mapping[str, Column[Any]],
    starting_after: str | None,
    limit: int,
) -> tuple[list[Any], bool]:
    """Rows of one page (at most ``limit``) and whether more follow."""
    name = sort.removeprefix("-")  # one leading "-" means descending; "--id" is not a column
    if name not in columns:
        raise ValidationFailedError.single(
            "sort", f"One of {', '.join(sorted(columns))}, optionally with '-'.", "invalid"
        )
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


def after_key(col: Any, tie: Any, value: Any, tie_value: Any, *, descending: bool) -> ColumnElement[bool]:
    """Rows strictly after (``value``, ``tie_value``) in the order ``col, tie`` (both descending or both
    ascending): the keyset condition, for any sort expression (not only a table column)."""
    # The first comparison is implied by the second; it is there so the database reads an index on ``col``
    # from ``value`` on (a range), rather than testing the OR on every row from the index's start.
    if descending:
        return and_(col <= value, or_(col < value, and_(col == value, tie < tie_value)))
    return and_(col >= value, or_(col > value, and_(col == value, tie > tie_value)))


def keyset_window(
    conn: Connection,
    stmt: Select[Any],
    col: Any,
    tie: Any,
    *,
    descending: bool,
    limit: int,
    after: str | None = None,
    before: str | None = None,
) -> tuple[list[Any], bool, bool]:
    """One page of ``stmt`` sorted by ``col`` then ``tie`` (the row id), after the row whose id is ``after``
    or before the row whose id is ``before`` (the cursor's sort value is read through ``stmt`` itself, so a
    cursor of another company, or one the filters no longer match, gives the first page). No OFFSET, no
    COUNT: the cost of a page does not grow with its depth. Returns the rows, whether a page comes before
    them and whether one comes after."""
    cursor = after or before
    key = None
    if cursor is not None:
        found = conn.execute(stmt.add_columns(col.label("_keyset_value")).where(tie == cursor).limit(1)).first()
        key = None if found is None else (found[-1],)
    if key is None:  # the first page
        rows = list(conn.execute(_ordered(stmt, col, tie, descending).limit(limit + 1)).mappings())
        return rows[:limit], False, len(rows) > limit
    forward = after is not None
    # Backwards: the rows before the cursor, read in the reverse order and turned round.
    order_desc = descending if forward else not descending
    cond = after_key(col, tie, key[0], cursor, descending=order_desc)
    rows = list(conn.execute(_ordered(stmt.where(cond), col, tie, order_desc).limit(limit + 1)).mappings())
    more = len(rows) > limit
    rows = rows[:limit]
    if forward:
        return rows, True, more
    rows.reverse()
    return rows, more, True


def keyset_chunks(
    conn: Connection, stmt: Select[Any], col: Any, tie: Any, *, descending: bool, chunk: int
) -> Iterator[list[Any]]:
    """Every row of ``stmt`` in the order ``col, tie``, ``chunk`` rows per query, each query starting after
    the last row of the one before (keyset): an export of any size holds one chunk in memory at a time."""
    keyed = stmt.add_columns(col.label("_keyset_value"), tie.label("_keyset_id"))
    where: ColumnElement[bool] | None = None
    while True:
        page = keyed if where is None else keyed.where(where)
        rows = list(conn.execute(_ordered(page, col, tie, descending).limit(chunk)).mappings())
        if rows:
            yield rows
        if len(rows) < chunk:
            return
        last = rows[-1]
        where = after_key(col, tie, last["_keyset_value"], last["_keyset_id"], descending=descending)


def _ordered(stmt: Select[Any], col: Any, tie: Any, descending: bool) -> Select[Any]:
    return stmt.order_by(col.desc(), tie.desc()) if descending else stmt.order_by(col.asc(), tie.asc())


def filter_conditions(filters: Mapping[str, Any], equal: Mapping[str, Any], issue_date: Any) -> list[Any]:
    """Equality filters named in ``equal`` plus the issued_from / issued_to date range."""
    where = [col == filters[name] for name, col in equal.items() if filters.get(name) is not None]
    if filters.get("issued_from") is not None:
        where.append(issue_date >= filters["issued_from"])
    if filters.get("issued_to") is not None:
        where.append(issue_date <= filters["issued_to"])
    return where


def lines_by_parent(
    conn: Connection, lines: Table, company_id: str, parent_fk: Any, parent_ids: Sequence[str]
) -> dict[str, list[Any]]:
    """The lines of a whole page of documents in one query, grouped by document id, in line order."""
    grouped: dict[str, list[Any]] = {pid: [] for pid in parent_ids}
    if parent_ids:
        stmt = (
            select(lines)
            .where(lines.c.company_id == company_id, parent_fk.in_(list(parent_ids)))
            .order_by(parent_fk, lines.c.line_no)
        )
        for row in conn.execute(stmt).mappings():
            grouped[row[parent_fk.key]].append(row)
    return grouped


class WithLines:
    """One document with its lines in one query (b_company, b_id): the header's columns as they are, the
    lines' labelled ``l_<name>``, one row per line in line order (a document without lines gives one row
    of NULLs). ``split`` gives back the header row and the line rows."""

    def __init__(self, header: Table, lines: Table, parent_fk: Column[Any]) -> None:
        self.header, self.lines, self.parent_fk = header, lines, parent_fk
        self.line_columns = tuple(c.name for c in lines.c)
        self.query: Select[Any] = self.where_id(bindparam("b_id"))

    def where_id(self, document_id: ColumnElement[Any]) -> Select[Any]:
        """The query for the document whose id is ``document_id`` (a parameter, or a scalar subquery)."""
        header, lines = self.header, self.lines
        return (
            select(header, *[c.label(f"l_{c.name}") for c in lines.c])
            .select_from(
                header.outerjoin(lines, (lines.c.company_id == header.c.company_id) & (self.parent_fk == header.c.id))
            )
            .where(header.c.company_id == bindparam("b_company"), header.c.id == document_id)
            .order_by(lines.c.line_no)
        )

    def split(self, rows: Sequence[Any]) -> tuple[Any, list[dict[str, Any]]]:
        lines = [{name: r[f"l_{name}"] for name in self.line_columns} for r in rows if r["l_id"] is not None]
        return rows[0], lines
