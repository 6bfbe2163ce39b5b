"""`kill -9` of a loaded `creditmemo serve --workers 2` on PostgreSQL loses no acknowledged write and leaves no
half-written one (issue 9, item 6).

Eight client threads (half on one hot customer) create and post memos, apply them, refund, record and apply
payments; after a few seconds the server's whole process group gets SIGKILL mid-load; it is restarted, loaded
and killed again (KILLS rounds). Every acknowledged write (a 2xx response) is remembered with what it said.
The server is restarted on the same database once more, and:

- every acknowledged write is there exactly as acknowledged: documents with their number, status, totals and
  lines (a posted memo with its one posting entry), applications and refunds with their amounts; amounts
  applied and refunded never went back (the load neither unapplies nor voids);
- every acknowledged POST replayed with its Idempotency-Key returns the first response, marked replayed;
- every request that got no answer, retried with the SAME Idempotency-Key, is a replay of what committed
  (when its key was stored) or a fresh execution (when nothing committed), never a second document;
- a write that was not acknowledged may or may not exist, but whatever exists is whole (lines, totals,
  journal entries, audit events), numbers are gapless, the books reconcile, the audit chain verifies, and
  PostgreSQL counted no deadlock.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from tests import pg_stats
from tests.stress.conftest import save_artifact
from tests.stress.harness import (
    RACE_REFUSALS,
    Api,
    Books,
    Call,
    Company,
    Proc,
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
from tests.stress.load import KILL_OPERATIONS, Client, World, run_load, seed_customer

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only]

HOT_THREADS, COLD_THREADS, COLD_CUSTOMERS = 4, 4, 2
KILLS, KILL_AFTER = 2, (2.0, 3.5)  # rounds of load, each ended by a SIGKILL after this many seconds
MEMO_OPS = {
    "cm.from_invoice post:true": "credit-memos",
    "cm.standalone post:true": "credit-memos",
    "dm.create post:true": "debit-memos",
}
MIN_ACKNOWLEDGED = 50


def lines_of(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(line["id"], line.get("invoice_line_id"), line["net_amount"], line["tax_amount"]) for line in doc["lines"]]


class Checker:
    """Compares what the restarted server says with what the acknowledged responses said."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.problems: list[str] = []
        self.cache: dict[str, Any] = {}
        self.checked = 0

    def get(self, path: str) -> Any:
        if path not in self.cache:
            self.cache[path] = self.api.get(path)
        return self.cache[path]

    def same(self, what: str, acked: dict[str, Any], now: dict[str, Any], fields: tuple[str, ...]) -> None:
        for f in fields:
            if acked.get(f) != now.get(f):
                self.problems.append(f"{what}: {f} acknowledged {acked.get(f)!r}, now {now.get(f)!r}")

    def not_less(self, what: str, acked: dict[str, Any], now: dict[str, Any], fields: tuple[str, ...]) -> None:
        for f in fields:
            if Decimal(now[f]) < Decimal(acked[f]):
                self.problems.append(f"{what}: {f} acknowledged {acked[f]}, now {now[f]}")

    def check(self, call: Call) -> None:
        self.checked += 1
        data = call.data
        if call.op == "invoice.create":
            now = self.get(f"/v1/invoices/{data['id']}")
            self.same(
                f"invoice {data['number']}",
                data,
                now,
                ("number", "status", "customer_id", "subtotal", "tax_total", "total"),
            )
            if lines_of(now) != lines_of(data):
                self.problems.append(f"invoice {data['number']}: lines differ from the acknowledged ones")
        elif call.op in MEMO_OPS:
            kind = MEMO_OPS[call.op]
            now = self.get(f"/v1/{kind}/{data['id']}")
            what = f"{data['number']} ({call.op})"
            self.same(
                what,
                data,
                now,
                ("number", "status", "customer_id", "invoice_id", "subtotal", "tax_total", "total", "reference"),
            )
            self.not_less(what, data, now, ("amount_applied", "amount_refunded"))
            if lines_of(now) != lines_of(data):
                self.problems.append(f"{what}: lines differ from the acknowledged ones")
            entries = self.get(f"/v1/{kind}/{data['id']}/journal-entries")
            kinds = [e["kind"] for e in entries]
            if now["status"] == "posted" and kinds != ["post"]:
                self.problems.append(f"{what}: journal entries {kinds}")
        elif call.op == "payment.create":
            now = self.get(f"/v1/payments/{data['id']}")
            what = f"payment {data['number']}"
            self.same(what, data, now, ("number", "customer_id", "amount", "currency", "reference"))
            self.not_less(what, data, now, ("amount_applied", "amount_refunded"))
        elif call.op in ("cm.apply", "cm.apply to debit memo", "payment.apply"):
            listed = {a["id"]: a for a in self.get(call.path)}  # GET …/applications of the same source
            for app in data:
                now = listed.get(app["id"])
                if now is None:
                    self.problems.append(f"application {app['id']} ({call.op}) acknowledged, now missing")
                else:
                    self.same(
                        f"application {app['id']}",
                        app,
                        now,
                        ("amount", "status", "invoice_id", "debit_memo_id", "credit_memo_id", "payment_id"),
                    )
        elif call.op == "cm.refund":
            listed = {r["id"]: r for r in self.get(call.path)}  # GET /v1/credit-memos/{id}/refunds
            now = listed.get(data["id"])
            if now is None:
                self.problems.append(f"refund {data['number']} acknowledged, now missing")
            else:
                self.same(f"refund {data['number']}", data, now, ("number", "amount", "credit_memo_id", "reference"))
        else:
            self.checked -= 1
            self.problems.append(f"no check for acknowledged {call.op}")


