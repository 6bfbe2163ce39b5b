"""Two transactions on PostgreSQL in a chosen order: the first holds its row locks until the second waits for
one of them, then commits (tests of what the second sees after the lock: webhook purge and redelivery, void and
unapply)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from creditmemo.store.uow import Database, UnitOfWork


def waiting_for_a_lock(db: Database, timeout: float = 10.0) -> bool:
    """Whether a backend of the test database is waiting for a lock, polled until ``timeout``."""
    deadline = time.monotonic() + timeout
    with db.engine.connect() as conn:
        while time.monotonic() < deadline:
            n = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
            conn.rollback()
            if n:
                return True
            time.sleep(0.02)
    return False


def interleave(
    db: Database, first: Callable[[UnitOfWork], Any], second: Callable[[UnitOfWork], Any]
) -> tuple[Any, Any, bool]:
    """``first`` in a transaction held open (its queued statements sent) until ``second``, in another thread and
    transaction, waits for a lock; then ``first`` commits and ``second`` finishes. Each side's result (or the
    exception it raised), and whether ``second`` waited."""
    out: dict[str, Any] = {}
    first_done, go = threading.Event(), threading.Event()

    def run_first() -> None:
        try:
            with db.uow() as uow:
                out["first"] = first(uow)
                uow.conn.execute(text("SELECT 1"))  # the pipeline's queued writes are sent (their locks taken)
                first_done.set()
                go.wait(30)
        except Exception as exc:  # asserted on by the test
            out["first"] = exc
            first_done.set()

    def run_second() -> None:
        try:
            with db.uow() as uow:
                out["second"] = second(uow)
        except Exception as exc:  # asserted on by the test
            out["second"] = exc

    one = threading.Thread(target=run_first)
    one.start()
    assert first_done.wait(30)
    two = threading.Thread(target=run_second)
    two.start()
    waited = waiting_for_a_lock(db)
    go.set()
    one.join(30)
    two.join(30)
    assert not one.is_alive()
    assert not two.is_alive()
    return out.get("first"), out.get("second"), waited
