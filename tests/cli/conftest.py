"""Demo databases for the command tests that change one: the schema and the demo company are made once per
session by `creditmemo db upgrade` then `creditmemo demo` (both asserted), and each test gets a copy of its own
(a copied SQLite file; on PostgreSQL a database created from it as a template), instead of migrating from
scratch and loading the demo again per test."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.cli.runner import run_in_process
from tests.conftest import PG_URL


def _make_demo(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    upgraded = run_in_process(["db", "upgrade"], env)
    assert upgraded.returncode == 0, upgraded.stderr
    demo = run_in_process(["demo"], env)
    assert demo.returncode == 0, demo.stderr


@pytest.fixture(scope="session")
def demo_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo_template") / "demo.db"
    _make_demo(f"sqlite:///{path}")  # the command's engines are disposed: the file is whole, no -wal left over
    return path


@pytest.fixture
def demo_sqlite_url(demo_sqlite_file: Path, tmp_path: Path) -> str:
    """A SQLite file of this test's own holding the demo company."""
    copy = tmp_path / "demo.db"
    for suffix in ("", "-wal"):
        if Path(f"{demo_sqlite_file}{suffix}").exists():
            shutil.copyfile(f"{demo_sqlite_file}{suffix}", f"{copy}{suffix}")
    return f"sqlite:///{copy}"


@pytest.fixture(scope="session")
def demo_postgres_template() -> Iterator[str]:
    url = f"{PG_URL}_demo_tpl"
    _admin(url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(url, 'CREATE DATABASE "{name}"')
    _make_demo(url)
    yield url
    _admin(url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(url: str, statement: str, **names: str) -> None:
    base, name = url.rsplit("/", 1)
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(statement.format(name=name, **names)))
    admin.dispose()


def demo_postgres_copy(template_url: str, url: str) -> None:
    """(Re)create the database of ``url`` as a copy of the demo template."""
    template = template_url.rsplit("/", 1)[1]
    _admin(url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(url, 'CREATE DATABASE "{name}" TEMPLATE "{template}"', template=template)
