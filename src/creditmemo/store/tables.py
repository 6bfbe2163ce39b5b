"""The schema, as SQLAlchemy Core tables. Money columns are integer minor units (`*_minor`),
exact and summable on both engines; every business table carries `company_id`.

Ready to shard by company (Citus, docs/SCALING.md): in every table but the few in ``REFERENCE_TABLES``, the
primary key and each unique constraint include `company_id`, and each foreign key to another such table
carries it on both sides (tests/store/test_shard_ready.py checks)."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)

from creditmemo.store.types import ExactDecimal, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(40)

# The column every distributed table is sharded by.
DISTRIBUTION_COLUMN: Final = "company_id"
# Tables that are not sharded by company but copied whole to every node (Citus reference tables), and why.
# A distributed table may reference them; they reference no distributed table.
REFERENCE_TABLES: Final = {
    "companies": "the tenants themselves: one small row each, read by every request, referenced by every table",
    "users": "sign-in looks a user up by e-mail before the company is known",
    "api_keys": "an API request looks its key up by prefix before the company is known",
    "web_sessions": "a web request looks its session up by token hash before the company is known",
    "sign_in_failures": "sign-in counts failures by e-mail and by client address before the company is known "
    "(an unknown e-mail has none; one address may try e-mails of many companies)",
    "sign_in_lockouts": "a lockout is of an e-mail or a client address, which may span companies",
}


def _money(name: str, **kw: Any) -> Column[int]:
    return Column(name, BigInteger, nullable=False, server_default="0", **kw)


def _legal_details() -> list[Column[Any]]:
    """The legal name, postal address and tax ID a customer's document shows for a party (all nullable;
    migration 0017, issue 18 item 5). Lengths are domain/legal.py's MAX_LENGTHS."""
    return [
        Column("legal_name", String(200)),
        Column("address_line1", String(200)),
        Column("address_line2", String(200)),
        Column("postal_code", String(20)),
        Column("city", String(100)),
        Column("country", String(2)),  # ISO 3166-1 alpha-2
        Column("tax_id", String(50)),
    ]


