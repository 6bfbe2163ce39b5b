"""`creditmemo periods list|close|reopen` and the reports' `--period`, run as a user would (issue 17 item 2)."""

from __future__ import annotations

import json
from datetime import date

from creditmemo.domain.dating import period_of
from tests.cli.test_cli import run


def test_close_list_reopen_and_reports_per_period(demo_sqlite_url: str) -> None:
    url = demo_sqlite_url  # the demo company (tests/cli/conftest.py)
    help_text = run(url, "periods", "--help").stdout
    for word in ("list", "close", "reopen"):
        assert word in help_text
    assert "reason" in run(url, "periods", "reopen", "--help").stdout

    closed = run(url, "periods", "close", "2026-03", "--json")
    assert closed.returncode == 0, closed.stderr
    assert json.loads(closed.stdout)["status"] == "closed"
    again = run(url, "periods", "close", "2026-03")
    assert again.returncode == 1
    assert "invalid_transition" in again.stderr

    listed = json.loads(run(url, "periods", "list", "--json").stdout)
    assert listed[0]["period"] == period_of(date.today())
    assert {p["period"]: p["status"] for p in listed}["2026-03"] == "closed"
    assert "2026-03" in run(url, "periods", "list").stdout

    no_reason = run(url, "periods", "reopen", "2026-03", "--reason", " ")
    assert no_reason.returncode == 1
    assert "reason" in no_reason.stderr
    reopened = run(url, "periods", "reopen", "2026-03", "--reason", "Late supplier credit", "--json")
    assert reopened.returncode == 0, reopened.stderr
    assert json.loads(reopened.stdout)["reopen_reason"] == "Late supplier credit"

    month = period_of(date.today())
    tb = json.loads(run(url, "report", "trial-balance", "--period", month, "--json").stdout)
    assert tb["balanced"]
    register = json.loads(run(url, "report", "register", "--period", month, "--json").stdout)
    assert register["rows"]
    bad = run(url, "report", "trial-balance", "--period", "2026-3")
    assert bad.returncode == 1
    assert "period" in bad.stderr
