"""Finding one row of a company's table by its id or by a human name for it (a document number, a customer
name): what the CLI accepts wherever it asks for a document or a customer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Connection, Row, Table, or_, select


def by_id_or(
    conn: Connection, table: Table, company_id: str, ref: str, name: Column[Any], *extra: Column[Any]
) -> Row[Any] | None:
    """(id, *extra) of the row whose id or ``name`` is ``ref``, or None."""
    return conn.execute(
        select(table.c.id, *extra).where(table.c.company_id == company_id, or_(table.c.id == ref, name == ref)).limit(1)
    ).first()
