"""An invoice import shared by several processes (PostgreSQL, ``--jobs``): the Python work of a chunk (parsing,
the domain, building rows) and the database's work on it overlap, and more cores take more chunks. All the
invoices of one customer go to one process, in file order, so two processes never create the same customer nor
wait for each other's customer rows; they meet only at the invoice counter, held for a chunk's last statements
(docs/CONCURRENCY.md). Each process has its own engine and background sealer; results come back per chunk."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from typing import Any

from creditmemo.services.actors import Actor
from creditmemo.services.imports.invoices import ChunkFailedError, ChunkResult, import_share
from creditmemo.services.imports.sources import SourceInvoice
from creditmemo.store.uow import Database


def _customer(invoice: SourceInvoice) -> str:
    header = invoice.header
    return str(header.get("customer_id") or header.get("customer_external_id") or "")


def shares(invoices: Sequence[SourceInvoice], workers: int) -> list[list[SourceInvoice]]:
    """One customer's invoices all in one share, in file order; the shares about the same size."""
    out: list[list[SourceInvoice]] = [[] for _ in range(workers)]
    owner: dict[str, int] = {}
    for invoice in invoices:
        k = owner.setdefault(_customer(invoice), min(range(workers), key=lambda w: len(out[w])))
        out[k].append(invoice)
    return [share for share in out if share]


def _worker(url: str, actor: Actor, share: list[SourceInvoice], dry_run: bool, chunk_size: int, results: Any) -> None:
    db = Database(url, sealing="background")
    try:
        import_share(db, actor, share, dry_run=dry_run, chunk_size=chunk_size, done=lambda r: results.put(("chunk", r)))
    except ChunkFailedError as e:
        results.put(("failed", str(e)))
    except Exception as e:  # reported by the parent, which stops the import
        results.put(("failed", f"{type(e).__name__}: {e}"))
    finally:
        db.dispose()  # waits for this process's sealer: its events are chained before it ends
        results.put(("finished", None))


def import_in_processes(
    db: Database,
    actor: Actor,
    invoices: Sequence[SourceInvoice],
    *,
    dry_run: bool,
    chunk_size: int,
    jobs: int,
    done: Callable[[ChunkResult], None],
) -> None:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    url = db.engine.url.render_as_string(hide_password=False)
    procs = [
        context.Process(target=_worker, args=(url, actor, share, dry_run, chunk_size, results))
        for share in shares(invoices, jobs)
    ]
    for proc in procs:
        proc.start()
    finished, failure = 0, None
    while finished < len(procs):
        kind, value = results.get()
        if kind == "finished":
            finished += 1
        elif kind == "failed":
            failure = failure or value
        else:
            done(value)
    for proc in procs:
        proc.join()
    if failure is not None:
        raise ChunkFailedError(failure)
