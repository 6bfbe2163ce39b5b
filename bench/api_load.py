"""API load benchmark (issues 4 and 9): an asynchronous httpx driver against `creditmemo serve` with several
workers. Each virtual user takes an issued invoice and creates and posts a credit memo from it over HTTP:
``--mode one-request`` (default) is ``POST /v1/invoices/{id}/credit-memos {"post": true}``;
``two-requests`` creates (every line pre-populated) and then calls ``POST /v1/credit-memos/{id}/post``.
Both auto-apply the memo to its invoice. ``--hot-share`` of the memos (default a fifth) are on ONE customer
of the company, the rest spread over 49 others. Concurrency 16 for 30 s by default.

    .venv/bin/python bench/api_load.py --engine postgresql --workers 2   # database creditmemo_api_bench
    .venv/bin/python bench/api_load.py --engine sqlite --workers 2

Set-up (not timed): a fresh database, migrated; ``--companies`` companies, each with 50 customers and a
controller API key (``creditmemo apikey create``); enough invoices (2 lines, one taxed) issued through
the service layer. The server runs as a separate process tree (`creditmemo serve --workers N`); its RSS is
the sum over the tree, sampled every second. The driver runs on the same machine (it competes for the
same cores). Reported: memos created+posted per second, latency percentiles per request and per memo
(create + post), errors (any non-2xx or transport error), server RSS, CPU of the server, the driver and
PostgreSQL's backends, PostgreSQL backends waiting on a lock (sampled every 100 ms) and the deadlocks
PostgreSQL counted, load average."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, MutableMapping
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, TypedDict

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import httpx  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from creditmemo.domain.inputs import InvoiceLineInput  # noqa: E402
from creditmemo.services.actors import system_actor  # noqa: E402
from creditmemo.services.customers import create_customer  # noqa: E402
from creditmemo.services.invoices import issue_invoice  # noqa: E402
from creditmemo.services.users import ensure_company_user, issue_api_key  # noqa: E402
from creditmemo.store import migrate  # noqa: E402
from creditmemo.store.uow import Database  # noqa: E402

PG_URL = os.environ.get("BENCH_API_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/creditmemo_api_bench")
LINES = [InvoiceLineInput("Subscription", "1", "120.00", tax_rate="8.25"), InvoiceLineInput("Hours", "3", "50.00")]


def fresh_database(engine: str) -> str:
    if engine == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp(prefix='cm_api_bench_')}/bench.db"
    base, name = PG_URL.rsplit("/", 1)
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_URL


def prepare(url: str, companies: int, invoices: int, hot_share: float) -> list[tuple[str, list[str], list[str]]]:
    """[(api key, [invoice ids of the hot customer], [invoice ids of the others])] per company."""
    db = Database(url)
    migrate.upgrade(db.engine)
    result = []
    per_company = invoices // companies + 1
    for c in range(companies):
        with db.uow() as uow:
            user = ensure_company_user(uow, f"bench-{c}", f"bench@bench-{c}.test", "controller", [])
            key = issue_api_key(uow, system_actor(user.company_id), user.id).key
        actor = system_actor(user.company_id, "bench loader")
        with db.uow() as uow:
            customers = [create_customer(uow, actor, name=f"Customer {i}", currency="USD").id for i in range(50)]
        hot: list[str] = []
        cold: list[str] = []
        rng = random.Random(c)
        while len(hot) + len(cold) < per_company:
            with db.uow() as uow:
                for _ in range(min(500, per_company - len(hot) - len(cold))):
                    is_hot = rng.random() < hot_share
                    customer = customers[0] if is_hot else customers[1 + len(cold) % 49]
                    inv = issue_invoice(
                        uow, actor, customer_id=customer, currency="USD", issue_date=date(2026, 11, 1), lines=LINES
                    ).id
                    (hot if is_hot else cold).append(inv)
        result.append((key, hot, cold))
    db.dispose()
    return result


def tree_rss_kib(pid: int) -> int:
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(x) for x in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (live ones), from /proc."""
    total, todo = 0.0, [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(x) for x in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return total


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def postgres_cpu_seconds() -> float:
    """CPU of every postgres process on this machine (the server is local), from /proc."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                raw = f.read()
            if "(postgres)" not in raw:
                continue
            fields = raw.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return total


class DriveResult(TypedDict):
    elapsed: float
    done: int
    create: list[float]
    post: list[float]
    memo: list[float]
    errors: dict[str, int]
    rss_kib: list[int]
    lock_waits: list[int]


async def drive(
    base: str,
    work: list[tuple[str, list[str], list[str]]],
    concurrency: int,
    duration: float,
    server_pid: int,
    idempotency_keys: bool = True,
    mode: str = "one-request",
    hot_share: float = 0.2,
    url: str = "",
) -> DriveResult:
    queues = [(key, list(hot), list(cold)) for key, hot, cold in work]
    rng = random.Random(1)
    lock_waits: list[int] = []
    create_ms: list[float] = []
    post_ms: list[float] = []
    memo_ms: list[float] = []
    errors: dict[str, int] = {}
    rss: list[int] = []
    done = 0
    stop_at = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def user(n: int, client: httpx.AsyncClient) -> None:
        nonlocal done
        key, hot, cold = queues[n % len(queues)]
        headers = {"Authorization": f"Bearer {key}"}
        body = {"reason_code": "billing_error", "post": mode == "one-request"}
        while time.perf_counter() < stop_at and (hot or cold):
            ids = hot if (rng.random() < hot_share and hot) or not cold else cold
            invoice_id = ids.pop()
            t0 = time.perf_counter()
            try:
                r = await client.post(
                    f"/v1/invoices/{invoice_id}/credit-memos",
                    json=body,
                    headers={**headers, "Idempotency-Key": f"c-{invoice_id}"} if idempotency_keys else headers,
                )
                t1 = time.perf_counter()
                create_ms.append((t1 - t0) * 1000)
                if r.status_code != 201 or (mode == "one-request" and r.json().get("status") != "posted"):
                    name = f"create {r.status_code} {r.text[:80]}"
                    errors[name] = errors.get(name, 0) + 1
                    continue
                if mode == "one-request":
                    memo_ms.append((t1 - t0) * 1000)
                    done += 1
                    continue
                memo_id = r.json()["id"]
                r = await client.post(f"/v1/credit-memos/{memo_id}/post", headers=headers)
                t2 = time.perf_counter()
                post_ms.append((t2 - t1) * 1000)
                if r.status_code != 200:
                    errors[f"post {r.status_code} {r.text[:80]}"] = (
                        errors.get(f"post {r.status_code} {r.text[:80]}", 0) + 1
                    )
                    continue
                memo_ms.append((t2 - t0) * 1000)
                done += 1
            except httpx.HTTPError as e:
                name = f"{type(e).__name__} {e}"[:100]
                errors[name] = errors.get(name, 0) + 1

    async def sample() -> None:
        while time.perf_counter() < stop_at:
            rss.append(tree_rss_kib(server_pid))
            await asyncio.sleep(1)

    def waiting_on_locks() -> None:
        """Backends of the bench database waiting for a lock, every 100 ms (a thread: psycopg is sync)."""
        if "postgresql" not in url:
            return
        engine = create_engine(url)
        with engine.connect() as conn:
            while time.perf_counter() < stop_at:
                lock_waits.append(
                    conn.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND wait_event_type = 'Lock'"
                        )
                    ).scalar_one()
                )
                conn.rollback()
                time.sleep(0.1)
        engine.dispose()

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        sampler = asyncio.get_running_loop().run_in_executor(None, waiting_on_locks)
        await asyncio.gather(sample(), *(user(i, client) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
        await sampler
    return {
        "elapsed": elapsed,
        "done": done,
        "create": create_ms,
        "post": post_ms,
        "memo": memo_ms,
        "errors": errors,
        "rss_kib": rss,
        "lock_waits": lock_waits,
    }


def deadlocks(url: str) -> int:
    if "postgresql" not in url:
        return 0
    engine = create_engine(url)
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        value = conn.execute(text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"))
        result = int(value.scalar_one())
    engine.dispose()
    return result


def wait_up(base: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("server did not start")


def overhead(url: str, n: int, profile: bool = False) -> None:
    """What the HTTP layer adds per request, without a network or concurrency: N memos created and posted
    in one transaction through the services (as ``"post": true`` does), then N ``"post": true`` requests
    through the ASGI app called in this thread (sync endpoints run inline). ``profile``: cProfile the
    requests and print where their time goes."""
    import cProfile
    import json
    import pstats

    import fastapi.dependencies.utils
    import fastapi.routing

    from creditmemo.app import create_app
    from creditmemo.services.memos.create import create_credit_memo_from_invoice
    from creditmemo.services.users import authenticate_api_key

    key, _, ids = prepare(url, 1, 2 * n + 100, 0.0)[0]
    db = Database(url, sealing="off")  # as under `creditmemo serve`: another process seals
    with db.uow() as uow:
        actor = authenticate_api_key(uow, key)
    assert actor is not None

    def services(count: int) -> None:
        for _ in range(count):
            invoice_id = ids.pop()
            db.transact(
                partial(
                    create_credit_memo_from_invoice,
                    actor=actor,
                    invoice_id=invoice_id,
                    reason_code="billing_error",
                    post=True,
                )
            )

    services(20)
    t = time.perf_counter()
    services(n)
    in_services = (time.perf_counter() - t) / n * 1000

    async def inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    fastapi.routing.run_in_threadpool = inline
    fastapi.dependencies.utils.run_in_threadpool = inline
    app = create_app(db)

    async def call(path: str, body: object = None) -> tuple[int, bytes]:
        data = b"" if body is None else json.dumps(body).encode()
        scope = {
            "type": "http",
            "method": "POST",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [
                (b"authorization", f"Bearer {key}".encode()),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                (b"idempotency-key", path.encode()),
            ],
            "http_version": "1.1",
            "scheme": "http",
            "server": ("bench", 80),
            "client": ("bench", 1),
            "root_path": "",
        }
        status: list[int] = []
        body_parts: list[bytes] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": data, "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            else:
                body_parts.append(message.get("body", b""))

        await app(scope, receive, send)
        return status[0], b"".join(body_parts)

    async def requests(count: int) -> None:
        for _ in range(count):
            status, body = await call(
                f"/v1/invoices/{ids.pop()}/credit-memos", {"reason_code": "billing_error", "post": True}
            )
            assert status == 201, body
            assert json.loads(body)["status"] == "posted", body

    async def run() -> float:
        await requests(20)
        prof = cProfile.Profile() if profile else None
        t = time.perf_counter()
        if prof is not None:
            prof.enable()
        await requests(n)
        if prof is not None:
            prof.disable()
            prof.dump_stats("/tmp/creditmemo_api.prof")
        return (time.perf_counter() - t) / n * 1000

    api = asyncio.run(run())
    print(
        f"one thread, no network, n={n}: created+posted through the services {in_services:.2f} ms/memo, "
        f"through the API app {api:.2f} ms/request (the HTTP layer adds {api - in_services:.2f} ms)"
    )
    if profile:
        pstats.Stats("/tmp/creditmemo_api.prof").sort_stats("tottime").print_stats(30)
    db.dispose()


def reads(url: str, n: int) -> None:
    """The cost of authenticating a cached key (issue 16 item 7: the company's auth_version read in each
    request's unit of work): N ``GET /v1/invoices/{id}`` and N ``GET /v1/customers`` through the ASGI app in
    this thread, the key in the worker's cache after the first; per request mean, p50, p95 and the number of
    SQL statements (the figure that does not depend on the machine's load)."""

    import fastapi.dependencies.utils
    import fastapi.routing
    from sqlalchemy import event

    from creditmemo.app import create_app

    key, _, ids = prepare(url, 1, 50, 0.0)[0]
    db = Database(url, sealing="off")
    statements = [0]

    @event.listens_for(db.engine, "before_cursor_execute")
    def count(*_: Any) -> None:
        statements[0] += 1

    async def inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    fastapi.routing.run_in_threadpool = inline
    fastapi.dependencies.utils.run_in_threadpool = inline
    app = create_app(db)

    async def get(path: str) -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "method": "GET",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [(b"authorization", f"Bearer {key}".encode())],
            "http_version": "1.1",
            "scheme": "http",
            "server": ("bench", 80),
            "client": ("bench", 1),
            "root_path": "",
        }
        status: list[int] = []
        parts: list[bytes] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            else:
                parts.append(message.get("body", b""))

        await app(scope, receive, send)
        return status[0], b"".join(parts)

    async def run(path_of: Callable[[str], str]) -> list[float]:
        times = []
        for i in range(n + 50):
            if i == 50:
                statements[0] = 0
            t = time.perf_counter()
            status, body = await get(path_of(ids[i % len(ids)]))
            if i >= 50:  # the first 50 warm the caches
                times.append((time.perf_counter() - t) * 1000)
            assert status == 200, body
        return times

    paths: dict[str, Callable[[str], str]] = {
        "GET /v1/invoices/{id}": lambda invoice_id: f"/v1/invoices/{invoice_id}",
        "GET /v1/customers": lambda _: "/v1/customers",
    }
    for label, path_of in paths.items():
        times = sorted(asyncio.run(run(path_of)))
        print(
            f"one thread, no network, n={n} {label} with a cached key: "
            f"mean {statistics.fmean(times):.3f} ms, p50 {times[len(times) // 2]:.3f} ms, "
            f"p95 {times[int(len(times) * 0.95)]:.3f} ms, {statements[0] / n:.2f} SQL statements per request"
        )
    db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", choices=["postgresql", "sqlite"], default="postgresql")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument(
        "--mode",
        choices=["one-request", "two-requests"],
        default="one-request",
        help='"post": true on the create (default), or create then post',
    )
    ap.add_argument("--hot-share", type=float, default=0.2, help="share of memos on one customer (default 0.2)")
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--companies", type=int, default=1)
    ap.add_argument("--invoices", type=int, default=0, help="default: enough for 1,000 memos/s")
    ap.add_argument("--port", type=int, default=8790)
    ap.add_argument("--no-idempotency-key", action="store_true", help="creates without an Idempotency-Key")
    ap.add_argument(
        "--overhead",
        type=int,
        default=0,
        metavar="N",
        help="instead of the load run: the HTTP layer's cost per request, in process",
    )
    ap.add_argument("--profile", action="store_true", help="with --overhead: cProfile the requests")
    ap.add_argument(
        "--reads", type=int, default=0, metavar="N", help="instead of the load run: N cached-key reads, in process"
    )
    args = ap.parse_args()
    url = fresh_database(args.engine)
    if args.reads:
        reads(url, args.reads)
        return
    if args.overhead:
        overhead(url, args.overhead, args.profile)
        return
    t = time.perf_counter()
    work = prepare(url, args.companies, args.invoices or int(args.duration * 600) + 2000, args.hot_share)
    print(
        f"prepared {sum(len(w[1]) + len(w[2]) for w in work)} invoices in {args.companies} companies "
        f"in {time.perf_counter() - t:.0f} s",
        flush=True,
    )
    env = {**os.environ, "DATABASE_URL": url}
    with open(f"/tmp/api_bench_server_{args.port}.log", "w") as server_log:  # the server keeps its own handle
        server = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/creditmemo"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(args.port),
                "--workers",
                str(args.workers),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=server_log,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{args.port}"
    try:
        wait_up(base)
        for key, _, _ in work:  # warm every worker's caches (key, company config) a little
            for _ in range(args.workers * 4):
                httpx.get(f"{base}/v1/customers?limit=1", headers={"Authorization": f"Bearer {key}"})
        load_before = os.getloadavg()
        deadlocks_before = deadlocks(url)
        cpu_server, cpu_driver, cpu_pg = tree_cpu_seconds(server.pid), time.process_time(), postgres_cpu_seconds()
        res = asyncio.run(
            drive(
                base,
                work,
                args.concurrency,
                args.duration,
                server.pid,
                not args.no_idempotency_key,
                args.mode,
                args.hot_share,
                url,
            )
        )
        load_after = os.getloadavg()
        cpu_server, cpu_driver = tree_cpu_seconds(server.pid) - cpu_server, time.process_time() - cpu_driver
        cpu_pg = postgres_cpu_seconds() - cpu_pg
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    done, elapsed = res["done"], res["elapsed"]
    errors = res["errors"]
    rss = res["rss_kib"] or [0]
    print(
        f"engine {args.engine}  workers {args.workers}  concurrency {args.concurrency}  mode {args.mode}  "
        f"hot share {args.hot_share}  companies {args.companies}  idempotency keys {not args.no_idempotency_key}  "
        f"duration {elapsed:.1f} s"
    )
    per_memo = 1 if args.mode == "one-request" else 2
    print(
        f"memos created+posted: {done}  throughput {done / elapsed:.1f} memos/s  "
        f"({per_memo * done / elapsed:.0f} requests/s)"
    )
    for name, v in (("create", res["create"]), ("post", res["post"]), ("memo", res["memo"])):
        print(
            f"  {name:<7} n={len(v):<6} p50 {pct(v, 50):7.1f} ms  p95 {pct(v, 95):7.1f} ms  "
            f"p99 {pct(v, 99):7.1f} ms  max {max(v) if v else float('nan'):7.1f} ms"
        )
    print(f"errors: {sum(errors.values())} {dict(list(errors.items())[:5]) if errors else ''}")
    print(f"server RSS (all workers): median {statistics.median(rss) / 1024:.0f} MiB, max {max(rss) / 1024:.0f} MiB")
    print(
        f"CPU during the run: server {cpu_server / elapsed:.2f} cores, driver {cpu_driver / elapsed:.2f} cores, "
        f"PostgreSQL {cpu_pg / elapsed:.2f} cores (all postgres processes); of {os.cpu_count()}"
    )
    waits = res["lock_waits"]
    if waits:
        print(
            f"backends waiting on a lock: mean {statistics.mean(waits):.2f}, max {max(waits)} "
            f"(sampled every 100 ms, n={len(waits)}); deadlocks counted by PostgreSQL: "
            f"{deadlocks(url) - deadlocks_before}"
        )
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min); cores {os.cpu_count()}")


if __name__ == "__main__":
    main()
