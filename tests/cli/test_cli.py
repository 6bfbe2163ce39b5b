"""The `creditmemo` commands with DATABASE_URL to a SQLite file, run in the test process (tests/cli/runner.py);
the console script as installed runs in a real process of its own once (test_the_console_script_as_installed)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.cli.runner import Ran, run_in_process

CLI = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "creditmemo"


def run(url: str, *args: str) -> Ran:
    return run_in_process(list(args), {**os.environ, "DATABASE_URL": url, "COLUMNS": "200"})


def test_the_console_script_as_installed(tmp_path: Path) -> None:
    """The script pip installed starts, runs a command on the database it is given, and exits with the
    command's status: 0, then 1 with the error on one line and no traceback."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'script.db'}", "COLUMNS": "200"}
    done = subprocess.run([str(CLI), "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "database at revision" in done.stdout
    missing = subprocess.run(
        [str(CLI), "memo", "show", "CM-999999"], env=env, capture_output=True, text=True, timeout=120
    )
    assert missing.returncode == 1
    assert "not_found" in missing.stderr
    assert "Traceback" not in missing.stderr + missing.stdout


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Ran]:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'demo.db'}"
    return url, run(url, "demo")


def test_demo_prints_the_memo_table(demo_db):
    _, result = demo_db
    assert result.returncode == 0, result.stderr
    assert "Demo company: memos" in result.stdout
    for text in (
        "CM-000001",
        "CM-000007",
        "DM-000001",
        "posted",
        "draft",
        "void",
        "discarded",
        "Acme Corp",
        "Globex GmbH",
        "Initech",
        "974.25 USD",
    ):
        assert text in result.stdout, text
    assert "Traceback" not in result.stderr


def test_demo_again_changes_nothing(demo_db):
    url, _ = demo_db
    result = run(url, "demo")
    assert result.returncode == 0
    assert "already exists; nothing changed" in result.stdout
    assert "CM-000001" in result.stdout  # and what it holds is shown again


def test_demo_json_on_an_existing_database_prints_json(demo_db):
    url, _ = demo_db
    result = run(url, "demo", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)  # JSON only: nothing else on stdout
    assert data["created"] is False
    assert "CM-000001" in {m["number"] for m in data["memos"]}
    assert {r["number"] for r in data["returns"]} >= {"RMA-000001"}


def test_demo_json(tmp_path):
    result = run(f"sqlite:///{tmp_path / 'j.db'}", "demo", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["company_id"].startswith("co_")
    by_number = {m["number"]: m for m in data["memos"]}
    assert sorted(by_number) == [f"CM-{i:06d}" for i in range(1, 12)] + ["DM-000001"]
    # Issue 18 item 10: every state a memo can be in, including both approval tiers waiting.
    assert {m["status"] for m in data["memos"]} == {
        "draft",
        "pending_approval",
        "approved",
        "ready_to_post",
        "posted",
        "void",
        "discarded",
    }
    assert data["created"] is True
    assert by_number["CM-000001"] == {
        "number": "CM-000001",
        "status": "posted",
        "total": "974.25 USD",
        "customer": "Acme Corp",
    }
    assert by_number["CM-000005"]["status"] == "discarded"
    assert by_number["CM-000004"]["status"] == "void"


def test_memo_show_json_returns_the_memo(demo_db):
    url, _ = demo_db
    result = run(url, "memo", "show", "CM-000001", "--json")
    assert result.returncode == 0, result.stderr
    memo = json.loads(result.stdout)
    assert (memo["number"], memo["kind"], memo["status"], memo["source"], memo["reason_code"]) == (
        "CM-000001",
        "credit",
        "posted",
        "invoice",
        "billing_error",
    )
    assert (memo["currency"], memo["subtotal"], memo["tax_total"], memo["total"]) == (
        "USD",
        "900.00",
        "74.25",
        "974.25",
    )
    assert memo["memo"] == "Six hours billed twice."
    (line,) = memo["lines"]
    assert (line["quantity"], line["net_amount"], line["tax_rate"], line["tax_amount"]) == (
        "6",
        "900.00",
        "8.25",
        "74.25",
    )
    assert line["invoice_line_id"].startswith("il_")


def test_memo_show_table(demo_db):
    url, _ = demo_db
    result = run(url, "memo", "show", "CM-000001")
    assert result.returncode == 0, result.stderr
    assert "CM-000001" in result.stdout
    assert "status posted" in result.stdout
    assert "974.25" in result.stdout


def test_memo_journal(demo_db):
    url, _ = demo_db
    result = run(url, "memo", "journal", "CM-000004")
    assert result.returncode == 0, result.stderr
    assert " post " in result.stdout
    assert " void " in result.stdout
    data = json.loads(run(url, "memo", "journal", "CM-000004", "--json").stdout)
    assert [e["kind"] for e in data] == ["post", "void"]
    rows = [(line["account"], line["debit"], line["credit"]) for line in data[0]["lines"]]
    assert rows == [("4900", "500.00", "0.00"), ("2200", "41.25", "0.00"), ("1200", "0.00", "541.25")]
    assert [(line["account"], line["debit"], line["credit"]) for line in data[1]["lines"]] == [
        (a, c, d) for a, d, c in rows
    ]
    draft = run(url, "memo", "journal", "CM-000003")
    assert draft.returncode == 0
    assert "not posted" in draft.stdout


def test_customer_balance_json(demo_db):
    url, _ = demo_db
    result = run(url, "customer", "balance", "Acme Corp", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    # two invoices of 22,185.84, less CM-000001 (974.25) and the goodwill credit (300.00)
    assert (data["name"], data["currency"], data["balance"]) == ("Acme Corp", "USD", "43097.43")
    assert data["available_credit"] == "300.00"  # CM-000001 applied itself to its invoice; goodwill did not
    text = run(url, "customer", "balance", "Acme Corp")
    assert "Acme Corp: balance 43097.43 USD" in text.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("memo", "show", "CM-999999"),
        ("memo", "journal", "nope"),
        ("customer", "balance", "Nobody Ltd"),
        ("memo", "show", "CM-000001", "--company", "x"),
    ],
)
def test_unknown_things_exit_1_with_not_found_and_no_traceback(demo_db, args):
    url, _ = demo_db
    result = run(url, *args)
    assert result.returncode == 1
    assert "not_found" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
