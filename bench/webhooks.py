"""Webhook delivery benchmark (issue 13 item 3: at least 200 deliveries/s to a local receiver).

    .venv/bin/python bench/webhooks.py                      # SQLite and PostgreSQL, 5,000 events each
    .venv/bin/python bench/webhooks.py --n 2000 --only sqlite --concurrency 32

Per engine: a fresh database (a SQLite file in a temp dir; PostgreSQL BENCH_POSTGRES_URL, default database
creditmemo_bench, dropped and recreated), one company with one endpoint subscribed to every event, and N webhook
events written through the real write path (audit events recorded and committed, 500 per transaction, which writes
the outbox rows) over N/5 documents, five events each (so each document's order is kept). The receiver is
http.server (ThreadingHTTPServer) on 127.0.0.1 in its own process, answering 200 at once. Then one Deliverer (the
same code `creditmemo worker` and `creditmemo webhooks deliver` run) delivers until the outbox is empty: round after
round (``deliver_due``), or with ``--loop`` the worker's loop, whose rounds overlap. Deliveries/s = N / that time.
Checked afterwards: every event delivered once, the receiver counted N requests."""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sqlalchemy import create_engine, func, select, text

from creditmemo.ids import new_id
from creditmemo.services.actors import Actor, Role
from creditmemo.services.companies import create_company
from creditmemo.services.webhooks import create_endpoint
from creditmemo.store import migrate
from creditmemo.store.tables import webhook_outbox
from creditmemo.store.uow import Database
from creditmemo.webhooks import Deliverer

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/creditmemo_bench")


def receive(port_queue: Any, count: Any) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with count.get_lock():
                count.value += 1
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_queue.put(server.server_port)
    server.serve_forever()


def fresh_postgres(url: str) -> None:
    base, name = url.rsplit("/", 1)
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def all_sent(db: Database) -> bool:
    with db.uow(readonly=True) as uow:
        return not uow.conn.execute(
            select(webhook_outbox.c.event_id).where(webhook_outbox.c.status == "pending").limit(1)
        ).first()


def run(engine: str, n: int, concurrency: int, batch: int, port: int, count: Any, loop: bool) -> dict[str, Any]:
    os.environ["CREDITMEMO_WEBHOOKS_ALLOW_PRIVATE"] = "1"
    tmp = None
    if engine == "sqlite":
        tmp = tempfile.TemporaryDirectory(prefix="creditmemo_bench_")
        url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    else:
        fresh_postgres(PG_URL)
        url = PG_URL
    db = Database(url)
    migrate.upgrade(db.engine)
    with db.uow() as uow:
        company_id = create_company(uow, slug=f"bench-{engine}", name="Bench").id
    with db.uow() as uow:
        create_endpoint(uow, Actor(None, company_id, Role.ADMIN), url=f"http://127.0.0.1:{port}/hook", events=["*"])
    documents = [new_id("cm") for _ in range(max(1, n // 5))]
    started = time.perf_counter()
    for start in range(0, n, 500):
        with db.uow() as uow:
            for i in range(start, min(n, start + 500)):
                uow.audit.record(
                    company_id=company_id,
                    actor_id=None,
                    actor_label="bench",
                    action="credit_memo.created" if i < len(documents) else "credit_memo.submitted",
                    entity_type="credit_memo",
                    entity_id=documents[i % len(documents)],
                    changes={"status": [None, "draft"], "n": [None, i]},
                    now=uow.now(),
                )
    written = time.perf_counter() - started
    if engine == "postgresql":  # a fresh table has no statistics yet; a live one has (autovacuum)
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE webhook_outbox"))
    with count.get_lock():
        count.value = 0
    deliverer = Deliverer(db, concurrency=concurrency, batch=batch, timeout=5)
    started = time.perf_counter()
    cpu_before = time.process_time()
    rounds = 0
    if loop:  # the worker's loop: rounds overlap (the next claimed while the last is in flight)
        deliverer.run(should_stop=lambda: all_sent(db), poll_interval=0.01)
    else:
        while deliverer.deliver_due() > 0:
            rounds += 1
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    deliverer.close()
    with db.uow(readonly=True) as uow:
        states: dict[str, Any] = dict(
            uow.conn.execute(select(webhook_outbox.c.status, func.count()).group_by(webhook_outbox.c.status))
            .tuples()
            .all()
        )
    db.dispose()
    if tmp is not None:
        tmp.cleanup()
    return {
        "engine": engine,
        "n": n,
        "write_s": written,
        "deliver_s": elapsed,
        "rate": n / elapsed,
        "cpu_ms": cpu * 1000 / n,
        "rounds": rounds,
        "states": states,
        "received": count.value,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=5000, help="events per engine (default 5000)")
    parser.add_argument("--only", default="sqlite,postgresql", help="engines, comma-separated")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight (default 16)")
    parser.add_argument("--batch", type=int, default=200, help="deliveries claimed per round (default 200)")
    parser.add_argument(
        "--loop", action="store_true", help="the worker's loop (Deliverer.run, overlapping rounds), not deliver_due"
    )
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    port_queue = ctx.Queue()
    count = ctx.Value("i", 0)
    receiver = ctx.Process(target=receive, args=(port_queue, count), daemon=True)
    receiver.start()
    port = port_queue.get(timeout=30)
    print(
        f"webhook delivery benchmark  N={args.n}  concurrency {args.concurrency}  batch {args.batch}  "
        f"python {sys.version.split()[0]}  cpus {os.cpu_count()}  load {os.getloadavg()}",
        flush=True,
    )
    try:
        for engine in args.only.split(","):
            r = run(engine, args.n, args.concurrency, args.batch, port, count, args.loop)
            print(
                f"{r['engine']:10s} events written in {r['write_s']:.1f} s; delivered in {r['deliver_s']:.2f} s "
                f"= {r['rate']:.0f} deliveries/s ({r['rounds']} rounds; deliverer CPU {r['cpu_ms']:.2f} ms each); "
                f"outbox {r['states']}; receiver got {r['received']}",
                flush=True,
            )
    finally:
        receiver.terminate()


if __name__ == "__main__":
    main()
