"""`creditmemo sla-credits import FILE.csv` through its entry point (in the test process: tests/cli/runner.py),
on both engines: good rows credited and posted,
bad rows reported with their row number and field and nothing written for them, a re-run
skipping what is already credited, a file without the columns refused whole."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from creditmemo.domain.inputs import InvoiceLineInput
from creditmemo.ids import new_id
from creditmemo.services.actors import system_actor
from creditmemo.services.audit_trail import verify_audit_chain
from creditmemo.services.companies import create_company
from creditmemo.services.customers import create_customer
from creditmemo.services.invoices import issue_invoice
from creditmemo.services.reports import reconcile
from creditmemo.store.uow import Database
from tests.cli.runner import Ran, run_in_process


def cli(db: Database, *args: str) -> Ran:
    env = {**os.environ, "DATABASE_URL": db.engine.url.render_as_string(hide_password=False), "COLUMNS": "200"}
    return run_in_process(list(args), env)


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns or list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_import_credits_good_rows_reports_bad_ones_and_skips_on_a_rerun(db: Database, tmp_path: Path) -> None:
    slug = new_id("sla").lower().replace("_", "-")[:40]
    with db.uow() as uow:
        company_id = create_company(uow, slug=slug, name="Prism Telecom").id
    actor = system_actor(company_id, "test")
    with db.uow() as uow:
        cust = create_customer(uow, actor, name="Metro Fibre", currency="USD")
        inv = issue_invoice(
            uow,
            actor,
            customer_id=cust.id,
            currency="USD",
            issue_date="2026-01-01",
            lines=[
                InvoiceLineInput("Plan A", "1", "3000.00", service_start="2026-01-01", service_end="2026-01-31"),
                InvoiceLineInput("Plan B", "1", "1000.00", service_start="2026-01-01", service_end="2026-01-31"),
            ],
        )
    a, b = (line.id for line in inv.lines)
    rows = [
        {"customer_id": cust.id, "invoice_line_id": a, "outage_minutes": "2160", "incident_reference": "INC-1"},
        {"customer_id": cust.id, "invoice_line_id": b, "outage_minutes": "500", "incident_reference": "INC-2"},
        {"customer_id": cust.id, "invoice_line_id": b, "outage_minutes": "99999", "incident_reference": "INC-3"},
        {"customer_id": cust.id, "invoice_line_id": "il_nope", "outage_minutes": "60", "incident_reference": "INC-4"},
        {"customer_id": cust.id, "invoice_line_id": a, "outage_minutes": "ten", "incident_reference": "INC-5"},
        {"customer_id": cust.id, "invoice_line_id": b, "outage_minutes": "700", "incident_reference": "INC-2"},
    ]
    path = write_csv(tmp_path / "outages.csv", rows)

    first = cli(db, "sla-credits", "import", str(path), "--company", slug, "--json")
    assert first.returncode == 1, first.stderr  # some rows were refused; the good ones are kept
    report = json.loads(first.stdout)
    # the second row of INC-2 in the same file is skipped by the per-row check, not credited twice
    assert (report["created"], report["posted"], report["skipped"]) == (2, 2, 1)
    assert [(e["row"], e["field"], e["code"]) for e in report["errors"]] == [
        (3, "outage_minutes", "out_of_range"),
        (4, "invoice_line_id", "not_found"),
        (5, "outage_minutes", "invalid"),
    ]
    with db.uow(readonly=True) as uow:
        credited = [uow.memos.by_incident(company_id, cust.id, ref) for ref in ("INC-1", "INC-2", "INC-3")]
    totals = sorted(str(m.total.amount) for m in credited if m is not None)
    assert totals == ["250.00", "750.00"]  # 3000 x 25 %; 1000 x 25 % (500 minutes: uptime 98.88 %, below 99.0)

    again = cli(db, "sla-credits", "import", str(path), "--company", slug)
    assert again.returncode == 1
    assert "0 credits created" in again.stdout
    assert "3 already credited" in again.stdout  # found in one read before any row's transaction
    assert "Refused rows" in again.stderr


def test_a_file_without_the_columns_is_refused_whole(db: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", [{"customer": "x", "minutes": "1"}])
    result = cli(db, "sla-credits", "import", str(path), "--company", "nobody")
    assert result.returncode == 1
    assert "Missing columns: customer_id, invoice_line_id, outage_minutes, incident_reference" in result.stderr


@pytest.mark.postgres_only
def test_jobs_share_the_rows_across_processes_and_the_books_still_reconcile(db: Database, tmp_path: Path) -> None:
    """--jobs on PostgreSQL: several processes, every row credited once, the ledger and the audit chain whole."""
    slug = new_id("sla").lower().replace("_", "-")[:40]
    with db.uow() as uow:
        company_id = create_company(uow, slug=slug, name="Prism Telecom").id
    actor = system_actor(company_id, "test")
    plan = [
        InvoiceLineInput(f"Plan {k}", "1", "1000.00", service_start="2026-01-01", service_end="2026-01-31")
        for k in range(4)
    ]
    rows = []
    with db.uow() as uow:
        for c in range(3):
            cust = create_customer(uow, actor, name=f"Customer {c}", currency="USD")
            inv = issue_invoice(uow, actor, customer_id=cust.id, currency="USD", issue_date="2026-01-01", lines=plan)
            rows += [
                {
                    "customer_id": cust.id,
                    "invoice_line_id": line.id,
                    "outage_minutes": "500",
                    "incident_reference": f"INC-{c}-{k}",
                }
                for k, line in enumerate(inv.lines)
            ]
    path = write_csv(tmp_path / "outages.csv", rows)

    result = cli(db, "sla-credits", "import", str(path), "--company", slug, "--jobs", "3", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["created"], report["posted"], report["skipped"], report["errors"]) == (12, 12, 0, [])
    with db.uow(readonly=True) as uow:
        assert verify_audit_chain(uow, company_id) is None
        books = reconcile(uow, actor)
        assert books.ok, books.problems
        memos = [uow.memos.by_incident(company_id, r["customer_id"], r["incident_reference"]) for r in rows]
    assert {(m.status, str(m.total.amount)) for m in memos if m} == {("posted", "250.00")}  # 1000 x 25 % each
    assert sorted(m.number for m in memos if m) == sorted(report["numbers"])
    assert sorted(report["numbers"]) == [f"CM-{n:06d}" for n in range(1, 13)]  # gapless across the processes
