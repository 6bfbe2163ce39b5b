"""the pages still slow at a million invoices: computed statuses, payments with money left, journal line dates

Revision ID: 0026_list_paths_1m
Revises: 0027_release_dates
Create Date: 2026-11-29 12:10:00

- PostgreSQL only: the immutable SQL functions ``creditmemo_invoice_payment_status(total, credited, paid,
  discount)`` (unpaid | part_paid | paid) and ``creditmemo_receipt_status(amount, applied, refunded)``
  (unapplied | part_applied | applied), the CASE the lists compute (store/repositories/list_keys.py), and an
  index on (company_id, status, id) for each: ``/invoices?sort=payment_status`` and
  ``/payments?sort=settlement_status`` read one page of it instead of computing the CASE for every row and
  sorting (4.0 s and 2.4 s at a million invoices), and the status filters read their range.
- Both engines: ``ix_payments_company_available_number``, the payments with money left (amount above applied
  plus refunded) by (company_id, number, id), a partial index: ``/payments?status=available`` in number order reads
  26 entries of it; the planner walked the number index instead, filtering out the 663,839 payments with nothing
  left before the first one with money (1.9 s). Its size is the payments with money left, not all payments.
- Both engines: ``journal_lines.entry_date``, its entry's date (journal lines are only ever inserted, with their
  entry; the repository writes it), filled from the entries here, and the index (company_id, customer_id,
  account_code, entry_date) with the amounts included on PostgreSQL, in place of (company_id, customer_id): a
  customer statement's opening balance and its movements read the customer's AR lines of the period from the
  index instead of every line of the customer joined to its entry for the date (25,714 lines for the busiest
  customer, 2 s at a million invoices).

Each write of an invoice now maintains 12 indexes (11 before), of a payment 10 (8 before, the partial one only
while the payment has money left), of a journal line 3 (as before). Filling the dates rewrites every journal line
once (3.6 M lines: see bench/RESULTS.md for the time it took).
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_list_paths_1m"
down_revision = "0027_release_dates"
branch_labels = None
depends_on = None

FUNCTIONS = (
    """
CREATE OR REPLACE FUNCTION creditmemo_invoice_payment_status(
    total bigint, credited bigint, paid bigint, discount bigint
) RETURNS varchar LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN credited + paid + discount = 0 THEN 'unpaid'
                  WHEN total - (credited + paid + discount) = 0 THEN 'paid' ELSE 'part_paid' END $$
""",
    """
CREATE OR REPLACE FUNCTION creditmemo_receipt_status(amount bigint, applied bigint, refunded bigint)
RETURNS varchar LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN applied + refunded = 0 THEN 'unapplied'
                  WHEN amount - (applied + refunded) = 0 THEN 'applied' ELSE 'part_applied' END $$
""",
)
EXPRESSION_INDEXES = {
    "ix_invoices_company_payment_status": (
        "invoices",
        "creditmemo_invoice_payment_status(total_minor, amount_credited_minor, amount_paid_minor,"
        " discount_taken_minor)",
    ),
    "ix_payments_company_settlement_status": (
        "payments",
        "creditmemo_receipt_status(amount_minor, amount_applied_minor, amount_refunded_minor)",
    ),
}
AVAILABLE = "amount_minor > amount_applied_minor + amount_refunded_minor"


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("journal_lines") as batch_op:
        batch_op.add_column(sa.Column("entry_date", sa.Date(), nullable=True))
    if postgresql:
        op.execute(
            sa.text(
                "UPDATE journal_lines SET entry_date = e.date FROM journal_entries e"
                " WHERE e.company_id = journal_lines.company_id AND e.id = journal_lines.entry_id"
            )
        )
    else:
        op.execute(
            sa.text(
                "UPDATE journal_lines SET entry_date = (SELECT e.date FROM journal_entries e"
                " WHERE e.company_id = journal_lines.company_id AND e.id = journal_lines.entry_id)"
            )
        )
    with op.batch_alter_table("journal_lines") as batch_op:
        batch_op.alter_column("entry_date", existing_type=sa.Date(), nullable=False)
    op.drop_index("ix_journal_lines_company_customer", table_name="journal_lines")
    op.create_index(
        "ix_journal_lines_company_customer",
        "journal_lines",
        ["company_id", "customer_id", "account_code", "entry_date"],
        postgresql_include=["debit_minor", "credit_minor"],
    )
    op.create_index(
        "ix_payments_company_available_number",
        "payments",
        ["company_id", "number", "id"],
        postgresql_where=sa.text(AVAILABLE),
        sqlite_where=sa.text(AVAILABLE),
    )
    if op.get_bind().dialect.name == "postgresql":
        for function in FUNCTIONS:
            op.execute(sa.text(function))
        for name, (table, expression) in EXPRESSION_INDEXES.items():
            op.execute(sa.text(f"CREATE INDEX {name} ON {table} (company_id, {expression}, id)"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in EXPRESSION_INDEXES:
            op.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))
        op.execute(sa.text("DROP FUNCTION IF EXISTS creditmemo_receipt_status(bigint, bigint, bigint)"))
        op.execute(sa.text("DROP FUNCTION IF EXISTS creditmemo_invoice_payment_status(bigint, bigint, bigint, bigint)"))
    op.drop_index("ix_payments_company_available_number", table_name="payments")
    op.drop_index("ix_journal_lines_company_customer", table_name="journal_lines")
    op.create_index("ix_journal_lines_company_customer", "journal_lines", ["company_id", "customer_id"])
    with op.batch_alter_table("journal_lines") as batch_op:
        batch_op.drop_column("entry_date")
