"""Invoices in bulk (issue 13 item 1): `creditmemo import invoices FILE.csv` on PostgreSQL, 100,000 invoice lines.

    .venv/bin/python bench/invoice_import.py                       # database creditmemo_import_bench, 100,000 lines
    .venv/bin/python bench/invoice_import.py --lines 20000 --lines-per-invoice 4 --jobs 2

Set-up (not timed): a fresh database with one company (the demo chart) and a CSV of ``--lines`` rows, 5 lines per
invoice (20,000 invoices), 2,000 customers named by customer_external_id (created on the fly by the import), two
tax rates. Timed: the console script as a user runs it, from start to exit (read, validate, write in chunks of
500 invoices per transaction, the audit events sealed and the journal entries sequenced by the background sealer
before the command exits). Reported: lines/s, wall time, the load average before and after, the counts in the
database, and a second run of the same file (everything already present: nothing created)."""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import create_engine, text  # noqa: E402

from creditmemo.services.companies import create_company  # noqa: E402
from creditmemo.store import migrate  # noqa: E402
from creditmemo.store.uow import Database  # noqa: E402

PG_URL = os.environ.get(
    "BENCH_IMPORT_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/creditmemo_import_bench"
)
CREDITMEMO = str(ROOT / ".venv" / "bin" / "creditmemo")
APP = "creditmemo_import_bench"
COLUMNS = [
    "external_id",
    "customer_external_id",
    "customer_name",
    "currency",
    "issue_date",
    "description",
    "quantity",
    "unit_price",
    "tax_rate",
]


def fresh(url: str) -> None:
    base, name = url.rsplit("/", 1)
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def prepare(url: str, lines: int, per_invoice: int, path: Path) -> None:
    db = Database(url)
    migrate.upgrade(db.engine)
    with db.uow() as uow:
        create_company(uow, slug="bench", name="Northwind Billing")
    db.dispose()
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(COLUMNS)
        for i in range(lines):
            invoice = i // per_invoice
            customer = invoice % 2000
            out.writerow(
                [
                    f"BILL-{invoice:07d}",
                    f"CRM-{customer:05d}",
                    f"Customer {customer}",
                    "USD",
                    f"2026-03-{1 + invoice % 28:02d}",
                    f"Service {i % per_invoice + 1}",
                    str(1 + i % 3),
                    f"{19 + i % 50}.{i % 100:02d}",
                    "8.25" if i % 2 else "0",
                ]
            )


class BackendCpu:
    """CPU seconds of the PostgreSQL backends serving the command (its connections carry application_name
    ``APP``): sampled from /proc every 0.2 s while it runs, the last sample of each backend kept."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.ticks: dict[int, int] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self.engine.connect() as conn:
            while not self.stop.is_set():
                pids = conn.execute(
                    text("SELECT pid FROM pg_stat_activity WHERE application_name = :a"), {"a": APP}
                ).scalars()
                for pid in pids:
                    try:
                        stat = Path(f"/proc/{pid}/stat").read_text()
                    except OSError:
                        continue
                    fields = stat[stat.rindex(")") + 2 :].split()
                    self.ticks[pid] = int(fields[11]) + int(fields[12])
                conn.rollback()
                self.stop.wait(0.2)

    def __enter__(self) -> BackendCpu:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()
        self.engine.dispose()

    @property
    def seconds(self) -> float:
        return sum(self.ticks.values()) / os.sysconf("SC_CLK_TCK")


def run(url: str, path: Path, jobs: int) -> tuple[float, float, float, str, int]:
    """Wall seconds, CPU seconds of the command (its processes and threads: parsing, the domain, the driver, the
    sealer) and of its PostgreSQL backends, its summary line and exit status."""
    env = {**os.environ, "DATABASE_URL": f"{url}?application_name={APP}"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with BackendCpu(url) as backends:
        result = subprocess.run(
            [CREDITMEMO, "import", "invoices", str(path), "--company", "bench", "--jobs", str(jobs)],
            env=env,
            capture_output=True,
            text=True,
        )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = (result.stdout.strip() or result.stderr.strip()).splitlines()
    return wall, cpu, backends.seconds, lines[-1] if lines else "", result.returncode


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--lines-per-invoice", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args()
    fresh(PG_URL)
    path = Path(tempfile.mkdtemp(prefix="cm_import_bench_")) / "invoices.csv"
    t = time.perf_counter()
    prepare(PG_URL, args.lines, args.lines_per_invoice, path)
    print(f"prepared the company and a CSV of {args.lines} lines in {time.perf_counter() - t:.0f} s", flush=True)
    load = os.getloadavg()
    seconds, cpu, server, summary, code = run(PG_URL, path, args.jobs)
    after = os.getloadavg()
    print(
        f"import of {args.lines} lines, --jobs {args.jobs}: {seconds:.1f} s = {args.lines / seconds:.0f} lines/s "
        f"(exit {code}; load before {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}, after {after[0]:.2f}; "
        f"cores {os.cpu_count()})"
    )
    print(
        f"  CPU: the command (all its processes and threads) {cpu:.1f} s, its PostgreSQL backends {server:.1f} s "
        f"(sampled): {cpu + server:.1f} s of CPU in all"
    )
    print(f"  {summary}")
    engine = create_engine(PG_URL)
    with engine.connect() as conn:
        counts = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM invoices), (SELECT count(*) FROM invoice_lines),"
                " (SELECT count(*) FROM customers), (SELECT count(*) FROM journal_entries WHERE export_seq IS NULL),"
                " (SELECT count(*) FROM audit_events WHERE seq IS NULL)"
            )
        ).one()
    engine.dispose()
    print(
        f"  in the database: {counts[0]} invoices, {counts[1]} lines, {counts[2]} customers; "
        f"{counts[3]} journal entries not sequenced, {counts[4]} audit events not sealed"
    )
    seconds, cpu, server, summary, code = run(PG_URL, path, args.jobs)
    print(f"second run of the same file: {seconds:.1f} s ({cpu:.1f} + {server:.1f} s CPU), exit {code}: {summary}")


if __name__ == "__main__":
    main()
