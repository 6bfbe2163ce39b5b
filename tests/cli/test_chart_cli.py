"""`creditmemo reasons list|add|update` and `creditmemo accounts list|add|update` (issue 17 item 7),
through the command's entry point (in the test process: tests/cli/runner.py), on a fresh SQLite file and a fresh
PostgreSQL database."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.cli.conftest import demo_postgres_copy
from tests.cli.runner import Ran, run_in_process
from tests.conftest import ENGINES, PG_URL
from tests.store.test_migrations import _drop_pg


@pytest.fixture(params=ENGINES)
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of this test's own with the demo company (a copy of the session's: tests/cli/conftest.py)."""
    if request.param == "sqlite":
        url: str = request.getfixturevalue("demo_sqlite_url")
    else:
        url = f"{PG_URL}_chart_cli"
        demo_postgres_copy(request.getfixturevalue("demo_postgres_template"), url)
    yield url
    if request.param != "sqlite":
        _drop_pg(url)


def run(url: str, *args: str) -> Ran:
    return run_in_process(list(args), {**os.environ, "DATABASE_URL": url, "COLUMNS": "200"})


def as_json(url: str, *args: str) -> Any:
    result = run(url, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_reasons_list_add_update(url: str) -> None:
    reasons = {r["code"]: r for r in as_json(url, "reasons", "list")}
    assert reasons["write_off"]["account"] == "6300"
    added = as_json(url, "reasons", "add", "late_fee", "--account", "6100", "--description", "Late fee waived")
    assert added == [
        {"code": "late_fee", "description": "Late fee waived", "account": "6100", "applies_to": "both", "active": True}
    ]
    updated = as_json(url, "reasons", "update", "late_fee", "--account", "6200", "--deactivate")
    assert (updated[0]["account"], updated[0]["active"]) == ("6200", False)
    assert [r["code"] for r in as_json(url, "reasons", "list", "--inactive")] == ["late_fee"]
    table = run(url, "reasons", "list")
    assert "late_fee" in table.stdout
    assert "Write-off of an uncollectible balance" in table.stdout


def test_accounts_list_add_update(url: str) -> None:
    accounts = {a["number"]: a for a in as_json(url, "accounts", "list")}
    assert accounts["6300"] == {
        "number": "6300",
        "name": "Bad debt expense",
        "kind": "expense",
        "role": "bad_debt_expense",
        "active": True,
    }
    assert as_json(url, "accounts", "add", "6400", "--name", "Concessions", "--kind", "expense")[0]["active"] is True
    assert as_json(url, "accounts", "update", "6400", "--name", "Customer concessions", "--deactivate")[0] == {
        "number": "6400",
        "name": "Customer concessions",
        "kind": "expense",
        "role": None,
        "active": False,
    }
    refused = run(url, "reasons", "add", "concession", "--account", "6400")
    assert refused.returncode == 1
    assert "validation_error" in refused.stderr
    assert "inactive" in refused.stderr


def test_refusals_are_one_line_naming_the_code_and_field(url: str) -> None:
    in_use = run(url, "accounts", "update", "1200", "--deactivate")
    assert in_use.returncode == 1
    assert "account_in_use (active)" in in_use.stderr
    assert "Traceback" not in in_use.stderr
    bad = run(url, "accounts", "add", "6500", "--name", "X", "--kind", "income")
    assert (bad.returncode, "validation_error (kind)" in bad.stderr) == (1, True)
    unknown = run(url, "reasons", "update", "no_such", "--deactivate")
    assert (unknown.returncode, "not_found" in unknown.stderr) == (1, True)


def test_help_texts_say_what_each_command_does(url: str) -> None:
    for group, words in (("reasons", "never deleted"), ("accounts", "never deleted")):
        result = run(url, group, "--help")
        assert result.returncode == 0
        assert words in result.stdout
        for command in ("list", "add", "update"):
            assert command in result.stdout
