"""Ready to shard by company (docs/SCALING.md): in every table but the declared reference tables, the primary
key, each unique constraint or unique index, and each foreign key include company_id, and a foreign key to
another distributed table pairs company_id with company_id (Citus: colocated tables, the distribution column
on both sides). Reference tables reference no distributed table (Citus refuses that). Checked on
store/tables.py and on each engine's migrated database, where keys are read back from the database itself
(Alembic's compare_metadata does not compare primary keys). And every statement of a run through most of the
API, and of the web UI's queries, names the company of each distributed table it touches (one shard)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    event,
    inspect,
)

from creditmemo.store import tables as t
from creditmemo.store.repositories.overviews import ListQuery, Overviews
from creditmemo.store.uow import Database
from tests.api.conftest import Tenant, make_tenant

Cols = tuple[str, ...]
SCALING_MD = Path(__file__).resolve().parents[2] / "docs" / "SCALING.md"


@dataclass(frozen=True)
class Key:
    kind: str  # primary key | unique constraint | unique index
    name: str | None
    columns: Cols


@dataclass(frozen=True)
class Reference:
    name: str | None
    columns: Cols
    referred_table: str
    referred_columns: Cols


@dataclass(frozen=True)
class Shape:
    columns: frozenset[str]
    keys: tuple[Key, ...]
    foreign_keys: tuple[Reference, ...]

    @property
    def primary_key(self) -> Cols:
        return next((k.columns for k in self.keys if k.kind == "primary key"), ())


def _named(name: object) -> str | None:
    """A constraint's name; None for SQLAlchemy's marker of an unnamed one."""
    return name if isinstance(name, str) else None


def shapes_of_metadata(metadata: MetaData) -> dict[str, Shape]:
    shapes = {}
    for table in metadata.tables.values():
        keys = [Key("primary key", _named(table.primary_key.name), tuple(c.name for c in table.primary_key.columns))]
        keys += [
            Key("unique constraint", _named(c.name), tuple(col.name for col in c.columns))
            for c in table.constraints
            if isinstance(c, UniqueConstraint)
        ]  # Column(unique=True) too
        keys += [Key("unique index", i.name, tuple(c.name for c in i.columns)) for i in table.indexes if i.unique]
        fks = [
            Reference(
                _named(fk.name),
                tuple(c.name for c in fk.columns),
                fk.referred_table.name,
                tuple(e.column.name for e in fk.elements),
            )
            for fk in table.foreign_key_constraints
        ]
        fks.sort(key=lambda fk: str(fk.name))
        shapes[table.name] = Shape(frozenset(c.name for c in table.columns), tuple(keys), tuple(fks))
    return shapes


def shapes_of_database(db: Database) -> dict[str, Shape]:
    insp = inspect(db.engine)
    shapes = {}
    for name in insp.get_table_names():
        if name == "alembic_version":
            continue
        pk = insp.get_pk_constraint(name)
        keys = [Key("primary key", pk.get("name"), tuple(pk["constrained_columns"]))]
        keys += [
            Key("unique constraint", u["name"], tuple(u["column_names"])) for u in insp.get_unique_constraints(name)
        ]
        keys += [
            Key("unique index", i["name"], tuple(c for c in i["column_names"] if c is not None))
            for i in insp.get_indexes(name)
            if i["unique"]
        ]
        fks = [
            Reference(f["name"], tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
            for f in insp.get_foreign_keys(name)
        ]
        fks.sort(key=lambda fk: str(fk.name))
        shapes[name] = Shape(frozenset(c["name"] for c in insp.get_columns(name)), tuple(keys), tuple(fks))
    return shapes


def shard_problems(
    shapes: Mapping[str, Shape], reference_tables: Mapping[str, str], column: str = t.DISTRIBUTION_COLUMN
) -> list[str]:
    """What keeps ``shapes`` from distributing by ``column``, one line per table and constraint."""
    problems = [
        f"{name}: declared a reference table but there is no such table"
        for name in reference_tables
        if name not in shapes
    ]
    for name, shape in sorted(shapes.items()):
        if name in reference_tables:
            problems += [
                f"{name}: reference table, but foreign key {fk.name} refers to distributed table {fk.referred_table}"
                for fk in shape.foreign_keys
                if fk.referred_table not in reference_tables
            ]
            continue
        if column not in shape.columns:
            problems.append(f"{name}: no {column} column (distribute it, or declare it a reference table)")
            continue
        if not shape.primary_key:
            problems.append(f"{name}: no primary key")
        problems += [
            f"{name}: {key.kind} {key.name} ({', '.join(key.columns)}) does not include {column}"
            for key in shape.keys
            if key.columns and column not in key.columns
        ]
        for fk in shape.foreign_keys:
            where = (
                f"{name}: foreign key {fk.name} ({', '.join(fk.columns)}) -> {fk.referred_table} "
                f"({', '.join(fk.referred_columns)})"
            )
            if column not in fk.columns:
                problems.append(f"{where} does not include {column}")
            elif fk.referred_table in reference_tables:
                continue  # a distributed table may refer to a reference table by any columns
            elif column not in fk.referred_columns:
                problems.append(f"{where} does not refer to {column}")
            elif fk.columns.index(column) != fk.referred_columns.index(column):
                problems.append(f"{where} does not pair {column} with {column}")
    return problems


class TestTablesPy:
    def test_every_distributed_table_keys_by_company(self):
        assert shard_problems(shapes_of_metadata(t.metadata), t.REFERENCE_TABLES) == []

    def test_docs_scaling_distributes_the_same_tables(self):
        """docs/SCALING.md's SQL makes exactly REFERENCE_TABLES reference tables, and every other table distributed."""
        text = SCALING_MD.read_text()
        reference = set(re.findall(r"create_reference_table\('(\w+)'\)", text))
        distributed = set(re.findall(r"create_distributed_table\('(\w+)'", text))
        assert reference == set(t.REFERENCE_TABLES)
        assert distributed == set(t.metadata.tables) - set(t.REFERENCE_TABLES)
        assert all(reason.strip() for reason in t.REFERENCE_TABLES.values())


