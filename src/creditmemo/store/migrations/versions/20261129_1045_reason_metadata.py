"""reason codes and accounts managed by admins, metadata on every document

Revision ID: 0014_reason_metadata
Revises: 0013_credit_terms
Create Date: 2026-11-29 10:45:00

- ``accounts.active`` (true for every existing account): accounts are deactivated, never deleted.
- ``companies.config_version`` (1): bumped in the transaction of every change to a company's accounts or
  reason codes, so every server process sees the change at once (store/repositories/companies.py).
- ``metadata`` (a small key-value map, ``{}`` for existing rows) on memos, invoices and payments.
- Data: every existing company gets the account 6300 "Bad debt expense" and the reason code ``write_off``
  mapped to it, unless it has them already (issue 17 item 7).

Going down drops the columns and keeps the account and the reason code (memos may use them); going up again
does not add them twice.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_reason_metadata"
down_revision = "0013_credit_terms"
branch_labels = None
depends_on = None

BAD_DEBT = ("6300", "Bad debt expense", "expense", "bad_debt_expense")
WRITE_OFF = ("write_off", "Write-off of an uncollectible balance", "6300", "credit")


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default="1"))
    with op.batch_alter_table("companies") as batch_op:
        batch_op.add_column(sa.Column("config_version", sa.Integer(), nullable=False, server_default="1"))
    for table in ("memos", "invoices", "payments"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("metadata", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    conn = op.get_bind()
    code, name, kind, role = BAD_DEBT
    conn.execute(
        sa.text(
            "INSERT INTO accounts (company_id, code, name, kind, role, active) "
            "SELECT c.id, :code, :name, :kind, :role, :active FROM companies c WHERE NOT EXISTS "
            "(SELECT 1 FROM accounts a WHERE a.company_id = c.id AND a.code = :existing)"
        ),
        {"code": code, "existing": code, "name": name, "kind": kind, "role": role, "active": True},
    )
    reason, label, account, applies_to = WRITE_OFF
    conn.execute(
        sa.text(
            "INSERT INTO reason_codes (company_id, code, label, account_code, applies_to, active) "
            "SELECT c.id, :code, :label, :account, :applies_to, :active FROM companies c WHERE NOT EXISTS "
            "(SELECT 1 FROM reason_codes r WHERE r.company_id = c.id AND r.code = :existing)"
        ),
        {
            "code": reason,
            "existing": reason,
            "label": label,
            "account": account,
            "applies_to": applies_to,
            "active": True,
        },
    )


def downgrade() -> None:
    for table in ("payments", "invoices", "memos"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("metadata")
    with op.batch_alter_table("companies") as batch_op:
        batch_op.drop_column("config_version")
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.drop_column("active")
