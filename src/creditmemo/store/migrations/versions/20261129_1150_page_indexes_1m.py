"""indexes for the web pages at a million invoices: the lists' sort keys and the dashboard (issue 16 item 8)

Revision ID: 0024_page_indexes_1m
Revises: 0019_webhooks
Create Date: 2026-11-29 11:50:00

A list page is the first 26 rows in the order of its sort key then id (keyset): served by an index on
(company, sort key, id) it reads 26 index entries; without one the database sorts every row of the company.

- Both engines: ``ix_memos_company_kind_status`` becomes (company_id, kind, status, id) — the memo lists sorted
  by status, the status filter, the dashboard's counts; ``ix_memos_company_dashboard`` (company_id, kind, status,
  issue_date) with the summed columns included on PostgreSQL, so the dashboard's chart of posted credit by
  month reads the index only; the memo lists' other sort keys (company_id, kind, key, id) for reason,
  currency, created_at and print status; ``ix_invoices_company_currency`` (company_id, currency, id);
  payments by (company_id, received_on, id) and (company_id, method, id).
- PostgreSQL only: the immutable SQL function ``creditmemo_major_milli(amount, currency)`` (minor units as
  thousandths of the major unit, so amounts in different currencies sort by face value: the web lists' money
  sort key, store/repositories/overviews.py MajorMilli) and expression indexes on it: memos by total and
  applied, invoices by total, amount due and credited, payments by amount, applied and available. SQLite
  computes the same expression inline and sorts.

The function's currency lists are the minor units of domain/money.py as of this revision (any other code, the
three-decimal ones among them, counts as it is, as in the inline CASE); a currency added there needs a
migration that replaces the function and rebuilds these indexes (tests/store/test_overviews.py fails until
then).
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_page_indexes_1m"
down_revision = "0019_webhooks"
branch_labels = None
depends_on = None

ZERO_DECIMALS = ("CLP", "ISK", "JPY", "KRW", "VND")
TWO_DECIMALS = (
    *("AUD", "BRL", "CAD", "CHF", "CNY", "CZK", "DKK", "EUR", "GBP", "HKD", "HUF", "IDR", "ILS", "INR"),
    *("MXN", "MYR", "NOK", "NZD", "PHP", "PLN", "SAR", "SEK", "SGD", "THB", "TRY", "TWD", "USD", "ZAR"),
)


def _quoted(codes: tuple[str, ...]) -> str:
    return ", ".join(f"'{c}'" for c in codes)


FUNCTION = f"""
CREATE OR REPLACE FUNCTION creditmemo_major_milli(amount bigint, currency varchar) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT amount * CASE WHEN currency IN ({_quoted(ZERO_DECIMALS)}) THEN 1000
                            WHEN currency IN ({_quoted(TWO_DECIMALS)}) THEN 10 ELSE 1 END $$
"""

# The memo lists' other sort keys: name -> the columns between (company_id, kind) and id.
MEMO_SORT_INDEXES = {
    "ix_memos_company_kind_reason": ["reason_code"],
    "ix_memos_company_kind_currency": ["currency"],
    "ix_memos_company_kind_created_at": ["created_at"],
    "ix_memos_company_kind_print_status": ["print_status"],
}
# name -> (table, the indexed expression between company_id and id)
EXPRESSION_INDEXES = {
    "ix_memos_company_kind_total": ("memos", "kind, creditmemo_major_milli(total_minor, currency)"),
    "ix_memos_company_kind_applied": ("memos", "kind, creditmemo_major_milli(amount_applied_minor, currency)"),
    "ix_invoices_company_total": ("invoices", "creditmemo_major_milli(total_minor, currency)"),
    "ix_invoices_company_credited": ("invoices", "creditmemo_major_milli(amount_credited_minor, currency)"),
    "ix_invoices_company_amount_due": (
        "invoices",
        "creditmemo_major_milli(total_minor - (amount_credited_minor + amount_paid_minor + discount_taken_minor),"
        " currency)",
    ),
    "ix_payments_company_amount": ("payments", "creditmemo_major_milli(amount_minor, currency)"),
    "ix_payments_company_applied": ("payments", "creditmemo_major_milli(amount_applied_minor, currency)"),
    "ix_payments_company_available": (
        "payments",
        "creditmemo_major_milli(amount_minor - (amount_applied_minor + amount_refunded_minor), currency)",
    ),
}


def upgrade() -> None:
    op.drop_index("ix_memos_company_kind_status", table_name="memos")
    op.create_index("ix_memos_company_kind_status", "memos", ["company_id", "kind", "status", "id"])
    op.create_index(
        "ix_memos_company_dashboard",
        "memos",
        ["company_id", "kind", "status", "issue_date"],
        postgresql_include=["reason_code", "currency", "exchange_rate", "total_minor"],
    )
    for name, columns in MEMO_SORT_INDEXES.items():
        op.create_index(name, "memos", ["company_id", "kind", *columns, "id"])
    op.create_index("ix_invoices_company_currency", "invoices", ["company_id", "currency", "id"])
    op.create_index("ix_payments_company_received_on", "payments", ["company_id", "received_on", "id"])
    op.create_index("ix_payments_company_method", "payments", ["company_id", "method", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text(FUNCTION))
        for name, (table, expression) in EXPRESSION_INDEXES.items():
            op.execute(sa.text(f"CREATE INDEX {name} ON {table} (company_id, {expression}, id)"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in EXPRESSION_INDEXES:
            op.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))
        op.execute(sa.text("DROP FUNCTION IF EXISTS creditmemo_major_milli(bigint, varchar)"))
    op.drop_index("ix_payments_company_method", table_name="payments")
    op.drop_index("ix_payments_company_received_on", table_name="payments")
    op.drop_index("ix_invoices_company_currency", table_name="invoices")
    for name in MEMO_SORT_INDEXES:
        op.drop_index(name, table_name="memos")
    op.drop_index("ix_memos_company_dashboard", table_name="memos")
    op.drop_index("ix_memos_company_kind_status", table_name="memos")
    op.create_index("ix_memos_company_kind_status", "memos", ["company_id", "kind", "status"])
