"""Every write of the API at once, over HTTP, against a real `creditmemo serve --workers 2` on PostgreSQL,
with a `creditmemo worker` posting bulk-queued memos in the middle of it (issue 9, item 6).

Twelve client threads for about 25 seconds (CREDITMEMO_STRESS_SECONDS): half of them on ONE customer and
the same few invoices (crediting, applying, unapplying, refunding, paying: the hot spot), the rest on three
other customers. Every POST carries an Idempotency-Key (creates also carry it as their ``reference``, so a
request executed twice would show as two documents). Afterwards:

- no 5xx, no `409 conflict` (a deadlock or serialization failure that reached the client), no response lost;
  domain refusals that racing explains (over_credit, insufficient_available, invalid_transition, ...) are
  counted per operation and printed;
- PostgreSQL counted no deadlock in the database (``pg_stat_database.deadlocks``), retried or not;
- the books reconcile (the reconciliation report, the trial balance, and the same rules in SQL), rule 1
  holds per invoice line, numbers are gapless per type, every document is whole, the audit chain verifies;
- each kind of operation succeeded often enough that the test cannot pass by doing nothing.
"""

from __future__ import annotations

import os
import random
import re
import signal
import time
from collections.abc import Callable

import pytest

from tests import pg_stats
from tests.stress.conftest import save_artifact
from tests.stress.harness import (
    Api,
    Books,
    Company,
    Procs,
    Recorder,
    books_problems,
    format_failures,
    free_port,
    make_company,
    report_problems,
    run_cli,
    wait_until_serving,
)
from tests.stress.load import OPERATIONS, Client, World, run_load, seed_customer

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only]

SECONDS = float(os.environ.get("CREDITMEMO_STRESS_SECONDS", "25"))
HOT_THREADS, COLD_THREADS, COLD_CUSTOMERS = 6, 6, 3

# Fewest successes each operation must reach (a fraction of what a run on a busy 2-core machine does).
MIN_OK = {
    "invoice.create": 10,
    "cm.from_invoice": 10,
    "cm.from_invoice post:true": 20,
    "cm.with_invoice_id": 5,
    "cm.standalone": 10,
    "cm.standalone post:true": 15,
    "cm.patch": 5,
    "cm.submit": 5,
    "cm.approve": 3,
    "cm.reject": 1,
    "cm.post": 10,
    "cm.void": 3,
    "cm.discard": 5,
    "cm.apply": 15,
    "cm.apply to debit memo": 3,
    "cm.unapply": 5,
    "cm.refund": 10,
    "payment.create": 10,
    "payment.apply": 10,
    "payment.unapply": 1,
    "payment.refund": 2,
    "dm.create post:true": 5,
    "dm.create": 2,
    "dm.post": 2,
    "cm.create for approval": 3,
    "cm.create post:true for approval": 2,
    "cm.bulk-post": 3,
    "idempotent replay": 5,
    "same key twice at once": 3,
}
WORKER_POSTED_MIN = 5


