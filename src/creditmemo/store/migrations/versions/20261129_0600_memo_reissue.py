"""void and reissue: the links between a voided memo and the draft that replaces it

Revision ID: 0010_memo_reissue
Revises: 0009_refund_reversal
Create Date: 2026-11-29 06:00:00

Two nullable columns on memos; existing memos have no links.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_memo_reissue"
down_revision = "0009_refund_reversal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("memos") as batch_op:
        batch_op.add_column(sa.Column("replaces_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("replaced_by_id", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("memos") as batch_op:
        batch_op.drop_column("replaced_by_id")
        batch_op.drop_column("replaces_id")
