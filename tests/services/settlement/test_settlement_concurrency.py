"""Racing settlements: exactly one of two applications (or refunds) for the last money wins
(issue 3 item 8). Real commits on separate connections; PostgreSQL row locks, SQLite BEGIN IMMEDIATE."""

from __future__ import annotations

from decimal import Decimal

import pytest

from creditmemo.domain.money import Money
from creditmemo.domain.settlement import AllocationInput
from creditmemo.services.settlement.applications import apply_credit
from creditmemo.services.settlement.refunds import refund
from creditmemo.store.uow import UnitOfWork
from tests.builders import customer, invoice, line, post, standalone
from tests.races import race, refusals

ROUNDS = 5


def applier(actor, source_id, target_id, amount):
    return lambda uow: apply_credit(
        uow,
        actor,
        source_type="credit_memo",
        source_id=source_id,
        allocations=[AllocationInput("invoice", target_id, amount)],
    )


def outcome(results: list[object]) -> tuple[int, list[str]]:
    wins = sum(1 for r in results if isinstance(r, list) or (r is not None and not isinstance(r, Exception)))
    return wins, refusals(results)


@pytest.mark.postgres_only  # row-lock races are proven on PostgreSQL (SQLite serialises writers with BEGIN IMMEDIATE)
class TestRaces:
    def test_two_applications_race_for_the_last_credit_of_a_memo(self, db, controller):
        for _ in range(ROUNDS):
            cus = customer(db, controller)
            memo = post(db, controller, standalone(db, controller, cus.id, price="100.00"))
            a = invoice(db, controller, [line("1", "100.00")], customer_id=cus.id)
            b = invoice(db, controller, [line("1", "100.00")], customer_id=cus.id)
            results = race(
                db, applier(controller, memo.id, a.id, "100.00"), applier(controller, memo.id, b.id, "100.00")
            )
            assert outcome(results) == (1, ["insufficient_available"])
            with db.uow(readonly=True) as uow:
                m = uow.memos.get(controller.company_id, memo.id)
                dues = sorted(uow.invoices.get(controller.company_id, i.id).amount_due.amount for i in (a, b))
                c = uow.customers.get(controller.company_id, cus.id)
            assert (m.amount_applied.amount, dues, c.available_credit.amount) == (
                Decimal("100.00"),
                [Decimal("0.00"), Decimal("100.00")],
                Decimal("0.00"),
            )

    def test_two_applications_race_for_the_last_amount_due_of_an_invoice(self, db, controller):
        for _ in range(ROUNDS):
            cus = customer(db, controller)
            m1 = post(db, controller, standalone(db, controller, cus.id, price="100.00"))
            m2 = post(db, controller, standalone(db, controller, cus.id, price="100.00"))
            inv = invoice(db, controller, [line("1", "100.00")], customer_id=cus.id)
            results = race(
                db, applier(controller, m1.id, inv.id, "100.00"), applier(controller, m2.id, inv.id, "100.00")
            )
            assert outcome(results) == (1, ["insufficient_available"])
            with db.uow(readonly=True) as uow:
                i = uow.invoices.get(controller.company_id, inv.id)
                applied = sorted(uow.memos.get(controller.company_id, m.id).amount_applied.amount for m in (m1, m2))
                c = uow.customers.get(controller.company_id, cus.id)
            assert (i.amount_credited.amount, applied, c.available_credit.amount) == (
                Decimal("100.00"),
                [Decimal("0.00"), Decimal("100.00")],
                Decimal("100.00"),
            )

    def test_refund_and_application_race_for_the_last_credit(self, db, controller):
        for _ in range(ROUNDS):
            cus = customer(db, controller)
            memo = post(db, controller, standalone(db, controller, cus.id, price="100.00"))
            inv = invoice(db, controller, [line("1", "50.00")], customer_id=cus.id)  # balance -50: net credit 50

            def refunder(uow: UnitOfWork, memo_id: str = memo.id) -> object:
                return refund(
                    uow,
                    controller,
                    source_type="credit_memo",
                    source_id=memo_id,
                    amount="60.00",
                    method="ach",
                    override_reason="race test",
                )

            results = race(db, refunder, applier(controller, memo.id, inv.id, "50.00"))
            wins, codes = outcome(results)
            assert (wins, codes) in ((1, ["insufficient_available"]), (1, ["over_refund"]))
            with db.uow(readonly=True) as uow:
                m = uow.memos.get(controller.company_id, memo.id)
            assert m.amount_applied + m.amount_refunded <= Money(Decimal("100.00"), "USD")
