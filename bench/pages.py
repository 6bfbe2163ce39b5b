"""Page server time (issue 16 item 8): every main web page on PostgreSQL with the demo company plus N invoices.

    .venv/bin/python bench/pages.py --invoices 200000            # database creditmemo_pages_bench
    .venv/bin/python bench/pages.py --invoices 0                 # the demo size
    .venv/bin/python bench/pages.py --reuse --invoices 200000    # keep a database already loaded

Set-up (not timed): a fresh database, migrated, the demo company (``creditmemo demo``), then ``--customers`` more
customers and ``--invoices`` more invoices (one line each) and ``--memos`` more credit memos, spread over those
customers, issue dates over the last two years. They are cloned from a demo invoice and memo by
``INSERT … SELECT … FROM generate_series`` in batches of 100,000 (seconds per batch, not the hours the service
layer would take), so they are valid rows but their customers' balances and the ledger do not include them:
fine for timing pages, not for the reconciliation. ANALYZE after loading.

Timing: the app runs in-process (``create_app`` under Starlette's TestClient), signed in as the demo controller;
each page is asked ``--repeat`` times after one warm-up, and its server time is the ``duration_ms`` the request
log (logger ``creditmemo.request``) records for it — the same figure ``creditmemo serve`` prints. Printed: p50 and
p95 per page, and which pages miss the target (150 ms at the demo size, 300 ms with 1,000,000 invoices)."""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Table, create_engine, text  # noqa: E402

from creditmemo.api.app import create_app  # noqa: E402
from creditmemo.services.demo import demo_access, load_demo  # noqa: E402
from creditmemo.services.web_sessions import sign_in  # noqa: E402
from creditmemo.store import migrate  # noqa: E402
from creditmemo.store.tables import customers, invoice_lines, invoices, memos  # noqa: E402
from creditmemo.store.uow import Database  # noqa: E402

PG_URL = os.environ.get(
    "BENCH_PAGES_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/creditmemo_pages_bench"
)
BATCH = 100_000


def fresh_database(url: str) -> None:
    base, name = url.rsplit("/", 1)
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def _clone(conn: Any, table: Table, template: dict[str, Any], first: int, count: int, over: dict[str, str]) -> None:
    """``count`` copies of the ``template`` row (numbered g = first … first+count-1), with the columns in
    ``over`` computed in SQL from g."""
    cols = [c.name for c in table.c]
    exprs = [over.get(c, f"t.{c}") for c in cols]
    conn.execute(
        text(
            f"INSERT INTO {table.name} ({', '.join(cols)}) SELECT {', '.join(exprs)} "
            f"FROM {table.name} t CROSS JOIN generate_series(CAST(:first AS integer), CAST(:last AS integer)) g "
            "WHERE t.company_id = :company AND t.id = :id"
        ),
        {"first": first, "last": first + count - 1, "company": template["company_id"], "id": template["id"]},
    )


