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
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Date, Table, create_engine, text  # noqa: E402

from creditmemo.app import create_app  # noqa: E402
from creditmemo.domain.inputs import CreditLineInput, FreeLineInput, InvoiceLineInput  # noqa: E402
from creditmemo.domain.settlement import AllocationInput  # noqa: E402
from creditmemo.services.actors import system_actor  # noqa: E402
from creditmemo.services.customers import create_customer  # noqa: E402
from creditmemo.services.demo import demo_access, load_demo  # noqa: E402
from creditmemo.services.invoices import issue_invoice  # noqa: E402
from creditmemo.services.memos.create import (  # noqa: E402
    create_credit_memo_from_invoice,
    create_debit_memo,
    create_standalone_credit_memo,
)
from creditmemo.services.settlement.applications import apply_credit  # noqa: E402
from creditmemo.services.settlement.payments import record_payment  # noqa: E402
from creditmemo.services.web_sessions import sign_in  # noqa: E402
from creditmemo.store import migrate  # noqa: E402
from creditmemo.store.repositories.journal import _sequence  # noqa: E402
from creditmemo.store.tables import customers, metadata  # noqa: E402
from creditmemo.store.types import UTCDateTime  # noqa: E402
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


CLONED = (
    "invoices",
    "invoice_lines",
    "payments",
    "memos",
    "memo_lines",
    "applications",
    "journal_entries",
    "journal_lines",
)
# What selects a table's template rows: the rows whose ``column`` is one of the scenario's template ids.
TEMPLATE_KEY = {
    "invoices": "id",
    "invoice_lines": "id",
    "payments": "id",
    "memos": "id",
    "memo_lines": "id",
    "applications": "id",
    "journal_entries": "id",
    "journal_lines": "entry_id",
}
SCALED = {"quantity", "credited_quantity"}  # scaled with the money, so that every line still adds up


@dataclass
class Scenario:
    """What happens to the invoices (or documents) numbered g for which ``when`` holds: copies of template
    documents made through the services, each scaled by ``m`` (its amounts times 1 … 20)."""

    name: str
    when: str
    ids: dict[str, list[str]]  # table -> template ids (of TEMPLATE_KEY's column)
    numbers: dict[str, str]  # table -> number prefix (the number is prefix + g zero-padded)
    over: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> column -> SQL of t and g


