"""Refunds: money paid back against a memo's or payment's available amount (Dr AR, Cr cash), only where
money came in, with a controller override that records its reason (issue 3 item 3). Both engines."""

from __future__ import annotations

from decimal import Decimal

import pytest

from creditmemo.domain.errors import (
    ForbiddenError,
    InvalidTransitionError,
    MemoSettledError,
    OverRefundError,
    RefundLimitError,
)
from creditmemo.domain.money import Money
from creditmemo.domain.settlement import AllocationInput
from creditmemo.services.actors import Actor, Role
from creditmemo.services.memos.void import void_memo
from creditmemo.services.settlement.applications import apply_credit
from creditmemo.services.settlement.payments import record_payment
from creditmemo.services.settlement.refunds import list_refunds, refund
from tests.builders import DAY, credit, customer, expect_journal, invoice, line, post, standalone


def usd(s: str) -> Money:
    return Money(Decimal(s), "USD")


def do_refund(db, actor, source, amount, source_type="credit_memo", **kw):
    with db.uow() as uow:
        return refund(
            uow, actor, source_type=source_type, source_id=source.id, amount=amount, method="ach", refunded_on=DAY, **kw
        )


def pay(db, actor, customer_id, amount):
    with db.uow() as uow:
        return record_payment(
            uow, actor, customer_id=customer_id, amount=amount, currency="USD", received_on=DAY, method="wire"
        )


def state(db, actor, memo_id, customer_id):
    with db.uow(readonly=True) as uow:
        return uow.memos.get(actor.company_id, memo_id), uow.customers.get(actor.company_id, customer_id)


class TestRefundCreditMemo:
    def test_pays_back_available_credit(self, db, controller):
        cus = customer(db, controller)
        memo = post(db, controller, standalone(db, controller, cus.id, price="300.00"))
        r = do_refund(db, controller, memo, "100.00", reference="ACH-1")
        assert (r.number, r.amount, r.method, r.reference, r.override_reason) == (
            "RF-000001",
            usd("100.00"),
            "ach",
            "ACH-1",
            None,
        )
        memo_after, cus_after = state(db, controller, memo.id, cus.id)
        assert (memo_after.amount_refunded, memo_after.amount_available) == (usd("100.00"), usd("200.00"))
        assert memo_after.settlement_status == "part_applied"
        assert (cus_after.balance, cus_after.available_credit) == (usd("-200.00"), usd("200.00"))
        with db.uow(readonly=True) as uow:
            [entry] = uow.journal.for_source(controller.company_id, r.id)
            actions = [e.action for e in uow.audit.for_entity(controller.company_id, r.id)]
            assert [x.id for x in list_refunds(uow, controller, memo.id)] == [r.id]
        expect_journal(
            entry,
            """
            Cr 1100 100.00 USD
            Dr 1200 100.00 USD
        """,
        )
        assert actions == ["refund.created"]

    def test_more_than_available_is_an_over_refund_even_with_override(self, db, controller):
        cus = customer(db, controller)
        memo = post(db, controller, standalone(db, controller, cus.id, price="50.00"))
        with pytest.raises(OverRefundError) as err:
            do_refund(db, controller, memo, "50.01", override_reason="customer asked")
        assert (err.value.code, err.value.field) == ("over_refund", "amount")
        memo_after, cus_after = state(db, controller, memo.id, cus.id)
        assert (memo_after.amount_refunded, cus_after.balance) == (usd("0.00"), usd("-50.00"))

    def test_not_beyond_the_customers_net_credit(self, db, controller):
        inv = invoice(db, controller, [line("1", "500.00")])
        memo = post(db, controller, standalone(db, controller, inv.customer_id, price="300.00"))
        with pytest.raises(RefundLimitError) as err:  # the customer still owes 200: no money to send back
            do_refund(db, controller, memo, "50.00")
        assert (err.value.code, err.value.field, err.value.context["limits"]) == (
            "refund_limit",
            "amount",
            ["customer_net_credit"],
        )
        memo_after, _ = state(db, controller, memo.id, inv.customer_id)
        assert memo_after.amount_refunded == usd("0.00")

    def test_controller_override_records_its_reason(self, db, controller):
        inv = invoice(db, controller, [line("1", "500.00")])
        memo = post(db, controller, standalone(db, controller, inv.customer_id, price="300.00"))
        r = do_refund(db, controller, memo, "50.00", override_reason="Approved by CFO, ticket 42")
        assert r.override_reason == "Approved by CFO, ticket 42"
        with db.uow(readonly=True) as uow:
            [event] = uow.audit.for_entity(controller.company_id, r.id)
        assert event.changes["override_reason"] == [None, "Approved by CFO, ticket 42"]
        assert event.changes["overridden_limits"] == [None, ["customer_net_credit"]]
        _, cus_after = state(db, controller, memo.id, inv.customer_id)
        assert cus_after.balance == usd("250.00")

    def test_memo_from_invoice_not_beyond_what_was_paid_on_it(self, db, controller):
        inv = invoice(db, controller, [line("1", "100.00")])
        pay(db, controller, inv.customer_id, "100.00")  # unapplied: balance 0
        memo = post(db, controller, credit(db, controller, inv, auto_apply=False))  # balance -100
        with pytest.raises(RefundLimitError) as err:
            do_refund(db, controller, memo, "10.00")
        assert err.value.context["limits"] == ["invoice_paid"]

    def test_memo_from_paid_invoice_refunds_up_to_the_payment(self, db, controller):
        inv = invoice(db, controller, [line("1", "100.00")])
        p = pay(db, controller, inv.customer_id, "60.00")
        with db.uow() as uow:
            apply_credit(
                uow,
                controller,
                source_type="payment",
                source_id=p.id,
                allocations=[AllocationInput("invoice", inv.id, "60.00")],
            )
        pay(db, controller, inv.customer_id, "100.00")  # on account: the net credit is not what limits
        memo = post(db, controller, credit(db, controller, inv, auto_apply=False))
        assert memo.amount_available == usd("100.00")
        do_refund(db, controller, memo, "35.00")
        with pytest.raises(RefundLimitError) as err:
            do_refund(db, controller, memo, "25.01")  # 60 paid, 35 already refunded
        assert err.value.context["limits"] == ["invoice_paid"]
        do_refund(db, controller, memo, "25.00")
        memo_after, cus_after = state(db, controller, memo.id, inv.customer_id)
        assert (memo_after.amount_available, cus_after.balance) == (usd("40.00"), usd("-100.00"))

    def test_draft_memo_cannot_be_refunded(self, db, controller):
        cus = customer(db, controller)
        draft = standalone(db, controller, cus.id)
        with pytest.raises(InvalidTransitionError) as err:
            do_refund(db, controller, draft, "1.00")
        assert err.value.context["status"] == "draft"

    def test_refunded_memo_cannot_be_voided(self, db, controller):
        cus = customer(db, controller)
        memo = post(db, controller, standalone(db, controller, cus.id, price="30.00"))
        do_refund(db, controller, memo, "10.00")
        with pytest.raises(MemoSettledError), db.uow() as uow:
            void_memo(uow, controller, memo.id)


