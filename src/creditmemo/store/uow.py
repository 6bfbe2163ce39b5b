"""The unit of work: one connection, one transaction, the repositories over it. The edge (route, CLI
command, worker job) opens it with ``db.transact(fn)`` (retried on a deadlock or serialization failure)
or ``with db.uow() as uow:``; services never commit.

At commit the company-wide hot rows are written last, in the order of docs/CONCURRENCY.md: the customers'
running balances (deltas collected during the transaction) and the audit events (inserted unsealed: no
transaction locks the chain head; store/sealer.py chains them after commit). On PostgreSQL a writing unit
of work runs in psycopg's pipeline mode (store/engine.py), so those last writes and the COMMIT travel in
one round trip."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from creditmemo.store.bulk import refresh_statistics
from creditmemo.store.engine import PIPELINE, READONLY, is_postgres, make_engine
from creditmemo.store.numbering import Numbers
from creditmemo.store.repositories.applications import ApplicationRepository
from creditmemo.store.repositories.approvals import ApprovalRepository
from creditmemo.store.repositories.audit import AnchorRepository, AuditLog
from creditmemo.store.repositories.companies import CompanyCache, CompanyRepository
from creditmemo.store.repositories.customers import CustomerRepository
from creditmemo.store.repositories.invoices import InvoiceRepository
from creditmemo.store.repositories.journal import JournalRepository
from creditmemo.store.repositories.memos import MemoRepository
from creditmemo.store.repositories.overviews import Overviews
from creditmemo.store.repositories.payments import PaymentRepository
from creditmemo.store.repositories.periods import PeriodRepository
from creditmemo.store.repositories.rates import ExchangeRateRepository
from creditmemo.store.repositories.refunds import RefundRepository
from creditmemo.store.repositories.reports import ReportQueries
from creditmemo.store.repositories.returns import ReturnRepository
from creditmemo.store.repositories.revenue import RevenueRepository
from creditmemo.store.repositories.webhooks import WebhookRepository
from creditmemo.store.sealer import BackgroundSealer, seal_pending, watch
from creditmemo.store.tables import metadata

Clock = Callable[[], datetime]
T = TypeVar("T")
log = logging.getLogger("creditmemo.store")

# PostgreSQL SQLSTATEs worth a transparent retry: the transaction was rolled back through no fault of
# the request (serialization_failure, deadlock_detected). SQLite's equivalent is "database is locked"
# once the busy timeout ran out.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
ATTEMPTS = 3


def is_retryable(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError) or exc.orig is None:
        return False
    if getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(exc.orig)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Database:
    """An engine plus the clock every unit of work uses (tests pass a fixed one)."""

    def __init__(
        self, url_or_engine: str | Engine, *, clock: Clock = utc_now, audit: bool = True, sealing: str = "inline"
    ) -> None:
        self.engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        self.clock = clock
        self.postgres = is_postgres(self.engine)
        # audit=False exists for the engine benchmark only (it measures the chain's cost);
        # the product never turns the audit trail off.
        self.audit = audit
        self.company_cache = CompanyCache()
        # When committed audit events are chained (store/sealer.py): "inline" right after the commit, in the
        # committing thread; "background" by a sealer thread, in batches (server, worker); "off": never
        # (only tests that simulate a crash between a commit and its seal).
        if sealing not in ("inline", "background", "off"):
            raise ValueError(f"sealing must be inline, background or off, not {sealing!r}")
        self.sealing = sealing
        self.sealer = BackgroundSealer(self) if sealing == "background" else None

    def after_commit(self, company_ids: set[str]) -> None:
        """Seal the events a transaction just committed. Never raises: the change is committed, and events
        left unsealed are chained by the next seal of their company."""
        if not company_ids or self.sealing == "off":
            return
        if self.sealer is not None:
            self.sealer.request(company_ids)
            return
        try:
            seal_pending(self, company_ids)
        except Exception:
            log.exception("sealing the audit trail after a commit failed; the events stay pending")

    def seal(self, company_ids: Iterable[str] | None = None) -> int:
        """Chain the committed audit events still waiting (every company's, or these); how many were sealed."""
        return seal_pending(self, company_ids)

    def seal_until(self, should_stop: Callable[[], bool], *, interval: float = 0.05) -> int:
        """Keep sealing every ``interval`` seconds until ``should_stop()``; how many were sealed in all."""
        return watch(self, interval=interval, should_stop=should_stop)

    def uow(self, *, readonly: bool = False, request_id: str | None = None) -> UnitOfWork:
        return UnitOfWork(self, readonly=readonly, request_id=request_id)

    def transact(self, fn: Callable[[UnitOfWork], T], *, request_id: str | None = None, attempts: int = ATTEMPTS) -> T:
        """Run ``fn`` in one writing unit of work and commit. A deadlock or serialization failure rolls
        the whole transaction back, so it is run again from the start (``fn`` must only touch the
        database through ``uow``), up to ``attempts`` times with a jittered pause: the caller sees a
        result or a real error, never the race."""
        for attempt in range(1, attempts + 1):
            try:
                with self.uow(request_id=request_id) as uow:
                    return fn(uow)
            except DBAPIError as exc:
                if attempt == attempts or not is_retryable(exc):
                    raise
                log.warning(
                    "retrying a transaction (attempt %d of %d, request %s): %s",
                    attempt + 1,
                    attempts,
                    request_id or "-",
                    str(exc.orig).splitlines()[0] if exc.orig else exc,
                )
                time.sleep(random.uniform(0.002, 0.02) * 2**attempt)
        raise AssertionError("unreachable")

    def refresh_statistics(self) -> list[str]:
        """After a bulk write (an import's chunk): bring stale planner statistics of our tables up to date
        (store/bulk.py says why); the tables analysed."""
        return refresh_statistics(self.engine, metadata.tables)

    def dispose(self) -> None:
        if self.sealer is not None:
            self.sealer.stop()
        self.engine.dispose()


class UnitOfWork:
    conn: Connection

    def __init__(self, db: Database, *, readonly: bool = False, request_id: str | None = None) -> None:
        self.db = db
        self.readonly = readonly
        self.request_id = request_id
        self.postgres = db.postgres

    def __enter__(self) -> Self:
        conn = self.db.engine.connect()
        if self.readonly:
            conn = conn.execution_options(**{READONLY: True})
        self.conn = conn
        self._tx = conn.begin()
        self._pipeline: AbstractContextManager[Any] | None = None
        self._committed_events: set[str] = set()
        if self.postgres and not self.readonly:
            self._pipeline = conn.connection.dbapi_connection.pipeline()  # type: ignore[union-attr]  # a psycopg 3 connection here
            conn.info[PIPELINE] = self._pipeline.__enter__()
        locks = self.postgres  # SQLite serialises writers with BEGIN IMMEDIATE instead
        self.numbers = Numbers(conn)
        self.companies = CompanyRepository(conn, self.db.company_cache)
        self.customers = CustomerRepository(conn, row_locks=locks)
        self.invoices = InvoiceRepository(conn, row_locks=locks)
        self.memos = MemoRepository(conn, row_locks=locks, numbers=self.numbers)
        self.journal = JournalRepository(conn, numbers=self.numbers)
        self.applications = ApplicationRepository(conn, row_locks=locks)
        self.payments = PaymentRepository(conn, row_locks=locks)
        self.refunds = RefundRepository(conn)
        self.periods = PeriodRepository(conn, row_locks=locks and not self.readonly)
        self.rates = ExchangeRateRepository(conn)
        self.returns = ReturnRepository(conn, row_locks=locks, numbers=self.numbers)
        self.reports = ReportQueries(conn)
        self.overviews = Overviews(conn)  # lists, dashboard, approval queue: read only through services
        self.revenue = RevenueRepository(conn)
        self.approvals = ApprovalRepository(conn)
        self.audit = AuditLog(conn, row_locks=locks, request_id=self.request_id, numbers=self.numbers)
        self.audit.enabled = self.db.audit
        self.anchors = AnchorRepository(conn)
        self.webhooks = WebhookRepository(conn, row_locks=locks)
        return self

    def now(self) -> datetime:
        return self.db.clock()

    def defer_numbers(self) -> None:
        """Let document numbers be taken in the commit's flight (store/numbering.py). Only an edge that
        resolves the tokens in what it answers may ask (the API does); only PostgreSQL's pipeline can."""
        self.numbers.deferred = self._pipeline is not None

    def commit(self) -> None:
        """Hot rows last (docs/CONCURRENCY.md): customer balances, then the (unsealed) audit events, COMMIT."""
        try:
            self.customers.flush()
            self.audit.flush()
            numbers = self._queue_number_reads() if self.numbers.reserved else None
            self._tx.commit()
        except BaseException as exc:
            self._abandon(exc)
            raise
        self._leave_pipeline(None)
        if numbers is not None:  # deferred numbers: their reads came back with the commit
            self.numbers.taken = numbers()
        self._committed_events = self.audit.written

    def _queue_number_reads(self) -> Callable[[], dict[str, str]]:
        """The reads of deferred numbers go on a driver cursor; sending them can surface the error of a
        queued statement, which must reach the caller as SQLAlchemy's exception, like every other."""
        driver_error = self.conn.dialect.loaded_dbapi.Error
        try:
            return self.numbers.queue_read_back(self.conn)
        except driver_error as exc:
            raise DBAPIError.instance(None, None, exc, driver_error) from exc

    def rollback(self) -> None:
        self._abandon(None)

    def _abandon(self, exc: BaseException | None) -> None:
        self.audit.pending.clear()
        self.customers.pending.clear()
        # Leaving the pipeline as if an error happened: an aborted pipeline's own error is logged, not raised.
        self._leave_pipeline(exc or RuntimeError("rollback"))
        if self._tx.is_active:
            self._tx.rollback()
        elif self.postgres:
            # A COMMIT that failed in pipeline mode (a queued statement's error surfaced there) leaves the
            # session in an aborted transaction that SQLAlchemy believes ended: roll it back here, or the
            # pool would hand the connection out still aborted.
            self.conn.connection.dbapi_connection.rollback()  # type: ignore[union-attr]  # a live DB-API connection here

    def _leave_pipeline(self, exc: BaseException | None) -> None:
        if self._pipeline is not None:
            pipeline, self._pipeline = self._pipeline, None
            self.conn.info.pop(PIPELINE, None)
            pipeline.__exit__(type(exc) if exc else None, exc, None)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None and self._tx.is_active:
                self.commit()
            elif self._tx.is_active or self._pipeline is not None:
                self._abandon(exc)
        finally:
            self.conn.close()
        if self._committed_events:
            self.db.after_commit(self._committed_events)
