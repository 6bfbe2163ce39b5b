"""The unit of work: one connection, one transaction, the repositories over it. The edge (route, CLI
command, worker job) opens it with ``with db.uow() as uow:``; services never commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine

from creditmemo.store.engine import READONLY, is_postgres, make_engine
from creditmemo.store.repositories.audit import AuditLog
from creditmemo.store.repositories.companies import CompanyCache, CompanyRepository
from creditmemo.store.repositories.customers import CustomerRepository
from creditmemo.store.repositories.invoices import InvoiceRepository
from creditmemo.store.repositories.journal import JournalRepository
from creditmemo.store.repositories.memos import MemoRepository
from creditmemo.store.repositories.applications import ApplicationRepository
from creditmemo.store.repositories.payments import PaymentRepository
from creditmemo.store.repositories.refunds import RefundRepository
from creditmemo.store.repositories.reports import ReportQueries
from creditmemo.store.repositories.approvals import ApprovalRepository

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Database:
    """An engine plus the clock every unit of work uses (tests pass a fixed one)."""

    def __init__(self, url_or_engine: str | Engine, *, clock: Clock = utc_now, audit: bool = True) -> None:
        self.engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        self.clock = clock
        self.postgres = is_postgres(self.engine)
        # audit=False exists for the engine benchmark only (it measures the chain's cost);
        # the product never turns the audit trail off.
        self.audit = audit
        self.company_cache = CompanyCache()

    def uow(self, *, readonly: bool = False, request_id: str | None = None) -> UnitOfWork:
        return UnitOfWork(self, readonly=readonly, request_id=request_id)

    def dispose(self) -> None:
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
        locks = self.postgres  # SQLite serialises writers with BEGIN IMMEDIATE instead
        self.companies = CompanyRepository(conn, self.db.company_cache)
        self.customers = CustomerRepository(conn)
        self.invoices = InvoiceRepository(conn, row_locks=locks)
        self.memos = MemoRepository(conn, row_locks=locks)
        self.journal = JournalRepository(conn)
        self.applications = ApplicationRepository(conn, row_locks=locks)
        self.payments = PaymentRepository(conn, row_locks=locks)
        self.refunds = RefundRepository(conn)
        self.reports = ReportQueries(conn)
        self.approvals = ApprovalRepository(conn)
        self.audit = AuditLog(conn, row_locks=locks, request_id=self.request_id)
        self.audit.enabled = self.db.audit
        return self

    def now(self) -> datetime:
        return self.db.clock()

    def commit(self) -> None:
        self.audit.flush()
        self._tx.commit()

    def rollback(self) -> None:
        self.audit.pending.clear()
        self._tx.rollback()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if self._tx.is_active:
                if exc_type is None:
                    self.commit()
                else:
                    self.rollback()
        finally:
            self.conn.close()
