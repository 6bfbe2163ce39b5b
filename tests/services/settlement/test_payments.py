"""Payments: a recorded receipt (Dr cash, Cr AR), applied like a memo (issue 3 item 2). Both engines."""

from __future__ import annotations

from decimal import Decimal

import pytest

from creditmemo.domain.errors import CurrencyMismatchError, InsufficientAvailableError, ValidationFailedError
from creditmemo.domain.money import Money
from creditmemo.domain.settlement import AllocationInput
from creditmemo.services.settlement.applications import apply_credit, unapply
from creditmemo.services.settlement.payments import get_payment, record_payment
from tests.builders import DAY, customer, expect_journal, invoice, line


def usd(s: str) -> Money:
    return Money(Decimal(s), "USD")


def pay(db, actor, customer_id, amount="100.00", **kw):
    with db.uow() as uow:
        return record_payment(
            uow,
            actor,
            customer_id=customer_id,
            amount=amount,
            currency=kw.pop("currency", "USD"),
            received_on=kw.pop("received_on", DAY),
            method=kw.pop("method", "wire"),
            **kw,
        )


class TestRecordPayment:
    def test_numbers_journals_and_lowers_the_balance(self, db, controller):
        inv = invoice(db, controller, [line("1", "250.00")])
        p = pay(db, controller, inv.customer_id, "100.00", reference="WIRE-77")
        assert (p.number, p.amount, p.amount_available, p.reference) == (
            "PAY-000001",
            usd("100.00"),
            usd("100.00"),
            "WIRE-77",
        )
        with db.uow(readonly=True) as uow:
            [entry] = uow.journal.for_source(controller.company_id, p.id)
            cus = uow.customers.get(controller.company_id, inv.customer_id)
            events = uow.audit.for_entity(controller.company_id, p.id)
            again = get_payment(uow, controller, p.id)
        expect_journal(
            entry,
            """
            Dr 1100 100.00 USD
            Cr 1200 100.00 USD
        """,
        )
        assert str(entry.date) == str(DAY)
        assert (cus.balance, cus.available_credit) == (usd("150.00"), usd("0.00"))
        assert [e.action for e in events] == ["payment.recorded"]
        assert again == p

    def test_numbers_are_sequential(self, db, controller):
        cus = customer(db, controller)
        assert [pay(db, controller, cus.id).number for _ in range(2)] == ["PAY-000001", "PAY-000002"]

    def test_every_bad_field_is_reported(self, db, controller):
        cus = customer(db, controller)
        with pytest.raises(ValidationFailedError) as err:
            pay(db, controller, cus.id, received_on="yesterday", method="")
        assert [(e.field, e.code) for e in err.value.errors] == [("received_on", "invalid_date"), ("method", "invalid")]

    def test_amount_must_be_positive(self, db, controller):
        cus = customer(db, controller)
        with pytest.raises(ValidationFailedError) as err:
            pay(db, controller, cus.id, "-5.00")
        assert (err.value.field, err.value.errors[0].code) == ("amount", "out_of_range")

    def test_currency_must_be_the_customers(self, db, controller):
        cus = customer(db, controller)
        with pytest.raises(CurrencyMismatchError) as err:
            pay(db, controller, cus.id, currency="EUR", exchange_rate="1.1")
        assert (err.value.code, err.value.field) == ("currency_mismatch", "currency")
        with db.uow(readonly=True) as uow:
            assert uow.customers.get(controller.company_id, cus.id).balance == usd("0.00")

    def test_foreign_currency_payment_books_functional_amounts(self, db, controller):
        inv = invoice(db, controller, [line("1", "100.00")], currency="EUR", rate="1.10")
        p = pay(db, controller, inv.customer_id, "100.00", currency="EUR", exchange_rate="1.20")
        with db.uow(readonly=True) as uow:
            [entry] = uow.journal.for_source(controller.company_id, p.id)
        assert [(ln.account, ln.functional_debit.amount, ln.functional_credit.amount) for ln in entry.lines] == [
            ("1100", Decimal("120.00"), Decimal("0.00")),
            ("1200", Decimal("0.00"), Decimal("120.00")),
        ]


class TestApplyPayment:
    def test_makes_the_invoice_paid(self, db, controller):
        inv = invoice(db, controller, [line("1", "100.00")])
        p = pay(db, controller, inv.customer_id, "100.00")
        with db.uow() as uow:
            [app] = apply_credit(
                uow,
                controller,
                source_type="payment",
                source_id=p.id,
                allocations=[AllocationInput("invoice", inv.id, "100.00")],
            )
        with db.uow(readonly=True) as uow:
            inv_after = uow.invoices.get(controller.company_id, inv.id)
            p_after = uow.payments.get(controller.company_id, p.id)
            cus = uow.customers.get(controller.company_id, inv.customer_id)
        assert (inv_after.amount_paid, inv_after.amount_credited, inv_after.payment_status) == (
            usd("100.00"),
            usd("0.00"),
            "paid",
        )
        assert (p_after.amount_applied, p_after.settlement_status) == (usd("100.00"), "applied")
        assert (cus.balance, cus.available_credit) == (usd("0.00"), usd("0.00"))
        with db.uow() as uow:
            unapply(uow, controller, app.id)
        with db.uow(readonly=True) as uow:
            assert uow.invoices.get(controller.company_id, inv.id).payment_status == "unpaid"
            assert uow.payments.get(controller.company_id, p.id).amount_available == usd("100.00")

    def test_cannot_apply_more_than_received(self, db, controller):
        inv = invoice(db, controller, [line("1", "500.00")])
        p = pay(db, controller, inv.customer_id, "100.00")
        with pytest.raises(InsufficientAvailableError) as err, db.uow() as uow:
            apply_credit(
                uow,
                controller,
                source_type="payment",
                source_id=p.id,
                allocations=[AllocationInput("invoice", inv.id, "100.01")],
            )
        assert (err.value.code, err.value.field) == ("insufficient_available", "allocations")
