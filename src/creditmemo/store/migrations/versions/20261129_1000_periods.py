"""periods: a company closes months; nothing is dated in a closed one (issue 17 item 2)

Revision ID: 0012_periods
Revises: 0016_revenue_schedules
Create Date: 2026-11-29 09:30:00

Two new tables: period_states (one row per company: its closed months, the row dated writes lock) seeded
for every existing company with nothing closed, and periods (each month ever closed, who closed or reopened
it, when and why). Going down drops both.
"""

import sqlalchemy as sa
from alembic import op

from creditmemo.store.types import UTCDateTime

revision = "0012_periods"
down_revision = "0016_revenue_schedules"
branch_labels = None
depends_on = None

ID = sa.String(length=40)


def upgrade() -> None:
    op.create_table(
        "period_states",
        sa.Column("company_id", ID, nullable=False),
        sa.Column("closed", sa.Text(), server_default="", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("company_id", name="pk_period_states"),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name="fk_period_states_company_id_companies"),
    )
    op.create_table(
        "periods",
        sa.Column("company_id", ID, nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=False),
        sa.Column("closed_by", ID, nullable=True),
        sa.Column("reopened_at", UTCDateTime(), nullable=True),
        sa.Column("reopened_by", ID, nullable=True),
        sa.Column("reopen_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("company_id", "period", name="pk_periods"),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name="fk_periods_company_id_companies"),
    )
    op.execute(
        sa.text(
            "INSERT INTO period_states (company_id, closed, version) SELECT c.id, '', 1 FROM companies c "
            "WHERE NOT EXISTS (SELECT 1 FROM period_states s WHERE s.company_id = c.id)"
        )
    )


def downgrade() -> None:
    op.drop_table("periods")
    op.drop_table("period_states")
