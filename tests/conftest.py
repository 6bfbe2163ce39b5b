"""Fixtures: every database test runs on SQLite and on PostgreSQL (the same suite).

Engines come from CREDITMEMO_TEST_ENGINES (default "sqlite,postgresql"); PostgreSQL from
TEST_POSTGRES_URL (default: the local server, database creditmemo_test, recreated per session).
Tests are isolated by company: each test makes its own company, as tenants are in production.

When the session used PostgreSQL, it fails at its end if PostgreSQL counted a deadlock in the test database
or in a stress database (tests/pg_stats.py): the write path is deadlock-free by construction
(docs/CONCURRENCY.md), and a deadlock retried away is still a deadlock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from creditmemo.ids import new_id
from creditmemo.services.actors import Actor, Role, system_actor
from creditmemo.services.companies import create_company
from creditmemo.store import migrate
from creditmemo.store.uow import Database
from tests import pg_stats

ENGINES = [e.strip() for e in os.environ.get("CREDITMEMO_TEST_ENGINES", "sqlite,postgresql").split(",") if e.strip()]
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/creditmemo_test")
# Under pytest-xdist (scripts/test runs two workers) each worker gets databases of its own: every PostgreSQL
# database the suite makes is named after PG_URL's, so one suffix keeps the workers apart.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if XDIST_WORKER:
    _url = make_url(PG_URL)
    PG_URL = _url.set(database=f"{_url.database}_{XDIST_WORKER}").render_as_string(hide_password=False)
    # xdist gives its workers COLUMNS=80 and LINES; the CLI's consoles (made at import) would keep that width
    # whatever the environment a command test passes (tests/cli/runner.py). A worker runs like plain pytest.
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)


_fresh: set[str] = set()  # PostgreSQL databases this session recreated (their deadlock counters start at 0)


def _fresh_postgres(url: str) -> None:
    base, name = url.rsplit("/", 1)
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    _fresh.add(url)


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    urls = {}
    if "sqlite" in ENGINES:
        urls["sqlite"] = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    if "postgresql" in ENGINES:
        _fresh_postgres(PG_URL)
        urls["postgresql"] = PG_URL
    return urls


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.postgres_only``: a test of PostgreSQL's row locks and concurrency. Its SQLite variant
    (the ``db`` fixture's sqlite parameter) is deselected when PostgreSQL runs too, so it is counted once;
    when PostgreSQL is not among CREDITMEMO_TEST_ENGINES the test is skipped with that reason, never passed."""
    if "postgresql" not in ENGINES:
        skip = pytest.mark.skip(
            reason=f"postgres_only: PostgreSQL is not among CREDITMEMO_TEST_ENGINES={','.join(ENGINES)}; "
            "add postgresql to run it"
        )
        for item in items:
            if item.get_closest_marker("postgres_only") is not None:
                item.add_marker(skip)
        return
    kept, sqlite_variants = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_sqlite = callspec is not None and callspec.params.get("db") == "sqlite"
        if on_sqlite and item.get_closest_marker("postgres_only") is not None:
            sqlite_variants.append(item)
        else:
            kept.append(item)
    if sqlite_variants:
        config.hook.pytest_deselected(items=sqlite_variants)
        items[:] = kept


_databases: dict[str, Database] = {}


@pytest.fixture(scope="session", params=ENGINES)
def db(request: pytest.FixtureRequest, database_urls: dict[str, str]) -> Database:
    engine_name = request.param
    if engine_name not in _databases:
        database = Database(database_urls[engine_name])
        migrate.upgrade(database.engine)
        _databases[engine_name] = database
    return _databases[engine_name]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for database in _databases.values():
        database.dispose()
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: its deadlock counts go to the controller's summary
        workeroutput["pg_deadlocks"] = dict(pg_stats.RECORDED)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """On the xdist controller: gather each worker's deadlock counts for the terminal summary (each worker
    has already failed its own session if it counted one)."""
    pg_stats.RECORDED.update(getattr(node, "workeroutput", {}).get("pg_deadlocks", {}))


@pytest.fixture(scope="session", autouse=True)
def _no_postgres_deadlock() -> Iterator[None]:
    """Torn down last: dispose the engines (their backends exit and flush their statistics), then fail if
    PostgreSQL counted a deadlock in the test database recreated by this session or in a stress database
    (whose counts the stress fixtures recorded before dropping them)."""
    yield
    for database in _databases.values():
        database.dispose()
    for url in _fresh:
        pg_stats.record(url)
    counted = {name: n for name, n in pg_stats.RECORDED.items() if n}
    assert not counted, f"PostgreSQL counted deadlocks during the test session: {counted}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if pg_stats.RECORDED:
        counts = ", ".join(f"{name} {n}" for name, n in sorted(pg_stats.RECORDED.items()))
        terminalreporter.write_line(
            f"PostgreSQL deadlocks (pg_stat_database): {counts}",
            red=any(pg_stats.RECORDED.values()),
            green=not any(pg_stats.RECORDED.values()),
        )


@pytest.fixture
def company_id(db: Database) -> str:
    with db.uow() as uow:
        return create_company(uow, slug=new_id("t").lower().replace("_", "-")[:40], name="Test Co").id


@pytest.fixture
def controller(company_id: str) -> Actor:
    return system_actor(company_id, "test controller")


@pytest.fixture
def clerk(company_id: str) -> Actor:
    return Actor("usr_clerk", company_id, Role.CLERK, label="clerk@test")


@pytest.fixture
def engine_name(db: Database) -> str:
    return "postgresql" if db.postgres else "sqlite"


@pytest.fixture
def tmp_sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cm.db'}"
