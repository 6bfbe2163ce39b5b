"""exchange rates: a company's rate table (currency, date) -> rate to the company currency

Revision ID: 0008_exchange_rates
Revises: 0007_realized_fx
Create Date: 2026-11-29 05:30:00

A new table; nothing existing changes. Documents keep the rates they were booked at.
"""

import sqlalchemy as sa
from alembic import op

from creditmemo.store.types import ExactDecimal, UTCDateTime

revision = "0008_exchange_rates"
down_revision = "0007_realized_fx"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_rates",
        sa.Column("company_id", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rate_date", sa.Date(), nullable=False),
        sa.Column("rate", ExactDecimal(length=40), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name="fk_exchange_rates_company_id_companies"),
        sa.PrimaryKeyConstraint("company_id", "currency", "rate_date", name="pk_exchange_rates"),
    )


def downgrade() -> None:
    op.drop_table("exchange_rates")
