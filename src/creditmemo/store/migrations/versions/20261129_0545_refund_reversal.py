"""refund reversal: a refund whose money came back is kept, marked reversed

Revision ID: 0009_refund_reversal
Revises: 0008_exchange_rates
Create Date: 2026-11-29 05:45:00

Refunds get a status (existing ones: completed) and the reversal's date, reason, user and time (NULL).
"""

import sqlalchemy as sa
from alembic import op

import creditmemo.store.types

revision = "0009_refund_reversal"
down_revision = "0008_exchange_rates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("refunds") as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=20), server_default="completed", nullable=False))
        batch_op.add_column(sa.Column("reversed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("reversal_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("reversed_by", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("reversed_at", creditmemo.store.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("refunds") as batch_op:
        batch_op.drop_column("reversed_at")
        batch_op.drop_column("reversed_by")
        batch_op.drop_column("reversal_reason")
        batch_op.drop_column("reversed_on")
        batch_op.drop_column("status")
