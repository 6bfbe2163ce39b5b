"""Alembic migrations: an empty database upgrades to head on both engines, the migrated schema is exactly
store/tables.py, and `creditmemo db upgrade` on a database with data keeps the data."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, func, inspect, select, text

from creditmemo.services.demo import load_demo
from creditmemo.store import migrate
from creditmemo.store import tables as t
from creditmemo.store.engine import make_engine
from tests.conftest import ENGINES, PG_URL

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
    assert revisions[0] == "0001" and revisions[-1] == HEAD
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
        assert before["memos"] >= 7 and before["journal_lines"] > 0
        result = run_cli("db", "upgrade", url=empty_url)
        assert result.returncode == 0, result.stderr
        assert f"database at revision {HEAD} (was {HEAD})" in " ".join(result.stdout.split())
        assert _row_counts(db.engine) == before
        assert schema_diffs(db.engine) == []
    finally:
        db.dispose()
