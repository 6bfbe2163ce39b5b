"""Racing clerks (rule 1) and racing creates (rule 6): real commits on separate connections, released
together by a barrier. PostgreSQL proves the row locks; SQLite proves BEGIN IMMEDIATE serialises writers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import select

from creditmemo.domain.documents import Memo
from creditmemo.domain.errors import OverCreditError
from creditmemo.domain.inputs import FreeLineInput
from creditmemo.domain.lifecycle import Status
from creditmemo.domain.money import Money
from creditmemo.services.memos.create import create_standalone_credit_memo
from creditmemo.services.memos.post import post_memo
from creditmemo.store import tables as t
from creditmemo.store.uow import Database, UnitOfWork
from tests.builders import by_qty, credit, customer, invoice, line

THREADS = 8
CREATES = 10


def race(db: Database, calls: list[Callable[[UnitOfWork], object]], rounds: int = 1) -> list[list[object]]:
    """Each call runs ``rounds`` times in its own thread, each time in its own ``with db.uow()``; all threads
    are released together every round. On PostgreSQL the barrier is inside the transaction (every
    connection is open before anyone writes); on SQLite BEGIN IMMEDIATE takes the write lock at the start
    of the transaction, so waiting there would block the others: the barrier is just before it."""
    barrier = threading.Barrier(len(calls))
    results: list[list[object]] = [[] for _ in calls]

    def run(i: int) -> None:
        for _ in range(rounds):
            try:
                if not db.postgres:
                    barrier.wait(30)
                with db.uow() as uow:
                    if db.postgres:
                        barrier.wait(30)
                    results[i].append(calls[i](uow))
            except Exception as exc:  # collected and asserted on by the test
                results[i].append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert not any(th.is_alive() for th in threads)
    return results


def poster(actor, memo_id):
    return lambda uow: post_memo(uow, actor, memo_id)


def _race_full_line_posts(db: Database, actor) -> None:
    inv = invoice(db, actor, [line("3", "33.33", "8.25")])
    drafts = [credit(db, actor, inv, [by_qty(inv, 0, "3")]) for _ in range(THREADS)]
    results = [r for (r,) in race(db, [poster(actor, d.id) for d in drafts])]

    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert all(isinstance(e, OverCreditError) and e.field == "lines[0].quantity" for e in losers), losers
    assert len(losers) == THREADS - 1
    with db.uow(readonly=True) as uow:
        inv_now = uow.invoices.get(actor.company_id, inv.id)
        memos = [uow.memos.get(actor.company_id, d.id) for d in drafts]
        entries = [e for d in drafts for e in uow.journal.for_source(actor.company_id, d.id)]
        cus = uow.customers.get(actor.company_id, inv.customer_id)
    the_line = inv_now.lines[0]
    assert (the_line.credited_quantity, the_line.credited_net, the_line.credited_tax) == (
        Decimal(3),
        the_line.net,
        the_line.tax,
    )
    assert sorted(str(m.status) for m in memos) == ["draft"] * (THREADS - 1) + ["posted"]
    assert len(entries) == 1
    assert isinstance(winners[0], Memo)
    assert entries[0].source_id == winners[0].id
    assert inv_now.amount_credited == inv_now.total
    assert inv_now.amount_due == Money.zero("USD")
    assert cus.balance == Money.zero("USD")
    assert cus.available_credit == Money.zero("USD")


def _race_partial_posts(db: Database, actor) -> None:
    """Eight drafts of 3 units each on a line of 10: exactly three fit, whatever the order."""
    inv = invoice(db, actor, [line("10", "9.99", "7.5")])
    drafts = [credit(db, actor, inv, [by_qty(inv, 0, "3")], auto_apply=False) for _ in range(THREADS)]
    results = [r for (r,) in race(db, [poster(actor, d.id) for d in drafts])]
    assert sum(not isinstance(r, Exception) for r in results) == 3
    assert sum(isinstance(r, OverCreditError) for r in results) == THREADS - 3
    with db.uow(readonly=True) as uow:
        the_line = uow.invoices.get(actor.company_id, inv.id).lines[0]
    assert the_line.credited_quantity == Decimal(9)
    assert the_line.credited_net == Money(Decimal("89.91"), "USD")  # 3 x 29.97
    assert the_line.credited_tax <= the_line.tax  # type: ignore[operator]  # both are set on a credited line


def _race_numbering(db: Database, actor) -> None:
    cus = customer(db, actor)

    def create(uow: UnitOfWork) -> str:
        return create_standalone_credit_memo(
            uow,
            actor,
            customer_id=cus.id,
            currency="USD",
            reason_code="goodwill",
            lines=[FreeLineInput("Credit", "1", "1.00")],
        ).number

    results = race(db, [create] * THREADS, rounds=CREATES)
    flat = [r for per_thread in results for r in per_thread]
    assert not [r for r in flat if isinstance(r, Exception)], flat
    expected = [f"CM-{i:06d}" for i in range(1, THREADS * CREATES + 1)]
    assert sorted(flat) == expected  # type: ignore[type-var]  # a list of str, sortable
    with db.uow(readonly=True) as uow:
        stored = uow.conn.execute(
            select(t.memos.c.number, t.memos.c.status).where(t.memos.c.company_id == actor.company_id)
        ).all()
        next_value = uow.conn.execute(
            select(t.number_sequences.c.next_value).where(
                t.number_sequences.c.company_id == actor.company_id, t.number_sequences.c.doc_type == "credit_memo"
            )
        ).scalar()
    assert sorted(n for n, _ in stored) == expected
    assert {s for _, s in stored} == {str(Status.DRAFT)}
    assert next_value == THREADS * CREATES + 1


@pytest.fixture
def sqlite_only(db):
    if db.postgres:
        pytest.skip("the SQLite variant proves BEGIN IMMEDIATE; PostgreSQL runs the row-lock variant")


@pytest.mark.postgres_only  # row locks (SELECT ... FOR UPDATE) exist on PostgreSQL; the SQLite variant is below
class TestPostgresRowLocks:
    def test_eight_clerks_posting_the_whole_line_one_wins(self, db, controller):
        _race_full_line_posts(db, controller)

    def test_eight_partial_posts_only_what_fits_wins(self, db, controller):
        _race_partial_posts(db, controller)

    def test_eight_threads_times_ten_creates_number_1_to_80(self, db, controller):
        _race_numbering(db, controller)


@pytest.mark.usefixtures("sqlite_only")
class TestSqliteBeginImmediate:
    def test_eight_clerks_posting_the_whole_line_one_wins(self, db, controller):
        _race_full_line_posts(db, controller)

    def test_eight_partial_posts_only_what_fits_wins(self, db, controller):
        _race_partial_posts(db, controller)

    def test_eight_threads_times_ten_creates_number_1_to_80(self, db, controller):
        _race_numbering(db, controller)
