"""audit sealer: events are written unsealed (seq, prev_hash, hash NULL) and chained after commit

Revision ID: 0004_audit_sealer
Revises: 0003_worker_queue
Create Date: 2026-11-29 01:00:00

Existing events keep their seq and hashes (they are sealed); the primary key becomes (company_id, id),
seq becomes a unique, nullable column, and a partial index holds the sealer's queue.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_audit_sealer"
down_revision = "0003_worker_queue"
branch_labels = None
depends_on = None

UNSEALED = sa.text("seq IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("audit_events", recreate="auto") as batch_op:
        batch_op.drop_constraint("uq_audit_events_id", type_="unique")
        batch_op.drop_constraint("pk_audit_events", type_="primary")
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=True)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.add_column(sa.Column("tx_id", sa.String(length=40), server_default="", nullable=False))
        batch_op.add_column(sa.Column("ordinal", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_primary_key("pk_audit_events", ["company_id", "id"])
        batch_op.create_unique_constraint("uq_audit_events_company_seq", ["company_id", "seq"])
    op.create_index(
        "ix_audit_events_unsealed",
        "audit_events",
        ["company_id", "tx_id", "ordinal"],
        unique=False,
        postgresql_where=UNSEALED,
        sqlite_where=UNSEALED,
    )


def downgrade() -> None:
    # Only a fully sealed trail can go back (the old schema has no place for an unsealed event).
    op.drop_index("ix_audit_events_unsealed", table_name="audit_events")
    with op.batch_alter_table("audit_events", recreate="auto") as batch_op:
        batch_op.drop_constraint("uq_audit_events_company_seq", type_="unique")
        batch_op.drop_constraint("pk_audit_events", type_="primary")
        batch_op.drop_column("ordinal")
        batch_op.drop_column("tx_id")
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_primary_key("pk_audit_events", ["company_id", "seq"])
        batch_op.create_unique_constraint("uq_audit_events_id", ["id"])
