"""A real `creditmemo worker` process killed with SIGKILL in the middle of posting a 2,000-line memo
leaves the memo ready_to_post with nothing written; a later run posts it exactly once. On PostgreSQL,
three worker processes side by side post each of many queued memos exactly once."""

from __future__ import annotations

import os
import queue
import random
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text as sql

from creditmemo.domain.lifecycle import Status
from creditmemo.services.audit_trail import verify_audit_chain
from creditmemo.services.memos.bulk import bulk_post
from creditmemo.services.memos.post import post_memo
from tests.builders import by_qty, credit, invoice, line

CREDITMEMO = str(Path(sys.executable).with_name("creditmemo"))
# Far past the 250 lines that send a memo to the worker, and long enough to post that a kill sent the moment the
# worker logs its claim lands inside the transaction (10,000 lines until the suite had to get faster: the same
# proof, five times the rows to write and read back).
LINES = 2_000


def worker_env(db) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": db.engine.url.render_as_string(hide_password=False)}


def start_worker(db, *args: str) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    proc = subprocess.Popen(
        [CREDITMEMO, "worker", *args], env=worker_env(db), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stderr is not None
        for text in proc.stderr:
            lines.put(text)

    threading.Thread(target=pump, daemon=True).start()
    return proc, lines


def wait_for(lines: queue.Queue[str], needle: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"worker never logged {needle!r}"
        try:
            if needle in lines.get(timeout=remaining):
                return
        except queue.Empty:
            continue


def settle(db, timeout: float = 10.0) -> None:
    """Wait until the killed worker's PostgreSQL backend is done. A COMMIT the worker sent just before SIGKILL is
    still carried out by its backend, and reading meanwhile (a statement at a time) could see the memo before that
    commit and its journal after it."""
    if not db.postgres:
        return  # SQLite: a transaction is in the file or not, when the process is gone
    busy = sql(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND backend_type = 'client backend' AND state <> 'idle'"
    )
    deadline = time.monotonic() + timeout
    with db.engine.connect() as conn:
        while conn.execute(busy).scalar_one() and time.monotonic() < deadline:
            conn.rollback()  # a new snapshot of pg_stat_activity for the next look
            time.sleep(0.05)


def state(db, company_id, memo, inv):
    settle(db)
    with db.uow(readonly=True) as uow:
        m = uow.memos.get(company_id, memo.id)
        entries = uow.journal.for_source(company_id, memo.id)
        credited = sum(
            line.credited_net.amount for line in uow.invoices.get(company_id, inv.id).lines if line.credited_net
        )
        events = [e.action for e in uow.audit.for_entity(company_id, memo.id)]
        cust = uow.customers.get(company_id, inv.customer_id)
        chain = verify_audit_chain(uow, company_id)
    return m, entries, credited, events, cust, chain


def test_killed_worker_leaves_nothing_half_written_and_the_memo_posts_once(db, controller):
    inv = invoice(db, controller, [line("1", "0.10", "5") for _ in range(LINES)])  # 210.00 in all
    memo = credit(db, controller, inv, auto_apply=False)
    with db.uow() as uow:
        assert post_memo(uow, controller, memo.id).status is Status.READY_TO_POST
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    kills_before_commit = 0
    for attempt in range(4):
        proc, lines = start_worker(db, "--poll-interval", "0.05")
        try:
            wait_for(lines, f"posting {memo.number} {memo.id}")  # logged after the claim, before any write
            # The first kill lands at once (surely mid-transaction: posting the lines takes far longer than the
            # signal takes to arrive); later ones at random points of the posting, or after its commit.
            time.sleep(0.0 if attempt == 0 else rng.uniform(0.0, 0.6))
        finally:
            proc.kill()  # SIGKILL: no cleanup, no rollback from the process itself
            proc.wait()
        m, entries, credited, events, cust, chain = state(db, controller.company_id, memo, inv)
        assert chain is None, f"seed {seed}"
        if m.status is Status.POSTED:  # the kill came after the commit
            break
        kills_before_commit += 1
        assert m.status is Status.READY_TO_POST, f"seed {seed}"
        assert entries == [], f"seed {seed}"
        assert credited == 0, f"seed {seed}"
        assert "credit_memo.posted" not in events, f"seed {seed}"
        assert cust.available_credit.amount == 0, f"seed {seed}"
        assert cust.balance == inv.total, f"seed {seed}"
    assert kills_before_commit >= 1, f"seed {seed}: every kill landed after the commit"
    done = subprocess.run(
        [CREDITMEMO, "worker", "--once"], env=worker_env(db), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    m, entries, credited, events, cust, chain = state(db, controller.company_id, memo, inv)
    assert m.status is Status.POSTED
    assert [e.kind for e in entries] == ["post"]
    assert credited == m.subtotal.amount == Decimal("0.10") * LINES
    assert events.count("credit_memo.posted") == 1
    assert cust.available_credit == m.total
    assert chain is None


@pytest.mark.postgres_only
def test_three_worker_processes_post_each_memo_exactly_once(db, controller):
    count = 60
    inv = invoice(db, controller, [line("1", "10.00") for _ in range(count)])
    memos = [credit(db, controller, inv, [by_qty(inv, i, "1")], auto_apply=False) for i in range(count)]
    with db.uow() as uow:
        bulk_post(uow, controller, [m.id for m in memos])
    procs = [
        subprocess.Popen(
            [CREDITMEMO, "worker", "--once"],
            env=worker_env(db),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    posted_by: dict[str, int] = {}
    for i, (_out, err) in enumerate(outputs):
        for m in memos:
            if f"posted {m.number} {m.id}" in err:
                assert m.id not in posted_by, f"{m.number} posted by workers {posted_by[m.id]} and {i}"
                posted_by[m.id] = i
    with db.uow(readonly=True) as uow:
        for m in memos:
            assert [e.kind for e in uow.journal.for_source(controller.company_id, m.id)] == ["post"]
            assert uow.memos.get(controller.company_id, m.id).status is Status.POSTED
        assert verify_audit_chain(uow, controller.company_id) is None
    assert len(posted_by) == count
