"""Stress tests run real `creditmemo serve` / `creditmemo worker` processes against a PostgreSQL database of
their own (``<TEST_POSTGRES_URL>_<suffix>``), created fresh for the test and dropped after it; its deadlock
count is recorded before the drop, for the session's final check (tests/conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests import pg_stats
from tests.conftest import PG_URL
from tests.stress.harness import Procs, run_cli

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "stress"


def stress_url(suffix: str) -> str:
    url = make_url(PG_URL)
    return url.set(database=f"{url.database}_{suffix}").render_as_string(hide_password=False)


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Procs]:
    """Children of the test, each in its own process group; whatever is still running at the end (a
    failed assertion, an exception) is stopped, then killed."""
    p = Procs(tmp_path)
    try:
        yield p
    finally:
        p.stop_all()


@pytest.fixture
def stress_database(procs: Procs) -> Iterator[Callable[[str], str]]:
    """``make(suffix)``: a fresh, migrated database; after the test (its processes stopped first, so their
    backends exit and flush their statistics) its deadlock count is recorded and it is dropped
    (kept when CREDITMEMO_KEEP_STRESS_DB=1)."""
    made: list[str] = []

    def make(suffix: str) -> str:
        url = stress_url(suffix)
        pg_stats.recreate_database(url)
        made.append(url)
        done = run_cli(url, "db", "upgrade")
        assert done.returncode == 0, done.stdout + done.stderr
        return url

    try:
        yield make
    finally:
        procs.stop_all()
        for url in made:
            try:
                pg_stats.record(url)
            finally:
                if os.environ.get("CREDITMEMO_KEEP_STRESS_DB") != "1":
                    pg_stats.drop_database(url)


def save_artifact(name: str, content: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    path.write_text(content)
    return path