def _templates(db: Database, company: str) -> tuple[str, date, list[Scenario]]:
    """Template documents made through the services (so valid, journalised, on their customer's balance), and
    the scenarios that copy them: paid, half paid, credited (a memo from the invoice, posted and applied),
    open; besides the invoices, payments on account, standalone credit memos in every status, debit memos."""
    actor = system_actor(company, "bench loader")
    day = db.clock().date()
    line = [InvoiceLineInput("Bench service (hours)", "10", "10.00", tax_rate="0")]
    with db.uow() as uow:
        cus = create_customer(uow, actor, name="Bench template customer", currency="USD").id
        debit_reason = str(
            uow.conn.execute(
                text("SELECT code FROM reason_codes WHERE company_id = :c AND applies_to IN ('debit', 'both') LIMIT 1"),
                {"c": company},
            ).scalar_one()
        )
    docs: dict[str, dict[str, Any]] = {}
    with db.uow() as uow:
        for name in ("paid", "part", "credited", "open"):
            docs[name] = {
                "invoices": issue_invoice(uow, actor, customer_id=cus, currency="USD", issue_date=day, lines=line).id
            }
        for name, amount in (("paid", "100.00"), ("part", "50.00")):
            pay = record_payment(
                uow, actor, customer_id=cus, amount=amount, currency="USD", received_on=day, method="bank_transfer"
            )
            docs[name]["payments"] = pay.id
            apply_credit(
                uow,
                actor,
                source_type="payment",
                source_id=pay.id,
                allocations=[AllocationInput("invoice", docs[name]["invoices"], amount)],
            )
        inv = uow.invoices.get(company, docs["credited"]["invoices"])
        docs["credited"]["memos"] = create_credit_memo_from_invoice(
            uow,
            actor,
            inv.id,
            post=True,
            reason_code="billing_error",
            lines=[CreditLineInput(inv.lines[0].id, quantity="1")],
        ).id
        docs["on_account"] = {
            "payments": record_payment(
                uow, actor, customer_id=cus, amount="30.00", currency="USD", received_on=day, method="check"
            ).id
        }
        free = [FreeLineInput("Goodwill gesture", "1", "25.00")]
        docs["standalone"] = {
            "memos": create_standalone_credit_memo(
                uow, actor, customer_id=cus, currency="USD", reason_code="goodwill", lines=free
            ).id
        }
        docs["standalone_posted"] = {
            "memos": create_standalone_credit_memo(
                uow, actor, post=True, customer_id=cus, currency="USD", reason_code="goodwill", lines=free
            ).id
        }
        late = [FreeLineInput("Late payment fee", "1", "15.00")]
        docs["debit"] = {
            "memos": create_debit_memo(
                uow, actor, post=True, customer_id=cus, currency="USD", reason_code=debit_reason, lines=late
            ).id
        }
    with db.engine.connect() as conn:
        for ids in docs.values():
            doc_ids = list(ids.values())
            ids["invoice_lines"] = [
                str(i)
                for i in conn.execute(
                    text("SELECT id FROM invoice_lines WHERE company_id = :c AND invoice_id = ANY(:d)"),
                    {"c": company, "d": doc_ids},
                ).scalars()
            ]
            ids["memo_lines"] = [
                str(i)
                for i in conn.execute(
                    text("SELECT id FROM memo_lines WHERE company_id = :c AND memo_id = ANY(:d)"),
                    {"c": company, "d": doc_ids},
                ).scalars()
            ]
            apps = [
                str(a)
                for a in conn.execute(
                    text(
                        "SELECT id FROM applications WHERE company_id = :c"
                        " AND (source_id = ANY(:d) OR target_id = ANY(:d))"
                    ),
                    {"c": company, "d": doc_ids},
                ).scalars()
            ]
            ids["applications"] = apps
            ids["journal_entries"] = [
                str(e)
                for e in conn.execute(
                    text("SELECT id FROM journal_entries WHERE company_id = :c AND source_id = ANY(:d)"),
                    {"c": company, "d": doc_ids + apps},
                ).scalars()
            ]
    k = "(g % 20)"
    statuses = "(ARRAY['draft','pending_approval','approved','discarded','void'])[1 + (g / 50) % 5]"

    def of(name: str, *tables: str) -> dict[str, list[str]]:
        ids = docs[name]
        out: dict[str, list[str]] = {}
        for table in tables or CLONED:
            value = ids.get("journal_entries" if table == "journal_lines" else table)
            if value:
                out[table] = value if isinstance(value, list) else [value]
        return out

    number = {"invoices": "INV-B", "payments": "PAY-B", "memos": "CM-B"}
    return (
        cus,
        day,
        [
            Scenario("paid", f"{k} < 12 AND NOT :recent", of("paid"), number),
            Scenario("part", f"{k} IN (12, 13)", of("part"), number),
            Scenario("credited", f"{k} IN (14, 15)", of("credited"), number),
            Scenario("open", f"{k} >= 16 OR {k} < 12 AND :recent", of("open"), number),
            Scenario("on_account", "g % 40 = 19", of("on_account"), {"payments": "PAY-A"}),
            Scenario(
                "standalone",
                "g % 50 = 3",
                of("standalone", "memos", "memo_lines"),
                {"memos": "CM-S"},
                {"memos": {"status": statuses, "void_date": f"CASE WHEN {statuses} = 'void' THEN t.issue_date END"}},
            ),
            Scenario("standalone_posted", "g % 50 = 28", of("standalone_posted"), {"memos": "CM-T"}),
            Scenario("debit", "g % 100 = 7", of("debit"), {"memos": "DM-B"}),
            # --memos: credit memos only (bench/export.py), posted, draft and void, without their journal
            Scenario(
                "memos_only",
                "TRUE",
                of("standalone_posted", "memos", "memo_lines"),
                {"memos": "CM-M"},
                {"memos": {"status": "(ARRAY['posted','draft','void','posted'])[1 + g % 4]"}},
            ),
        ],
    )


