"""credit terms and settlement discounts (issue 15 items 6-9)

Revision ID: 0013_credit_terms
Revises: 0015_invoice_import
Create Date: 2026-11-29 10:30:00

Customers get a nullable credit_terms (JSON; NULL: the company's terms, kept in companies.settings).
Invoices get the potential settlement discount stored at issue (nullable: existing invoices have none), its
last day, and what payments took of it (0), with a check that credits, payments and discounts never settle
more than the total. Memos get the potential discount computed at posting (nullable). Applications get the
discount they took (0) and its functional amount (nullable). Every existing company gets the account 4950
Settlement discounts allowed, unless it has an account with that role or code.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_credit_terms"
down_revision = "0015_invoice_import"
branch_labels = None
depends_on = None

ACCOUNT = ("4950", "Settlement discounts allowed", "revenue", "settlement_discounts_allowed")


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch_op:
        batch_op.add_column(sa.Column("credit_terms", sa.JSON(), nullable=True))
    with op.batch_alter_table("invoices") as batch_op:
        batch_op.add_column(sa.Column("settlement_discount_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("settlement_discount_functional_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("settlement_discount_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("discount_taken_minor", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_invoices_not_over_settled"),
            "amount_credited_minor + amount_paid_minor + discount_taken_minor <= total_minor",
        )
    with op.batch_alter_table("memos") as batch_op:
        batch_op.add_column(sa.Column("settlement_discount_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("settlement_discount_functional_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("settlement_discount_date", sa.Date(), nullable=True))
    with op.batch_alter_table("applications") as batch_op:
        batch_op.add_column(sa.Column("discount_minor", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("functional_discount_minor", sa.BigInteger(), nullable=True))
    code, name, kind, role = ACCOUNT
    op.execute(
        sa.text(
            "INSERT INTO accounts (company_id, code, name, kind, role) "
            "SELECT c.id, :code, :name, :kind, :role FROM companies c "
            "WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.company_id = c.id "
            "AND (a.code = :code OR a.role = :role))"
        ).bindparams(code=code, name=name, kind=kind, role=role)
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM accounts WHERE role = 'settlement_discounts_allowed'"))
    with op.batch_alter_table("applications") as batch_op:
        batch_op.drop_column("functional_discount_minor")
        batch_op.drop_column("discount_minor")
    with op.batch_alter_table("memos") as batch_op:
        batch_op.drop_column("settlement_discount_date")
        batch_op.drop_column("settlement_discount_functional_minor")
        batch_op.drop_column("settlement_discount_minor")
    with op.batch_alter_table("invoices") as batch_op:
        batch_op.drop_constraint(op.f("ck_invoices_not_over_settled"), type_="check")
        batch_op.drop_column("discount_taken_minor")
        batch_op.drop_column("settlement_discount_date")
        batch_op.drop_column("settlement_discount_functional_minor")
        batch_op.drop_column("settlement_discount_minor")
    with op.batch_alter_table("customers") as batch_op:
        batch_op.drop_column("credit_terms")
