"""worker queue index: memos in ready_to_post, oldest first (partial index on both engines)

Revision ID: 0003_worker_queue
Revises: 0002_settlement
Create Date: 2026-11-23 10:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_worker_queue"
down_revision = "0002_settlement"
branch_labels = None
depends_on = None

WHERE = sa.text("status = 'ready_to_post'")


def upgrade() -> None:
    op.create_index(
        "ix_memos_ready_to_post",
        "memos",
        ["updated_at", "id"],
        unique=False,
        postgresql_where=WHERE,
        sqlite_where=WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_memos_ready_to_post", table_name="memos")