def load(url: str, *, n_customers: int, n_invoices: int, n_memos: int) -> str:
    """Migrate, load the demo and the extra rows; the demo company's id."""
    fresh_database(url)
    db = Database(url)
    migrate.upgrade(db.engine)
    summary = load_demo(db)
    company = summary.company_id
    engine = db.engine
    started = time.perf_counter()
    with engine.begin() as conn:
        cus = dict(
            conn.execute(text("SELECT * FROM customers WHERE company_id = :c LIMIT 1"), {"c": company}).mappings().one()
        )
        inv = dict(
            conn.execute(
                text("SELECT * FROM invoices WHERE company_id = :c AND currency = 'USD' ORDER BY number LIMIT 1"),
                {"c": company},
            )
            .mappings()
            .one()
        )
        line = dict(
            conn.execute(
                text("SELECT * FROM invoice_lines WHERE company_id = :c AND invoice_id = :i ORDER BY line_no LIMIT 1"),
                {"c": company, "i": inv["id"]},
            )
            .mappings()
            .one()
        )
        memo = dict(
            conn.execute(
                text("SELECT * FROM memos WHERE company_id = :c AND kind = 'credit' AND status = 'posted' LIMIT 1"),
                {"c": company},
            )
            .mappings()
            .one()
        )
        if n_customers:
            _clone(
                conn,
                customers,
                cus,
                0,
                n_customers,
                {
                    "id": "'cus_b' || lpad(g::text, 7, '0')",
                    "name": "'Bench customer ' || lpad(g::text, 7, '0')",
                    "external_id": "NULL",
                    "currency": "'USD'",
                },
            )
    who = f"'cus_b' || lpad((g % {max(n_customers, 1)})::text, 7, '0')" if n_customers else f"'{cus['id']}'"
    day = "CURRENT_DATE - (g % 730)"
    for first in range(0, n_invoices, BATCH):
        count = min(BATCH, n_invoices - first)
        with engine.begin() as conn:
            _clone(
                conn,
                invoices,
                inv,
                first,
                count,
                {
                    "id": "'inv_b' || lpad(g::text, 9, '0')",
                    "number": "'INV-B' || lpad(g::text, 9, '0')",
                    "customer_id": who,
                    "issue_date": day,
                    "due_date": f"{day} + 30",
                    "external_id": "NULL",
                    "amount_credited_minor": "0",
                    "amount_paid_minor": "CASE WHEN g % 3 = 0 THEN t.total_minor ELSE 0 END",
                    "discount_taken_minor": "0",
                },
            )
            _clone(
                conn,
                invoice_lines,
                line,
                first,
                count,
                {"id": "'invl_b' || lpad(g::text, 9, '0')", "invoice_id": "'inv_b' || lpad(g::text, 9, '0')"},
            )
        print(f"  invoices {first + count:>9,} ({time.perf_counter() - started:.0f} s)", flush=True)
    for first in range(0, n_memos, BATCH):
        count = min(BATCH, n_memos - first)
        with engine.begin() as conn:
            _clone(
                conn,
                memos,
                memo,
                first,
                count,
                {
                    "id": "'cm_b' || lpad(g::text, 9, '0')",
                    "number": "'CM-B' || lpad(g::text, 9, '0')",
                    "customer_id": who,
                    "issue_date": day,
                    "status": "(ARRAY['posted','draft','void','posted'])[1 + g % 4]",
                    "total_minor": "1000 + g % 100000",
                    "subtotal_minor": "1000 + g % 100000",
                    "tax_total_minor": "0",
                    "amount_applied_minor": "0",
                    "amount_refunded_minor": "0",
                    "incident_reference": "NULL",
                    "replaces_id": "NULL",
                    "replaced_by_id": "NULL",
                    "invoice_id": "NULL",
                    "return_id": "NULL",
                    "reason_code": "(ARRAY['billing_error','goodwill','returned_goods'])[1 + g % 3]",
                },
            )
        print(f"  memos {first + count:>9,} ({time.perf_counter() - started:.0f} s)", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    print(f"loaded in {time.perf_counter() - started:.0f} s", flush=True)
    db.dispose()
    return company


class Durations(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.last: float | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.last = float(getattr(record, "duration_ms", "nan"))


def signed_in_client(url: str) -> tuple[TestClient, Database]:
    db = Database(url)
    client = TestClient(create_app(db), raise_server_exceptions=True)
    access = next(a for a in demo_access(db) if a.role == "controller")
    with db.uow() as uow:
        signed = sign_in(uow, email=access.email, password=access.password)
    assert signed is not None, "the demo controller could not sign in"
    client.cookies.set("cm_session", signed.token)
    return client, db


def pages_to_time(db: Database, company: str) -> list[str]:
    with db.engine.connect() as conn:
        n = int(conn.execute(text("SELECT count(*) FROM invoices WHERE company_id = :c"), {"c": company}).scalar_one())

        def one(sql: str) -> str:
            return str(conn.execute(text(sql), {"c": company, "o": min(5000, n // 2), "p": n // 2}).scalar_one())

        busy_customer = one(
            "SELECT customer_id FROM invoices WHERE company_id = :c GROUP BY customer_id ORDER BY count(*) DESC LIMIT 1"
        )
        an_invoice = one("SELECT id FROM invoices WHERE company_id = :c ORDER BY number DESC LIMIT 1")
        a_memo = one("SELECT id FROM memos WHERE company_id = :c AND kind = 'credit' ORDER BY number LIMIT 1")
        deep = one("SELECT id FROM invoices WHERE company_id = :c ORDER BY number DESC, id DESC LIMIT 1 OFFSET :o")
        number = one("SELECT number FROM invoices WHERE company_id = :c ORDER BY number LIMIT 1 OFFSET :p")
    return [
        "/",
        "/credit-memos",
        "/credit-memos?sort=total",
        "/credit-memos?status=posted&sort=issue_date",
        "/debit-memos",
        "/invoices",
        f"/invoices?after={deep}",
        "/invoices?sort=issue_date",
        "/invoices?sort=due_date&dir=asc",
        f"/invoices?customer={busy_customer}",
        f"/invoices?q={number}",
        "/customers",
        "/customers?sort=balance",
        f"/customers/{busy_customer}",
        f"/invoices/{an_invoice}",
        f"/memos/{a_memo}",
        "/approvals",
        "/returns",
        "/journal",
        "/periods",
        "/exchange-rates",
        "/settings/reason-codes",
        "/imports",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--invoices", type=int, default=200_000)
    ap.add_argument("--customers", type=int, default=1_000)
    ap.add_argument("--memos", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--reuse", action="store_true", help="time the database as it is (no reload)")
    ap.add_argument("--url", default=PG_URL)
    args = ap.parse_args()
    if args.reuse:
        db0 = Database(args.url)
        with db0.engine.connect() as conn:
            company = str(conn.execute(text("SELECT id FROM companies WHERE slug = 'demo'")).scalar_one())
        db0.dispose()
    else:
        company = load(args.url, n_customers=args.customers, n_invoices=args.invoices, n_memos=args.memos)
    client, db = signed_in_client(args.url)
    with db.engine.connect() as conn:
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in ("invoices", "memos", "customers")
        }
    handler = Durations()
    log = logging.getLogger("creditmemo.request")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    print(f"pages benchmark  {counts}  repeat {args.repeat}  load {os.getloadavg()}")
    print(f"{'page':60} {'status':>6} {'p50 ms':>8} {'p95 ms':>8}")
    target = 150 if counts["invoices"] < 10_000 else 300
    missed = []
    for path in pages_to_time(db, company):
        times: list[float] = []
        status = 0
        for i in range(args.repeat + 1):
            handler.last = None
            r = client.get(path, follow_redirects=False)
            status = r.status_code
            if i and handler.last is not None:
                times.append(handler.last)
        times.sort()
        p50 = statistics.median(times)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        flag = "" if p95 <= target else "  MISSES"
        if flag:
            missed.append(path)
        print(f"{path[:60]:60} {status:>6} {p50:>8.1f} {p95:>8.1f}{flag}", flush=True)
    print(f"target {target} ms (p95): {'all pages within' if not missed else 'missed by ' + ', '.join(missed)}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
