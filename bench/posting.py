"""Posting benchmark (issue 5 §5): a 10,000-line memo posted through the worker, and a bulk post of
10,000 memos (queue in one request, then the worker drains them), on SQLite and PostgreSQL.

    .venv/bin/python bench/posting.py                       # both engines
    .venv/bin/python bench/posting.py --only sqlite --memos 2000

Set-up (invoices, memos) runs in this process; each measured phase runs in a fresh child process
(spawn) so its peak RSS is its own: ``peak RSS`` is the child's VmHWM, ``base`` its RSS after
imports and before the phase. The worker phase calls creditmemo.worker.run_worker(db, once=True),
the code `creditmemo worker --once` runs. Each database is fresh: a SQLite file in a temp dir, or the
PostgreSQL database creditmemo_approve_bench (dropped and recreated)."""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sqlalchemy import create_engine, func, select, text

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/creditmemo_approve_bench")


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    """VmHWM: this process's own peak RSS (ru_maxrss would carry the parent's peak across fork+exec)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024


def _child_worker(url: str, out: Any) -> None:
    from creditmemo.store.uow import Database
    from creditmemo.worker import run_worker

    db = Database(url)
    base = _rss_mb()
    t = time.perf_counter()
    stats = run_worker(db, once=True)
    out.put(
        {
            "seconds": time.perf_counter() - t,
            "posted": stats.posted,
            "failed": stats.failed,
            "base_mb": base,
            "peak_mb": _peak_mb(),
        }
    )


def _child_bulk(url: str, company_id: str, ids: list[str], out: Any) -> None:
    from creditmemo.services.actors import system_actor
    from creditmemo.services.memos.bulk import bulk_post
    from creditmemo.store.uow import Database

    db = Database(url)
    base = _rss_mb()
    t = time.perf_counter()
    with db.uow() as uow:
        queued = bulk_post(uow, system_actor(company_id, "bench"), ids)
    out.put({"seconds": time.perf_counter() - t, "queued": len(queued), "base_mb": base, "peak_mb": _peak_mb()})


def in_child(target: Any, *args: Any) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q))
    p.start()
    result = q.get()
    p.join()
    assert p.exitcode == 0
    return result


def fresh_database(engine: str, tmp: Path) -> str:
    if engine == "sqlite":
        return f"sqlite:///{tmp / 'posting.db'}"
    base, name = PG_URL.rsplit("/", 1)
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_URL


def run(engine: str, *, lines: int, memos: int, repeats: int) -> dict[str, Any]:
    from creditmemo.domain.inputs import FreeLineInput, InvoiceLineInput
    from creditmemo.services.actors import system_actor
    from creditmemo.services.companies import create_company
    from creditmemo.services.customers import create_customer
    from creditmemo.services.invoices import issue_invoice
    from creditmemo.services.memos.create import create_credit_memo_from_invoice, create_standalone_credit_memo
    from creditmemo.services.memos.post import post_memo
    from creditmemo.store import migrate
    from creditmemo.store.tables import journal_entries
    from creditmemo.store.tables import memos as memos_table
    from creditmemo.store.uow import Database

    results: dict[str, Any] = {"engine": engine}
    with tempfile.TemporaryDirectory() as tmp:
        url = fresh_database(engine, Path(tmp))
        db = Database(url)
        migrate.upgrade(db.engine)
        with db.uow() as uow:
            company_id = create_company(uow, slug="bench", name="Bench").id
        actor = system_actor(company_id, "bench")
        with db.uow() as uow:
            customer = create_customer(uow, actor, name="Big customer", currency="USD")

        # 1. A 10,000-line memo from a 10,000-line invoice, queued by post_memo, posted by the worker.
        # Lines of 0.10 at 5 % tax: 1,050.00 in all, under the approval tiers.
        big = []
        for _ in range(repeats):
            with db.uow() as uow:
                inv = issue_invoice(
                    uow,
                    actor,
                    customer_id=customer.id,
                    currency="USD",
                    issue_date="2026-11-23",
                    lines=[InvoiceLineInput(f"Usage {i}", "1", "0.10", tax_rate="5") for i in range(lines)],
                )
            with db.uow() as uow:
                memo = create_credit_memo_from_invoice(
                    uow, actor, inv.id, reason_code="billing_error", auto_apply=False
                )
            with db.uow() as uow:
                assert str(post_memo(uow, actor, memo.id).status) == "ready_to_post"
            big.append(in_child(_child_worker, url))
            with db.engine.connect() as conn:
                assert (
                    conn.execute(select(memos_table.c.status).where(memos_table.c.id == memo.id)).scalar() == "posted"
                )
                assert (
                    conn.execute(
                        select(func.count()).select_from(journal_entries).where(journal_entries.c.source_id == memo.id)
                    ).scalar()
                    == 1
                )
        results["big"] = big

        # 2. Bulk post of many one-line standalone memos, then the worker drains the queue.
        ids = []
        t = time.perf_counter()
        for i in range(memos):
            with db.uow() as uow:
                ids.append(
                    create_standalone_credit_memo(
                        uow,
                        actor,
                        customer_id=customer.id,
                        currency="USD",
                        reason_code="goodwill",
                        lines=[FreeLineInput(f"Goodwill {i}", "1", "1.00")],
                    ).id
                )
        results["create_seconds"] = time.perf_counter() - t
        results["bulk"] = in_child(_child_bulk, url, company_id, ids)
        results["drain"] = in_child(_child_worker, url)
        with db.engine.connect() as conn:
            posted = conn.execute(
                select(func.count())
                .select_from(memos_table)
                .where(memos_table.c.id.in_(ids), memos_table.c.status == "posted")
            ).scalar()
        assert posted == memos, posted
        db.dispose()
    return results


def report(r: dict[str, Any], lines: int, memos: int) -> None:
    secs = [b["seconds"] for b in r["big"]]
    print(f"\n[{r['engine']}]")
    print(
        f"  {lines:,}-line memo through the worker: median {statistics.median(secs):.2f} s "
        f"(runs {', '.join(f'{s:.2f}' for s in secs)}), peak RSS {max(b['peak_mb'] for b in r['big']):.0f} MB "
        f"(base {r['big'][0]['base_mb']:.0f} MB)"
    )
    b, d = r["bulk"], r["drain"]
    print(f"  create {memos:,} one-line memos (set-up, one transaction each): {r['create_seconds']:.1f} s")
    print(
        f"  bulk_post {b['queued']:,} memos (one transaction): {b['seconds']:.2f} s, peak RSS {b['peak_mb']:.0f} MB "
        f"(base {b['base_mb']:.0f} MB)"
    )
    print(
        f"  worker drains {d['posted']:,} memos: {d['seconds']:.1f} s = {d['posted'] / d['seconds']:.0f} memos/s, "
        f"peak RSS {d['peak_mb']:.0f} MB (base {d['base_mb']:.0f} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--memos", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for engine in [args.only] if args.only else ["sqlite", "postgresql"]:
        report(run(engine, lines=args.lines, memos=args.memos, repeats=args.repeats), args.lines, args.memos)


if __name__ == "__main__":
    main()