class TestPermissions:
    def test_clerk_may_not_refund(self, db, controller, clerk):
        cus = customer(db, controller)
        memo = post(db, controller, standalone(db, controller, cus.id))
        with pytest.raises(ForbiddenError):
            do_refund(db, clerk, memo, "1.00")

    def test_override_needs_the_override_permission(self, db, controller, company_id):
        cus = customer(db, controller)
        memo = post(db, controller, standalone(db, controller, cus.id))
        refunder = Actor("usr_r", company_id, Role.CLERK, frozenset({"refund"}), "refunder")
        with pytest.raises(ForbiddenError) as err:
            do_refund(db, refunder, memo, "1.00", override_reason="because")
        assert err.value.context["permission"] == "override_refund_limit"
        assert do_refund(db, refunder, memo, "1.00").amount == usd("1.00")


class TestRefundPayment:
    def test_unapplied_payment_is_refunded(self, db, controller):
        cus = customer(db, controller)
        p = pay(db, controller, cus.id, "80.00")
        r = do_refund(db, controller, p, "80.00", source_type="payment")
        with db.uow(readonly=True) as uow:
            p_after = uow.payments.get(controller.company_id, p.id)
            cus_after = uow.customers.get(controller.company_id, cus.id)
        assert (p_after.amount_refunded, p_after.amount_available, p_after.settlement_status) == (
            usd("80.00"),
            usd("0.00"),
            "applied",
        )
        assert (cus_after.balance, cus_after.available_credit) == (usd("0.00"), usd("0.00"))
        assert r.number == "RF-000001"

    def test_applied_part_of_a_payment_cannot_be_refunded(self, db, controller):
        inv = invoice(db, controller, [line("1", "50.00")])
        p = pay(db, controller, inv.customer_id, "80.00")
        with db.uow() as uow:
            apply_credit(
                uow,
                controller,
                source_type="payment",
                source_id=p.id,
                allocations=[AllocationInput("invoice", inv.id, "50.00")],
            )
        with pytest.raises(OverRefundError):
            do_refund(db, controller, p, "30.01", source_type="payment")
        assert do_refund(db, controller, p, "30.00", source_type="payment").amount == usd("30.00")
