"""Engine benchmark (issue 2 §8): invoices issued, then credit memos created from them and posted, all
through the service layer, one ``with db.uow() as uow:`` transaction per operation, as a request would.

    .venv/bin/python bench/engine.py                    # everything, N=2000
    .venv/bin/python bench/engine.py --n 500 --only sqlite-1p
    .venv/bin/python bench/engine.py --profile sqlite   # cProfile of the one-process run

Per scenario: N invoices (3 lines, two of them taxed at 8.25 %) over 20 customers per process, then for
each invoice a credit memo from it (line 1 narrowed to quantity 1, the realistic "from invoice" path:
services.memos.create.create_credit_memo_from_invoice) and its post (services.memos.post.post_memo,
which also auto-applies the memo to its invoice). Each scenario runs in a fresh process on a fresh
database (a SQLite file in a temp dir; PostgreSQL database creditmemo_bench, dropped and recreated), so
the peak RSS is that scenario's. Throughput is N / wall time of the memo phase (create + post);
latencies are per operation (p50/p99). The audit switch (Database(..., audit=False)) exists for this
benchmark only: it measures what the audit hash chain costs."""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing as mp
import os
import pstats
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sqlalchemy import create_engine, text  # noqa: E402

from creditmemo.domain.inputs import CreditLineInput, InvoiceLineInput  # noqa: E402
from creditmemo.services.actors import PRIVILEGES, Actor, Role, system_actor  # noqa: E402
from creditmemo.services.companies import create_company  # noqa: E402
from creditmemo.services.customers import create_customer  # noqa: E402
from creditmemo.services.invoices import issue_invoice  # noqa: E402
from creditmemo.services.memos.create import create_credit_memo_from_invoice  # noqa: E402
from creditmemo.services.memos.post import post_memo  # noqa: E402
from creditmemo.store import migrate  # noqa: E402
from creditmemo.store.uow import Database  # noqa: E402

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
    engine: str          # sqlite | postgresql
    processes: int
    companies: str       # same | each (one company per process)
    audit: bool = True


SCENARIOS = [
    Scenario("sqlite-1p", "sqlite", 1, "same"),
    Scenario("sqlite-1p-noaudit", "sqlite", 1, "same", audit=False),
    Scenario("pg-1p", "postgresql", 1, "same"),
    Scenario("pg-1p-noaudit", "postgresql", 1, "same", audit=False),
    Scenario("pg-4p-same-company", "postgresql", 4, "same"),
    Scenario("pg-4p-same-company-noaudit", "postgresql", 4, "same", audit=False),
    Scenario("pg-4p-4-companies", "postgresql", 4, "each"),
]


@dataclass
class WorkerResult:
    issue: list[float] = field(default_factory=list)
    create: list[float] = field(default_factory=list)
    post: list[float] = field(default_factory=list)
    issue_span: tuple[float, float] = (0.0, 0.0)
    memo_span: tuple[float, float] = (0.0, 0.0)
    maxrss_kib: int = 0


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
def worker(url: str, company_id: str, n: int, audit: bool, barrier: Any, profile: bool = False) -> WorkerResult:
    db = Database(url, audit=audit)
    actor = Actor("usr_bench", company_id, Role.CONTROLLER, frozenset(PRIVILEGES), "bench@controller")
    with db.uow() as uow:
        customers = [create_customer(uow, actor, name=f"Customer {i}", currency="USD").id
                     for i in range(CUSTOMERS_PER_PROCESS)]
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
            inv = issue_invoice(uow, actor, customer_id=customers[i % len(customers)], currency="USD",
                                issue_date=DAY, lines=LINES)
        result.issue.append(clock() - t)
        invoices.append((inv.id, inv.lines[0].id))
    result.issue_span = (start, clock())
    if barrier is not None:
        barrier.wait()
    if prof is not None:
        prof.enable()
    start = clock()
    for invoice_id, line_id in invoices:
        t = clock()
        with db.uow() as uow:
            memo = create_credit_memo_from_invoice(uow, actor, invoice_id, reason_code="damaged_goods",
                                                   lines=[CreditLineInput(line_id, quantity="1")])
        t2 = clock()
        with db.uow() as uow:
            post_memo(uow, actor, memo.id)
        t3 = clock()
        result.create.append(t2 - t)
        result.post.append(t3 - t2)
    result.memo_span = (start, clock())
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


