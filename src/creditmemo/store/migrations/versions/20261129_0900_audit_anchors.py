"""audit anchors: signed chain heads, published outside the database and kept here for the API

Revision ID: 0018_audit_anchors
Revises: 0011_returns
Create Date: 2026-11-29 09:00:00

A new table; nothing existing changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_audit_anchors"
down_revision = "0011_returns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_anchors",
        sa.Column("company_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("anchored_at", sa.String(length=40), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name="fk_audit_anchors_company_id_companies"),
        sa.PrimaryKeyConstraint("company_id", "id", name="pk_audit_anchors"),
    )
    op.create_index("ix_audit_anchors_company_seq", "audit_anchors", ["company_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_audit_anchors_company_seq", table_name="audit_anchors")
    op.drop_table("audit_anchors")
