"""realized exchange differences: the functional amounts an application relieves, and the gain/loss accounts

Revision ID: 0007_realized_fx
Revises: 0006_automatic_credits
Create Date: 2026-11-29 05:00:00

Applications get two nullable columns: the functional AR each side relieved (existing applications keep
NULL: they booked no exchange difference, and the rule reads NULL as the amount at the document's rate).
Every existing company gets the accounts 7100 Realized exchange gain and 7200 Realized exchange loss, unless
it already has an account with that role or code.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_realized_fx"
down_revision = "0006_automatic_credits"
branch_labels = None
depends_on = None

ACCOUNTS = (
    ("7100", "Realized exchange gain", "revenue", "realized_fx_gain"),
    ("7200", "Realized exchange loss", "expense", "realized_fx_loss"),
)


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch_op:
        batch_op.add_column(sa.Column("functional_source_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("functional_target_minor", sa.BigInteger(), nullable=True))
    for code, name, kind, role in ACCOUNTS:
        op.execute(
            sa.text(
                "INSERT INTO accounts (company_id, code, name, kind, role) "
                "SELECT c.id, :code, :name, :kind, :role FROM companies c "
                "WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.company_id = c.id "
                "AND (a.code = :code OR a.role = :role))"
            ).bindparams(code=code, name=name, kind=kind, role=role)
        )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM accounts WHERE role IN ('realized_fx_gain', 'realized_fx_loss')"))
    with op.batch_alter_table("applications") as batch_op:
        batch_op.drop_column("functional_target_minor")
        batch_op.drop_column("functional_source_minor")
