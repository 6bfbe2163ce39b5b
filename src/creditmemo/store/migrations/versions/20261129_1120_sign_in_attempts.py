"""sign-in throttling and immediate revocation of API keys

Revision ID: 0020_sign_in_attempts
Revises: 0014_reason_metadata
Create Date: 2026-11-29 11:20:00

- ``sign_in_failures``: one row per wrong password, per e-mail and per client address, kept for the
  throttling window (issue 16 item 7; services/sign_in_limits.py).
- ``sign_in_lockouts``: one row per lockout, listed to admins.
- ``companies.auth_version`` (1): bumped in the transaction of every change to a company's API keys or its
  users' roles, privileges or active flag, so every server process drops the keys it cached at once.

Both tables are reference tables (docs/SCALING.md): they are written before the company is known.
"""

import sqlalchemy as sa
from alembic import op

import creditmemo.store.types

revision = "0020_sign_in_attempts"
down_revision = "0014_reason_metadata"
branch_labels = None
depends_on = None

ID = sa.String(40)


def _when() -> creditmemo.store.types.UTCDateTime:
    return creditmemo.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("companies") as batch_op:
        batch_op.add_column(sa.Column("auth_version", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "sign_in_failures",
        sa.Column("id", ID, nullable=False),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("subject", sa.String(254), nullable=False),
        sa.Column("company_id", ID, nullable=True),
        sa.Column("failed_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name="fk_sign_in_failures_company_id_companies"),
        sa.PrimaryKeyConstraint("id", name="pk_sign_in_failures"),
    )
    op.create_index("ix_sign_in_failures_subject", "sign_in_failures", ["scope", "subject", "failed_at"])
    op.create_table(
        "sign_in_lockouts",
        sa.Column("id", ID, nullable=False),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("subject", sa.String(254), nullable=False),
        sa.Column("company_id", ID, nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_at", _when(), nullable=False),
        sa.Column("until", _when(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name="fk_sign_in_lockouts_company_id_companies"),
        sa.PrimaryKeyConstraint("id", name="pk_sign_in_lockouts"),
    )
    op.create_index("ix_sign_in_lockouts_company", "sign_in_lockouts", ["company_id", "locked_at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_lockouts_company", table_name="sign_in_lockouts")
    op.drop_table("sign_in_lockouts")
    op.drop_index("ix_sign_in_failures_subject", table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
    with op.batch_alter_table("companies") as batch_op:
        batch_op.drop_column("auth_version")
