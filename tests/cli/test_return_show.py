"""`creditmemo return show` through its entry point (in the test process), on the demo company, which has a return in
each status (authorized, received in part, credited, cancelled)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.runner import Ran
from tests.cli.test_cli import run


@pytest.fixture(scope="module")
def demo_url(demo_sqlite_file: Path) -> str:
    """The session's demo database (tests/cli/conftest.py): these tests only read it."""
    return f"sqlite:///{demo_sqlite_file}"


def show(url: str, *args: str) -> Ran:
    return run(url, "return", "show", *args)


def test_the_demo_has_a_return_in_each_status(demo_url: str) -> None:
    statuses = {}
    for n in range(1, 5):
        result = show(demo_url, f"RMA-{n:06d}", "--json")
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        statuses[data["number"]] = data["status"]
    assert statuses == {
        "RMA-000001": "credited",
        "RMA-000002": "authorized",
        "RMA-000003": "received",
        "RMA-000004": "cancelled",
    }


def test_demo_lists_its_returns(tmp_path) -> None:
    result = run(f"sqlite:///{tmp_path / 'r.db'}", "demo", "--json")
    assert result.returncode == 0, result.stderr
    returns = json.loads(result.stdout)["returns"]
    assert [(r["number"], r["status"]) for r in returns] == [
        ("RMA-000001", "credited"),
        ("RMA-000002", "authorized"),
        ("RMA-000003", "received"),
        ("RMA-000004", "cancelled"),
    ]


def test_json_shows_lines_and_the_credit_memo(demo_url: str) -> None:
    data = json.loads(show(demo_url, "RMA-000001", "--json").stdout)
    assert (data["case_reference"], data["allowed_actions"]) == ("CASE-1001", [])
    assert [(x["quantity"], x["quantity_received"], x["quantity_credited"], x["restock"]) for x in data["lines"]] == [
        ("2", "2", "2", True)
    ]
    assert [(m["number"], m["status"]) for m in data["credit_memos"]] == [("CM-000002", "posted")]
    by_id = json.loads(show(demo_url, data["id"], "--json").stdout)
    assert by_id["number"] == "RMA-000001"
    memo = json.loads(run(demo_url, "memo", "show", "CM-000002", "--json").stdout)
    assert (memo["source"], memo["total"]) == ("return", "1080.34")


def test_table_and_unknown(demo_url: str) -> None:
    result = show(demo_url, "RMA-000003")
    assert result.returncode == 0, result.stderr
    for text in ("RMA-000003", "received", "Hardware gateway", "Casing cracked", "CASE-1003"):
        assert text in result.stdout, text
    missing = show(demo_url, "RMA-000099")
    assert missing.returncode == 1
    assert "not_found" in missing.stderr
    assert "Traceback" not in missing.stderr
