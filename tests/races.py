"""Races between real transactions on separate connections (PostgreSQL row locks, SQLite BEGIN IMMEDIATE):
each call in its own thread and unit of work, released together by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable

from creditmemo.domain.errors import DomainError
from creditmemo.store.uow import Database, UnitOfWork


def race(db: Database, *calls: Callable[[UnitOfWork], object]) -> list[object]:
    """Each call's result, or the exception it raised (collected for the test to assert on)."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            with db.uow() as uow:
                barrier.wait()
                results[i] = calls[i](uow)
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def refusals(results: list[object]) -> list[str]:
    """The domain codes the race refused with; any other exception fails the test."""
    others = [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)]
    assert not others, others
    return [r.code for r in results if isinstance(r, DomainError)]
