"""Database.transact retries a transaction that lost a deadlock or a lock timeout, from the start, so the
caller sees the result and never the race; anything else is raised at once."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from creditmemo.domain.documents import MemoKind
from creditmemo.services.customers import create_customer
from creditmemo.store.uow import Database, UnitOfWork, is_retryable


@pytest.mark.postgres_only
def test_a_serialization_failure_is_retried_and_commits(db: Database, controller) -> None:
    """A transaction that loses a race (here: REPEATABLE READ's "could not serialize access", 40001; a
    deadlock, 40P01, takes the same path, see below) runs again from the start and commits. A real
    deadlock is not provoked on purpose: the suite asserts PostgreSQL counted none."""
    with db.uow() as uow:
        cid = create_customer(uow, controller, name="A", currency="USD").id
    read_done, other_committed = threading.Event(), threading.Event()
    attempts: list[int] = []

    def fn(uow: UnitOfWork) -> int:
        attempts.append(1)
        if len(attempts) == 1:
            uow.conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        uow.customers.get(controller.company_id, cid)  # the snapshot is taken here
        if len(attempts) == 1:
            read_done.set()
            assert other_committed.wait(10)
        uow.customers.adjust(controller.company_id, cid, balance=1)
        uow.customers.flush()
        uow.conn.execute(text("SELECT 1"))  # sync the pipeline: the UPDATE's error surfaces here
        return len(attempts)

    def other() -> None:
        assert read_done.wait(10)
        with db.uow() as uow:
            uow.customers.adjust(controller.company_id, cid, balance=10)
        other_committed.set()

    th = threading.Thread(target=other)
    th.start()
    assert db.transact(fn) == 2
    th.join(10)
    with db.uow(readonly=True) as uow:
        assert uow.customers.get(controller.company_id, cid).balance.to_minor() == 11  # both committed


def test_a_domain_or_integrity_error_is_not_retried(db: Database, controller) -> None:
    calls = []

    def fn(uow: UnitOfWork) -> None:
        calls.append(1)
        uow.conn.execute(text("SELECT 1"))
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    with pytest.raises(IntegrityError):
        db.transact(fn)
    assert calls == [1]


def test_sqlite_busy_and_postgres_deadlock_errors_are_retryable(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(path, isolation_level=None, timeout=0.05)
    try:
        with pytest.raises(sqlite3.OperationalError) as caught:
            waiter.execute("BEGIN IMMEDIATE")
        assert is_retryable(OperationalError("BEGIN IMMEDIATE", {}, caught.value))
    finally:
        holder.close()
        waiter.close()

    class Deadlock(Exception):
        sqlstate = "40P01"

    class Unique(Exception):
        sqlstate = "23505"

    assert is_retryable(OperationalError("UPDATE", {}, Deadlock("deadlock detected")))
    assert not is_retryable(IntegrityError("INSERT", {}, Unique("duplicate key")))


def test_a_commit_that_fails_leaves_no_broken_connection_in_the_pool(db: Database, controller) -> None:
    """On PostgreSQL a queued insert's error surfaces at COMMIT (pipeline mode); the connection must go
    back to the pool rolled back, or the next unit of work to get it fails with 'transaction aborted'."""
    from creditmemo.services.idempotency import save_response

    def store(uow: UnitOfWork) -> None:
        save_response(uow, controller, "same-key", "f" * 64, 200, "{}")

    db.transact(store)
    for _ in range(3):
        with pytest.raises(IntegrityError):
            db.transact(store)  # the duplicate key is only found when the queued INSERT runs
    for _ in range(25):  # more than the pool holds: every connection is handed out at least once
        with db.uow() as uow:
            assert uow.conn.execute(text("SELECT 1")).scalar_one() == 1


def test_a_queued_error_found_while_deferred_numbers_are_read_is_sqlalchemys(db: Database, controller) -> None:
    """With deferred numbers (PostgreSQL) the reads of the numbers are sent on a driver cursor just before the
    COMMIT; the error of a queued statement (here a duplicate Idempotency-Key) must come out as SQLAlchemy's
    IntegrityError wherever psycopg raises it (the API turns that into a replay or a 409, never a 500), and
    nothing of the transaction is written. (Where psycopg raises depends on when the server's answer is read;
    the stress test met the driver-cursor case once under load, which is what UnitOfWork._queue_number_reads
    translates.)"""
    from creditmemo.services.idempotency import save_response
    from tests.builders import invoice, line

    inv = invoice(db, controller, [line("1", "10.00")])

    def store(uow: UnitOfWork) -> None:
        save_response(uow, controller, "once", "f" * 64, 201, "{}")

    db.transact(store)

    def create_with_the_same_key(uow: UnitOfWork) -> None:
        from creditmemo.services.memos.create import create_credit_memo_from_invoice

        uow.defer_numbers()
        create_credit_memo_from_invoice(uow, controller, inv.id, reason_code="billing_error")
        store(uow)
        uow.customers.flush()
        uow.audit.flush()
        time.sleep(0.2)  # the duplicate's error is back from the server before the commit sends anything more

    with pytest.raises(IntegrityError):
        db.transact(create_with_the_same_key)
    with db.uow(readonly=True) as uow:  # nothing of it was written, and the connection is usable
        memos, _ = uow.memos.list(controller.company_id, kind=MemoKind.CREDIT, filters={"invoice_id": inv.id})
        assert memos == []
