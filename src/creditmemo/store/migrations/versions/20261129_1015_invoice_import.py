"""invoice import and GL export: external ids on invoices and customers, the journal's export sequence

Revision ID: 0015_invoice_import
Revises: 0012_periods
Create Date: 2026-11-29 10:15:00

Issue 13 items 1 and 2. ``invoices.external_id`` and ``customers.external_id`` (nullable; unique per company
when set): an import matches what it already created by them, so re-running a file creates nothing twice.
``journal_entries.export_seq`` (nullable; unique per company): the order in which the GL export hands entries
out, assigned after commit by the sealer (store/sealer.py), so a cursor over it never skips an entry that a
slower transaction committed late. Existing entries are numbered here, per company, in (created_at, id)
order. Going down drops the columns and their indexes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_invoice_import"
down_revision = "0012_periods"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("external_id", sa.String(length=200), nullable=True))
        batch.create_unique_constraint("uq_customers_company_external_id", ["company_id", "external_id"])
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("external_id", sa.String(length=200), nullable=True))
        batch.create_unique_constraint("uq_invoices_company_external_id", ["company_id", "external_id"])
    with op.batch_alter_table("journal_entries") as batch:
        batch.add_column(sa.Column("export_seq", sa.BigInteger(), nullable=True))
        batch.create_unique_constraint("uq_journal_entries_company_export_seq", ["company_id", "export_seq"])
    op.create_index(
        "ix_journal_entries_unsequenced",
        "journal_entries",
        ["company_id", "created_at"],
        postgresql_where=sa.text("export_seq IS NULL"),
        sqlite_where=sa.text("export_seq IS NULL"),
    )
    # Existing entries, in the order they were written (both engines have window functions and UPDATE FROM).
    op.execute(
        "UPDATE journal_entries SET export_seq = ordered.n FROM ("
        " SELECT company_id, id, row_number() OVER (PARTITION BY company_id ORDER BY created_at, id) AS n"
        " FROM journal_entries) AS ordered"
        " WHERE journal_entries.company_id = ordered.company_id AND journal_entries.id = ordered.id"
    )


def downgrade() -> None:
    op.drop_index("ix_journal_entries_unsequenced", table_name="journal_entries")
    with op.batch_alter_table("journal_entries") as batch:
        batch.drop_constraint("uq_journal_entries_company_export_seq", type_="unique")
        batch.drop_column("export_seq")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_constraint("uq_invoices_company_external_id", type_="unique")
        batch.drop_column("external_id")
    with op.batch_alter_table("customers") as batch:
        batch.drop_constraint("uq_customers_company_external_id", type_="unique")
        batch.drop_column("external_id")