def _clone(
    conn: Any,
    company: str,
    table: Table,
    sc: Scenario,
    first: int,
    last: int,
    n: int,
    cus: str,
    t0: date,
    customers_n: int,
) -> None:
    """Copies g = first … last of the scenario's template rows of ``table``, for the g where it applies."""
    ids = sc.ids.get(table.name)
    if not ids:
        return
    templates = {i: j for j, i in enumerate(dict.fromkeys(v for vs in sc.ids.values() for v in vs))}
    gs = "lpad(g::text, 9, '0')"
    m = "(1 + (g * 13) % 20)"
    # a skewed spread of customers: a few big ones (the busiest has about 1.4 % of the invoices), a long tail
    who = f"'cus_b' || lpad(floor({customers_n} * power(((g * 7919) % 10007) / 10007.0, 2))::int::text, 7, '0')"
    shift = f"CAST((g * 730 / {n}) - 730 + (CURRENT_DATE - CAST(:t0 AS date)) AS integer)"
    exprs = []
    for c in table.c:
        name = c.name
        if name in sc.over.get(table.name, {}):
            e = sc.over[table.name][name]
        elif name == "customer_id":
            e = f"CASE WHEN t.customer_id = :cus THEN {who} ELSE t.customer_id END"
        elif name == "company_id":
            e = "t.company_id"
        elif name == "number" and table.name in sc.numbers:
            e = f"'{sc.numbers[table.name]}' || {gs}"
        elif name in (
            "id",
            "invoice_id",
            "memo_id",
            "source_id",
            "target_id",
            "entry_id",
            "invoice_line_id",
            "replaces_id",
            "replaced_by_id",
        ):
            e = (
                f"CASE t.{name} "
                + " ".join(f"WHEN '{i}' THEN 'b{j}{sc.name}_' || {gs}" for i, j in templates.items())
                + f" ELSE t.{name} END"
            )
        elif name in ("external_id", "export_seq", "reference"):
            e = "NULL"
        elif name.endswith("_minor") or name in SCALED:
            e = f"t.{name} * {m}"
        elif isinstance(c.type, Date):
            e = f"t.{name} + {shift}"
        elif isinstance(c.type, UTCDateTime):
            e = f"t.{name} + make_interval(days => {shift})"
        else:
            e = f"t.{name}"
        exprs.append(e)
    key = TEMPLATE_KEY[table.name]
    recent = f"((g * 730 / {n}) > 685)"
    conn.execute(
        text(
            f"INSERT INTO {table.name} ({', '.join(c.name for c in table.c)}) SELECT {', '.join(exprs)} "
            f"FROM {table.name} t CROSS JOIN generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) g "
            f"WHERE t.company_id = :company AND t.{key} = ANY(:ids) AND ({sc.when.replace(':recent', recent)})"
        ),
        {"first": first, "last": last, "company": company, "ids": ids, "cus": cus, "t0": t0},
    )


