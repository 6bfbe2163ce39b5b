"""Alembic migrations: an empty database upgrades to head on both engines, the migrated schema is exactly
store/tables.py, `creditmemo db upgrade` on a database with data keeps the data, a database with data from
before company keys (0005) upgrades with every row kept and then works, and 0005 goes down and up again."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import Engine, MetaData, create_engine, func, inspect, select, text

from creditmemo.app import create_app
from creditmemo.domain.inputs import FreeLineInput
from creditmemo.services.actors import system_actor
from creditmemo.services.audit_trail import verify_audit_chain
from creditmemo.services.demo import demo_access, load_demo
from creditmemo.services.memos.approval import approve_memo, submit_memo
from creditmemo.services.memos.create import create_standalone_credit_memo
from creditmemo.services.reports import reconcile, trial_balance
from creditmemo.services.saved_views import list_views, save_view
from creditmemo.services.settlement.payments import record_payment
from creditmemo.services.settlement.refunds import refund
from creditmemo.services.users import actor_for, get_user_by_email
from creditmemo.store import migrate
from creditmemo.store import tables as t
from creditmemo.store.engine import make_engine
from creditmemo.store.uow import Database
from tests.conftest import ENGINES, PG_URL
from tests.store.test_shard_ready import shapes_of_database, shard_problems

CLI = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "creditmemo"
HEAD = ScriptDirectory.from_config(migrate.alembic_config(create_engine("sqlite://"))).get_current_head()


def _fresh_pg(url: str) -> None:
    base, name = url.rsplit("/", 1)
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def _drop_pg(url: str) -> None:
    base, name = url.rsplit("/", 1)
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=ENGINES)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A brand-new, empty database (not the shared test database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = f"{PG_URL}_mig"
    _fresh_pg(url)
    yield url
    _drop_pg(url)


def schema_diffs(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        return list(compare_metadata(ctx, t.metadata))


def run_cli(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([str(CLI), *args], env=env, capture_output=True, text=True, timeout=120)


def test_an_empty_database_upgrades_to_head_and_matches_tables_py(empty_url):
    engine = make_engine(empty_url)
    try:
        assert migrate.current_revision(engine) is None
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == HEAD
        assert set(t.metadata.tables) <= set(inspect(engine).get_table_names())
        assert schema_diffs(engine) == []
        migrate.upgrade(engine)  # a second upgrade is a no-op
        assert migrate.current_revision(engine) == HEAD
    finally:
        engine.dispose()


def test_each_revision_upgrades_in_order(empty_url):
    script = ScriptDirectory.from_config(migrate.alembic_config(create_engine("sqlite://")))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert revisions[0] == "0001"
    assert revisions[-1] == HEAD
    engine = make_engine(empty_url)
    try:
        for revision in revisions:
            migrate.upgrade(engine, revision)
            assert migrate.current_revision(engine) == revision
        assert schema_diffs(engine) == []
    finally:
        engine.dispose()


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            tab.name: conn.execute(select(func.count()).select_from(tab)).scalar_one()
            for tab in (
                t.companies,
                t.customers,
                t.invoices,
                t.invoice_lines,
                t.memos,
                t.memo_lines,
                t.journal_entries,
                t.journal_lines,
                t.audit_events,
            )
        }


def test_db_upgrade_on_a_database_with_data_keeps_the_data(empty_url):
    result = run_cli("db", "upgrade", url=empty_url)
    assert result.returncode == 0, result.stderr
    assert f"database at revision {HEAD} (was empty)" in " ".join(result.stdout.split())
    from creditmemo.store.uow import Database

    db = Database(empty_url)
    try:
        assert load_demo(db).created
        before = _row_counts(db.engine)
        assert before["memos"] >= 7
        assert before["journal_lines"] > 0
        result = run_cli("db", "upgrade", url=empty_url)
        assert result.returncode == 0, result.stderr
        assert f"database at revision {HEAD} (was {HEAD})" in " ".join(result.stdout.split())
        assert _row_counts(db.engine) == before
        assert schema_diffs(db.engine) == []
    finally:
        db.dispose()


# Company keys (0005) on a database with data -----------------------------------------------------------
BEFORE_COMPANY_KEYS = "0004_audit_sealer"


def _every_row(engine: Engine, columns: dict[str, list[str]] | None = None) -> tuple[dict[str, list[str]], dict]:
    """Every row of every table of tables.py, sorted, as tuples of the given columns (by default the columns
    tables.py and the database have in common). Returns the columns used and the rows."""
    reflected = MetaData()
    with engine.connect() as conn:
        reflected.reflect(conn)
        if columns is None:
            columns = {  # tables a later migration creates are absent at an older revision
                name: [c.name for c in table.c if c.name in reflected.tables[name].c]
                for name, table in t.metadata.tables.items()
                if name in reflected.tables
            }
        rows = {
            name: sorted(conn.execute(select(*[reflected.tables[name].c[c] for c in cols])).all(), key=repr)
            for name, cols in columns.items()
        }
    return columns, rows


FX_ACCOUNTS = {"7100", "7200"}  # 0007 gives every company its realized exchange gain and loss accounts
DISCOUNT_ACCOUNTS = {"4950"}  # 0013 gives every company its settlement discounts allowed account


def _without_fx_accounts(columns: dict[str, list[str]], rows: dict) -> dict:
    """``rows`` without the accounts 0007 and 0013 add (going below them removes them again)."""
    code = columns["accounts"].index("code")
    added = FX_ACCOUNTS | DISCOUNT_ACCOUNTS
    return {**rows, "accounts": [r for r in rows["accounts"] if r[code] not in added]}


def _every_row_of(rows: dict[str, list[Any]], columns: dict[str, list[str]], keep: dict[str, list[str]]) -> dict:
    """``rows`` (as ``_every_row`` gave them for ``columns``) narrowed to the ``keep`` columns, sorted again."""
    narrowed = {}
    for name, cols in keep.items():
        index = [columns[name].index(c) for c in cols]
        narrowed[name] = sorted((tuple(row[i] for i in index) for row in rows[name]), key=repr)
    return narrowed


def _demo_with_users(db: Database) -> tuple[str, str, str]:
    """The demo company, one user per role with an API key, a saved view, an approved memo, a payment and a
    refund: rows in every table the migration changes. Returns the controller's and the VP's keys, the company."""
    company_id = load_demo(db).company_id
    keys = {a.role: a.api_key for a in demo_access(db)}
    operator = system_actor(company_id, "test")
    with db.uow() as uow:
        clerk = actor_for(get_user_by_email(uow, "clerk@demo.example"))
        vp = actor_for(get_user_by_email(uow, "vp@demo.example"))
        save_view(uow, clerk, page="credit_memos", name="Drafts", query="status=draft")
        customer = next(c for c in uow.customers.list(company_id) if c.name == "Initech")  # USD
        big = create_standalone_credit_memo(
            uow,
            operator,
            customer_id=customer.id,
            currency=customer.currency,
            reason_code="downgrade_proration",
            lines=[FreeLineInput("Downgrade", "1", "9000.00")],
        )
        submit_memo(uow, operator, big.id)
        approve_memo(uow, vp, big.id)
        payment = record_payment(
            uow,
            operator,
            customer_id=customer.id,
            amount="100.00",
            currency=customer.currency,
            received_on=str(uow.now().date()),
            method="wire",
        )
        refund(
            uow,
            operator,
            source_type="payment",
            source_id=payment.id,
            amount="40.00",
            method="wire",
            override_reason="the customer still owes more; refunded by agreement",
        )
    return keys["controller"], keys["vp"], company_id


def _structure(engine: Engine) -> dict[str, Any]:
    """Keys, foreign keys, indexes and columns of every table, by name, as the database reports them."""
    insp = inspect(engine)
    return {
        name: (
            insp.get_pk_constraint(name)["constrained_columns"],
            sorted((u["name"], u["column_names"]) for u in insp.get_unique_constraints(name)),
            sorted(
                (f["name"], f["constrained_columns"], f["referred_table"], f["referred_columns"])
                for f in insp.get_foreign_keys(name)
            ),
            sorted((i["name"], i["column_names"], bool(i["unique"])) for i in insp.get_indexes(name)),
            sorted(c["name"] for c in insp.get_columns(name)),
        )
        for name in insp.get_table_names()
    }


def test_a_database_with_data_from_0003_upgrades_keeps_every_row_and_works(empty_url):
    """The demo (every document state, users, keys, a saved view), written at head (the code writes only the
    current schema) and taken down to 0003, then upgraded to head: every row is still there, the keys are the
    sharded ones, and the whole app works on it."""
    db = Database(empty_url)
    try:
        migrate.upgrade(db.engine)
        controller_key, vp_key, company_id = _demo_with_users(db)
        migrate.downgrade(db.engine, "0003_worker_queue")
        assert migrate.current_revision(db.engine) == "0003_worker_queue"
        columns, before = _every_row(db.engine)
        assert [name for name, rows in before.items() if not rows] == ["idempotency_keys", "web_sessions"]

        migrate.upgrade(db.engine)

        assert migrate.current_revision(db.engine) == HEAD
        after = _every_row(db.engine, columns)[1]
        assert _without_fx_accounts(columns, after) == before
        code = columns["accounts"].index("code")
        assert len([r for r in after["accounts"] if r[code] in FX_ACCOUNTS]) == 2 * len(after["companies"])
        assert len([r for r in after["accounts"] if r[code] in DISCOUNT_ACCOUNTS]) == len(after["companies"])
        assert schema_diffs(db.engine) == []
        assert shard_problems(shapes_of_database(db), t.REFERENCE_TABLES) == []
        _works(db, company_id, controller_key, vp_key)
    finally:
        db.dispose()


def _works(db: Database, company_id: str, controller_key: str, vp_key: str) -> None:
    """Through the API with keys issued before the migration: approve and post the demo's draft (approvals,
    memo lines on invoice lines, journal lines, auto-apply), create and post a new memo, void a migrated one;
    then the books reconcile and the audit chain verifies."""
    client = TestClient(create_app(db), raise_server_exceptions=False)
    controller, vp = ({"Authorization": f"Bearer {key}"} for key in (controller_key, vp_key))

    def call(method: str, path: str, headers: dict[str, str], json: Any = None, status: int = 200) -> Any:
        response = client.request(method, path, headers=headers, json=json)
        assert response.status_code == status, response.text
        return response.json()

    (draft,) = call("GET", "/v1/credit-memos?status=draft", controller)["data"]
    call("POST", f"/v1/credit-memos/{draft['id']}/submit", controller, {})
    call("POST", f"/v1/credit-memos/{draft['id']}/approve", vp, {})
    posted = call("POST", f"/v1/credit-memos/{draft['id']}/post", controller, {})
    assert posted["status"] == "posted"
    assert posted["amount_applied"] != "0.00"
    assert len(call("GET", f"/v1/credit-memos/{draft['id']}/journal-entries", controller)) == 1
    invoice = call("GET", f"/v1/invoices/{draft['invoice_id']}", controller)
    assert invoice["amount_credited"] != "0.00"
    (goodwill,) = call("GET", "/v1/credit-memos?reason_code=goodwill&status=posted", controller)["data"]
    assert (
        call("POST", f"/v1/credit-memos/{goodwill['id']}/void", controller, {"reason": "after the migration"})["status"]
        == "void"
    )
    (first,) = call("GET", "/v1/invoices?sort=number&limit=1", controller)["data"]
    memo = call(
        "POST",
        f"/v1/invoices/{first['id']}/credit-memos",
        controller,
        {
            "reason_code": "billing_error",
            "post": True,
            "lines": [{"invoice_line_id": first["lines"][0]["id"], "amount": "100.00"}],
        },
        201,
    )
    assert memo["status"] == "posted"
    with db.uow(readonly=True) as uow:
        actor = system_actor(company_id, "test")
        assert reconcile(uow, actor).problems == ()
        assert trial_balance(uow, actor).balanced
        assert verify_audit_chain(uow, company_id) is None
        clerk = actor_for(get_user_by_email(uow, "clerk@demo.example"))
        assert [v.name for v in list_views(uow, clerk, "credit_memos")] == ["Drafts"]


def test_company_keys_go_down_to_0004_and_up_again_with_the_data(empty_url):
    db = Database(empty_url)
    try:
        migrate.upgrade(db.engine, BEFORE_COMPANY_KEYS)
        structure_0004 = _structure(db.engine)
        migrate.upgrade(db.engine)
        _demo_with_users(db)
        everything, at_head = _every_row(db.engine)

        migrate.downgrade(db.engine, BEFORE_COMPANY_KEYS)
        assert _structure(db.engine) == structure_0004
        columns, before = _every_row(db.engine)  # the columns 0004 has (later migrations add some)
        # journal lines: new surrogate ids, not compared
        assert before == _without_fx_accounts(columns, _every_row_of(at_head, everything, columns))

        migrate.upgrade(db.engine)
        assert _without_fx_accounts(columns, _every_row(db.engine, columns)[1]) == before
        assert schema_diffs(db.engine) == []
    finally:
        db.dispose()


def test_release_dates_are_backfilled_from_the_applications_and_refunds(empty_url):
    """0027 gives every document the latest release date the code would have kept: data written at head (an
    unapplication dated after a later-written back-dated one, a refund reversal), the revision taken down (the
    column dropped) and up again: every invoice's, memo's and payment's ``released_on`` is back as the code wrote it."""
    from datetime import timedelta

    from creditmemo.domain.settlement import AllocationInput
    from creditmemo.services.companies import create_company
    from creditmemo.services.settlement.applications import apply_credit, unapply
    from creditmemo.services.settlement.refunds import reverse_refund
    from tests.builders import DAY, customer, invoice, line, post, standalone

    script = ScriptDirectory.from_config(migrate.alembic_config(create_engine("sqlite://")))
    before_0027 = script.get_revision("0027_release_dates").down_revision
    assert isinstance(before_0027, str)
    db = Database(empty_url)
    try:
        migrate.upgrade(db.engine)
        with db.uow() as uow:
            actor = system_actor(create_company(uow, slug="rel", name="Rel").id, "test")
        cus = customer(db, actor)
        inv = invoice(db, actor, [line(price="100.00")], customer_id=cus.id)
        memo = post(db, actor, standalone(db, actor, cus.id, price="100.00"))
        with db.uow() as uow:
            pay = record_payment(
                uow, actor, customer_id=cus.id, amount="100.00", currency="USD", received_on=DAY, method="wire"
            )
        apps = []
        for source_type, source_id in (("credit_memo", memo.id), ("payment", pay.id)):
            with db.uow() as uow:
                allocation = [AllocationInput("invoice", inv.id, "30.00")]
                apps += apply_credit(
                    uow, actor, source_type=source_type, source_id=source_id, allocations=allocation, on=DAY
                )
        with db.uow() as uow:
            unapply(uow, actor, apps[0].id, on=DAY + timedelta(days=9))
        with db.uow() as uow:
            unapply(uow, actor, apps[1].id, on=DAY + timedelta(days=4))
        with db.uow() as uow:
            rf = refund(
                uow, actor, source_type="payment", source_id=pay.id, amount="20.00", method="ach", refunded_on=DAY
            )
        with db.uow() as uow:
            reverse_refund(uow, actor, rf.id, reason="bounced", on=DAY + timedelta(days=6))

        def released() -> dict[str, object]:
            with db.engine.connect() as conn:
                return {
                    row[0]: row[1]
                    for table in (t.invoices, t.memos, t.payments)
                    for row in conn.execute(select(table.c.id, table.c.released_on))
                }

        written = released()
        assert (written[inv.id], written[memo.id], written[pay.id]) == (
            DAY + timedelta(days=9),
            DAY + timedelta(days=9),
            DAY + timedelta(days=6),
        )
        db.dispose()
        migrate.downgrade(db.engine, before_0027)
        assert "released_on" not in {c["name"] for c in inspect(db.engine).get_columns("invoices")}
        migrate.upgrade(db.engine)
        assert released() == written
        assert schema_diffs(db.engine) == []
    finally:
        db.dispose()
