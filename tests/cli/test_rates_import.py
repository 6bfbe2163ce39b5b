"""`creditmemo rates import FILE.csv` and `rates list` as a user runs them (the console script, both engines):
good rows set, bad rows reported with row number and field and nothing written for them."""

from __future__ import annotations

import json
from pathlib import Path

from creditmemo.ids import new_id
from creditmemo.services.companies import create_company
from creditmemo.store.uow import Database
from tests.cli.test_sla_import import cli, write_csv


def test_import_sets_good_rows_and_reports_bad_ones(db: Database, tmp_path: Path) -> None:
    slug = new_id("fx").lower().replace("_", "-")[:40]
    with db.uow() as uow:
        create_company(uow, slug=slug, name="Ironclad Manufacturing")
    rows = [
        {"currency": "EUR", "date": "2026-03-01", "rate": "1.08"},
        {"currency": "EUR", "date": "2026-03-10", "rate": " 1.12 "},
        {"currency": "GBP", "date": "2026-03-01", "rate": "0"},
        {"currency": "EUR", "date": "2026-02-30", "rate": "1.1"},
        {"currency": "USD", "date": "2026-03-01", "rate": "1"},
        {"currency": "GBP", "date": "2026-03-01", "rate": "1.27"},
    ]
    path = write_csv(tmp_path / "rates.csv", rows)

    result = cli(db, "rates", "import", str(path), "--company", slug, "--json")
    assert result.returncode == 1, result.stderr  # some rows refused; the good ones are kept
    report = json.loads(result.stdout)
    assert report["set"] == 3
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(3, "rate"), (4, "date"), (5, "currency")]

    listed = cli(db, "rates", "list", "--company", slug, "--json")
    assert listed.returncode == 0, listed.stderr
    assert [(r["currency"], r["date"], r["rate"]) for r in json.loads(listed.stdout)] == [
        ("EUR", "2026-03-01", "1.08"),
        ("EUR", "2026-03-10", "1.12"),
        ("GBP", "2026-03-01", "1.27"),
    ]


def test_a_file_without_the_columns_is_refused_whole(db: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", [{"ccy": "EUR", "rate": "1.1"}])
    result = cli(db, "rates", "import", str(path), "--company", "nobody")
    assert result.returncode == 1
    assert "Missing columns: currency, date" in result.stderr
