"""returns: return authorizations (RMA) and their lines, the return a credit memo credits, RMA numbers

Revision ID: 0011_returns
Revises: 0010_memo_reissue
Create Date: 2026-11-29 07:00:00

Two new tables (return_authorizations, return_lines), a nullable memos.return_id with its composite foreign
key and index, and a number counter ("return", RMA-000001) for every existing company. Existing rows keep
their values. Going down drops the tables and the column but keeps the counters: numbers are never reused
(rule 6), and going up again does not reset them.
"""

import sqlalchemy as sa
from alembic import op

from creditmemo.store.types import ExactDecimal, UTCDateTime

revision = "0011_returns"
down_revision = "0010_memo_reissue"
branch_labels = None
depends_on = None

ID = sa.String(length=40)


def upgrade() -> None:
    op.create_table(
        "return_authorizations",
        sa.Column("id", ID, nullable=False),
        sa.Column("company_id", ID, nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("invoice_id", ID, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason_code", sa.String(length=40), nullable=False),
        sa.Column("case_reference", sa.String(length=200), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_by", ID, nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("company_id", "id", name="pk_return_authorizations"),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name="fk_return_authorizations_company_id_companies"),
        sa.ForeignKeyConstraint(
            ["company_id", "customer_id"],
            ["customers.company_id", "customers.id"],
            name="fk_return_authorizations_company_id_customer_id_customers",
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "invoice_id"],
            ["invoices.company_id", "invoices.id"],
            name="fk_return_authorizations_company_id_invoice_id_invoices",
        ),
        sa.UniqueConstraint("company_id", "number", name="uq_return_authorizations_company_number"),
    )
    op.create_index("ix_return_authorizations_company_status", "return_authorizations", ["company_id", "status"])
    op.create_index("ix_return_authorizations_company_customer", "return_authorizations", ["company_id", "customer_id"])
    op.create_index("ix_return_authorizations_company_invoice", "return_authorizations", ["company_id", "invoice_id"])
    op.create_table(
        "return_lines",
        sa.Column("id", ID, nullable=False),
        sa.Column("return_id", ID, nullable=False),
        sa.Column("company_id", ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("invoice_line_id", ID, nullable=False),
        sa.Column("quantity", ExactDecimal(length=40), nullable=False),
        sa.Column("quantity_received", ExactDecimal(length=40), nullable=False),
        sa.Column("quantity_credited", ExactDecimal(length=40), nullable=False),
        sa.Column("quantity_cancelled", ExactDecimal(length=40), nullable=False),
        sa.Column("restock", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("condition", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("company_id", "id", name="pk_return_lines"),
        sa.ForeignKeyConstraint(
            ["company_id", "return_id"],
            ["return_authorizations.company_id", "return_authorizations.id"],
            name="fk_return_lines_company_id_return_id_return_authorizations",
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "invoice_line_id"],
            ["invoice_lines.company_id", "invoice_lines.id"],
            name="fk_return_lines_company_id_invoice_line_id_invoice_lines",
        ),
    )
    op.create_index("ix_return_lines_company_return", "return_lines", ["company_id", "return_id"])
    op.create_index("ix_return_lines_company_invoice_line", "return_lines", ["company_id", "invoice_line_id"])
    with op.batch_alter_table("memos") as batch_op:
        batch_op.add_column(sa.Column("return_id", ID, nullable=True))
        batch_op.create_foreign_key(
            "fk_memos_company_id_return_id_return_authorizations",
            "return_authorizations",
            ["company_id", "return_id"],
            ["company_id", "id"],
        )
        batch_op.create_index("ix_memos_company_return", ["company_id", "return_id"])
    # A counter for every company that has none yet (a company created after this migration gets one from
    # store/numbering.py; a database taken down and up again keeps its counters).
    op.execute(
        sa.text(
            "INSERT INTO number_sequences (company_id, doc_type, next_value) "
            "SELECT c.id, 'return', 1 FROM companies c WHERE NOT EXISTS "
            "(SELECT 1 FROM number_sequences s WHERE s.company_id = c.id AND s.doc_type = 'return')"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("memos") as batch_op:
        batch_op.drop_index("ix_memos_company_return")
        batch_op.drop_constraint("fk_memos_company_id_return_id_return_authorizations", type_="foreignkey")
        batch_op.drop_column("return_id")
    op.drop_index("ix_return_lines_company_invoice_line", table_name="return_lines")
    op.drop_index("ix_return_lines_company_return", table_name="return_lines")
    op.drop_table("return_lines")
    op.drop_index("ix_return_authorizations_company_invoice", table_name="return_authorizations")
    op.drop_index("ix_return_authorizations_company_customer", table_name="return_authorizations")
    op.drop_index("ix_return_authorizations_company_status", table_name="return_authorizations")
    op.drop_table("return_authorizations")
