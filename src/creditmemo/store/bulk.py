"""Many rows in one statement (bulk imports, issue 13). On PostgreSQL an ``INSERT … SELECT * FROM unnest(…)``
with one array parameter per column: one statement, parsed once, whatever the number of rows (an executemany
costs the server a statement per row and the client SQLAlchemy's per-row parameter work). Elsewhere an
executemany, which SQLite runs in-process. Values go through each column type's bind processing first, so
ExactDecimal, UTCDateTime and JSON columns store exactly what a plain insert would."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, insert, text, update
from sqlalchemy.engine import Dialect

_statements: dict[tuple[str, tuple[str, ...]], tuple[Any, list[Any]]] = {}


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``."""
    if not rows:
        return
    if conn.dialect.name != "postgresql" or len(rows) < 4:
        conn.execute(insert(table), list(rows))
        return
    names = tuple(rows[0])
    stmt, processors = _prepared(table, names, conn.dialect)
    params = {}
    for i, (name, process) in enumerate(zip(names, processors, strict=True)):
        values = [row[name] for row in rows]
        params[f"c{i}"] = [None if v is None else process(v) for v in values] if process else values
    conn.execute(stmt, params)


def _prepared(table: Table, names: tuple[str, ...], dialect: Dialect) -> tuple[Any, list[Any]]:
    key = (table.name, names)
    if key not in _statements:
        casts: list[str] = []
        processors: list[Callable[[Any], Any] | None] = []
        for i, name in enumerate(names):
            column = table.c[name]
            impl = column.type.dialect_impl(dialect)
            sql_type = dialect.type_compiler_instance.process(impl)
            casts.append(f"CAST(:c{i} AS {sql_type}[])")
            processors.append(column.type._cached_bind_processor(dialect))  # the column's own conversion
        # The names are the table's own columns, never input.
        stmt = text(f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({', '.join(casts)})")
        _statements[key] = (stmt, processors)
    return _statements[key]


def set_column(conn: Connection, table: Table, company_id: str, column: str, values: Mapping[str, Any]) -> None:
    """``UPDATE table SET column = value`` for each row id -> value of one company, in one statement on
    PostgreSQL (an UPDATE … FROM unnest), an executemany elsewhere."""
    if not values:
        return
    ids = list(values)
    target = table.c[column]
    if conn.dialect.name != "postgresql":
        conn.execute(
            update(table)
            .where(table.c.company_id == bindparam("b_company"), table.c.id == bindparam("b_id"))
            .values({column: bindparam("b_value", type_=target.type)}),
            [{"b_company": company_id, "b_id": i, "b_value": values[i]} for i in ids],
        )
        return
    sql_type = conn.dialect.type_compiler_instance.process(target.type.dialect_impl(conn.dialect))
    id_type = conn.dialect.type_compiler_instance.process(table.c.id.type.dialect_impl(conn.dialect))
    stmt = text(
        f"UPDATE {table.name} SET {column} = v.value"
        f" FROM unnest(CAST(:b_ids AS {id_type}[]), CAST(:b_values AS {sql_type}[])) AS v(id, value)"
        f" WHERE {table.name}.company_id = :b_company AND {table.name}.id = v.id"
    )
    conn.execute(stmt, {"b_company": company_id, "b_ids": ids, "b_values": [values[i] for i in ids]})


# Tables whose statistics no longer describe them: never analysed and already written to, or changed by more
# rows than they held when last analysed. Until autovacuum's next round (a minute or more) the planner has no
# statistics for a table a bulk import fills, and for the foreign-key checks' cached plans (one per referencing
# row) it may then pick an index that shares only the leading company_id with the key: every check reads the
# whole company (issue 13 item 1: 127 s of server CPU for 100,000 lines instead of 7).
_STALE_STATISTICS = text(
    "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid"
    " WHERE s.schemaname = current_schema() AND s.n_mod_since_analyze >= 100"
    " AND (c.reltuples < 0 OR s.n_mod_since_analyze > c.reltuples)"
)


def refresh_statistics(engine: Engine, tables: Iterable[str]) -> list[str]:
    """ANALYZE those of ``tables`` (PostgreSQL) whose statistics are stale: cached plans that read them are
    planned again with the new figures. Returns the tables analysed. Nothing to do on SQLite, whose planner
    has no such cliff. Without the ownership ANALYZE needs, PostgreSQL only warns."""
    if engine.dialect.name != "postgresql":
        return []
    wanted = set(tables)
    with engine.connect() as conn:
        stale = sorted(name for name in conn.execute(_STALE_STATISTICS).scalars() if name in wanted)
        conn.rollback()
    if stale:
        quote = engine.dialect.identifier_preparer.quote
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # The names are our own tables' (filtered above), never input.
            conn.exec_driver_sql("ANALYZE " + ", ".join(quote(name) for name in stale))
    return stale