class TestMigratedDatabase:
    def test_every_distributed_table_keys_by_company(self, db):
        assert shard_problems(shapes_of_database(db), t.REFERENCE_TABLES) == []

    def test_primary_keys_are_the_ones_of_tables_py(self, db):
        migrated = shapes_of_database(db)
        expected = shapes_of_metadata(t.metadata)
        assert {n: s.primary_key for n, s in migrated.items()} == {n: s.primary_key for n, s in expected.items()}


class TestTheCheckerCanFail:
    """The checker on a small schema that breaks each rule once, and on its corrected twin."""

    @staticmethod
    def _schema(*, broken: bool) -> MetaData:
        md = MetaData(naming_convention=t.metadata.naming_convention)
        Table("tenants", md, Column("id", String, primary_key=True))
        Table(
            "customers",
            md,
            Column("company_id", String, ForeignKey("tenants.id"), primary_key=True),
            Column("id", String, primary_key=True),
        )
        if broken:
            Table(
                "orders",
                md,
                Column("id", String, primary_key=True),
                Column("company_id", String, ForeignKey("tenants.id")),
                Column("number", String, unique=True),
                Column("email", String),
                Column("customer_id", String),
                ForeignKeyConstraint(["customer_id"], ["customers.id"], name="fk_orders_customer"),
                ForeignKeyConstraint(
                    ["customer_id", "company_id"], ["customers.company_id", "customers.id"], name="fk_orders_swapped"
                ),
                Index("ix_orders_email", "email", unique=True),
            )
            Table("notes", md, Column("id", String, primary_key=True))
            Table(
                "lookups",
                md,
                Column("id", String, primary_key=True),
                Column("order_id", String, ForeignKey("orders.id", name="fk_lookups_order")),
            )
        else:
            Table(
                "orders",
                md,
                Column("company_id", String, ForeignKey("tenants.id"), primary_key=True),
                Column("id", String, primary_key=True),
                Column("number", String),
                Column("customer_id", String),
                ForeignKeyConstraint(["company_id", "customer_id"], ["customers.company_id", "customers.id"]),
                Index("ix_orders_company_number", "company_id", "number", unique=True),
            )
            Table(
                "lookups",
                md,
                Column("id", String, primary_key=True),
                Column("tenant_id", String, ForeignKey("tenants.id")),
            )
        return md

    def test_reports_each_broken_rule_naming_table_and_constraint(self):
        problems = shard_problems(
            shapes_of_metadata(self._schema(broken=True)), {"tenants": "small", "lookups": "global", "ghosts": "typo"}
        )
        assert problems == [
            "ghosts: declared a reference table but there is no such table",
            "lookups: reference table, but foreign key fk_lookups_order refers to distributed table orders",
            "notes: no company_id column (distribute it, or declare it a reference table)",
            "orders: primary key pk_orders (id) does not include company_id",
            "orders: unique constraint uq_orders_number (number) does not include company_id",
            "orders: unique index ix_orders_email (email) does not include company_id",
            "orders: foreign key fk_orders_customer (customer_id) -> customers (id) does not include company_id",
            "orders: foreign key fk_orders_swapped (customer_id, company_id) -> customers (company_id, id) "
            "does not pair company_id with company_id",
        ]

    def test_passes_the_corrected_schema(self):
        shapes = shapes_of_metadata(self._schema(broken=False))
        assert shard_problems(shapes, {"tenants": "small", "lookups": "global"}) == []


