"""revenue schedules: deferred revenue accounts on invoice lines, schedules by month, credits' splits

Revision ID: 0016_revenue_schedules
Revises: 0017_legal_details
Create Date: 2026-11-29 08:00:00

Issue 12 (ASC 606). invoice_lines.deferred_revenue_account (nullable: lines issued before this migration
were recognized at issue and stay so); two new tables, revenue_schedules (a scheduled line by month) and
revenue_credits (what each memo line took from revenue and from deferred revenue, by month),
revenue_recognized (what runs moved, by month and accounts) and revenue_runs; and a
"2400 Deferred revenue" account with the deferred_revenue role for every company that has none. Going down
drops the tables and the column and keeps the account (journal lines may name it).
"""

import sqlalchemy as sa
from alembic import op

from creditmemo.store.types import ExactDecimal, UTCDateTime

revision = "0016_revenue_schedules"
down_revision = "0017_legal_details"
branch_labels = None
depends_on = None

ID = sa.String(length=40)


def upgrade() -> None:
    with op.batch_alter_table("invoice_lines") as batch_op:
        batch_op.add_column(sa.Column("deferred_revenue_account", sa.String(length=20), nullable=True))
    op.create_table(
        "revenue_schedules",
        sa.Column("company_id", ID, nullable=False),
        sa.Column("invoice_line_id", ID, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("invoice_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("exchange_rate", ExactDecimal(length=40), nullable=False),
        sa.Column("revenue_account", sa.String(length=20), nullable=False),
        sa.Column("deferred_account", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("company_id", "invoice_line_id", "month", name="pk_revenue_schedules"),
        sa.ForeignKeyConstraint(
            ["company_id", "invoice_line_id"],
            ["invoice_lines.company_id", "invoice_lines.id"],
            name="fk_revenue_schedules_company_id_invoice_line_id_invoice_lines",
        ),
    )
    op.create_index("ix_revenue_schedules_company_due", "revenue_schedules", ["company_id", "due_on"])
    op.create_index("ix_revenue_schedules_company_invoice", "revenue_schedules", ["company_id", "invoice_id"])
    op.create_table(
        "revenue_credits",
        sa.Column("id", ID, nullable=False),
        sa.Column("company_id", ID, nullable=False),
        sa.Column("memo_id", ID, nullable=False),
        sa.Column("memo_line_id", ID, nullable=False),
        sa.Column("invoice_line_id", ID, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("recognized_minor", sa.BigInteger(), nullable=False),
        sa.Column("deferred_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("company_id", "id", name="pk_revenue_credits"),
        sa.ForeignKeyConstraint(
            ["company_id", "invoice_line_id"],
            ["invoice_lines.company_id", "invoice_lines.id"],
            name="fk_revenue_credits_company_id_invoice_line_id_invoice_lines",
        ),
    )
    op.create_index("ix_revenue_credits_company_line", "revenue_credits", ["company_id", "invoice_line_id"])
    op.create_index("ix_revenue_credits_company_memo", "revenue_credits", ["company_id", "memo_id"])
    op.create_table(
        "revenue_recognized",
        sa.Column("company_id", ID, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("exchange_rate", ExactDecimal(length=40), nullable=False),
        sa.Column("revenue_account", sa.String(length=20), nullable=False),
        sa.Column("deferred_account", sa.String(length=20), nullable=False),
        sa.Column("recognized_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "company_id",
            "month",
            "currency",
            "exchange_rate",
            "revenue_account",
            "deferred_account",
            name="pk_revenue_recognized",
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name="fk_revenue_recognized_company_id_companies"),
    )
    op.create_table(
        "revenue_runs",
        sa.Column("id", ID, nullable=False),
        sa.Column("company_id", ID, nullable=False),
        sa.Column("through", sa.Date(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("company_id", "id", name="pk_revenue_runs"),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name="fk_revenue_runs_company_id_companies"),
    )
    op.create_index("ix_revenue_runs_company_through", "revenue_runs", ["company_id", "through"])
    # Every company gets a deferred revenue account (new companies get it from the default chart).
    op.execute(
        sa.text(
            "INSERT INTO accounts (company_id, code, name, kind, role) "
            "SELECT c.id, '2400', 'Deferred revenue', 'liability', 'deferred_revenue' FROM companies c "
            "WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.company_id = c.id "
            "AND (a.role = 'deferred_revenue' OR a.code = '2400'))"
        )
    )


def downgrade() -> None:
    op.drop_index("ix_revenue_runs_company_through", table_name="revenue_runs")
    op.drop_table("revenue_runs")
    op.drop_table("revenue_recognized")
    op.drop_index("ix_revenue_credits_company_memo", table_name="revenue_credits")
    op.drop_index("ix_revenue_credits_company_line", table_name="revenue_credits")
    op.drop_table("revenue_credits")
    op.drop_index("ix_revenue_schedules_company_invoice", table_name="revenue_schedules")
    op.drop_index("ix_revenue_schedules_company_due", table_name="revenue_schedules")
    op.drop_table("revenue_schedules")
    with op.batch_alter_table("invoice_lines") as batch_op:
        batch_op.drop_column("deferred_revenue_account")
