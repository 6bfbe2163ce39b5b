"""the date an application was unapplied

Revision ID: 0023_unapplied_on
Revises: 0022_page_indexes
Create Date: 2026-11-29 11:40:00

- ``applications.reversed_on`` (a date, NULL while the application is active): the unapplication's date, which
  may be before or after the day it was recorded (``reversed_at``). Reports as of a date count an application
  that was unapplied after that date (issue 16 item 1).
- Data: every reversed application gets the date of the journal entry that reversed it (an exchange difference
  or a settlement discount), else the day it was recorded, never before its own date.

Going down drops the column.
"""

from datetime import date, datetime

import sqlalchemy as sa
from alembic import op

from creditmemo.store.types import UTCDateTime

revision = "0023_unapplied_on"
down_revision = "0022_page_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch_op:
        batch_op.add_column(sa.Column("reversed_on", sa.Date(), nullable=True))
    apps = sa.table(
        "applications",
        sa.column("company_id", sa.String()),
        sa.column("id", sa.String()),
        sa.column("status", sa.String()),
        sa.column("applied_on", sa.Date()),
        sa.column("reversed_at", UTCDateTime()),
        sa.column("reversed_on", sa.Date()),
    )
    entries = sa.table(
        "journal_entries",
        sa.column("company_id", sa.String()),
        sa.column("source_id", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("date", sa.Date()),
    )
    conn = op.get_bind()
    unapplied = (
        sa.select(entries.c.company_id, entries.c.source_id, sa.func.max(entries.c.date))
        .where(entries.c.kind == "unapply")
        .group_by(entries.c.company_id, entries.c.source_id)
    )
    booked = {(r[0], r[1]): r[2] for r in conn.execute(unapplied)}
    rows = conn.execute(
        sa.select(apps.c.company_id, apps.c.id, apps.c.applied_on, apps.c.reversed_at).where(
            apps.c.status == "reversed", apps.c.reversed_on.is_(None)
        )
    ).all()
    for company_id, app_id, applied_on, reversed_at in rows:
        day: date | None = booked.get((company_id, app_id))
        if day is None:
            day = reversed_at.date() if isinstance(reversed_at, datetime) else applied_on
        conn.execute(
            sa.update(apps)
            .where(apps.c.company_id == company_id, apps.c.id == app_id)
            .values(reversed_on=max(day, applied_on))
        )


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch_op:
        batch_op.drop_column("reversed_on")
