"""Engine benchmark (issues 2 and 9): invoices issued, then credit memos created from them and posted, all
through the service layer, one transaction per operation (``Database.transact``), as a request would.

    .venv/bin/python bench/engine.py                    # everything, N=2000
    .venv/bin/python bench/engine.py --n 500 --only sqlite-1p
    .venv/bin/python bench/engine.py --mode two-step    # create, then post: two transactions per memo
    .venv/bin/python bench/engine.py --profile sqlite   # cProfile of the one-process run

Per scenario: N invoices (3 lines, two of them taxed at 8.25 %) over 20 customers per process, then for
each invoice a credit memo from it (line 1 narrowed to quantity 1, the realistic "from invoice" path),
created and posted (which also auto-applies it to its invoice). ``--mode one-step`` (the default) does
it in one transaction, as ``POST /v1/invoices/{id}/credit-memos {"post": true}`` does
(create_credit_memo_from_invoice(post=True)); ``two-step`` creates, commits, then posts (post_memo).
Each scenario runs in a fresh process on a fresh database (a SQLite file in a temp dir; PostgreSQL
database creditmemo_bench, dropped and recreated), so the peak RSS is that scenario's. Throughput is
N / wall time of the memo phase; latencies are per operation (p50/p99).

Also printed per scenario: the baseline (single-row INSERT + COMMIT transactions per second through the
raw driver, on the same database, same number of processes, just before the memo phase) and the memo
rate as a share of it; statements and round trips per memo (counted with cursor events: a round trip is
a statement that waits for its result, i.e. every statement on SQLite, and on PostgreSQL's pipeline a
row-returning one, plus the commit; the background sealer's statements are counted too, spread over the
memos). The audit trail is sealed as the server seals it (a background thread, in batches), and the memo
phase ends when everything is sealed. The audit switch (Database(..., audit=False)) exists for this
benchmark only: it measures what the audit trail and its hash chain cost. With BENCH_WEBHOOKS=1 every company has a
webhook endpoint subscribed to every event, so each memo's events are also written to the webhook outbox (issue 13);
without it the write path still runs the outbox's INSERT … SELECT, which finds no subscriber."""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing as mp
import os
import pstats
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sqlalchemy import create_engine, event, text

from creditmemo.domain.inputs import CreditLineInput, InvoiceLineInput
from creditmemo.services.actors import PRIVILEGES, Actor, Role
from creditmemo.services.audit_trail import verify_audit_chain
from creditmemo.services.companies import create_company
from creditmemo.services.customers import create_customer
from creditmemo.services.invoices import issue_invoice
from creditmemo.services.memos.create import create_credit_memo_from_invoice
from creditmemo.services.memos.post import post_memo
from creditmemo.store import migrate
from creditmemo.store.uow import Database

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/creditmemo_bench")
CUSTOMERS_PER_PROCESS = 20
DAY = date(2026, 11, 23)
LINES = [
    InvoiceLineInput("Widget", "3", "12.50", tax_rate="8.25"),
    InvoiceLineInput("Installation", "2", "40.00", tax_rate="8.25"),
    InvoiceLineInput("Support plan", "1", "99.99"),
]


@dataclass(frozen=True)
class Scenario:
    name: str
    engine: str  # sqlite | postgresql
    processes: int
    companies: str  # same | each (one company per process)
    audit: bool = True
    sealer: str = "thread"  # thread: each process seals in a background thread (as the server); process: one
    #                         separate process seals for all (as a deployment could leave it to `creditmemo worker`)


SCENARIOS = [
    Scenario("sqlite-1p", "sqlite", 1, "same"),
    Scenario("sqlite-1p-noaudit", "sqlite", 1, "same", audit=False),
    Scenario("sqlite-1p-sealer-process", "sqlite", 1, "same", sealer="process"),
    Scenario("pg-1p", "postgresql", 1, "same"),
    Scenario("pg-1p-noaudit", "postgresql", 1, "same", audit=False),
    Scenario("pg-1p-sealer-process", "postgresql", 1, "same", sealer="process"),
    Scenario("pg-4p-same-company", "postgresql", 4, "same"),
    Scenario("pg-4p-same-company-noaudit", "postgresql", 4, "same", audit=False),
    Scenario("pg-4p-same-company-sealer-process", "postgresql", 4, "same", sealer="process"),
    Scenario("pg-4p-4-companies", "postgresql", 4, "each"),
]


