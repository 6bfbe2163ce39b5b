"""Revenue recognition run (issue 12): 100,000 scheduled lines x 12 months on PostgreSQL, target <= 30 s.

    .venv/bin/python bench/revenue.py                    # database creditmemo_revenue_bench, 100,000 lines
    .venv/bin/python bench/revenue.py --lines 10000

Set-up (not timed): a fresh database, one company, 100 customers, invoices of 1,000 lines each (a service
period 2026-01-01..2026-12-31, nets from 120.00 to 1,319.99) until there are ``--lines`` lines: 12 schedule rows
each. Timed: one recognition run through 2026-12-31 (``services/revenue.recognize`` in one transaction, as
`POST /v1/revenue/recognize` and `creditmemo revenue recognize` run it): every month of every line, set-based
(one UPDATE ... RETURNING summed per month, never a row in Python), 12 journal entries. Then a second run
(nothing to do) and the checks: deferred revenue is zero, revenue = the invoices' nets, the books reconcile."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import create_engine, text  # noqa: E402

from creditmemo.domain.inputs import InvoiceLineInput  # noqa: E402
from creditmemo.services.actors import system_actor  # noqa: E402
from creditmemo.services.companies import create_company  # noqa: E402
from creditmemo.services.customers import create_customer  # noqa: E402
from creditmemo.services.invoices import issue_invoice  # noqa: E402
from creditmemo.services.reports import reconcile  # noqa: E402
from creditmemo.services.revenue import recognize  # noqa: E402
from creditmemo.store import migrate  # noqa: E402
from creditmemo.store.uow import Database  # noqa: E402

PG_URL = os.environ.get(
    "BENCH_REVENUE_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/creditmemo_revenue_bench"
)
PER_INVOICE = 1000


def fresh(url: str) -> None:
    base, name = url.rsplit("/", 1)
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def prepare(db: Database, lines: int) -> str:
    migrate.upgrade(db.engine)
    with db.uow() as uow:
        company_id = create_company(uow, slug="bench", name="GreenField Analytics").id
    actor = system_actor(company_id, "bench loader")
    with db.uow() as uow:
        customers = [create_customer(uow, actor, name=f"Customer {i}", currency="USD").id for i in range(100)]
    made, n = 0, 0
    while made < lines:
        count = min(PER_INVOICE, lines - made)
        batch = [
            InvoiceLineInput(
                f"Seat {made + k}",
                "1",
                f"{120 + (made + k) % 1200}.{(made + k) % 100:02d}",
                service_start="2026-01-01",
                service_end="2026-12-31",
            )
            for k in range(count)
        ]
        with db.uow() as uow:
            issue_invoice(
                uow,
                actor,
                customer_id=customers[n % len(customers)],
                currency="USD",
                issue_date="2026-01-01",
                lines=batch,
            )
        made += count
        n += 1
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    return company_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--url", default=PG_URL)
    args = parser.parse_args()
    fresh(args.url)
    db = Database(args.url, audit=True)
    started = time.perf_counter()
    company_id = prepare(db, args.lines)
    print(f"set-up: {args.lines} lines, {args.lines * 12} schedule rows in {time.perf_counter() - started:.1f} s")
    actor = system_actor(company_id, "bench")
    with db.engine.connect() as conn:
        before = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()

    t0 = time.perf_counter()
    run = db.transact(lambda uow: recognize(uow, actor, through="2026-12-31"))
    first = time.perf_counter() - t0
    t1 = time.perf_counter()
    again = db.transact(lambda uow: recognize(uow, actor, through="2026-12-31"))
    second = time.perf_counter() - t1

    with db.engine.connect() as conn:
        nets = conn.execute(
            text("SELECT SUM(net_minor) FROM invoice_lines WHERE company_id = :c"), {"c": company_id}
        ).scalar_one()
        balances: dict[str, int] = {
            str(account): int(amount)
            for account, amount in conn.execute(
                text(
                    "SELECT l.account_code, SUM(l.credit_minor - l.debit_minor) FROM journal_lines l "
                    "WHERE l.company_id = :c AND l.account_code IN ('2400', '4000') GROUP BY l.account_code"
                ),
                {"c": company_id},
            ).all()
        }
    with db.uow(readonly=True) as uow:
        checked = reconcile(uow, actor)
    moved = sum(e.amount.to_minor() for e in run.entries)
    print(
        f"run 1: {first:.2f} s, {len(run.entries)} entries, {moved / 100:.2f} USD recognized "
        f"({args.lines * 12 / first:,.0f} schedule rows/s)"
    )
    print(f"run 2: {second:.2f} s, {len(again.entries)} entries (idempotent)")
    print(
        f"checks: deferred {balances.get('2400', 0)}, revenue {balances.get('4000')} = nets {nets}: "
        f"{'ok' if balances.get('2400', 0) == 0 and balances.get('4000') == nets == moved else 'MISMATCH'}; "
        f"reconcile {'ok' if checked.ok else checked.problems}"
    )
    print(
        f"machine: {platform.node()} {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; database {before / 2**20:.0f} MiB before the run"
    )
    db.dispose()


if __name__ == "__main__":
    main()
