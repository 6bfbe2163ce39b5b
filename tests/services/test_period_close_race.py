"""Closing a period races the postings dated in it (issue 17 item 2; store/locking.py, docs/CONCURRENCY.md).
Real commits on separate connections, released together by a barrier, on both engines (PostgreSQL proves the
period share lock; SQLite proves BEGIN IMMEDIATE serialises writers).

The close counts the memos posted in its month once it holds the period state's lock: every posting that
checked the month as open holds the share lock, so the close waits for it; every posting after that waits for
the close and is refused. So what the close sees is exactly what ends up posted: no posting commits after a
close of its month. The test session also fails on any deadlock PostgreSQL counted."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from creditmemo.domain.dating import period_bounds
from creditmemo.domain.errors import PeriodClosedError
from creditmemo.domain.inputs import FreeLineInput
from creditmemo.services.actors import Actor
from creditmemo.services.memos.create import create_standalone_credit_memo
from creditmemo.services.memos.post import post_memo
from creditmemo.services.periods import close_period
from creditmemo.services.settlement.payments import record_payment
from creditmemo.store import tables as t
from creditmemo.store.uow import Database, UnitOfWork
from tests.builders import customer
from tests.services.test_concurrency import race

POSTERS = 8
MONTHS = ("2026-01", "2026-02", "2026-04", "2026-05")


def _drafts(db: Database, actor: Actor, customer_id: str, month: str) -> list[str]:
    start, _ = period_bounds(month)
    with db.uow() as uow:
        return [
            create_standalone_credit_memo(
                uow,
                actor,
                customer_id=customer_id,
                currency="USD",
                reason_code="goodwill",
                issue_date=start,
                lines=[FreeLineInput("Goodwill", "1", "10.00")],
            ).id
            for _ in range(POSTERS)
        ]


def _posted_in(uow: UnitOfWork, company_id: str, memo_ids: list[str]) -> int:
    return uow.conn.execute(
        select(func.count())
        .select_from(t.memos)
        .where(t.memos.c.company_id == company_id, t.memos.c.id.in_(memo_ids), t.memos.c.status == "posted")
    ).scalar_one()


def test_posts_racing_a_close_either_committed_before_it_or_are_refused(db: Database, controller: Actor) -> None:
    cus = customer(db, controller)
    for month in MONTHS:
        ids = _drafts(db, controller, cus.id, month)
        seen: list[int] = []

        def close(uow: UnitOfWork, month: str = month, ids: list[str] = ids, seen: list[int] = seen) -> object:
            closed = close_period(uow, controller, month)
            seen.append(_posted_in(uow, controller.company_id, ids))  # under the lock: what committed before
            return closed

        def poster(memo_id: str) -> Callable[[UnitOfWork], object]:
            return lambda uow: post_memo(uow, controller, memo_id)

        results = race(db, [close, *(poster(i) for i in ids)])
        assert not isinstance(results[0][0], Exception), results[0]
        outcomes = [r for (r,) in results[1:]]
        refused = [r for r in outcomes if isinstance(r, Exception)]
        assert all(isinstance(e, PeriodClosedError) and e.field == "date" for e in refused), refused
        with db.uow(readonly=True) as uow:
            posted = _posted_in(uow, controller.company_id, ids)
            entries = uow.conn.execute(
                select(func.count())
                .select_from(t.journal_entries)
                .where(t.journal_entries.c.company_id == controller.company_id, t.journal_entries.c.source_id.in_(ids))
            ).scalar_one()
        assert posted == POSTERS - len(refused) == entries
        assert seen == [posted], (month, seen, posted)


def test_payments_racing_a_close_are_refused_or_committed_before_it(db: Database, controller: Actor) -> None:
    """Another dated write (a payment: no document to lock, only the period share lock) against the close."""
    cus = customer(db, controller)
    seen: list[int] = []

    def count(uow: UnitOfWork) -> int:
        return uow.conn.execute(
            select(func.count()).select_from(t.payments).where(t.payments.c.company_id == controller.company_id)
        ).scalar_one()

    def close(uow: UnitOfWork) -> object:
        closed = close_period(uow, controller, "2026-06")
        seen.append(count(uow))
        return closed

    def pay(uow: UnitOfWork) -> object:
        return record_payment(
            uow,
            controller,
            customer_id=cus.id,
            amount="5.00",
            currency="USD",
            received_on="2026-06-15",
            method="wire",
        )

    results = race(db, [close, *([pay] * POSTERS)])
    refused = [r for (r,) in results[1:] if isinstance(r, Exception)]
    assert all(isinstance(e, PeriodClosedError) and e.field == "received_on" for e in refused), refused
    with db.uow(readonly=True) as uow:
        assert seen == [count(uow)] == [POSTERS - len(refused)]