def load(url: str, *, n_customers: int, n_invoices: int, n_memos: int = 0) -> str:
    """Migrate, load the demo, then ``n_invoices`` more (with their payments, memos and journal) over
    ``n_customers`` more customers, and ``n_memos`` more credit memos alone (posted, draft, void; no journal:
    for timing lists and exports, not for the ledger); the demo company's id."""
    fresh_database(url)
    db = Database(url)
    migrate.upgrade(db.engine)
    company = load_demo(db).company_id
    cus, t0, scenarios = _templates(db, company)
    engine = db.engine
    started = time.perf_counter()
    memos_only = scenarios.pop()
    if n_invoices or n_memos:
        with engine.begin() as conn:
            conn.execute(
                text(
                    f"INSERT INTO customers ({', '.join(c.name for c in customers.c)}) SELECT "
                    + ", ".join(
                        {
                            "id": "'cus_b' || lpad(g::text, 7, '0')",
                            "name": "'Bench customer ' || lpad(g::text, 7, '0')",
                            "external_id": "NULL",
                        }.get(c.name, f"t.{c.name}")
                        for c in customers.c
                    )
                    + " FROM customers t CROSS JOIN generate_series(0, CAST(:n AS integer) - 1) g"
                    " WHERE t.company_id = :c AND t.id = :cus"
                ),
                {"n": n_customers, "c": company, "cus": cus},
            )
    tables = [metadata.tables[name] for name in CLONED]
    # Bulk load: the plain indexes are dropped and built again after (a GIN trigram index updated row by row
    # is most of the time otherwise), and the foreign-key triggers are off (the rows are consistent by
    # construction: each copy refers to copies of the same scenario, or to a bench customer).
    with engine.begin() as conn:
        indexes = list(
            conn.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY(:t)"
                    " AND indexname NOT IN (SELECT conname FROM pg_constraint)"
                ),
                {"t": list(CLONED)},
            )
        )
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
    for first in range(0, n_invoices, BATCH):
        last = min(first + BATCH, n_invoices) - 1
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in tables:
                for sc in scenarios:
                    _clone(conn, company, table, sc, first, last, n_invoices, cus, t0, n_customers)
        print(f"  invoices {last + 1:>9,} with their documents ({time.perf_counter() - started:.0f} s)", flush=True)
    for first in range(0, n_memos, BATCH):
        last = min(first + BATCH, n_memos) - 1
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in tables:
                _clone(conn, company, table, memos_only, first, last, n_memos, cus, t0, n_customers)
        print(f"  credit memos {last + 1:>9,} ({time.perf_counter() - started:.0f} s)", flush=True)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        for _, definition in indexes:
            conn.execute(text(definition))
    print(f"  indexes built again ({time.perf_counter() - started:.0f} s)", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))  # the balance updates below join a million rows: plan them on real counts
    with engine.begin() as conn:
        # The bench customers' balances from what was cloned: AR in the ledger; credit left on memos and payments.
        conn.execute(
            text(
                "UPDATE customers c SET balance_minor = x.ar FROM ("
                " SELECT l.customer_id, sum(l.debit_minor - l.credit_minor) AS ar FROM journal_lines l"
                " JOIN accounts a ON a.company_id = l.company_id AND a.code = l.account_code"
                " WHERE l.company_id = :c AND a.role = 'accounts_receivable' AND l.customer_id LIKE 'cus_b%'"
                " GROUP BY l.customer_id) x WHERE c.company_id = :c AND c.id = x.customer_id"
            ),
            {"c": company},
        )
        conn.execute(
            text(
                "UPDATE customers c SET available_credit_minor = x.credit FROM ("
                " SELECT customer_id, sum(credit) AS credit FROM ("
                "  SELECT customer_id, total_minor - amount_applied_minor - amount_refunded_minor AS credit FROM memos"
                "  WHERE company_id = :c AND kind = 'credit' AND status = 'posted' AND customer_id LIKE 'cus_b%'"
                "  UNION ALL"
                "  SELECT customer_id, amount_minor - amount_applied_minor - amount_refunded_minor FROM payments"
                "  WHERE company_id = :c AND customer_id LIKE 'cus_b%') u GROUP BY customer_id) x"
                " WHERE c.company_id = :c AND c.id = x.customer_id"
            ),
            {"c": company},
        )
    with engine.begin() as conn:
        # the GL export's sequence, as the sealer gives it (else the first sign-in's seal numbers every entry)
        conn.execute(_sequence, {"b_company": company})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
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
    """Every main page of the web UI: each list with each sort key and each filter, a deep keyset page, the
    search (a mid-range number, a number made of common trigrams, a customer's name), the documents, the
    busiest customer and its statement, the reports (aging today and a year ago, register, trial balance,
    reconciliation), approvals and the settings pages."""
    with db.engine.connect() as conn:
        n = int(conn.execute(text("SELECT count(*) FROM invoices WHERE company_id = :c"), {"c": company}).scalar_one())

        def one(sql: str) -> str:
            return str(conn.execute(text(sql), {"c": company, "o": min(5000, n // 2), "p": n // 2}).scalar_one())

        busy_customer = one(
            "SELECT customer_id FROM invoices WHERE company_id = :c GROUP BY customer_id ORDER BY count(*) DESC LIMIT 1"
        )
        busy_name = one(f"SELECT name FROM customers WHERE company_id = :c AND id = '{busy_customer}'")
        an_invoice = one("SELECT id FROM invoices WHERE company_id = :c ORDER BY number DESC LIMIT 1")
        a_memo = one("SELECT id FROM memos WHERE company_id = :c AND kind = 'credit' ORDER BY number LIMIT 1")
        a_payment = one("SELECT id FROM payments WHERE company_id = :c ORDER BY number DESC LIMIT 1")
        deep = one("SELECT id FROM invoices WHERE company_id = :c ORDER BY number DESC, id DESC LIMIT 1 OFFSET :o")
        number = one("SELECT number FROM invoices WHERE company_id = :c ORDER BY number LIMIT 1 OFFSET :p")
        first_number = one("SELECT min(number) FROM invoices WHERE company_id = :c AND number LIKE 'INV-B%'")
    today = date.today()
    month_ago, year_ago = today.replace(day=1), today.replace(year=today.year - 1)
    quarter_ago = today - timedelta(days=90)
    period = f"from={month_ago}&to={today}"
    memo_sorts = ("customer", "status", "reason", "issue_date", "total", "currency", "created_at", "print_status")
    invoice_sorts = ("customer", "issue_date", "due_date", "total", "due", "credited", "currency", "payment_status")
    payment_sorts = ("customer", "received_on", "amount", "method", "applied", "available", "settlement_status")
    return [
        "/",
        "/credit-memos",
        "/credit-memos?dir=asc",
        *[f"/credit-memos?sort={s}" for s in (*memo_sorts, "applied")],
        "/credit-memos?status=posted&sort=issue_date",
        "/credit-memos?status=draft",
        "/credit-memos?reason=goodwill",
        f"/credit-memos?customer={busy_customer}",
        f"/credit-memos?{period}",
        "/credit-memos?min=1000&max=2000",
        f"/credit-memos?q={busy_name.replace(' ', '+')}",
        "/debit-memos",
        "/debit-memos?sort=total",
        "/invoices",
        f"/invoices?after={deep}",
        *[f"/invoices?sort={s}" for s in invoice_sorts],
        "/invoices?sort=due_date&dir=asc",
        "/invoices?status=unpaid",
        "/invoices?status=part_paid&sort=due_date",
        f"/invoices?customer={busy_customer}",
        f"/invoices?customer={busy_customer}&sort=due_date",
        f"/invoices?{period}",
        "/invoices?min=10000&max=20000",
        f"/invoices?q={number}",
        f"/invoices?q={first_number}",
        f"/invoices?q={busy_name.replace(' ', '+')}",
        "/payments",
        *[f"/payments?sort={s}" for s in payment_sorts],
        "/payments?status=available",
        f"/payments?customer={busy_customer}",
        "/customers",
        "/customers?sort=balance",
        "/customers?sort=available_credit",
        "/customers?q=Bench+customer+00001",
        f"/customers/{busy_customer}",
        f"/customers/{busy_customer}/statement",
        f"/invoices/{an_invoice}",
        f"/memos/{a_memo}",
        f"/payments/{a_payment}",
        "/reports",
        "/reports/ar-aging",
        f"/reports/ar-aging?as_of={quarter_ago}",
        f"/reports/ar-aging?as_of={year_ago}",
        f"/reports/ar-aging?customer_id={busy_customer}&bucket=days_over_90#documents",
        f"/reports/ar-aging?customer_id={busy_customer}&bucket=current&sort=amount_due&dir=desc#documents",
        f"/reports/ar-aging?as_of={quarter_ago}&customer_id={busy_customer}&bucket=days_1_30#documents",
        f"/reports/ar-aging?as_of={quarter_ago}&customer_id={busy_customer}#documents",
        f"/v1/reports/ar-aging?as_of={today}",
        f"/v1/reports/ar-aging?as_of={quarter_ago}",
        "/reports/credit-memo-register",
        "/reports/trial-balance",
        "/reports/reconciliation",
        "/approvals",
        "/returns",
        "/journal",
        "/revenue",
        "/periods",
        "/exchange-rates",
        "/settings/reason-codes",
        "/imports",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--invoices", type=int, default=200_000)
    ap.add_argument("--customers", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--reuse", action="store_true", help="time the database as it is (no reload)")
    ap.add_argument("--url", default=PG_URL)
    ap.add_argument("--only", default="", help="pages whose path contains this (=PATH: that one)")
    ap.add_argument("--skip", default="", help="leave out the pages whose path contains this text (e.g. /reports)")
    args = ap.parse_args()
    if args.reuse:
        db0 = Database(args.url)
        with db0.engine.connect() as conn:
            company = str(conn.execute(text("SELECT id FROM companies WHERE slug = 'demo'")).scalar_one())
        db0.dispose()
    else:
        company = load(args.url, n_customers=args.customers, n_invoices=args.invoices)
    client, db = signed_in_client(args.url)
    api_key = next(a for a in demo_access(db) if a.role == "controller").api_key
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

    def wanted(path: str) -> bool:
        if args.only.startswith("="):  # exactly this path ("=/": the dashboard alone)
            return path == args.only[1:]
        return args.only in path and not (args.skip and args.skip in path)

    chosen = [p for p in pages_to_time(db, company) if wanted(p)]
    for path in chosen:
        times: list[float] = []
        status = 0
        for i in range(args.repeat + 1):
            handler.last = None
            api = {"Authorization": f"Bearer {api_key}"} if path.startswith("/v1/") else None
            r = client.get(path, follow_redirects=False, headers=api)
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