# Every statement a request sends names the company of each distributed table it reads or writes ---------------
DISTRIBUTED = sorted(set(t.metadata.tables) - set(t.REFERENCE_TABLES))
_TABLE_REF = re.compile(r"\b(?:FROM|JOIN|UPDATE)\s+(" + "|".join(DISTRIBUTED) + r")\b")
_INSERT = re.compile(r"^\s*INSERT INTO (\w+) \(([^)]*)\)")


def unrouted(statement: str) -> list[str]:
    """The distributed tables ``statement`` touches without a condition on their own company_id (an INSERT
    must carry the column): on Citus such a statement goes to every shard, or cannot run."""
    insert = _INSERT.match(statement)
    if insert:
        name, columns = insert.groups()
        return [name] if name in DISTRIBUTED and t.DISTRIBUTION_COLUMN not in columns else []
    return sorted(
        {name for name in _TABLE_REF.findall(statement) if f"{name}.{t.DISTRIBUTION_COLUMN}" not in statement}
    )


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _a_day_of_requests(tenant: Tenant) -> None:
    """Most of the API: documents through their lifecycle, settlement, lists, reports, the audit trail."""
    inv = tenant.invoice()
    other_inv = tenant.invoice(customer_id=inv["customer_id"])
    memo = tenant.memo_from(inv)
    tenant.ok(tenant.patch(f"/v1/credit-memos/{memo['id']}", {"memo": "checked"}))
    tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))
    for path in ("", "/journal-entries", "/applications", "/events", "/approvals", "/refunds"):
        tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}{path}"))
    (app,) = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/applications"))
    tenant.ok(tenant.delete(f"/v1/credit-memos/{memo['id']}/applications/{app['id']}"))
    tenant.ok(
        tenant.post(
            f"/v1/credit-memos/{memo['id']}/applications",
            {"allocations": [{"invoice_id": other_inv["id"], "amount": "10.00"}]},
        ),
        201,
    )
    pay = tenant.ok(
        tenant.post(
            "/v1/payments",
            {
                "customer_id": inv["customer_id"],
                "amount": "50.00",
                "currency": "USD",
                "received_on": "2026-03-05",
                "method": "wire",
            },
        ),
        201,
    )
    tenant.ok(
        tenant.post(
            f"/v1/payments/{pay['id']}/applications", {"allocations": [{"invoice_id": inv["id"], "amount": "50.00"}]}
        ),
        201,
    )
    tenant.ok(
        tenant.post(
            f"/v1/credit-memos/{memo['id']}/refunds", {"amount": "5.00", "method": "ach", "override_reason": "asked"}
        ),
        201,
    )
    big = tenant.memo_from(tenant.invoice(lines=[{"description": "Big", "quantity": "1", "unit_price": "9000.00"}]))
    tenant.ok(tenant.post(f"/v1/credit-memos/{big['id']}/submit", {}))
    tenant.ok(tenant.post(f"/v1/credit-memos/{big['id']}/reject", {"comment": "too much"}, role="vp"))
    tenant.ok(tenant.post(f"/v1/credit-memos/{big['id']}/discard", {"reason": "replaced"}))
    standalone = tenant.ok(
        tenant.post(
            "/v1/credit-memos",
            {
                "customer_id": inv["customer_id"],
                "currency": "USD",
                "reason_code": "goodwill",
                "post": True,
                "lines": [{"description": "Sorry", "quantity": "1", "unit_price": "20.00"}],
            },
        ),
        201,
    )
    tenant.ok(tenant.post(f"/v1/credit-memos/{standalone['id']}/void", {"reason": "wrong"}))
    debit = tenant.ok(
        tenant.post(
            "/v1/debit-memos",
            {
                "customer_id": inv["customer_id"],
                "currency": "USD",
                "reason_code": "chargeback",
                "lines": [{"description": "Charge-back", "quantity": "1", "unit_price": "30.00"}],
            },
        ),
        201,
    )
    tenant.ok(tenant.post("/v1/credit-memos/bulk-post", {"memo_ids": [tenant.memo_from(other_inv)["id"]]}))
    tenant.ok(tenant.post(f"/v1/debit-memos/{debit['id']}/post"))
    for path in (
        "/v1/credit-memos",
        "/v1/debit-memos",
        "/v1/invoices",
        "/v1/customers",
        "/v1/journal-entries",
        "/v1/audit-events",
        f"/v1/invoices/{inv['id']}",
        f"/v1/customers/{inv['customer_id']}",
        f"/v1/customers/{inv['customer_id']}/statement?start=2026-01-01&end=2026-12-31",
        "/v1/reports/trial-balance",
        "/v1/reports/ar-aging?as_of=2026-12-31",
        "/v1/reports/credit-memo-register",
        "/v1/reports/reconciliation",
        f"/v1/payments/{pay['id']}",
    ):
        tenant.ok(tenant.get(path))
    _returns(tenant)


