"""Planner statistics after a bulk write (store/bulk.py ``refresh_statistics``; issue 13 item 1). A table an import
fills has no statistics until autovacuum's next round, and PostgreSQL's foreign-key checks then used an index that
shares only company_id with the key, reading the whole company per row. After the refresh the tables that
outgrew their statistics are analysed, and the check's generic plan uses the primary key."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, create_engine, text

from creditmemo.domain.documents import Customer
from creditmemo.domain.money import Money
from creditmemo.services.companies import create_company
from creditmemo.store import migrate
from creditmemo.store.uow import Database
from tests.conftest import ENGINES, PG_URL, _fresh_postgres

needs_postgres = pytest.mark.skipif("postgresql" not in ENGINES, reason="PostgreSQL is not among the test engines")

_MODIFIED = text("SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = 'customers'")
_ANALYSED = text("SELECT analyze_count, reltuples FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid"
                 " WHERE s.relname = 'customers'")  # fmt: skip


@pytest.fixture
def fresh_db() -> Iterator[Database]:
    url = f"{PG_URL}_stats"
    _fresh_postgres(url)
    db = Database(url)
    migrate.upgrade(db.engine)
    yield db
    db.dispose()
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def _write_customers(db: Database, company_id: str, count: int) -> None:
    now = datetime.now(UTC)
    with db.uow() as uow:
        new = [
            (
                Customer(
                    id=f"cus_{i:05d}",
                    company_id=company_id,
                    name=f"Customer {i}",
                    currency="USD",
                    payment_terms_days=30,
                    balance=Money.zero("USD"),
                    available_credit=Money.zero("USD"),
                    created_at=now,
                ),
                f"CRM-{i:05d}",
            )
            for i in range(count)
        ]
        uow.customers.add_many(new)
        uow.conn.execute(text("SELECT pg_stat_force_next_flush()"))  # the counters reach the view at commit
        uow.commit()


def _modified(conn: Connection, at_least: int) -> int:
    for _ in range(100):  # the statistics view is fed asynchronously; wait for this write to arrive
        n = int(conn.execute(_MODIFIED).scalar_one())
        conn.rollback()
        if n >= at_least:
            return n
        time.sleep(0.05)
    return n


def _generic_plan_of_the_foreign_key_check(conn: Connection) -> str:
    conn.execute(text("SET plan_cache_mode = force_generic_plan"))
    conn.execute(
        text(
            "PREPARE fk_check(text, text) AS SELECT 1 FROM ONLY customers x"
            " WHERE company_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2 FOR KEY SHARE OF x"
        )
    )
    plan = "\n".join(conn.execute(text("EXPLAIN EXECUTE fk_check('c', 'x')")).scalars())
    conn.execute(text("DEALLOCATE fk_check"))
    conn.execute(text("RESET plan_cache_mode"))
    return plan


@needs_postgres
def test_a_table_that_outgrew_its_statistics_is_analysed_once(fresh_db: Database) -> None:
    with fresh_db.uow() as uow:
        company = create_company(uow, slug="stats", name="Stats Co")
        uow.commit()
    _write_customers(fresh_db, company.id, 300)
    with fresh_db.engine.connect() as conn:
        assert _modified(conn, 300) >= 300
        assert conn.execute(_ANALYSED).one()[0] == 0  # never analysed: what a new company's first import meets

    analysed = fresh_db.refresh_statistics()

    assert "customers" in analysed
    assert "invoices" not in analysed  # untouched tables are left alone
    with fresh_db.engine.connect() as conn:
        count, reltuples = conn.execute(_ANALYSED).one()
        assert count == 1
        assert reltuples == 300
        assert "pk_customers" in _generic_plan_of_the_foreign_key_check(conn)
    assert "customers" not in fresh_db.refresh_statistics()  # fresh now: nothing to do


def test_nothing_is_analysed_on_sqlite(tmp_sqlite_url: str) -> None:
    db = Database(tmp_sqlite_url)
    migrate.upgrade(db.engine)
    try:
        assert db.refresh_statistics() == []
    finally:
        db.dispose()
