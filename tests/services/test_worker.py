"""The background worker on both engines: queued memos are posted once, failures go back to draft
with the error visible, several workers side by side on PostgreSQL post each memo exactly once."""

from __future__ import annotations

import threading

import pytest

from creditmemo.domain.lifecycle import Status
from creditmemo.services.actors import Actor, Role
from creditmemo.services.memos.bulk import bulk_post
from creditmemo.services.memos.post import post_memo
from creditmemo.services.memos.read import memo_events
from creditmemo.services.settings import update_background_line_limit
from creditmemo.worker import run_worker
from tests.builders import by_qty, credit, expect_journal, invoice, line


@pytest.fixture
def admin(company_id):
    return Actor("usr_admin", company_id, Role.ADMIN)


def post_entries(db, company_id, memo_id):
    with db.uow(readonly=True) as uow:
        return [e for e in uow.journal.for_source(company_id, memo_id) if e.kind == "post"]


class TestWorker:
    def test_a_memo_over_the_line_limit_is_queued_then_posted_by_the_worker(self, db, controller, admin):
        with db.uow() as uow:
            update_background_line_limit(uow, admin, 2)
        inv = invoice(db, controller, [line("1", "100.00", "10"), line("2", "50.00"), line("1", "25.00")])
        memo = credit(db, controller, inv, auto_apply=False)
        with db.uow() as uow:
            assert post_memo(uow, controller, memo.id).status is Status.READY_TO_POST
        assert post_entries(db, controller.company_id, memo.id) == []
        run_worker(db, once=True)
        with db.uow(readonly=True) as uow:
            posted = uow.memos.get(controller.company_id, memo.id)
            inv_after = uow.invoices.get(controller.company_id, inv.id)
            cust = uow.customers.get(controller.company_id, inv.customer_id)
        assert posted.status is Status.POSTED
        assert posted.post_error is None
        [entry] = post_entries(db, controller.company_id, memo.id)
        expect_journal(
            entry,
            """
            Dr 4900 225.00 USD
            Dr 2200 10.00 USD
            Cr 1200 235.00 USD
        """,
        )
        assert [ln.credited_net.amount for ln in inv_after.lines] == [100, 100, 25]
        assert cust.balance.amount == 0
        assert cust.available_credit == posted.total
        with db.uow(readonly=True) as uow:
            events = memo_events(uow, controller, memo.id)
        assert [e.action for e in events][-2:] == ["credit_memo.queued_for_posting", "credit_memo.posted"]
        assert events[-1].actor_label == "worker"
        run_worker(db, once=True)  # nothing left: a second run posts nothing again
        assert len(post_entries(db, controller.company_id, memo.id)) == 1

    def test_a_memo_that_cannot_post_returns_to_draft_with_the_error(self, db, controller):
        inv = invoice(db, controller, [line("4", "100.00")])
        first = credit(db, controller, inv, [by_qty(inv, 0, "3")], auto_apply=False)
        second = credit(db, controller, inv, [by_qty(inv, 0, "2")], auto_apply=False)  # 3 + 2 > 4
        with db.uow() as uow:
            bulk_post(uow, controller, [first.id, second.id])
        run_worker(db, once=True)
        with db.uow(readonly=True) as uow:
            a = uow.memos.get(controller.company_id, first.id)
            b = uow.memos.get(controller.company_id, second.id)
            inv_after = uow.invoices.get(controller.company_id, inv.id)
            events = uow.audit.for_entity(controller.company_id, second.id)
        # Which of the two wins depends on queue order; exactly one posts and the other fails.
        winner, loser = (a, b) if a.status is Status.POSTED else (b, a)
        assert (winner.status, loser.status) == (Status.POSTED, Status.DRAFT)
        assert loser.post_error is not None
        assert loser.post_error.startswith("over_credit: ")
        assert post_entries(db, controller.company_id, loser.id) == []
        assert inv_after.lines[0].credited_net == winner.subtotal
        if loser.id == second.id:
            assert events[-1].action == "credit_memo.post_failed"
            assert events[-1].changes["error_code"] == [None, "over_credit"]
            assert events[-1].changes["status"] == ["ready_to_post", "draft"]

    def test_the_error_is_cleared_when_the_memo_is_queued_again(self, db, controller):
        inv = invoice(db, controller, [line("1", "100.00")])
        first = credit(db, controller, inv, auto_apply=False)
        second = credit(db, controller, inv, auto_apply=False)
        with db.uow() as uow:
            bulk_post(uow, controller, [first.id, second.id])
        run_worker(db, once=True)
        with db.uow(readonly=True) as uow:
            loser = next(
                m
                for m in (
                    uow.memos.get(controller.company_id, first.id),
                    uow.memos.get(controller.company_id, second.id),
                )
                if m.status is Status.DRAFT
            )
        assert loser.post_error
        with db.uow() as uow:
            requeued = bulk_post(uow, controller, [loser.id])[0]
        assert requeued.post_error is None


class TestWorkersSideBySide:
    @pytest.mark.postgres_only
    def test_three_workers_post_each_memo_exactly_once(self, db, controller):
        inv = invoice(db, controller, [line("1", "10.00") for _ in range(30)])
        memos = [credit(db, controller, inv, [by_qty(inv, i, "1")], auto_apply=False) for i in range(30)]
        with db.uow() as uow:
            bulk_post(uow, controller, [m.id for m in memos])
        errors: list[BaseException] = []

        def work() -> None:
            try:
                run_worker(db, once=True)
            except BaseException as e:
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        run_worker(db, once=True)  # a worker that gave up on locked rows leaves nothing behind
        for m in memos:
            assert len(post_entries(db, controller.company_id, m.id)) == 1
        with db.uow(readonly=True) as uow:
            assert {uow.memos.get(controller.company_id, m.id).status for m in memos} == {Status.POSTED}
            assert sum(ln.credited_net.amount for ln in uow.invoices.get(controller.company_id, inv.id).lines) == 300