def start_server(procs: Procs, url: str, company: Company, name: str) -> tuple[Proc, str]:
    port = free_port()
    server = procs.serve(url, port, name=name, workers=2)
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(server, base, company.keys["auditor"])
    return server, base


def test_kill_9_mid_load_keeps_every_acknowledged_write(
    stress_database: Callable[[str], str], procs: Procs, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    seed = int(os.environ.get("CREDITMEMO_STRESS_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    url = stress_database("kill")
    company = make_company(url, "kill")
    server, base = start_server(procs, url, company, "server-1")

    recorder = Recorder()
    world = World(recorder)
    setup = Api(base, company, recorder)
    hot = seed_customer(setup, "Hot Spot Inc", True, invoices=4)
    cold = [seed_customer(setup, f"Quiet Customer {i}", False, invoices=3) for i in range(COLD_CUSTOMERS)]
    setup.close()
    pools = [hot] * HOT_THREADS + [cold[i % COLD_CUSTOMERS] for i in range(COLD_THREADS)]
    clients = [
        Client(None, None, random.Random(seed + i), pool, world)  # type: ignore[arg-type]  # this client only reads the world
        for i, pool in enumerate(pools)
    ]

    # KILLS rounds: load, then SIGKILL to the server's process group at a random moment; restart.
    kill_times = []
    for round_ in range(1, KILLS + 1):
        if round_ > 1:
            server, base = start_server(procs, url, company, f"server-{round_}")
        for c in clients:
            c.api, c.twin = Api(base, company, recorder, timeout=30), Api(base, company, recorder, timeout=30)
        stop = threading.Event()
        kill_after = rng.uniform(*KILL_AFTER)
        kill_times.append(kill_after)

        def killer(server: Proc = server, stop: threading.Event = stop, after: float = kill_after) -> None:
            if not stop.wait(after):
                stop.set()  # no new request starts; those in flight stay in flight
                server.kill9()
            stop.set()

        kill_thread = threading.Thread(target=killer, name="killer", daemon=True)
        kill_thread.start()
        try:
            run_load(clients, KILL_OPERATIONS, stop=stop)
        finally:
            stop.set()
            kill_thread.join(60)
            for c in clients:
                c.api.close()
                c.twin.close()
    before_kill = recorder.failures()
    before_kill.pop("no response")  # every request in flight at a kill
    acked = [c for c in recorder.calls if c.ok]
    lost = [c for c in recorder.calls if c.status is None]

    # The last restart, on the same database.
    server, base = start_server(procs, url, company, f"server-{KILLS + 1}")
    restarted_at = time.monotonic() - started

    after = Recorder()
    api = Api(base, company, after)
    books = Books(url, company.company_id)
    try:
        # 0. events the killed server committed but had not chained yet: the restarted one seals them
        unsealed = "SELECT count(*) FROM audit_events WHERE company_id = :c AND seq IS NULL"
        left_unsealed = books.scalar(unsealed)
        deadline = time.monotonic() + 15
        while (still := books.scalar(unsealed)) and time.monotonic() < deadline:
            time.sleep(0.1)
        seal_problems = [f"{still} audit events still unsealed 15 s after the restart"] if still else []
        # 1. every acknowledged write, as acknowledged
        checker = Checker(api)
        for call in acked:
            checker.check(call)
        # 2. the requests that got no answer, retried with their Idempotency-Key
        retry_problems, committed = [], 0
        for call in lost:
            stored = books.stored_response(call.key) if call.key else None
            committed += stored is not None
            again = api.call(f"retry {call.op}", call.method, call.path, call.body, key=call.key)
            if stored is not None:
                if not (
                    again.ok
                    and again.replayed
                    and again.status == stored["status_code"]
                    and again.data == json.loads(stored["response_body"])
                ):
                    retry_problems.append(
                        f"{call.op} committed before the kill; the retry answered {again.outcome} "
                        f"replayed={again.replayed} (key {call.key})"
                    )
            elif again.replayed:
                retry_problems.append(f"{call.op} had no stored response, yet the retry was a replay (key {call.key})")
            elif not again.ok and again.code not in RACE_REFUSALS:
                retry_problems.append(f"{call.op} retried: {again.describe()}")
            if (
                isinstance(call.body, dict)
                and call.key is not None
                and call.key in (call.body.get("reference"), call.body.get("memo"))
            ):
                n = books.documents_for(call.key)
                if n != (1 if again.ok else 0):
                    retry_problems.append(
                        f"{call.op} (key {call.key}): {n} documents after the retry answered {again.outcome}"
                    )
        # 3. every acknowledged POST replayed: the first response, marked replayed
        replay_problems = []
        for call in acked:
            again = api.call(f"replay {call.op}", "POST", call.path, call.body, key=call.key)
            if not (again.status == call.status and again.replayed and again.data == call.data):
                replay_problems.append(
                    f"{call.op} replayed after the restart: {again.outcome} "
                    f"replayed={again.replayed}, same body {again.data == call.data}"
                )
            if (
                call.key
                and isinstance(call.body, dict)
                and call.key in (call.body.get("reference"), call.body.get("memo"))
                and books.documents_for(call.key) != 1
            ):
                replay_problems.append(f"{call.op} (key {call.key}): {books.documents_for(call.key)} documents")
        report = report_problems(api)
        api.close()
        server.stop()
        deadlocks = pg_stats.record(url)
        verify = run_cli(url, "audit", "verify", "--company", company.slug)
        problems = books_problems(books)
        problems["numbers answered = numbers stored"] = books.answered_number_problems(recorder.calls + after.calls)
        counts = {
            t: books.scalar(f"SELECT count(*) FROM {t} WHERE company_id = :c")
            for t in ("invoices", "memos", "payments", "refunds", "applications")
        }
    finally:
        books.close()

    after_failures = after.failures()
    summary = "\n".join(
        [
            f"server kill: seed {seed}, {len(clients)} threads ({HOT_THREADS} on the hot customer), {KILLS} rounds "
            f"of load each ended by SIGKILL (after {', '.join(f'{t:.1f}' for t in kill_times)} s), last restart at "
            f"{restarted_at:.1f} s, test {time.monotonic() - started:.1f} s",
            recorder.table(),
            f"acknowledged writes {len(acked)} (checked {checker.checked}), no answer {len(lost)} "
            f"(of which committed {committed}, retried {len(lost)}); audit events the last killed server left "
            f"unsealed {left_unsealed}, sealed by the restarted one",
            "after the restart: " + ", ".join(f"{t} {n}" for t, n in counts.items()),
            "retries and replays after the restart:",
            after.table(),
            f"pg_stat_database.deadlocks: {deadlocks}",
            f"audit verify: exit {verify.returncode} {verify.stdout.strip()} {verify.stderr.strip()}",
        ]
    )
    problem_text = format_failures(
        {
            **{f"before the kill: {k}": v for k, v in before_kill.items()},
            **{f"after the restart: {k}": v for k, v in after_failures.items()},
            "contract violations": recorder.violations,
            "load thread crashes": world.crashes,
            "acknowledged writes not as acknowledged": checker.problems,
            "retried requests": retry_problems,
            "acknowledged requests replayed": replay_problems,
            "audit events after the restart": seal_problems,
            "reports": report,
            **problems,
            "pg_stat_database.deadlocks": [f"{deadlocks} deadlocks counted"] if deadlocks else [],
            "audit chain": [f"creditmemo audit verify exited {verify.returncode}: {verify.stderr.strip()}"]
            if verify.returncode
            else [],
            "too little load": [f"{len(acked)} acknowledged writes < {MIN_ACKNOWLEDGED}"]
            if len(acked) < MIN_ACKNOWLEDGED
            else [],
        }
    )
    save_artifact("server_kill.txt", summary + "\n\n" + (problem_text or "no problems") + "\n")
    with capsys.disabled():
        print("\n" + summary + ("\n\nPROBLEMS\n" + problem_text if problem_text else "") + "\n")
    assert not problem_text, summary + "\n\nPROBLEMS\n" + problem_text