def wait_for_queue(books: Books, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while True:
        left = books.scalar("SELECT count(*) FROM memos WHERE company_id = :c AND status = 'ready_to_post'")
        if not left or time.monotonic() > deadline:
            return int(left)
        time.sleep(0.2)


def retries_in(log: str) -> str:
    """What the server logged about transactions it retried (Database.transact)."""
    lines = [line for line in log.splitlines() if "retrying a transaction" in line]
    kinds: dict[str, int] = {}
    for line in lines:
        kind = "deadlock" if "deadlock" in line else "serialization" if "serializ" in line else "other"
        kinds[kind] = kinds.get(kind, 0) + 1
    return f"{len(lines)} ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items())) or 'none'})"


def test_every_write_at_once_keeps_the_books(
    stress_database: Callable[[str], str], procs: Procs, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    phases: dict[str, float] = {}
    last = started

    def phase(name: str) -> None:
        nonlocal last
        now = time.monotonic()
        phases[name], last = now - last, now

    seed = int(os.environ.get("CREDITMEMO_STRESS_SEED", random.randrange(1 << 30)))
    url = stress_database("stress")
    phase("database")
    company: Company = make_company(url, "stress")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = procs.serve(url, port, workers=2)
    wait_until_serving(server, base, company.keys["auditor"])
    deadlocks_before = pg_stats.deadlocks(url, settle=0)
    phase("server start")

    recorder = Recorder()
    world = World(recorder)
    setup = Api(base, company, recorder)
    hot = seed_customer(setup, "Hot Spot Inc", True, invoices=4)
    cold = [seed_customer(setup, f"Quiet Customer {i}", False, invoices=3) for i in range(COLD_CUSTOMERS)]
    pools = [hot] * HOT_THREADS + [cold[i % COLD_CUSTOMERS] for i in range(COLD_THREADS)]
    clients = [
        Client(Api(base, company, recorder), Api(base, company, recorder), random.Random(seed + i), pool, world)
        for i, pool in enumerate(pools)
    ]
    worker = procs.worker(url)
    phase("seed")
    load_started = time.monotonic()
    try:
        run_load(clients, OPERATIONS, seconds=SECONDS)
    finally:
        for c in clients:
            c.api.close()
            c.twin.close()
    load_seconds = time.monotonic() - load_started
    phase("load")

    books = Books(url, company.company_id)
    try:
        left_queued = wait_for_queue(books)
        phase("worker drain")
        report = report_problems(setup)
        setup.close()
        worker.stop(signal.SIGINT)
        server.stop()
        phase("stop")
        deadlocks_after = pg_stats.record(url)
        phase("deadlocks")
        verify = run_cli(url, "audit", "verify", "--company", company.slug)
        phase("audit verify")
        problems = books_problems(books)
        problems["numbers answered = numbers stored"] = books.answered_number_problems(recorder.calls)
        statuses = books.rows(
            "SELECT status, count(*) AS n FROM memos WHERE company_id = :c AND kind = 'credit' "
            "GROUP BY status ORDER BY status"
        )
        worker_posted = (
            books.scalar(
                "SELECT count(*) FROM memos WHERE company_id = :c AND status IN ('posted', 'void') AND id = ANY(:ids)",
                ids=list(world.bulk_queued),
            )
            if world.bulk_queued
            else 0
        )
    finally:
        books.close()
    phase("checks")

    failures = recorder.failures()
    too_few = {op: (recorder.ok_count(op), n) for op, n in MIN_OK.items() if recorder.ok_count(op) < n}
    worker_log = worker.text()
    summary = "\n".join(
        [
            f"write-path stress: seed {seed}, {len(clients)} threads ({HOT_THREADS} on the hot customer), "
            f"load {load_seconds:.1f} s, {sum(recorder.counts.values())} requests, "
            f"test {time.monotonic() - started:.1f} s",
            recorder.table(),
            "credit memos by status: " + ", ".join(f"{r['status']} {r['n']}" for r in statuses),
            f"bulk-queued {len(world.bulk_queued)}, posted by the worker {worker_posted}, still queued {left_queued}; "
            f"worker log: {len(re.findall(r'posted CM-', worker_log))} posted, "
            f"{len(re.findall(r'not posted', worker_log))} sent back to draft",
            f"server retried transactions: {retries_in(server.text())}",
            f"pg_stat_database.deadlocks: before {deadlocks_before}, after {deadlocks_after}",
            f"audit verify: exit {verify.returncode} {verify.stdout.strip()} {verify.stderr.strip()}",
            "seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in phases.items()),
        ]
    )
    problem_text = format_failures(
        {
            **failures,
            "contract violations": recorder.violations,
            "load thread crashes": world.crashes,
            "reports": report,
            **problems,
            "too few successes (op: got, needed)": [f"{op}: {got} < {n}" for op, (got, n) in too_few.items()],
            "pg_stat_database.deadlocks grew": [f"from {deadlocks_before} to {deadlocks_after}"]
            if deadlocks_after != deadlocks_before
            else [],
            "audit chain": [f"creditmemo audit verify exited {verify.returncode}: {verify.stderr.strip()}"]
            if verify.returncode
            else [],
            "worker": ([f"{left_queued} memos still ready_to_post"] if left_queued else [])
            + ([f"only {worker_posted} bulk-queued memos posted"] if worker_posted < WORKER_POSTED_MIN else []),
        }
    )
    save_artifact("write_path_stress.txt", summary + "\n\n" + (problem_text or "no problems") + "\n")
    with capsys.disabled():
        print("\n" + summary + ("\n\nPROBLEMS\n" + problem_text if problem_text else "") + "\n")
    assert not problem_text, summary + "\n\nPROBLEMS\n" + problem_text