@dataclass
class WorkerResult:
    issue: list[float] = field(default_factory=list)
    create: list[float] = field(default_factory=list)
    post: list[float] = field(default_factory=list)
    issue_span: tuple[float, float] = (0.0, 0.0)
    memo_span: tuple[float, float] = (0.0, 0.0)
    baseline_span: tuple[float, float] = (0.0, 0.0)
    baseline_n: int = 0
    statements: int = 0
    round_trips: int = 0
    maxrss_kib: int = 0


class Counter:
    """Statements and round trips on an engine (see the module docstring)."""

    def __init__(self, engine: Any, postgres: bool) -> None:
        self.statements = self.round_trips = 0
        self.on = False
        event.listen(engine, "after_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)
        self.postgres = postgres

    def _statement(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if not self.on:
            return
        self.statements += 1
        compiled = context.compiled
        queued = (
            self.postgres
            and context.is_crud
            and compiled is not None
            and not compiled.effective_returning
            and not context.execution_options.get("creditmemo_rowcount")
        )
        if not queued:
            self.round_trips += 1

    def _commit(self, conn: Any) -> None:
        if self.on:
            self.round_trips += 1


def baseline(url: str, n: int) -> tuple[float, float]:
    """Single-row INSERT + COMMIT, n times, through the raw driver (no SQLAlchemy): the database's own
    ceiling for one-statement transactions from this process."""
    engine = create_engine(url)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        mark = "%s" if "postgresql" in url else "?"
        start = time.perf_counter()
        for i in range(n):
            cur.execute(f"INSERT INTO bench_baseline (pid, seq) VALUES ({mark}, {mark})", (os.getpid(), i))
            raw.commit()
        return start, time.perf_counter()
    finally:
        raw.close()
        engine.dispose()


# databases ---------------------------------------------------------------------------------------
def fresh_postgres(url: str) -> None:
    base, name = url.rsplit("/", 1)
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def make_company(db: Database, slug: str) -> str:
    with db.uow() as uow:
        return create_company(uow, slug=slug, name=f"Bench {slug}").id


# the measured work -------------------------------------------------------------------------------
def worker(
    url: str,
    company_id: str,
    n: int,
    audit: bool,
    barrier: Any,
    profile: bool = False,
    mode: str = "one-step",
    sealer: str = "thread",
) -> WorkerResult:
    # As the server does: the audit trail is sealed by a background thread, in batches; the memo phase ends
    # when every event of it is sealed, so its wall time includes the sealing.
    db = Database(url, audit=audit, sealing="background" if sealer == "thread" else "off")
    counter = Counter(db.engine, db.postgres)
    actor = Actor("usr_bench", company_id, Role.CONTROLLER, frozenset(PRIVILEGES), "bench@controller")
    with db.uow() as uow:
        customers = [
            create_customer(uow, actor, name=f"Customer {i}", currency="USD").id for i in range(CUSTOMERS_PER_PROCESS)
        ]
    result = WorkerResult()
    prof = cProfile.Profile() if profile else None
    if barrier is not None:
        barrier.wait()
    clock = time.perf_counter
    invoices: list[tuple[str, str]] = []
    start = clock()
    for i in range(n):
        t = clock()
        with db.uow() as uow:
            inv = issue_invoice(
                uow, actor, customer_id=customers[i % len(customers)], currency="USD", issue_date=DAY, lines=LINES
            )
        result.issue.append(clock() - t)
        invoices.append((inv.id, inv.lines[0].id))
    result.issue_span = (start, clock())
    if barrier is not None:
        barrier.wait()
    result.baseline_n = min(n, 1000)
    result.baseline_span = baseline(url, result.baseline_n)
    if barrier is not None:
        barrier.wait()
    if prof is not None:
        prof.enable()
    counter.on = True
    start = clock()
    for invoice_id, line_id in invoices:
        t = clock()
        if mode == "one-step":
            db.transact(
                partial(
                    create_credit_memo_from_invoice,
                    actor=actor,
                    invoice_id=invoice_id,
                    reason_code="damaged_goods",
                    lines=[CreditLineInput(line_id, quantity="1")],
                    post=True,
                )
            )
            result.create.append(clock() - t)
            continue
        memo = db.transact(
            partial(
                create_credit_memo_from_invoice,
                actor=actor,
                invoice_id=invoice_id,
                reason_code="damaged_goods",
                lines=[CreditLineInput(line_id, quantity="1")],
            )
        )
        t2 = clock()
        db.transact(partial(post_memo, actor=actor, memo_id=memo.id))
        t3 = clock()
        result.create.append(t2 - t)
        result.post.append(t3 - t2)
    if db.sealer is not None:
        db.sealer.wait_idle(120)
    result.memo_span = (start, clock())
    counter.on = False
    result.statements, result.round_trips = counter.statements, counter.round_trips
    if prof is not None:
        prof.disable()
        prof.dump_stats(os.environ.get("BENCH_PROFILE_OUT", "/tmp/creditmemo_bench.prof"))
    result.maxrss_kib = peak_rss_kib()
    db.dispose()
    return result


def peak_rss_kib() -> int:
    """This process's peak resident set (VmHWM; ru_maxrss would carry the parent's peak across exec)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _worker_entry(args: tuple[Any, ...]) -> WorkerResult:
    return worker(*args)


def sealing_process(url: str, stop: Any) -> None:
    """The ``sealer="process"`` scenarios: seal whatever is pending, every 20 ms, until told to stop."""
    from creditmemo.store.sealer import seal_pending

    db = Database(url)
    while not stop.is_set():
        seal_pending(db)
        time.sleep(0.02)
    seal_pending(db)
    db.dispose()


def subscribe_everything(db: Database, company_ids: list[str]) -> None:
    """A webhook endpoint subscribed to every event in each company (BENCH_WEBHOOKS=1): the write path then also
    writes an outbox row per webhook event. Nothing is delivered during the benchmark."""
    from creditmemo.services.webhooks import create_endpoint

    for company_id in company_ids:
        with db.uow() as uow:
            create_endpoint(uow, Actor(None, company_id, Role.ADMIN), url="https://receiver.invalid/hook", events=["*"])


def run_scenario(sc: Scenario, n: int, queue: Any, profile: bool = False, mode: str = "one-step") -> None:
    """Runs in its own (spawned) process: fresh database, the workers, figures back on ``queue``."""
    tmp = None
    if sc.engine == "sqlite":
        tmp = tempfile.TemporaryDirectory(prefix="creditmemo_bench_")
        url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    else:
        fresh_postgres(PG_URL)
        url = PG_URL
    setup = Database(url)
    migrate.upgrade(setup.engine)
    with setup.engine.begin() as conn:  # the baseline's table, outside the product's schema
        conn.execute(text("CREATE TABLE bench_baseline (pid INTEGER NOT NULL, seq INTEGER NOT NULL)"))
    per = n // sc.processes
    if sc.companies == "same":
        company_ids = [make_company(setup, "bench")] * sc.processes
    else:
        company_ids = [make_company(setup, f"bench-{i}") for i in range(sc.processes)]
    if os.environ.get("BENCH_WEBHOOKS") == "1":  # every event also goes to the webhook outbox
        subscribe_everything(setup, sorted(set(company_ids)))
    ctx = mp.get_context("spawn")
    stop_sealing = ctx.Event()
    sealer = ctx.Process(target=sealing_process, args=(url, stop_sealing)) if sc.sealer == "process" else None
    if sealer is not None:
        sealer.start()
    if sc.processes == 1:
        results = [worker(url, company_ids[0], per, sc.audit, None, profile, mode, sc.sealer)]
    else:
        with ctx.Manager() as manager:
            barrier = manager.Barrier(sc.processes)
            with ctx.Pool(sc.processes) as pool:
                results = pool.map(
                    _worker_entry, [(url, c, per, sc.audit, barrier, False, mode, sc.sealer) for c in company_ids]
                )
    if sealer is not None:  # the memo phase ends when the other process has sealed everything
        while True:
            with setup.engine.connect() as conn:
                if not conn.execute(text("SELECT count(*) FROM audit_events WHERE seq IS NULL")).scalar_one():
                    break
            time.sleep(0.005)
        sealed_at = time.perf_counter()
        stop_sealing.set()
        sealer.join()
        for r in results:
            r.memo_span = (r.memo_span[0], max(r.memo_span[1], sealed_at))
    with setup.engine.connect() as conn:
        posted = conn.execute(text("SELECT count(*) FROM memos WHERE status = 'posted'")).scalar_one()
        events = conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
        unsealed = conn.execute(text("SELECT count(*) FROM audit_events WHERE seq IS NULL")).scalar_one()
    assert unsealed == 0, f"{unsealed} audit events left unsealed"
    with setup.uow(readonly=True) as uow:
        for company_id in set(company_ids):
            assert verify_audit_chain(uow, company_id) is None, "audit chain broken"
    setup.dispose()
    if tmp is not None:
        tmp.cleanup()
    total = per * sc.processes
    assert posted == total, f"{posted} memos posted, expected {total}"
    queue.put(
        {
            "scenario": sc.name,
            "n": total,
            "posted": posted,
            "audit_events": events,
            "issue": [x for r in results for x in r.issue],
            "create": [x for r in results for x in r.create],
            "post": [x for r in results for x in r.post],
            "issue_wall": max(r.issue_span[1] for r in results) - min(r.issue_span[0] for r in results),
            "memo_wall": max(r.memo_span[1] for r in results) - min(r.memo_span[0] for r in results),
            "baseline_rate": sum(r.baseline_n for r in results)
            / (max(r.baseline_span[1] for r in results) - min(r.baseline_span[0] for r in results)),
            "statements": sum(r.statements for r in results) / total,
            "round_trips": sum(r.round_trips for r in results) / total,
            "maxrss_mib": max(r.maxrss_kib for r in results) / 1024,
            "maxrss_self_mib": peak_rss_kib() / 1024,
        }
    )


# reporting ---------------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] * 1000


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="invoices and memos per scenario (default 2000)")
    parser.add_argument("--only", default="", help="comma-separated scenario names (default: all)")
    parser.add_argument(
        "--mode",
        choices=["one-step", "two-step"],
        default="one-step",
        help="create+post in one transaction (post: true; default) or two",
    )
    parser.add_argument(
        "--profile",
        choices=["sqlite", "postgresql"],
        help="cProfile the memo phase of the one-process run and print the top functions",
    )
    args = parser.parse_args()

    chosen = [s for s in SCENARIOS if not args.only or s.name in args.only.split(",")]
    if args.profile:
        chosen = [Scenario(f"profile-{args.profile}", args.profile, 1, "same")]
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    print(
        f"engine benchmark  N={args.n}  mode {args.mode}  python {sys.version.split()[0]}  cpus {os.cpu_count()}  "
        f"pg {PG_URL.rsplit('@', 1)[-1]}",
        flush=True,
    )
    first = "memo p50/p99 ms" if args.mode == "one-step" else "create p50/p99 ms"
    header = (
        f"{'scenario':28s} {'memos/s':>8s} {'base/s':>7s} {'share':>6s} {'stmts':>5s} {'rtrips':>6s} "
        f"{'inv/s':>6s} {'issue p50/p99 ms':>17s} {first:>18s} {'post p50/p99 ms':>16s} {'rss MiB':>8s} "
        f"{'load':>15s}"
    )
    print(header)
    rows = {}
    for sc in chosen:
        before = loadavg()
        proc = ctx.Process(target=run_scenario, args=(sc, args.n, queue, bool(args.profile), args.mode))
        proc.start()
        r = queue.get()
        proc.join()
        rows[sc.name] = r
        rate = r["n"] / r["memo_wall"]
        post = f"{pct(r['post'], 0.5):7.2f}/{pct(r['post'], 0.99):<8.2f}" if r["post"] else f"{'-':>16s}"
        print(
            f"{sc.name:28s} {rate:8.0f} {r['baseline_rate']:7.0f} {rate / r['baseline_rate']:6.1%} "
            f"{r['statements']:5.1f} {r['round_trips']:6.1f} {r['n'] / r['issue_wall']:6.0f} "
            f"{pct(r['issue'], 0.5):8.2f}/{pct(r['issue'], 0.99):<8.2f} "
            f"{pct(r['create'], 0.5):8.2f}/{pct(r['create'], 0.99):<9.2f} "
            f"{post} "
            f"{max(r['maxrss_mib'], r['maxrss_self_mib']):8.0f} {before:>15s}",
            flush=True,
        )
    for with_audit, without in (
        ("sqlite-1p", "sqlite-1p-noaudit"),
        ("sqlite-1p-sealer-process", "sqlite-1p-noaudit"),
        ("pg-1p", "pg-1p-noaudit"),
        ("pg-1p-sealer-process", "pg-1p-noaudit"),
        ("pg-4p-same-company", "pg-4p-same-company-noaudit"),
        ("pg-4p-same-company-sealer-process", "pg-4p-same-company-noaudit"),
    ):
        if with_audit in rows and without in rows:
            a = rows[with_audit]["n"] / rows[with_audit]["memo_wall"]
            b = rows[without]["n"] / rows[without]["memo_wall"]
            print(
                f"audit chain cost, {with_audit}: {a:.0f}/s with, {b:.0f}/s without = "
                f"{(1 - a / b) * 100:.1f} % of memo throughput"
            )
    print(f"load average after: {loadavg()}")
    if args.profile:
        stats = pstats.Stats(os.environ.get("BENCH_PROFILE_OUT", "/tmp/creditmemo_bench.prof"))
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
