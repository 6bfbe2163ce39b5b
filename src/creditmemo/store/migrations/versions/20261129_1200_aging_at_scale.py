"""indexes for the AR aging at a million invoices (issue 16 item 8)

Revision ID: 0025_aging_at_scale
Revises: 0026_list_paths_1m
Create Date: 2026-11-29 12:00:00

The aging as of a date starts from what is open today (the documents' running totals) and undoes the settlement
events dated after the date (store/repositories/reports.py), so it reads:

- the documents open today: partial indexes ``ix_invoices_open`` (company_id, customer_id, due_date),
  ``ix_memos_open`` (company_id, kind, customer_id) and ``ix_payments_open`` (company_id, customer_id) on
  "total (amount) differs from what settled (used) it", with the columns the aging reads included on
  PostgreSQL (it reads the index alone);
- on PostgreSQL, statistics on each "open today" expression (CREATE STATISTICS), so the planner knows how many
  rows the partial indexes hold;
- the applications applied or unapplied after the date: (company_id, applied_on) and (company_id,
  reversed_on) where reversed_on is set; the refunds likewise.

No column and no backfill: the conditions are the stored running totals, kept by the repositories that already
write them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_aging_at_scale"
down_revision = "0026_list_paths_1m"
branch_labels = None
depends_on = None

# As in store/tables.py at this revision (a migration does not import the live schema).
OPEN = {
    "ix_invoices_open": (
        "invoices",
        ["company_id", "customer_id", "due_date"],
        "total_minor - (amount_credited_minor + amount_paid_minor + discount_taken_minor) <> 0",
        [
            *("id", "status", "issue_date", "number", "currency"),
            *("total_minor", "amount_credited_minor", "amount_paid_minor", "discount_taken_minor"),
        ],
    ),
    "ix_memos_open": (
        "memos",
        ["company_id", "kind", "customer_id"],
        "total_minor - (amount_applied_minor + amount_refunded_minor) <> 0",
        [
            *("id", "status", "issue_date", "void_date", "number", "currency"),
            *("total_minor", "amount_applied_minor", "amount_refunded_minor"),
        ],
    ),
    "ix_payments_open": (
        "payments",
        ["company_id", "customer_id"],
        "amount_minor - (amount_applied_minor + amount_refunded_minor) <> 0",
        ["id", "received_on", "amount_minor", "amount_applied_minor", "amount_refunded_minor"],
    ),
}
STATISTICS = {
    "ix_invoices_open": "st_invoices_open",
    "ix_memos_open": "st_memos_open",
    "ix_payments_open": "st_payments_open",
}
DATED = {
    "ix_applications_company_applied_on": ("applications", "applied_on"),
    "ix_refunds_company_refunded_on": ("refunds", "refunded_on"),
}
REVERSED = {  # only the reversed ones
    "ix_applications_company_reversed_on": "applications",
    "ix_refunds_company_reversed_on": "refunds",
}


def upgrade() -> None:
    for name, (table, columns, where, include) in OPEN.items():
        op.create_index(
            name,
            table,
            columns,
            postgresql_include=include,
            postgresql_where=sa.text(where),
            sqlite_where=sa.text(where),
        )
    for name, (table, column) in DATED.items():
        op.create_index(name, table, ["company_id", column])
    for name, table in REVERSED.items():
        reversed_only = sa.text("reversed_on IS NOT NULL")
        op.create_index(
            name, table, ["company_id", "reversed_on"], postgresql_where=reversed_only, sqlite_where=reversed_only
        )
    if op.get_bind().dialect.name == "postgresql":
        # What is open, as a statistic: without it the planner takes "total less settled <> 0" for 99.5 % of the
        # rows (436,170 of 1,000,010 invoices were open in the benchmark) and reads the table instead of the index.
        for name, (table, _, where, _) in OPEN.items():
            expression = where.removesuffix(" <> 0")
            op.execute(sa.text(f"CREATE STATISTICS {STATISTICS[name]} ON ({expression}) FROM {table}"))
        for table in ("invoices", "memos", "payments", "applications", "refunds"):
            op.execute(sa.text(f"ANALYZE {table}"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in STATISTICS.values():
            op.execute(sa.text(f"DROP STATISTICS IF EXISTS {name}"))
    for name, table in REVERSED.items():
        op.drop_index(name, table_name=table)
    for name, (table, _) in DATED.items():
        op.drop_index(name, table_name=table)
    for name, (table, *_) in OPEN.items():
        op.drop_index(name, table_name=table)