def run_scenario(sc: Scenario, n: int, queue: Any, profile: bool = False) -> None:
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
    per = n // sc.processes
    if sc.companies == "same":
        company_ids = [make_company(setup, "bench")] * sc.processes
    else:
        company_ids = [make_company(setup, f"bench-{i}") for i in range(sc.processes)]
    if sc.processes == 1:
        results = [worker(url, company_ids[0], per, sc.audit, None, profile)]
    else:
        ctx = mp.get_context("spawn")
        with ctx.Manager() as manager:
            barrier = manager.Barrier(sc.processes)
            with ctx.Pool(sc.processes) as pool:
                results = pool.map(_worker_entry, [(url, c, per, sc.audit, barrier) for c in company_ids])
    with setup.engine.connect() as conn:
        posted = conn.execute(text("SELECT count(*) FROM memos WHERE status = 'posted'")).scalar_one()
        events = conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
    setup.dispose()
    if tmp is not None:
        tmp.cleanup()
    total = per * sc.processes
    assert posted == total, f"{posted} memos posted, expected {total}"
    queue.put({
        "scenario": sc.name, "n": total, "posted": posted, "audit_events": events,
        "issue": [x for r in results for x in r.issue],
        "create": [x for r in results for x in r.create],
        "post": [x for r in results for x in r.post],
        "issue_wall": max(r.issue_span[1] for r in results) - min(r.issue_span[0] for r in results),
        "memo_wall": max(r.memo_span[1] for r in results) - min(r.memo_span[0] for r in results),
        "maxrss_mib": max(r.maxrss_kib for r in results) / 1024,
        "maxrss_self_mib": peak_rss_kib() / 1024,
    })


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
    parser.add_argument("--profile", choices=["sqlite", "postgresql"],
                        help="cProfile the memo phase of the one-process run and print the top functions")
    args = parser.parse_args()

    chosen = [s for s in SCENARIOS if not args.only or s.name in args.only.split(",")]
    if args.profile:
        chosen = [Scenario(f"profile-{args.profile}", args.profile, 1, "same")]
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    print(f"engine benchmark  N={args.n}  python {sys.version.split()[0]}  cpus {os.cpu_count()}  "
          f"pg {PG_URL.rsplit('@', 1)[-1]}", flush=True)
    header = (f"{'scenario':28s} {'memos/s':>8s} {'inv/s':>7s} {'issue p50/p99 ms':>17s} "
              f"{'create p50/p99 ms':>18s} {'post p50/p99 ms':>16s} {'rss MiB':>8s} {'load':>15s}")
    print(header)
    rows = {}
    for sc in chosen:
        before = loadavg()
        proc = ctx.Process(target=run_scenario, args=(sc, args.n, queue, bool(args.profile)))
        proc.start()
        r = queue.get()
        proc.join()
        rows[sc.name] = r
        rate = r["n"] / r["memo_wall"]
        print(f"{sc.name:28s} {rate:8.0f} {r['n'] / r['issue_wall']:7.0f} "
              f"{pct(r['issue'], .5):8.2f}/{pct(r['issue'], .99):<8.2f} "
              f"{pct(r['create'], .5):8.2f}/{pct(r['create'], .99):<9.2f} "
              f"{pct(r['post'], .5):7.2f}/{pct(r['post'], .99):<8.2f} "
              f"{max(r['maxrss_mib'], r['maxrss_self_mib']):8.0f} {before:>15s}", flush=True)
    for with_audit, without in (("sqlite-1p", "sqlite-1p-noaudit"), ("pg-1p", "pg-1p-noaudit"),
                                ("pg-4p-same-company", "pg-4p-same-company-noaudit")):
        if with_audit in rows and without in rows:
            a = rows[with_audit]["n"] / rows[with_audit]["memo_wall"]
            b = rows[without]["n"] / rows[without]["memo_wall"]
            print(f"audit chain cost, {with_audit}: {a:.0f}/s with, {b:.0f}/s without = "
                  f"{(1 - a / b) * 100:.1f} % of memo throughput")
    print(f"load average after: {loadavg()}")
    if args.profile:
        stats = pstats.Stats(os.environ.get("BENCH_PROFILE_OUT", "/tmp/creditmemo_bench.prof"))
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
