"""each document's latest release date (the settlement date check without a read of its applications)

Revision ID: 0027_release_dates
Revises: 0024_page_indexes_1m
Create Date: 2026-11-29 12:20:00

- ``invoices.released_on``, ``memos.released_on``, ``payments.released_on`` (a date, NULL: never): the latest date
  an amount of the document was freed again, that is the latest unapplication date (``applications.reversed_on``)
  of the applications from or to it and, for a credit source (a credit memo, a payment), the latest reversal date
  of its refunds (``refunds.reversed_on``). Unapply and refund reversal keep it in the update they already make
  under the document's lock; the settlement date check (domain/dating.py ``check_free_as_of``) reads it with that
  lock and reads the applications only when it is after the new application's or refund's date.
- Data: every document gets the latest of those dates from the existing applications and refunds (one grouped
  read per source, then one update per document that has one; documents without a release stay NULL).

Going down drops the columns.
"""

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0027_release_dates"
down_revision = "0024_page_indexes_1m"
branch_labels = None
depends_on = None

TABLES = ("invoices", "memos", "payments")
# Which table a document of each type lives in (applications' source_type / target_type, refunds' source_type).
TABLE_OF = {"invoice": "invoices", "credit_memo": "memos", "debit_memo": "memos", "payment": "payments"}


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def latest_releases(conn: sa.Connection) -> dict[str, dict[tuple[str, str], date]]:
    """Per table, (company_id, document id) -> the latest release date, from the applications and refunds."""
    apps = sa.table(
        "applications",
        sa.column("company_id", sa.String()),
        sa.column("source_type", sa.String()),
        sa.column("source_id", sa.String()),
        sa.column("target_type", sa.String()),
        sa.column("target_id", sa.String()),
        sa.column("reversed_on", sa.Date()),
    )
    refunds = sa.table(
        "refunds",
        sa.column("company_id", sa.String()),
        sa.column("source_type", sa.String()),
        sa.column("source_id", sa.String()),
        sa.column("reversed_on", sa.Date()),
    )

    def grouped(kind: sa.ColumnElement[str], doc: sa.ColumnElement[str], table: sa.TableClause) -> sa.Select[tuple]:
        on = table.c.reversed_on
        return (
            sa.select(table.c.company_id, kind, doc, sa.func.max(on))
            .where(on.is_not(None))
            .group_by(table.c.company_id, kind, doc)
        )

    found: dict[str, dict[tuple[str, str], date]] = {t: {} for t in TABLES}
    reads: Iterable[sa.Select[tuple]] = (
        grouped(apps.c.source_type, apps.c.source_id, apps),
        grouped(apps.c.target_type, apps.c.target_id, apps),
        grouped(refunds.c.source_type, refunds.c.source_id, refunds),
    )
    for stmt in reads:
        for company_id, kind, doc_id, day in conn.execute(stmt):
            table = TABLE_OF.get(str(kind))
            if table is None:
                continue
            key, day = (company_id, doc_id), _as_date(day)
            if key not in found[table] or found[table][key] < day:
                found[table][key] = day
    return found


def upgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name) as batch_op:
            batch_op.add_column(sa.Column("released_on", sa.Date(), nullable=True))
    conn = op.get_bind()
    for name, days in latest_releases(conn).items():
        if not days:
            continue
        table = sa.table(
            name,
            sa.column("company_id", sa.String()),
            sa.column("id", sa.String()),
            sa.column("released_on", sa.Date()),
        )
        stmt = (
            sa.update(table)
            .where(table.c.company_id == sa.bindparam("b_company"), table.c.id == sa.bindparam("b_id"))
            .values(released_on=sa.bindparam("b_on", type_=sa.Date()))
        )
        conn.execute(stmt, [{"b_company": c, "b_id": i, "b_on": d} for (c, i), d in sorted(days.items())])


def downgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name) as batch_op:
            batch_op.drop_column("released_on")
