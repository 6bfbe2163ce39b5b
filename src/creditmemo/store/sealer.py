"""Sealing the audit trail: chaining committed events under their company's chain head, after the
transactions that wrote them, so no request waits for the head (docs/CONCURRENCY.md).

A transaction inserts its events unsealed (``seq`` NULL) with everything else it writes; committed, they
are facts that nothing can lose. A seal is its own short transaction: lock the head, take the oldest
unsealed events (transaction id, then position), hash each over the previous one, write seq and hashes,
move the head, commit. Sealing twice is harmless (an event already sealed is skipped by the update), and a
crash between a commit and its seal loses nothing: the next seal of that company chains the events.

When: ``Database(sealing="inline")`` seals right after each commit in the committing thread (the CLI and
the tests: deterministic); ``"background"`` (the worker) hands the company to a thread that seals in
batches, so a burst of requests costs one seal transaction, and also scans for unsealed events every few
seconds, which picks up events of a process that died before sealing them; ``"off"``: another process
seals. ``creditmemo serve`` runs one sealer *process* beside its workers (``watch``; a thread inside each
worker would compete with the requests for the worker's interpreter lock). ``creditmemo audit verify``
seals what is pending before it verifies."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from creditmemo.domain.audit import seal

if TYPE_CHECKING:
    from creditmemo.store.uow import Database, UnitOfWork

log = logging.getLogger("creditmemo.sealer")
BATCH = 2000
SCAN_SECONDS = 2.0
GATHER_SECONDS = 0.05  # after a commit asks, wait this long for more: one seal per burst, not per request


def seal_company(db: Database, company_id: str, *, wait: bool = True) -> int | None:
    """Chain up to ``BATCH`` unsealed events of one company, and give its committed journal entries their
    export sequence (the GL export's cursor, issue 13) under the same lock. How many events were sealed, or
    None when another sealer holds the head and ``wait`` is False."""

    def run(uow: UnitOfWork) -> int | None:
        head = uow.audit.lock_head(company_id, skip_locked=not wait)
        if head is None:
            return None
        events = uow.audit.unsealed(company_id, BATCH)
        if events:
            uow.audit.write_seals(company_id, seal(events, *head))
        # Under the head's lock, after every earlier run committed: the numbers grow in commit order.
        uow.journal.sequence_pending(company_id)
        return len(events)

    return db.transact(run)


def _pending_companies(uow: UnitOfWork) -> list[str]:
    """Companies with unsealed events or journal entries not sequenced for the GL export yet."""
    return sorted(set(uow.audit.companies_with_unsealed()) | set(uow.journal.companies_unsequenced()))


def seal_pending(db: Database, company_ids: Iterable[str] | None = None, *, wait: bool = True) -> int:
    """Seal everything pending for these companies (default: every company with unsealed events)."""
    if company_ids is None:
        with db.uow(readonly=True) as uow:
            company_ids = _pending_companies(uow)
    total = 0
    for company_id in sorted(set(company_ids)):
        while True:
            sealed = seal_company(db, company_id, wait=wait)
            total += sealed or 0
            if sealed is None or sealed < BATCH:
                break
    return total


def watch(db: Database, *, interval: float = 0.05, should_stop: Callable[[], bool] = lambda: False) -> int:
    """Seal whatever is pending, every ``interval`` seconds, until ``should_stop``; then once more. The sealer
    process ``creditmemo serve`` runs beside its workers (``creditmemo audit seal --watch``)."""
    total = 0
    while not should_stop():
        try:
            total += seal_pending(db, wait=False)
        except Exception:  # the database is away: try again shortly
            log.exception("sealing the audit trail failed; will retry")
            time.sleep(1.0)
        time.sleep(interval)
    return total + seal_pending(db)


class BackgroundSealer:
    """One daemon thread per Database: seals the companies it is asked to, in batches."""

    def __init__(
        self, db: Database, *, scan_seconds: float = SCAN_SECONDS, gather_seconds: float = GATHER_SECONDS
    ) -> None:
        self._db = db
        self._scan_seconds = scan_seconds
        self._gather_seconds = gather_seconds
        self._wanted: set[str] = set()
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._busy = False

    def request(self, company_ids: Iterable[str]) -> None:
        with self._cv:
            self._wanted.update(company_ids)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="creditmemo-sealer", daemon=True)
                self._thread.start()
            self._cv.notify()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until nothing asked for is left unsealed (tests and benchmarks; the server never waits)."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while self._wanted or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cv.wait(min(remaining, 0.05))
        return True

    def stop(self) -> None:
        with self._cv:
            self._stopping = True
            self._cv.notify()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        next_scan = time.monotonic()  # scan at once: a previous process may have left events unsealed
        while True:
            with self._cv:
                if not self._wanted and not self._stopping:
                    self._cv.wait(max(0.0, next_scan - time.monotonic()))
                if self._wanted and not self._stopping:
                    self._cv.wait(self._gather_seconds)  # let the burst's other commits join this seal
                todo, self._wanted = self._wanted, set()
                stopping = self._stopping
                self._busy = True
            try:
                if time.monotonic() >= next_scan:
                    next_scan = time.monotonic() + self._scan_seconds
                    with self._db.uow(readonly=True) as uow:
                        todo.update(_pending_companies(uow))
                busy = [cid for cid in sorted(todo) if self._seal(cid) is None]
            except Exception:  # the database is away: keep the work, try again at the next scan
                log.exception("sealing the audit trail failed; will retry")
                busy = sorted(todo)
                time.sleep(0.5)
            with self._cv:
                self._busy = False
                self._wanted.update(busy)  # another process is sealing them: ask again shortly
                self._cv.notify_all()
            if stopping:
                return
            if busy:
                time.sleep(0.01)

    def _seal(self, company_id: str) -> int | None:
        total = 0
        while True:
            sealed = seal_company(self._db, company_id, wait=False)
            if sealed is None:
                return None
            total += sealed
            if sealed < BATCH:
                return total
