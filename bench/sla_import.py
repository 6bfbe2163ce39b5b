"""SLA credits in bulk (issue 11): `creditmemo sla-credits import FILE.csv` on PostgreSQL, 10,000 rows.

    .venv/bin/python bench/sla_import.py                 # database creditmemo_sla_bench, 10,000 rows, --jobs 4
    .venv/bin/python bench/sla_import.py --rows 2000 --jobs 2

Set-up (not timed): a fresh database, one company, 200 customers, invoices of 5 monthly plan lines each
(service period January 2026) until there is one line per row, and a CSV with one outage per line (100 to
3,000 minutes: every row earns a credit). Timed: the console script as a user runs it, from start to exit,
every credit created and posted in its own transaction. Reported: rows/s, wall time, and the check that
every row was credited (and that a second run skips them all)."""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import create_engine, text  # noqa: E402

from creditmemo.domain.inputs import InvoiceLineInput  # noqa: E402
from creditmemo.services.actors import system_actor  # noqa: E402
from creditmemo.services.companies import create_company  # noqa: E402
from creditmemo.services.customers import create_customer  # noqa: E402
from creditmemo.services.invoices import issue_invoice  # noqa: E402
from creditmemo.store import migrate  # noqa: E402
from creditmemo.store.uow import Database  # noqa: E402

PG_URL = os.environ.get("BENCH_SLA_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/creditmemo_sla_bench")
CREDITMEMO = str(ROOT / ".venv" / "bin" / "creditmemo")


def fresh(url: str) -> None:
    base, name = url.rsplit("/", 1)
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def prepare(url: str, rows: int, path: Path) -> None:
    db = Database(url)
    migrate.upgrade(db.engine)
    with db.uow() as uow:
        company_id = create_company(uow, slug="bench", name="Prism Telecom").id
    actor = system_actor(company_id, "bench loader")
    with db.uow() as uow:
        customers = [create_customer(uow, actor, name=f"Customer {i}", currency="USD").id for i in range(200)]
    plan = [
        InvoiceLineInput(f"Plan {k}", "1", f"{500 + 250 * k}.00", service_start="2026-01-01", service_end="2026-01-31")
        for k in range(5)
    ]
    rng = random.Random(7)
    written = 0
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["customer_id", "invoice_line_id", "outage_minutes", "incident_reference"])
        while written < rows:
            with db.uow() as uow:
                for _ in range(100):
                    customer = customers[(written // 5) % len(customers)]
                    invoice = issue_invoice(
                        uow, actor, customer_id=customer, currency="USD", issue_date="2026-01-01", lines=plan
                    )
                    for line in invoice.lines:
                        if written < rows:
                            out.writerow([customer, line.id, rng.randint(100, 3000), f"INC-{written:06d}"])
                            written += 1
                    if written >= rows:
                        break
    db.dispose()


def run(url: str, path: Path, jobs: int) -> tuple[float, str, int]:
    env = {**os.environ, "DATABASE_URL": url}
    started = time.perf_counter()
    result = subprocess.run(
        [CREDITMEMO, "sla-credits", "import", str(path), "--company", "bench", "--jobs", str(jobs)],
        env=env,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - started, result.stdout.strip().splitlines()[-1], result.returncode


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--jobs", type=int, default=4)
    args = ap.parse_args()
    fresh(PG_URL)
    path = Path(tempfile.mkdtemp(prefix="cm_sla_bench_")) / "outages.csv"
    t = time.perf_counter()
    prepare(PG_URL, args.rows, path)
    print(f"prepared {args.rows} invoice lines and the CSV in {time.perf_counter() - t:.0f} s", flush=True)
    load = os.getloadavg()[0]
    seconds, summary, code = run(PG_URL, path, args.jobs)
    print(
        f"import of {args.rows} rows, --jobs {args.jobs}: {seconds:.1f} s = {args.rows / seconds:.0f} rows/s "
        f"(exit {code}; load before {load:.2f}, after {os.getloadavg()[0]:.2f}, cores {os.cpu_count()})"
    )
    print(f"  {summary}")
    engine = create_engine(PG_URL)
    with engine.connect() as conn:
        credited = conn.execute(
            text("SELECT count(*) FROM memos WHERE status = 'posted' AND reason_code = 'sla_credit'")
        ).scalar_one()
    engine.dispose()
    print(f"  posted SLA credits in the database: {credited}")
    seconds, summary, code = run(PG_URL, path, args.jobs)
    print(f"second run (everything already credited): {seconds:.1f} s, exit {code}: {summary}")


if __name__ == "__main__":
    main()
