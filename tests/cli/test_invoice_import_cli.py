"""`creditmemo import invoices FILE` and `creditmemo export journal` as a user runs them (the console script, both
engines): a progress bar, the counts, every bad row with its row and field (exit 1), a re-run creating nothing,
--dry-run, JSON input, an unreadable file refused whole; the journal written as CSV or JSON, and its period
summary by account, to a file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from creditmemo.ids import new_id
from creditmemo.services.companies import create_company
from creditmemo.store.uow import Database
from tests.cli.test_sla_import import cli

CSV = (
    "external_id,customer_external_id,customer_name,currency,issue_date,description,quantity,unit_price,tax_rate\n"
    "C-1,CLI,Cli Corp,USD,2026-04-01,Widget,2,50.00,8.25\n"
    "C-1,CLI,,USD,2026-04-01,Setup,1,25.00,\n"
    "C-2,CLI,,USD,2026-04-02,Broken,1,abc,\n"
    "C-3,CLI,,USD,2026-04-03,Fine,1,10.00,\n"
)


def company(db: Database) -> str:
    slug = new_id("imp").lower().replace("_", "-")[:40]
    with db.uow() as uow:
        create_company(uow, slug=slug, name="Import Co")
    return slug


def test_import_then_rerun_then_export(db: Database, tmp_path: Path) -> None:
    slug = company(db)
    path = tmp_path / "invoices.csv"
    path.write_text(CSV, encoding="utf-8")
    dry = cli(db, "import", "invoices", str(path), "--company", slug, "--dry-run", "--json")
    assert dry.returncode == 1, dry.stderr
    assert json.loads(dry.stdout)["created"] == 2
    first = cli(db, "import", "invoices", str(path), "--company", slug)
    assert first.returncode == 1, first.stderr
    assert "2 invoices created (3 lines, 1 new customers), 0 already present, 1 rejected" in first.stdout
    assert "importing rows" in first.stderr  # the progress bar
    assert "unit_price" in first.stderr
    assert "'abc' is not a decimal number." in first.stderr
    again = cli(db, "import", "invoices", str(path), "--company", slug, "--json")
    report = json.loads(again.stdout)
    assert (report["created"], report["already_present"], report["rejected"]) == (0, 2, 1)
    assert report["errors"] == [
        {"row": 3, "field": "unit_price", "code": "invalid_decimal", "message": "'abc' is not a decimal number."}
    ]

    out = tmp_path / "journal.csv"
    export = cli(
        db, "export", "journal", "--from", "2026-04-01", "--to", "2026-04-02", "--company", slug, "--output", str(out)
    )
    assert export.returncode == 0, export.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {r["source_number"] for r in rows} == {"INV-000001"}  # C-3 is dated 2026-04-03: outside the period
    assert [r["line_no"] for r in rows] == ["1", "2", "3"]
    assert sum(float(r["debit"]) for r in rows) == sum(float(r["credit"]) for r in rows) == 133.25
    assert rows[0]["sequence"] in ("1", "2")  # its place in the posting order (C-3 was sequenced in the same run)
    summary = cli(
        db,
        "export",
        "journal",
        "--from",
        "2026-04-01",
        "--to",
        "2026-04-30",
        "--company",
        slug,
        "--summary",
        "--format",
        "json",
    )
    by_account = {r["account"]: r for r in json.loads(summary.stdout)}
    assert (by_account["1200"]["debit"], by_account["1200"]["lines"]) == ("143.25", "2")


def test_json_files_and_unreadable_files(db: Database, tmp_path: Path) -> None:
    slug = company(db)
    path = tmp_path / "invoices.json"
    body = [
        {
            "external_id": "J-1",
            "customer_external_id": "JSON",
            "customer_name": "Json Ltd",
            "currency": "USD",
            "issue_date": "2026-04-01",
            "lines": [{"description": "A", "quantity": "1", "unit_price": "10.00"}],
        }
    ]
    path.write_text(json.dumps(body), encoding="utf-8")
    ok = cli(db, "import", "invoices", str(path), "--company", slug)
    assert ok.returncode == 0, ok.stderr
    assert "1 invoices created" in ok.stdout
    bad = tmp_path / "latin.csv"
    bad.write_bytes(CSV.replace("Cli Corp", "Clié").encode("latin-1"))
    refused = cli(db, "import", "invoices", str(bad), "--company", slug)
    assert refused.returncode == 1
    assert "not UTF-8" in refused.stderr
