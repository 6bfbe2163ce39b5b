"""CSV export of 100,000 credit memos on PostgreSQL (issue 16 item 3: target ≤ 10 s, streamed).

    .venv/bin/python bench/export.py                   # database creditmemo_export_bench, 100,000 memos
    .venv/bin/python bench/export.py --memos 20000 --reuse

Set-up (not timed): a fresh database with the demo company plus ``--memos`` credit memos over 1,000 customers,
loaded by ``bench/pages.py``'s loader (rows cloned in SQL; see there). Timed: the whole download of
``/credit-memos.csv`` (the web UI, signed in as the demo controller) and of ``/v1/credit-memos?format=csv``
(the API, the controller's key), read as a stream by the client, in-process (the ASGI app called directly, each body
message counted and dropped as it arrives, nothing buffered by the client); the time to the first byte, the total,
the rows counted, the number of body messages, and the growth of the process's peak RSS over the download (a
non-streamed export of 100,000 rows would hold all of them at once)."""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from pages import load, signed_in_client  # noqa: E402
from sqlalchemy import text  # noqa: E402

from creditmemo.services.demo import demo_access  # noqa: E402

URL = os.environ.get(
    "BENCH_EXPORT_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/creditmemo_export_bench"
)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def download(app: Any, path: str, headers: dict[str, str]) -> tuple[int, float | None, int, int, int]:
    """GET ``path`` straight through the ASGI app, each body message counted and dropped as it comes (nothing
    buffered on the client side): status, seconds to the first body byte, bytes, newlines, body messages."""
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()] + [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }
    started = time.perf_counter()
    state: dict[str, Any] = {"status": 0, "first": None, "size": 0, "lines": 0, "pieces": 0}

    asked = asyncio.Event()
    done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not asked.is_set():
            asked.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # the client stays connected until the answer is complete
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            state["status"] = message["status"]
        elif message["type"] == "http.response.body" and message.get("body"):
            if state["first"] is None:
                state["first"] = time.perf_counter() - started
            state["size"] += len(message["body"])
            state["lines"] += message["body"].count(b"\n")
            state["pieces"] += 1

    await app(scope, receive, send)
    done.set()
    return state["status"], state["first"], state["size"], state["lines"], state["pieces"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--memos", type=int, default=100_000)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--url", default=URL)
    args = ap.parse_args()
    if not args.reuse:
        load(args.url, n_customers=1_000, n_invoices=0, n_memos=args.memos)
    client, db = signed_in_client(args.url)
    key = next(a for a in demo_access(db) if a.role == "controller").api_key
    with db.engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM memos WHERE kind = 'credit'")).scalar_one()
    print(f"export benchmark  credit memos {n:,}  load {os.getloadavg()}")
    runs = [
        ("web /credit-memos.csv", "/credit-memos.csv", {}),
        ("api /v1/credit-memos?format=csv", "/v1/credit-memos?format=csv", {"Authorization": f"Bearer {key}"}),
        ("web /credit-memos.csv?status=posted", "/credit-memos.csv?status=posted", {}),
    ]
    for label, path, headers in runs:
        base = peak_rss_mib()
        started = time.perf_counter()
        cookie = {"cookie": f"cm_session={client.cookies['cm_session']}"} if not headers else {}
        status, first, size, lines, pieces = asyncio.run(download(client.app, path, {**headers, **cookie}))
        assert status == 200, status
        total = time.perf_counter() - started
        print(
            f"{label:40} rows {lines - 1:>7,}  {size / 2**20:6.1f} MiB  first byte {first or 0:6.3f} s  "
            f"total {total:6.2f} s  ({(lines - 1) / total:,.0f} rows/s)  pieces {pieces}  "
            f"peak RSS +{peak_rss_mib() - base:.0f} MiB (now {peak_rss_mib():.0f})",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()}")
    db.dispose()


if __name__ == "__main__":
    main()
