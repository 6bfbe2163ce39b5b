"""indexes for the web lists at a million invoices (issue 16 item 8)

Revision ID: 0022_page_indexes
Revises: 0020_sign_in_attempts
Create Date: 2026-11-29 11:30:00

- ``ix_invoices_company_issue_date`` (company_id, issue_date, id): the invoices list sorted by issue date reads
  one page from the index (keyset), instead of sorting every invoice of the company.
- PostgreSQL only: the extension ``pg_trgm`` (a trusted extension since PostgreSQL 13: the database's owner may
  create it) and GIN trigram indexes on ``upper(number)`` of invoices and memos, so the lists' search ("number
  or customer", a substring) finds a number among a million without reading them all. SQLite reads the table.
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_page_indexes"
down_revision = "0020_sign_in_attempts"
branch_labels = None
depends_on = None

TRIGRAM = {"ix_invoices_number_trgm": "invoices", "ix_memos_number_trgm": "memos"}


def upgrade() -> None:
    op.create_index("ix_invoices_company_issue_date", "invoices", ["company_id", "issue_date", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        for name, table in TRIGRAM.items():
            op.execute(sa.text(f"CREATE INDEX {name} ON {table} USING gin (upper(number) gin_trgm_ops)"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in TRIGRAM:
            op.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))
    op.drop_index("ix_invoices_company_issue_date", table_name="invoices")