def _returns(tenant: Tenant) -> None:
    """A return through its life (issue 10): authorize, edit, receive, credit and post, void; another cancelled."""
    goods = tenant.invoice(
        lines=[{"description": "Widget", "quantity": "3", "unit_price": "100.00", "unit_cost": "60"}]
    )
    line = goods["lines"][0]["id"]
    rma = tenant.ok(
        tenant.post("/v1/returns", {"invoice_id": goods["id"], "lines": [{"invoice_line_id": line, "quantity": "1"}]}),
        201,
    )
    tenant.ok(tenant.patch(f"/v1/returns/{rma['id']}", {"lines": [{"invoice_line_id": line, "quantity": "2"}]}))
    tenant.ok(tenant.post(f"/v1/returns/{rma['id']}/receive"))
    memo = tenant.ok(tenant.post(f"/v1/returns/{rma['id']}/credit-memo", {"post": True, "auto_apply": False}), 201)
    tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/void", {"reason": "wrong"}))
    other = tenant.ok(
        tenant.post("/v1/returns", {"invoice_id": goods["id"], "lines": [{"invoice_line_id": line}]}), 201
    )
    tenant.ok(tenant.post(f"/v1/returns/{other['id']}/cancel", {"reason": "kept"}))
    tenant.ok(tenant.get(f"/v1/returns?invoice_id={goods['id']}&status=cancelled"))
    tenant.ok(tenant.get(f"/v1/returns/{rma['id']}"))
    # revenue schedules (issue 12): a deferred line, a run, a split credit and its void, the reports
    sub = tenant.invoice(
        lines=[
            {
                "description": "Annual plan",
                "quantity": "1",
                "unit_price": "1200.00",
                "service_start": "2026-01-01",
                "service_end": "2026-12-31",
            }
        ]
    )
    tenant.ok(tenant.post("/v1/revenue/recognize", {"through": "2026-03-31"}))
    split = tenant.memo_from(sub, post=True, auto_apply=False)
    tenant.ok(tenant.post(f"/v1/credit-memos/{split['id']}/void", {"reason": "wrong"}))
    tenant.ok(tenant.get(f"/v1/invoices/{sub['id']}/revenue-schedule"))
    tenant.ok(tenant.get("/v1/reports/deferred-revenue?as_of=2026-06-30"))
    tenant.ok(tenant.get("/v1/reports/revenue-waterfall?from=2026-01-01&to=2026-06-30"))


def _the_web_pages_queries(db: Database, tenant: Tenant) -> None:
    """The read-only queries only the web UI makes (lists, dashboard, approval queue, settlement helpers)."""
    cid = tenant.company_id
    with db.uow(readonly=True) as uow:
        q = Overviews(uow.conn)
        customer = q.customer_choices(cid)[0]
        memos = q.memos(cid, "credit", ListQuery()).rows
        invoices = q.invoices(cid, ListQuery(customer_id=customer["id"], amount_min=Decimal("1"))).rows
        q.customers(cid, ListQuery(q="a"))
        q.memo_status_counts(cid)
        q.posted_credit_by_day(cid, date(2026, 1, 1))
        q.totals_in_status(cid, "posted")
        q.oldest_drafts(cid)
        q.pending_approval(cid)
        q.open_targets(cid, customer["id"], "USD")
        q.numbers(cid, [m["id"] for m in memos] + [i["id"] for i in invoices])
        q.user_names(cid, list(tenant.user_ids.values()))
        q.memos_of_invoice(cid, invoices[0]["id"])


class TestEveryRequestNamesTheCompany:
    def test_the_checker_finds_a_lookup_by_id_alone(self):
        assert unrouted("UPDATE invoice_lines SET credited_net_minor=%(b_net)s WHERE invoice_lines.id = %(b_id)s") == [
            "invoice_lines"
        ]
        assert unrouted(
            "SELECT journal_lines.line_no FROM journal_lines JOIN journal_entries ON journal_entries.id = "
            "journal_lines.entry_id WHERE journal_lines.company_id = %(c)s"
        ) == ["journal_entries"]
        assert unrouted("INSERT INTO memo_lines (id, memo_id) VALUES (%(id)s, %(memo_id)s)") == ["memo_lines"]
        assert unrouted("SELECT users.id FROM users WHERE users.email = %(e)s") == []

    def test_every_statement_of_the_api_names_the_company_of_each_table(self, db):
        from fastapi.testclient import TestClient

        from creditmemo.app import create_app

        tenant = make_tenant(db, TestClient(create_app(db), raise_server_exceptions=False))
        with statements(db) as sent:
            _a_day_of_requests(tenant)
            _the_web_pages_queries(db, tenant)
        assert len(sent) > 200
        assert {s: unrouted(s) for s in sent if unrouted(s)} == {}