companies = Table(
    "companies",
    metadata,
    Column("id", ID, primary_key=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("functional_currency", String(3), nullable=False),
    Column("settings", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    *_legal_details(),
    # Bumped in the transaction of every change to the company's accounts or reason codes: each process
    # compares it with the config it cached (store/repositories/companies.py; migration 0014).
    Column("config_version", Integer, nullable=False, server_default="1"),
    # Bumped in the transaction of every change to the company's API keys, users' roles, privileges or
    # active flag: each server process compares it with the keys it cached (api/deps.py; migration 0020).
    Column("auth_version", Integer, nullable=False, server_default="1"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("company_id", ID, ForeignKey("companies.id"), primary_key=True),
    Column("code", String(20), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("role", String(40)),
    # Deactivated, never deleted (issue 17): an inactive account takes no new reason code or free line.
    Column("active", Boolean, nullable=False, server_default="1"),
)

reason_codes = Table(
    "reason_codes",
    metadata,
    Column("company_id", ID, ForeignKey("companies.id"), primary_key=True),
    Column("code", String(40), primary_key=True),
    Column("label", String(200), nullable=False),
    Column("account_code", String(20), nullable=False),
    Column("applies_to", String(10), nullable=False, server_default="both"),
    Column("active", Boolean, nullable=False, server_default="1"),
)

users = Table(
    "users",
    metadata,
    Column("id", ID, primary_key=True),
    Column("company_id", ID, ForeignKey("companies.id"), nullable=False),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("privileges", JSON, nullable=False),
    Column("password_hash", String(255)),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime, nullable=False),
    # The target of (company_id, user_id) foreign keys: a key or a saved view belongs to its user's company.
    UniqueConstraint("company_id", "id", name="uq_users_company_id"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", ID, primary_key=True),
    Column("company_id", ID, ForeignKey("companies.id"), nullable=False),
    Column("user_id", ID, nullable=False, index=True),
    Column("prefix", String(20), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False),
    Column("name", String(200)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    ForeignKeyConstraint(["company_id", "user_id"], ["users.company_id", "users.id"]),
)

number_sequences = Table(
    "number_sequences",
    metadata,
    Column("company_id", ID, ForeignKey("companies.id"), primary_key=True),
    Column("doc_type", String(20), primary_key=True),
    Column("next_value", BigInteger, nullable=False),
)

customers = Table(
    "customers",
    metadata,
    Column("id", ID, nullable=False),
    Column("company_id", ID, ForeignKey("companies.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(254)),
    Column("currency", String(3), nullable=False),
    Column("payment_terms_days", Integer, nullable=False, server_default="30"),
    # Apply account credit to each new invoice automatically: true/false for this customer, NULL to follow
    # the company's setting (migration 0006).
    Column("auto_apply_credit", Boolean),
    # The customer's id in the system invoices are imported from (issue 13, migration 0015): an import finds
    # or creates the customer by it. Unique per company when set.
    Column("external_id", String(200)),
    # Credit terms {net_days, discount_percent, discount_days}; NULL: the company's (migration 0013).
    Column("credit_terms", JSON),
    _money("balance_minor"),
    _money("available_credit_minor"),
    Column("created_at", UTCDateTime, nullable=False),
    *_legal_details(),
    PrimaryKeyConstraint("company_id", "id"),
    UniqueConstraint("company_id", "external_id", name="uq_customers_company_external_id"),
    Index("ix_customers_company_name", "company_id", "name"),
)


def _number_trigram(table: Table, name: str) -> None:
    """PostgreSQL only (migration 0022): a GIN trigram index on upper(number), so the lists' search (a substring
    of the number) does not read every row; SQLite has no such index and reads the table."""
    Index(
        name,
        func.upper(table.c.number).label("upper_number"),
        postgresql_using="gin",
        postgresql_ops={"upper_number": "gin_trgm_ops"},
    ).ddl_if(dialect="postgresql")


def _money_sort_index(table: Table, name: str, *keys: Any) -> None:
    """PostgreSQL only (migration 0024): an index on (company_id, *keys, id) where the last key is an amount
    as thousandths of the major unit (the function creditmemo_major_milli, overviews.MajorMilli), so a list
    sorted by that amount reads one page from the index (or a computed status, 0026). SQLite sorts."""
    Index(name, table.c.company_id, *keys, table.c.id).ddl_if(dialect="postgresql")


def _major(amount: Any, currency: Any) -> Any:
    return func.creditmemo_major_milli(amount, currency)


# "Open today" for the partial indexes of the AR aging (migration 0025): the report's queries write the same
# condition (store/repositories/reports.py), so both engines use them. Included columns (PostgreSQL): what the
# aging reads, so it reads the index alone.
OPEN_PREDICATE: Final = {
    "invoices": "total_minor - (amount_credited_minor + amount_paid_minor + discount_taken_minor) <> 0",
    "memos": "total_minor - (amount_applied_minor + amount_refunded_minor) <> 0",
    "payments": "amount_minor - (amount_applied_minor + amount_refunded_minor) <> 0",
}
OPEN_INCLUDE: Final = {
    "invoices": (
        *("id", "status", "issue_date", "number", "currency"),
        *("total_minor", "amount_credited_minor", "amount_paid_minor", "discount_taken_minor"),
    ),
    "memos": (
        *("id", "status", "issue_date", "void_date", "number", "currency"),
        *("total_minor", "amount_applied_minor", "amount_refunded_minor"),
    ),
    "payments": ("id", "received_on", "amount_minor", "amount_applied_minor", "amount_refunded_minor"),
}

invoices = Table(
    "invoices",
    metadata,
    Column("id", ID, nullable=False),
    Column("company_id", ID, ForeignKey("companies.id"), nullable=False),
    Column("customer_id", ID, nullable=False),
    Column("number", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("exchange_rate", ExactDecimal, nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    _money("subtotal_minor"),
    _money("tax_total_minor"),
    _money("total_minor"),
    _money("amount_credited_minor"),
    _money("amount_paid_minor"),
    Column("memo", Text),
    # The invoice's id in the billing system it was imported from (issue 13, migration 0015): a re-import of
    # the same file finds it and creates nothing. Unique per company when set.
    Column("external_id", String(200)),
    Column("created_by", ID),
    Column("created_at", UTCDateTime, nullable=False),
    # Settlement discount (migration 0013): the potential discount stored at issue (document and company
    # currency, NULL: none) and its last day; what payments took of it (part of what settles the invoice).
    Column("settlement_discount_minor", BigInteger),
    Column("settlement_discount_functional_minor", BigInteger),
    Column("settlement_discount_date", Date),
    _money("discount_taken_minor"),
    # A small key-value map of the caller's (issue 17, migration 0014): at most 50 string values.
    Column("metadata", JSON, nullable=False, server_default=text("'{}'")),
    # The latest date an amount of it was freed again (migration 0027): the latest unapplication date of the
    # applications from or to it, and for a credit source the latest reversal date of its refunds (NULL: none).
    # Written by unapply and refund reversal in the update they make under the row's lock, read with that lock by
    # the settlement date check (services/settlement/applications.py check_free), which reads the applications only
    # when it is after the new use's date.
    Column("released_on", Date),
    PrimaryKeyConstraint("company_id", "id"),
    ForeignKeyConstraint(["company_id", "customer_id"], ["customers.company_id", "customers.id"]),
    UniqueConstraint("company_id", "number", name="uq_invoices_company_number"),
    UniqueConstraint("company_id", "external_id", name="uq_invoices_company_external_id"),
    CheckConstraint("amount_credited_minor + amount_paid_minor <= total_minor", name="not_overpaid"),
    CheckConstraint(
        "amount_credited_minor + amount_paid_minor + discount_taken_minor <= total_minor", name="not_over_settled"
    ),
    Index("ix_invoices_company_customer_due", "company_id", "customer_id", "due_date"),
    Index("ix_invoices_company_due", "company_id", "due_date"),
    # The invoices list sorted by issue date, a page at a time (keyset, issue 16 item 8; migration 0022).
    Index("ix_invoices_company_issue_date", "company_id", "issue_date", "id"),
    Index("ix_invoices_company_currency", "company_id", "currency", "id"),  # sorted by currency (0024)
    # The invoices open today, per customer by due date (0025): the AR aging as of any date starts from them.
    Index(
        "ix_invoices_open",
        "company_id",
        "customer_id",
        "due_date",
        postgresql_include=list(OPEN_INCLUDE["invoices"]),
        postgresql_where=text(OPEN_PREDICATE["invoices"]),
        sqlite_where=text(OPEN_PREDICATE["invoices"]),
    ),
)
_number_trigram(invoices, "ix_invoices_number_trgm")
# The invoices list sorted or filtered by payment status, a page at a time (PostgreSQL, migration 0026).
_money_sort_index(
    invoices,
    "ix_invoices_company_payment_status",
    func.creditmemo_invoice_payment_status(
        invoices.c.total_minor,
        invoices.c.amount_credited_minor,
        invoices.c.amount_paid_minor,
        invoices.c.discount_taken_minor,
    ),
)
_money_sort_index(invoices, "ix_invoices_company_total", _major(invoices.c.total_minor, invoices.c.currency))
_money_sort_index(
    invoices, "ix_invoices_company_credited", _major(invoices.c.amount_credited_minor, invoices.c.currency)
)
_money_sort_index(
    invoices,
    "ix_invoices_company_amount_due",
    _major(
        invoices.c.total_minor
        - (invoices.c.amount_credited_minor + invoices.c.amount_paid_minor + invoices.c.discount_taken_minor),
        invoices.c.currency,
    ),
)

invoice_lines = Table(
    "invoice_lines",
    metadata,
    Column("id", ID, nullable=False),
    Column("invoice_id", ID, nullable=False),
    Column("company_id", ID, nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("description", String(500), nullable=False),
    Column("item", String(200)),
    Column("quantity", ExactDecimal, nullable=False),
    Column("unit_price", ExactDecimal, nullable=False),
    _money("discount_minor"),
    _money("net_minor"),
    Column("tax_rate", ExactDecimal, nullable=False),
    _money("tax_minor"),
    Column("revenue_account", String(20), nullable=False),
    Column("unit_cost", ExactDecimal),
    Column("credited_quantity", ExactDecimal, nullable=False),
    # The period a subscription line bills for, inclusive (both or neither; migration 0006).
    Column("service_start", Date),
    Column("service_end", Date),
    _money("credited_net_minor"),
    # Where the line's net is deferred until recognized (issue 12; migration 0016): set on lines issued
    # with a service period, NULL when recognized at once.
    Column("deferred_revenue_account", String(20)),
    _money("credited_tax_minor"),
    PrimaryKeyConstraint("company_id", "id"),
    ForeignKeyConstraint(["company_id", "invoice_id"], ["invoices.company_id", "invoices.id"]),
    Index("ix_invoice_lines_company_invoice", "company_id", "invoice_id"),
    # Rule 1, last line of defence: the database refuses an over-credited line.
    CheckConstraint("credited_net_minor <= net_minor AND credited_net_minor >= 0", name="net_not_over_credited"),
    CheckConstraint("credited_tax_minor <= tax_minor AND credited_tax_minor >= 0", name="tax_not_over_credited"),
    CheckConstraint(
        "(service_start IS NULL AND service_end IS NULL) OR "
        "(service_start IS NOT NULL AND service_end IS NOT NULL AND service_end >= service_start)",
        name="service_period",
    ),
)

memos = Table(
    "memos",
    metadata,
    Column("id", ID, nullable=False),
    Column("company_id", ID, ForeignKey("companies.id"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("number", String(40), nullable=False),
    Column("customer_id", ID, nullable=False),
    Column("invoice_id", ID),
    Column("source", String(20), nullable=False),
    Column("reason_code", String(40), nullable=False),
    Column("memo_text", Text),
    Column("reference", String(200)),
    Column("currency", String(3), nullable=False),
    Column("exchange_rate", ExactDecimal, nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("status", String(20), nullable=False),
    _money("subtotal_minor"),
    _money("tax_total_minor"),
    _money("total_minor"),
    _money("amount_applied_minor"),
    _money("amount_refunded_minor"),
    Column("line_count", Integer, nullable=False, server_default="0"),
    Column("print_status", String(20), nullable=False, server_default="not_printed"),
    Column("auto_apply", Boolean, nullable=False, server_default="1"),
    Column("discard_reason", Text),
    Column("void_date", Date),
    Column("post_error", Text),
    Column("created_by", ID),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("posted_at", UTCDateTime),
    Column("posted_by", ID),
    Column("voided_at", UTCDateTime),
    Column("voided_by", ID),
    Column("version", Integer, nullable=False, server_default="1"),
    # Automatic credits (migration 0006): the SLA incident a credit answers (one credit per incident and
    # customer), whether it waits for the customer's next invoice instead of applying to its own, and how
    # it was computed (proration days, SLA uptime and tier).
    Column("incident_reference", String(200)),
    Column("apply_to_next_invoice", Boolean, nullable=False, server_default="0"),
    Column("computation", JSON),
    # Void and reissue (migration 0010): the links between a voided memo and the draft that replaces it.
    Column("replaces_id", ID),
    Column("replaced_by_id", ID),
    # The return authorization a credit memo credits (source "return", migration 0011).
    Column("return_id", ID),
    # The potential settlement discount computed at posting (migration 0013; NULL: none).
    Column("settlement_discount_minor", BigInteger),
    Column("settlement_discount_functional_minor", BigInteger),
    Column("settlement_discount_date", Date),
    # A small key-value map of the caller's (issue 17, migration 0014): at most 50 string values.
    Column("metadata", JSON, nullable=False, server_default=text("'{}'")),
    Column("released_on", Date),  # the latest date an amount of it was freed again: see invoices.released_on
    PrimaryKeyConstraint("company_id", "id"),
    ForeignKeyConstraint(["company_id", "customer_id"], ["customers.company_id", "customers.id"]),
    ForeignKeyConstraint(["company_id", "invoice_id"], ["invoices.company_id", "invoices.id"]),
    ForeignKeyConstraint(["company_id", "return_id"], ["return_authorizations.company_id", "return_authorizations.id"]),
    UniqueConstraint("company_id", "kind", "number", name="uq_memos_company_kind_number"),
    UniqueConstraint("company_id", "customer_id", "incident_reference", name="uq_memos_company_customer_incident"),
    CheckConstraint("total_minor >= 0", name="total_not_negative"),
    CheckConstraint("amount_applied_minor + amount_refunded_minor <= total_minor", name="not_over_used"),
    # The memo lists sorted by status and the status filter, a page at a time; the dashboard's counts (0024).
    Index("ix_memos_company_kind_status", "company_id", "kind", "status", "id"),
    # The memo lists' other sort keys, a page at a time (0024).
    Index("ix_memos_company_kind_reason", "company_id", "kind", "reason_code", "id"),
    Index("ix_memos_company_kind_currency", "company_id", "kind", "currency", "id"),
    Index("ix_memos_company_kind_created_at", "company_id", "kind", "created_at", "id"),
    Index("ix_memos_company_kind_print_status", "company_id", "kind", "print_status", "id"),
    # The dashboard's chart of posted credit by month, read from the index alone on PostgreSQL (0024).
    Index(
        "ix_memos_company_dashboard",
        "company_id",
        "kind",
        "status",
        "issue_date",
        postgresql_include=["reason_code", "currency", "exchange_rate", "total_minor"],
    ),
    Index("ix_memos_company_customer", "company_id", "customer_id"),
    Index("ix_memos_company_invoice", "company_id", "invoice_id"),
    Index("ix_memos_company_return", "company_id", "return_id"),
    Index("ix_memos_company_kind_issue_date", "company_id", "kind", "issue_date"),
    # Memos with something open today (0025; drafts too, and void memos: nothing of them is used): the aging.
    Index(
        "ix_memos_open",
        "company_id",
        "kind",
        "customer_id",
        postgresql_include=list(OPEN_INCLUDE["memos"]),
        postgresql_where=text(OPEN_PREDICATE["memos"]),
        sqlite_where=text(OPEN_PREDICATE["memos"]),
    ),
    # The worker's queue (migration 0003): only ready_to_post memos, oldest first.
    Index(
        "ix_memos_ready_to_post",
        "updated_at",
        "id",
        postgresql_where=text("status = 'ready_to_post'"),
        sqlite_where=text("status = 'ready_to_post'"),
    ),
)
_number_trigram(memos, "ix_memos_number_trgm")


_money_sort_index(memos, "ix_memos_company_kind_total", memos.c.kind, _major(memos.c.total_minor, memos.c.currency))
_money_sort_index(
    memos, "ix_memos_company_kind_applied", memos.c.kind, _major(memos.c.amount_applied_minor, memos.c.currency)
)

memo_lines = Table(
    "memo_lines",
    metadata,
    Column("id", ID, nullable=False),
    Column("memo_id", ID, nullable=False),
    Column("company_id", ID, nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("invoice_line_id", ID),
    Column("description", String(500), nullable=False),
    Column("quantity", ExactDecimal),
    Column("unit_price", ExactDecimal),
    _money("net_minor"),
    Column("tax_rate", ExactDecimal, nullable=False),
    _money("tax_minor"),
    Column("account_code", String(20)),
    Column("credit_by", String(10), nullable=False),
    Column("unit_cost", ExactDecimal),
    Column("restock", Boolean, nullable=False, server_default="0"),
    Column("service_start", Date),
    Column("service_end", Date),
    PrimaryKeyConstraint("company_id", "id"),
    ForeignKeyConstraint(["company_id", "memo_id"], ["memos.company_id", "memos.id"]),
    ForeignKeyConstraint(["company_id", "invoice_line_id"], ["invoice_lines.company_id", "invoice_lines.id"]),
    Index("ix_memo_lines_company_memo", "company_id", "memo_id"),
)

# Return authorizations (RMA, issue 10; migration 0011): authorized -> received -> credited, or cancelled.
return_authorizations = Table(
    "return_authorizations",
    metadata,
    Column("id", ID, nullable=False),
    Column("company_id", ID, ForeignKey("companies.id"), nullable=False),
    Column("number", String(40), nullable=False),
    Column("customer_id", ID, nullable=False),
    Column("invoice_id", ID, nullable=False),
    Column("status", String(20), nullable=False),
    Column("reason_code", String(40), nullable=False),
    # Free text, e.g. the support case or ticket the return answers; copied to its credit memos.
    Column("case_reference", String(200)),
    Column("cancel_reason", Text),
    Column("created_by", ID),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime),
    Column("cancelled_at", UTCDateTime),
    Column("cancelled_by", ID),
    Column("version", Integer, nullable=False, server_default="1"),
    PrimaryKeyConstraint("company_id", "id"),
    ForeignKeyConstraint(["company_id", "customer_id"], ["customers.company_id", "customers.id"]),
    ForeignKeyConstraint(["company_id", "invoice_id"], ["invoices.company_id", "invoices.id"]),
    UniqueConstraint("company_id", "number", name="uq_return_authorizations_company_number"),
    Index("ix_return_authorizations_company_status", "company_id", "status"),
    Index("ix_return_authorizations_company_customer", "company_id", "customer_id"),
    Index("ix_return_authorizations_company_invoice", "company_id", "invoice_id"),
)

return_lines = Table(
    "return_lines",
    metadata,
    Column("id", ID, nullable=False),
    Column("return_id", ID, nullable=False),
    Column("company_id", ID, nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("invoice_line_id", ID, nullable=False),
    Column("quantity", ExactDecimal, nullable=False),  # authorized
    Column("quantity_received", ExactDecimal, nullable=False),
    # On credit memos not discarded or voided (a draft holds its quantity too: a return is credited once).
    Column("quantity_credited", ExactDecimal, nullable=False),
    # Authorized but cancelled at a receipt (the rest will not come): no longer held of the invoice line.
    Column("quantity_cancelled", ExactDecimal, nullable=False),
    Column("restock", Boolean, nullable=False, server_default="1"),
    Column("condition", String(500)),
    PrimaryKeyConstraint("company_id", "id"),
    ForeignKeyConstraint(["company_id", "return_id"], ["return_authorizations.company_id", "return_authorizations.id"]),
    ForeignKeyConstraint(["company_id", "invoice_line_id"], ["invoice_lines.company_id", "invoice_lines.id"]),
    Index("ix_return_lines_company_return", "company_id", "return_id"),
    Index("ix_return_lines_company_invoice_line", "company_id", "invoice_line_id"),
)

# Revenue schedules (ASC 606, issue 12; migration 0016): a line with a service period, by month. A recognition
# run moves the due months' amounts (less what credits took from deferred revenue) from deferred to revenue,
# summed by month and accounts (revenue_recognized): set-based, no schedule row is ever updated.
revenue_schedules = Table(
    "revenue_schedules",
    metadata,
    Column("company_id", ID, nullable=False),
    Column("invoice_line_id", ID, nullable=False),
    Column("month", Date, nullable=False),  # the first day of the month
    Column("invoice_id", ID, nullable=False),
    Column("customer_id", ID, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("exchange_rate", ExactDecimal, nullable=False),  # the invoice's: deferred revenue moves at its rate
    Column("revenue_account", String(20), nullable=False),
    Column("deferred_account", String(20), nullable=False),
    Column("due_on", Date, nullable=False),  # the last day of the service period in this month
    _money("amount_minor"),  # the month's share of the line's net (cumulative rounding: they sum to the net)
    PrimaryKeyConstraint("company_id", "invoice_line_id", "month"),
    ForeignKeyConstraint(["company_id", "invoice_line_id"], ["invoice_lines.company_id", "invoice_lines.id"]),
    Index("ix_revenue_schedules_company_due", "company_id", "due_on"),
    Index("ix_revenue_schedules_company_invoice", "company_id", "invoice_id"),
)

# What each posted (and voided) memo line took from a scheduled line, by month: ``recognized`` from revenue,
# ``deferred`` from deferred revenue. Insert-only: a void adds the negated rows (issue 12; migration 0016).
revenue_credits = Table(
    "revenue_credits",
    metadata,
    Column("id", ID, nullable=False),
    Column("company_id", ID, nullable=False),
    Column("memo_id", ID, nullable=False),
    Column("memo_line_id", ID, nullable=False),
    Column("invoice_line_id", ID, nullable=False),
    Column("month", Date, nullable=False),
    Column("kind", String(10), nullable=False),  # post | void
    Column("on_date", Date, nullable=False),  # the memo's posting date, or its void date
    Column("recognized_minor", BigInteger, nullable=False),
    Column("deferred_minor", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("company_id", "id"),
    ForeignKeyConstraint(["company_id", "invoice_line_id"], ["invoice_lines.company_id", "invoice_lines.id"]),
    Index("ix_revenue_credits_company_line", "company_id", "invoice_line_id"),
    Index("ix_revenue_credits_company_memo", "company_id", "memo_id"),
)

# What recognition runs have moved to revenue so far, by month, currency, rate and pair of accounts: a run
# posts the difference between what the due schedule rows (less the credits' deferred parts) say and this.
revenue_recognized = Table(
    "revenue_recognized",
    metadata,
    Column("company_id", ID, ForeignKey("companies.id"), nullable=False),
    Column("month", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("exchange_rate", ExactDecimal, nullable=False),
    Column("revenue_account", String(20), nullable=False),
    Column("deferred_account", String(20), nullable=False),
    Column("recognized_minor", BigInteger, nullable=False),
    PrimaryKeyConstraint("company_id", "month", "currency", "exchange_rate", "revenue_account", "deferred_account"),
)

# Each recognition run that posted: through which date (the company's months due on or before the latest
# ``through`` count as recognized), by whom, and how many journal entries.
revenue_runs = Table(
    "revenue_runs",
    metadata,
    Column("id", ID, nullable=False),
    Column("company_id", ID, ForeignKey("companies.id"), nullable=False),
    Column("through", Date, nullable=False),
    Column("entries", Integer, nullable=False),
    Column("created_by", ID),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("company_id", "id"),
    Index("ix_revenue_runs_company_through", "company_id", "through"),
)

journal_entries = Table(
    "journal_entries",
    metadata,
    Column("id", ID, nullable=False),
    Column("company_id", ID, ForeignKey("companies.id"), nullable=False),
    Column("date", Date, nullable=False),
    Column("source_type", String(20), nullable=False),
    Column("source_id", ID, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("functional_currency", String(3), nullable=False),
    Column("exchange_rate", ExactDecimal, nullable=False),
    Column("description", String(500), nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    # The GL export's order (issue 13, migration 0015): NULL when written, assigned after commit by the sealer
    # (store/sealer.py) under the company's chain head, so it grows in commit order and a cursor over it never
    # skips an entry that a slower transaction committed late.
    Column("export_seq", BigInteger),
    PrimaryKeyConstraint("company_id", "id"),
    UniqueConstraint("company_id", "export_seq", name="uq_journal_entries_company_export_seq"),
    Index("ix_journal_entries_company_source", "company_id", "source_id"),
    Index("ix_journal_entries_company_date", "company_id", "date"),
    # The sealer's queue of entries not sequenced yet.
    Index(
        "ix_journal_entries_unsequenced",
        "company_id",
        "created_at",
        postgresql_where=text("export_seq IS NULL"),
        sqlite_where=text("export_seq IS NULL"),
    ),
)

journal_lines = Table(
    "journal_lines",
    metadata,
    # A line is its entry's line_no-th (no surrogate id: nothing refers to a journal line).
    Column("entry_id", ID, nullable=False),
    Column("company_id", ID, nullable=False),
    Column("line_no", Integer, nullable=False, autoincrement=False),
    Column("account_code", String(20), nullable=False),
    _money("debit_minor"),
    _money("credit_minor"),
    _money("functional_debit_minor"),
    _money("functional_credit_minor"),
    Column("customer_id", ID),
    Column("entry_date", Date, nullable=False),  # the entry's date, written with the line (migration 0026)
    PrimaryKeyConstraint("company_id", "entry_id", "line_no"),
    ForeignKeyConstraint(["company_id", "entry_id"], ["journal_entries.company_id", "journal_entries.id"]),
    CheckConstraint("debit_minor >= 0 AND credit_minor >= 0", name="sides_not_negative"),
    Index("ix_journal_lines_company_account", "company_id", "account_code"),
    # A customer's AR lines by date, amounts included on PostgreSQL: its statement's opening balance and movements
    # read from the index (migration 0026).
    Index(
        "ix_journal_lines_company_customer",
        "company_id",
        "customer_id",
        "account_code",
        "entry_date",
        postgresql_include=["debit_minor", "credit_minor"],
    ),
)

payments = Table(
    "payments",
    metadata,
    Column("id", ID, nullable=False),
    Column("company_id", ID, ForeignKey("companies.id"), nullable=False),
    Column("number", String(40), nullable=False),
    Column("customer_id", ID, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("exchange_rate", ExactDecimal, nullable=False),
    _money("amount_minor"),
    _money("amount_applied_minor"),
    _money("amount_refunded_minor"),
    Column("received_on", Date, nullable=False),
    Column("method", String(40), nullable=False),
    Column("reference", String(200)),
    Column("status", String(20), nullable=False),
    Column("created_by", ID),
    Column("created_at", UTCDateTime, nullable=False),
    # A small key-value map of the caller's (issue 17, migration 0014): at most 50 string values.
    Column("metadata", JSON, nullable=False, server_default=text("'{}'")),
    Column("released_on", Date),  # the latest date an amount of it was freed again: see invoices.released_on
    PrimaryKeyConstraint("company_id", "id"),
    ForeignKeyConstraint(["company_id", "customer_id"], ["customers.company_id", "customers.id"]),
    UniqueConstraint("company_id", "number", name="uq_payments_company_number"),
    CheckConstraint("amount_applied_minor + amount_refunded_minor <= amount_minor", name="not_over_used"),
    Index("ix_payments_company_customer", "company_id", "customer_id"),
    Index("ix_payments_company_received_on", "company_id", "received_on", "id"),  # sorted by date (0024)
    Index("ix_payments_company_method", "company_id", "method", "id"),  # sorted by method (0024)
    # Payments with money left today (0025): the aging's unapplied credit.
    Index(
        "ix_payments_open",
        "company_id",
        "customer_id",
        postgresql_include=list(OPEN_INCLUDE["payments"]),
        postgresql_where=text(OPEN_PREDICATE["payments"]),
        sqlite_where=text(OPEN_PREDICATE["payments"]),
    ),
    # The payments with money left, by number (the list's "available" filter; a partial index, migration 0026).
    Index(
        "ix_payments_company_available_number",
        "company_id",
        "number",
        "id",
        postgresql_where=text("amount_minor > amount_applied_minor + amount_refunded_minor"),
        sqlite_where=text("amount_minor > amount_applied_minor + amount_refunded_minor"),
    ),
)
_money_sort_index(
    payments,
    "ix_payments_company_settlement_status",
    func.creditmemo_receipt_status(
        payments.c.amount_minor, payments.c.amount_applied_minor, payments.c.amount_refunded_minor
    ),
)
_money_sort_index(payments, "ix_payments_company_amount", _major(payments.c.amount_minor, payments.c.currency))
_money_sort_index(payments, "ix_payments_company_applied", _major(payments.c.amount_applied_minor, payments.c.currency))
_money_sort_index(
    payments,
    "ix_payments_company_available",
    _major(
        payments.c.amount_minor - (payments.c.amount_applied_minor + payments.c.amount_refunded_minor),
        payments.c.currency,
    ),
)

exchange_rates = Table(
    "exchange_rates",
    metadata,
    # A company's rate table (issue 15): the rate of a day is the latest on or before it.
    Column("company_id", ID, ForeignKey("companies.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("rate_date", Date, nullable=False),
    Column("rate", ExactDecimal, nullable=False),  # units of the company currency for one unit of ``currency``
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", ID),
    PrimaryKeyConstraint("company_id", "currency", "rate_date"),
)

applications = Table(
    "applications",
    metadata,
    Column("id", ID, nullable=False),
    Column("company_id", ID, ForeignKey("companies.id"), nullable=False),
    Column("source_type", String(20), nullable=False),  # credit_memo | payment
    Column("source_id", ID, nullable=False),
    Column("target_type", String(20), nullable=False),  # invoice | debit_memo
    Column("target_id", ID, nullable=False),
    Column("customer_id", ID, nullable=False),
    Column("currency", String(3), nullable=False),
    _money("amount_minor"),
    # The functional AR each side relieved (domain/fx.py); NULL before realized exchange differences existed.
    Column("functional_source_minor", BigInteger),
    Column("functional_target_minor", BigInteger),
    # The settlement discount the application took (migration 0013): the target is settled by amount + discount.
    _money("discount_minor"),
    Column("functional_discount_minor", BigInteger),
    Column("status", String(20), nullable=False),  # active | reversed
    Column("applied_on", Date, nullable=False),
    Column("created_by", ID),
    Column("created_at", UTCDateTime, nullable=False),
    Column("reversed_at", UTCDateTime),
    Column("reversed_by", ID),
    # The unapplication's date (migration 0023): reports as of an earlier date still count the application.
    Column("reversed_on", Date),
    PrimaryKeyConstraint("company_id", "id"),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    Index("ix_applications_company_source", "company_id", "source_id"),
    Index("ix_applications_company_target", "company_id", "target_id"),
    Index("ix_applications_company_customer_date", "company_id", "customer_id", "applied_on"),
    # The applications applied or unapplied after a date (0025): what the aging as of that date undoes.
    Index("ix_applications_company_applied_on", "company_id", "applied_on"),
    Index(
        "ix_applications_company_reversed_on",
        "company_id",
        "reversed_on",
        postgresql_where=text("reversed_on IS NOT NULL"),
        sqlite_where=text("reversed_on IS NOT NULL"),
    ),
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", ID, nullable=False),
    Column("company_id", ID, ForeignKey("companies.id"), nullable=False),
    Column("number", String(40), nullable=False),
    Column("source_type", String(20), nullable=False),  # credit_memo | payment
    Column("source_id", ID, nullable=False),
    Column("customer_id", ID, nullable=False),
    Column("currency", String(3), nullable=False),
    _money("amount_minor"),
    Column("method", String(40), nullable=False),
    Column("reference", String(200)),
    Column("refunded_on", Date, nullable=False),
    Column("override_reason", Text),
    Column("created_by", ID),
    Column("created_at", UTCDateTime, nullable=False),
    # Reversed (issue 17): the money came back; the refund stays as the record, marked.
    Column("status", String(20), nullable=False, server_default="completed"),  # completed | reversed
    Column("reversed_on", Date),
    Column("reversal_reason", Text),
    Column("reversed_by", ID),
    Column("reversed_at", UTCDateTime),
    PrimaryKeyConstraint("company_id", "id"),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    UniqueConstraint("company_id", "number", name="uq_refunds_company_number"),
    Index("ix_refunds_company_source", "company_id", "source_id"),
    Index("ix_refunds_company_refunded_on", "company_id", "refunded_on"),  # the aging as of a date (0025)
    Index(
        "ix_refunds_company_reversed_on",
        "company_id",
        "reversed_on",
        postgresql_where=text("reversed_on IS NOT NULL"),
        sqlite_where=text("reversed_on IS NOT NULL"),
    ),
)

approvals = Table(
    "approvals",
    metadata,
    Column("id", ID, nullable=False),
    Column("company_id", ID, ForeignKey("companies.id"), nullable=False),
    Column("memo_id", ID, nullable=False),
    Column("memo_version", Integer, nullable=False),
    Column("decision", String(20), nullable=False),  # approved | rejected | recalled
    Column("tier", String(40)),
    Column("actor_id", ID, nullable=False),
    Column("comment", Text),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("company_id", "id"),
    ForeignKeyConstraint(["company_id", "memo_id"], ["memos.company_id", "memos.id"]),
    Index("ix_approvals_company_memo", "company_id", "memo_id"),
)

audit_heads = Table(
    "audit_heads",
    metadata,
    Column("company_id", ID, primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_hash", String(64), nullable=False),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("company_id", ID, primary_key=True),
    Column("id", ID, primary_key=True),
    # The event's place in the company's hash chain: NULL until the sealer chains it (after commit).
    Column("seq", BigInteger),
    # Unsealed events are sealed in (tx_id, ordinal) order: one tx_id per transaction, time-ordered.
    Column("tx_id", String(40), nullable=False, server_default=""),
    Column("ordinal", Integer, nullable=False, server_default="0"),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("actor_id", ID),
    Column("actor_label", String(254)),
    Column("action", String(60), nullable=False),
    Column("entity_type", String(40), nullable=False),
    Column("entity_id", ID, nullable=False),
    Column("changes", JSON, nullable=False),
    Column("request_id", String(64)),
    Column("prev_hash", String(64)),
    Column("hash", String(64)),
    UniqueConstraint("company_id", "seq", name="uq_audit_events_company_seq"),
    Index("ix_audit_events_company_entity", "company_id", "entity_id"),
    Index("ix_audit_events_company_occurred", "company_id", "occurred_at"),
    # The sealer's queue (migration 0004): only unsealed events.
    Index(
        "ix_audit_events_unsealed",
        "company_id",
        "tx_id",
        "ordinal",
        postgresql_where=text("seq IS NULL"),
        sqlite_where=text("seq IS NULL"),
    ),
)

audit_anchors = Table(
    "audit_anchors",
    metadata,
    # Signed chain heads (issue 13 item 5, domain/anchors.py), also published outside the database; kept here so
    # the API can hand them out. Rewriting them is no use to a forger: the signature's key is not in the database.
    Column("company_id", ID, ForeignKey("companies.id"), nullable=False),
    Column("id", ID, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("anchored_at", String(40), nullable=False),  # exactly as signed
    Column("key_id", String(16), nullable=False),
    Column("signature", String(100), nullable=False),
    PrimaryKeyConstraint("company_id", "id"),
    Index("ix_audit_anchors_company_seq", "company_id", "seq"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("company_id", ID, primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response_body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", ID, ForeignKey("users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

# Sign-in throttling (issue 16 item 7, services/sign_in_limits.py): one row per wrong password, once for the
# e-mail and once for the client address (``scope``), kept for the window; ``company_id`` is the e-mail's
# company when the e-mail is a user's (the one key that can carry it).
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("id", ID, primary_key=True),
    Column("scope", String(10), nullable=False),  # email | address
    Column("subject", String(254), nullable=False),  # the lowercased e-mail or the client address
    Column("company_id", ID, ForeignKey("companies.id")),
    Column("failed_at", UTCDateTime, nullable=False),
    Index("ix_sign_in_failures_subject", "scope", "subject", "failed_at"),
)

# One row per lockout (not per refused attempt): what an admin sees (GET /v1/sign-in-lockouts,
# /settings/security), until when it holds and the company of the e-mail whose failure started it.
sign_in_lockouts = Table(
    "sign_in_lockouts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("scope", String(10), nullable=False),
    Column("subject", String(254), nullable=False),
    Column("company_id", ID, ForeignKey("companies.id")),
    Column("email", String(254)),  # the e-mail tried at the failure that started the lockout
    Column("failures", Integer, nullable=False),
    Column("locked_at", UTCDateTime, nullable=False),
    Column("until", UTCDateTime, nullable=False),
    Index("ix_sign_in_lockouts_company", "company_id", "locked_at"),
)

saved_views = Table(
    "saved_views",
    metadata,
    Column("id", ID, nullable=False),
    Column("company_id", ID, ForeignKey("companies.id"), nullable=False),
    Column("user_id", ID, nullable=False),
    Column("page", String(40), nullable=False),
    Column("name", String(100), nullable=False),
    Column("query", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("company_id", "id"),
    ForeignKeyConstraint(["company_id", "user_id"], ["users.company_id", "users.id"]),
)

# Periods (issue 17 item 2). One row per company, always there (seeded with the company): the months it has
# closed, and the row every dated write locks FOR SHARE and a close locks FOR NO KEY UPDATE (store/locking.py,
# docs/CONCURRENCY.md). ``closed`` is the closed months, "YYYY-MM" comma-separated and sorted.
period_states = Table(
    "period_states",
    metadata,
    Column("company_id", ID, ForeignKey("companies.id"), primary_key=True),
    Column("closed", Text, nullable=False, server_default=""),
    Column("version", Integer, nullable=False, server_default="1"),
)

# Each month a company has ever closed: its status and who closed or reopened it, when, and why.
periods = Table(
    "periods",
    metadata,
    Column("company_id", ID, ForeignKey("companies.id"), primary_key=True),
    Column("period", String(7), primary_key=True),  # YYYY-MM
    Column("status", String(10), nullable=False),  # closed | open (reopened)
    Column("closed_at", UTCDateTime, nullable=False),
    Column("closed_by", ID),
    Column("reopened_at", UTCDateTime),
    Column("reopened_by", ID),
    Column("reopen_reason", Text),
)

# Webhooks (issue 13 item 3, domain/webhooks.py, services/webhooks.py). An endpoint's signing secret is kept as is:
# the HMAC needs the secret itself (README, "Webhooks"). Endpoints are never deleted: status active | disabled |
# deleted.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("company_id", ID, ForeignKey("companies.id"), nullable=False),
    Column("id", ID, nullable=False),
    Column("url", Text, nullable=False),
    Column("events", JSON, nullable=False),  # as the admin sent them (patterns such as credit_memo.*)
    Column("secret", String(100), nullable=False),
    Column("status", String(10), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", ID),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("company_id", "id"),
    CheckConstraint("status IN ('active', 'disabled', 'deleted')", name="status"),
)

# One row per endpoint and concrete event type (wildcards expanded): what the write path joins to decide, in the
# statement that writes the outbox, whether anything is subscribed (store/repositories/webhooks.py).
webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("company_id", ID, nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("endpoint_id", ID, nullable=False),
    PrimaryKeyConstraint("company_id", "event_type", "endpoint_id"),
    ForeignKeyConstraint(
        ["company_id", "endpoint_id"],
        ["webhook_endpoints.company_id", "webhook_endpoints.id"],
        name="fk_webhook_subscriptions_endpoint",
    ),
)

# The outbox: one row per event and subscribed endpoint, written in the transaction of the change. An event of
# the audit trail has no payload here (it is built from the audit event, whose id is the event id); an
# audit.anchor event carries its payload. ``position`` orders a document's events (the audit transaction key and
# the event's ordinal). status: pending | delivered | failed (given up) | cancelled (endpoint deleted).
webhook_outbox = Table(
    "webhook_outbox",
    metadata,
    Column("company_id", ID, nullable=False),
    Column("event_id", ID, nullable=False),
    Column("endpoint_id", ID, nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("document_id", ID, nullable=False),
    Column("position", String(60), nullable=False),
    Column("payload", JSON),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),  # also the lease of a claimed delivery
    Column("give_up_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    PrimaryKeyConstraint("company_id", "event_id", "endpoint_id"),
    ForeignKeyConstraint(
        ["company_id", "endpoint_id"],
        ["webhook_endpoints.company_id", "webhook_endpoints.id"],
        name="fk_webhook_outbox_endpoint",
    ),
    CheckConstraint("status IN ('pending', 'delivered', 'failed', 'cancelled')", name="status"),
    Index("ix_webhook_outbox_status_due", "status", "next_attempt_at"),
    Index("ix_webhook_outbox_company_document", "company_id", "endpoint_id", "document_id", "position"),
)

# Every delivery attempt: when, the HTTP status, the start of the response, or the error.
webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("company_id", ID, nullable=False),
    Column("id", ID, nullable=False),
    Column("event_id", ID, nullable=False),
    Column("endpoint_id", ID, nullable=False),
    Column("attempted_at", UTCDateTime, nullable=False),
    Column("status_code", Integer),
    Column("response", String(500)),
    Column("error", String(500)),
    Column("duration_ms", Integer, nullable=False),
    PrimaryKeyConstraint("company_id", "id"),
    Index("ix_webhook_attempts_company_endpoint", "company_id", "endpoint_id", "attempted_at"),
)

__all__ = ["DISTRIBUTION_COLUMN", "REFERENCE_TABLES", "metadata"]
