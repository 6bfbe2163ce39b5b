"""Applications: a posted credit memo or a payment applied to open invoices and posted debit memos
(DESIGN §2 Applications; issue 3 items 1, 5, 6, 8). Both engines."""

from __future__ import annotations

from decimal import Decimal

import pytest

from creditmemo.domain.errors import (
    CurrencyMismatchError,
    CustomerMismatchError,
    ForbiddenError,
    InsufficientAvailableError,
    InvalidTransitionError,
    MemoSettledError,
    NotFoundError,
    ValidationFailedError,
)
from creditmemo.domain.inputs import FreeLineInput
from creditmemo.domain.money import Money
from creditmemo.domain.settlement import AllocationInput, ParsedAllocation, Party, TargetType, check_allocations
from creditmemo.services.memos.create import create_debit_memo
from creditmemo.services.memos.void import void_memo
from creditmemo.services.settlement.applications import apply_credit, list_applications, unapply
from creditmemo.services.settlement.payments import record_payment
from tests.builders import DAY, credit, customer, invoice, line, post, standalone


def usd(s: str) -> Money:
    return Money(Decimal(s), "USD")


def to_invoice(inv, amount: str) -> AllocationInput:
    return AllocationInput("invoice", inv.id, amount)


def apply(db, actor, memo, *allocs, source_type="credit_memo"):
    with db.uow() as uow:
        return apply_credit(uow, actor, source_type=source_type, source_id=memo.id, allocations=list(allocs), on=DAY)


def read(db, actor, *, invoice_id=None, memo_id=None, customer_id=None):
    with db.uow(readonly=True) as uow:
        return (
            uow.invoices.get(actor.company_id, invoice_id) if invoice_id else None,
            uow.memos.get(actor.company_id, memo_id) if memo_id else None,
            uow.customers.get(actor.company_id, customer_id) if customer_id else None,
        )


def credit_account(db, actor, price: str = "300.00"):
    """A customer with a posted standalone credit memo of ``price`` and no invoices yet."""
    cus = customer(db, actor)
    memo = post(db, actor, standalone(db, actor, cus.id, price=price))
    return cus, memo


class TestApplyCreditMemoToInvoice:
    def test_moves_running_totals_on_both_sides_and_credit_not_balance(self, db, controller):
        cus, memo = credit_account(db, controller)
        inv = invoice(db, controller, [line("1", "500.00")], customer_id=cus.id)
        [app] = apply(db, controller, memo, to_invoice(inv, "120.00"))
        assert (app.amount, str(app.status), app.source_id, app.target_id) == (usd("120.00"), "active", memo.id, inv.id)
        inv_after, memo_after, cus_after = read(db, controller, invoice_id=inv.id, memo_id=memo.id, customer_id=cus.id)
        assert (inv_after.amount_credited, inv_after.amount_paid, inv_after.amount_due) == (
            usd("120.00"),
            usd("0.00"),
            usd("380.00"),
        )
        assert inv_after.payment_status == "part_paid"
        assert (memo_after.amount_applied, memo_after.amount_available) == (usd("120.00"), usd("180.00"))
        assert memo_after.settlement_status == "part_applied"
        assert cus_after.balance == usd("200.00")  # 500 invoiced - 300 credited: unchanged by applying
        assert cus_after.available_credit == usd("180.00")

    def test_writes_no_journal_entry_but_an_audit_event(self, db, controller):
        cus, memo = credit_account(db, controller)
        inv = invoice(db, controller, customer_id=cus.id)
        [app] = apply(db, controller, memo, to_invoice(inv, "100.00"))
        with db.uow(readonly=True) as uow:
            assert [e.kind for e in uow.journal.for_source(controller.company_id, memo.id)] == ["post"]
            events = uow.audit.for_entity(controller.company_id, app.id)
        assert [e.action for e in events] == ["application.created"]
        assert events[0].changes["amount"] == [None, "100.00"]

    def test_fully_applied_invoice_is_paid_and_memo_applied(self, db, controller):
        cus, memo = credit_account(db, controller, "100.00")
        inv = invoice(db, controller, [line("1", "100.00")], customer_id=cus.id)
        apply(db, controller, memo, to_invoice(inv, "100.00"))
        inv_after, memo_after, _ = read(db, controller, invoice_id=inv.id, memo_id=memo.id)
        assert (inv_after.payment_status, memo_after.settlement_status) == ("paid", "applied")
        assert inv_after.amount_due == usd("0.00")

    def test_many_memos_onto_one_invoice(self, db, controller):
        cus, first = credit_account(db, controller, "40.00")
        second = post(db, controller, standalone(db, controller, cus.id, price="60.00"))
        inv = invoice(db, controller, [line("1", "100.00")], customer_id=cus.id)
        apply(db, controller, first, to_invoice(inv, "40.00"))
        apply(db, controller, second, to_invoice(inv, "60.00"))
        inv_after, _, cus_after = read(db, controller, invoice_id=inv.id, customer_id=cus.id)
        assert (inv_after.amount_credited, inv_after.payment_status) == (usd("100.00"), "paid")
        assert cus_after.available_credit == usd("0.00")
        with db.uow(readonly=True) as uow:
            assert len(list_applications(uow, controller, target_id=inv.id)) == 2


class TestOneMemoAcrossSeveralInvoices:
    def test_each_allocation_is_checked_against_its_own_invoice(self, db, controller):
        cus, memo = credit_account(db, controller, "300.00")
        small = invoice(db, controller, [line("1", "100.00")], customer_id=cus.id)
        large = invoice(db, controller, [line("1", "250.00")], customer_id=cus.id)
        # 150 fits the memo (300) and the total due (350), but not the small invoice's own 100 due.
        with pytest.raises(InsufficientAvailableError) as err:
            apply(db, controller, memo, to_invoice(large, "100.00"), to_invoice(small, "150.00"))
        assert err.value.code == "insufficient_available"
        assert err.value.field == "allocations[1].amount"
        assert err.value.context["limit"] == "amount_due"
        small_after, memo_after, _ = read(db, controller, invoice_id=small.id, memo_id=memo.id)
        large_after, _, _ = read(db, controller, invoice_id=large.id)
        assert (small_after.amount_due, large_after.amount_due, memo_after.amount_applied) == (
            usd("100.00"),
            usd("250.00"),
            usd("0.00"),
        )

    def test_two_allocations_to_the_same_invoice_add_up(self, db, controller):
        cus, memo = credit_account(db, controller, "300.00")
        inv = invoice(db, controller, [line("1", "100.00")], customer_id=cus.id)
        with pytest.raises(InsufficientAvailableError) as err:
            apply(db, controller, memo, to_invoice(inv, "60.00"), to_invoice(inv, "60.00"))
        assert err.value.field == "allocations[1].amount"

    def test_splits_across_invoices_within_each_due(self, db, controller):
        cus, memo = credit_account(db, controller, "300.00")
        a = invoice(db, controller, [line("1", "100.00")], customer_id=cus.id)
        b = invoice(db, controller, [line("1", "250.00")], customer_id=cus.id)
        apps = apply(db, controller, memo, to_invoice(a, "100.00"), to_invoice(b, "200.00"))
        assert [x.amount for x in apps] == [usd("100.00"), usd("200.00")]
        a_after, memo_after, _ = read(db, controller, invoice_id=a.id, memo_id=memo.id)
        b_after, _, _ = read(db, controller, invoice_id=b.id)
        assert (a_after.amount_due, b_after.amount_due) == (usd("0.00"), usd("50.00"))
        assert memo_after.settlement_status == "applied"

    def test_request_over_the_memo_available_is_refused_whole(self, db, controller):
        cus, memo = credit_account(db, controller, "100.00")
        a = invoice(db, controller, [line("1", "100.00")], customer_id=cus.id)
        b = invoice(db, controller, [line("1", "100.00")], customer_id=cus.id)
        with pytest.raises(InsufficientAvailableError) as err:
            apply(db, controller, memo, to_invoice(a, "60.00"), to_invoice(b, "60.00"))
        assert (err.value.field, err.value.context["limit"]) == ("allocations", "available")
        a_after, memo_after, cus_after = read(db, controller, invoice_id=a.id, memo_id=memo.id, customer_id=cus.id)
        assert (a_after.amount_due, memo_after.amount_applied, cus_after.available_credit) == (
            usd("100.00"),
            usd("0.00"),
            usd("100.00"),
        )


class TestBadApplications:
    def test_amount_must_be_positive_and_named(self, db, controller):
        cus, memo = credit_account(db, controller)
        inv = invoice(db, controller, customer_id=cus.id)
        with pytest.raises(ValidationFailedError) as err:
            apply(db, controller, memo, to_invoice(inv, "0"), AllocationInput("invoice", inv.id, "1.001"))
        assert [(e.field, e.code) for e in err.value.errors] == [
            ("allocations[0].amount", "out_of_range"),
            ("allocations[1].amount", "too_many_decimals"),
        ]

    def test_other_customers_invoice_is_a_customer_mismatch(self, db, controller):
        _, memo = credit_account(db, controller)
        other = invoice(db, controller)  # a new customer
        with pytest.raises(CustomerMismatchError) as err:
            apply(db, controller, memo, to_invoice(other, "10.00"))
        assert (err.value.code, err.value.field) == ("customer_mismatch", "allocations[0].target_id")

    def test_draft_memo_cannot_be_applied(self, db, controller):
        cus = customer(db, controller)
        draft = standalone(db, controller, cus.id)
        inv = invoice(db, controller, customer_id=cus.id)
        with pytest.raises(InvalidTransitionError) as err:
            apply(db, controller, draft, to_invoice(inv, "10.00"))
        assert err.value.code == "invalid_transition"
        assert err.value.context["status"] == "draft"

    def test_void_memo_cannot_be_applied(self, db, controller):
        cus, memo = credit_account(db, controller)
        with db.uow() as uow:
            void_memo(uow, controller, memo.id)
        inv = invoice(db, controller, customer_id=cus.id)
        with pytest.raises(InvalidTransitionError) as err:
            apply(db, controller, memo, to_invoice(inv, "10.00"))
        assert err.value.context["status"] == "void"

    def test_unknown_invoice_is_not_found(self, db, controller):
        _, memo = credit_account(db, controller)
        with pytest.raises(NotFoundError) as err:
            apply(db, controller, memo, AllocationInput("invoice", "inv_nope", "1.00"))
        assert err.value.code == "not_found"

    def test_auditor_may_not_apply(self, db, controller, company_id):
        from creditmemo.services.actors import Actor, Role

        cus, memo = credit_account(db, controller)
        inv = invoice(db, controller, customer_id=cus.id)
        with pytest.raises(ForbiddenError) as err:
            apply(db, Actor("usr_aud", company_id, Role.AUDITOR), memo, to_invoice(inv, "1.00"))
        assert err.value.code == "forbidden"


class TestCurrencyRule:
    """Customers are billed in one currency, so a mismatch is caught by the pure rule (no DB path makes one)."""

    def test_target_in_another_currency_is_refused(self):
        source = Party("credit_memo", "cm_1", "CM-000001", "cus_1", "USD", usd("100.00"))
        target = Party("invoice", "inv_1", "INV-000001", "cus_1", "EUR", Money(Decimal("100.00"), "EUR"))
        with pytest.raises(CurrencyMismatchError) as err:
            check_allocations(source, [ParsedAllocation(TargetType.INVOICE, "inv_1", usd("10.00"))], {"inv_1": target})
        assert (err.value.code, err.value.field) == ("currency_mismatch", "allocations[0].target_id")


class TestDebitMemoTarget:
    def _debit(self, db, actor, customer_id, price="80.00", post_it=True):
        with db.uow() as uow:
            dm = create_debit_memo(
                uow,
                actor,
                customer_id=customer_id,
                currency="USD",
                reason_code="chargeback",
                lines=[FreeLineInput("Charge-back", "1", price)],
                issue_date=DAY,
            )
        return post(db, actor, dm) if post_it else dm

    def test_credit_memo_settles_a_posted_debit_memo(self, db, controller):
        cus, memo = credit_account(db, controller, "100.00")
        dm = self._debit(db, controller, cus.id)
        apply(db, controller, memo, AllocationInput("debit_memo", dm.id, "80.00"))
        _, dm_after, cus_after = read(db, controller, memo_id=dm.id, customer_id=cus.id)
        assert (dm_after.amount_applied, dm_after.amount_due) == (usd("80.00"), usd("0.00"))
        assert (cus_after.balance, cus_after.available_credit) == (usd("-20.00"), usd("20.00"))

    def test_over_the_debit_memo_due_is_refused(self, db, controller):
        cus, memo = credit_account(db, controller, "100.00")
        dm = self._debit(db, controller, cus.id)
        with pytest.raises(InsufficientAvailableError) as err:
            apply(db, controller, memo, AllocationInput("debit_memo", dm.id, "80.01"))
        assert err.value.field == "allocations[0].amount"

    def test_draft_debit_memo_is_not_payable(self, db, controller):
        cus, memo = credit_account(db, controller, "100.00")
        dm = self._debit(db, controller, cus.id, post_it=False)
        with pytest.raises(InvalidTransitionError):
            apply(db, controller, memo, AllocationInput("debit_memo", dm.id, "10.00"))

    def test_payment_pays_a_debit_memo(self, db, controller):
        cus = customer(db, controller)
        dm = self._debit(db, controller, cus.id)
        with db.uow() as uow:
            pay = record_payment(
                uow, controller, customer_id=cus.id, amount="80.00", currency="USD", received_on=DAY, method="wire"
            )
        apply(db, controller, pay, AllocationInput("debit_memo", dm.id, "80.00"), source_type="payment")
        _, dm_after, cus_after = read(db, controller, memo_id=dm.id, customer_id=cus.id)
        assert dm_after.amount_due == usd("0.00")
        assert cus_after.balance == usd("0.00")


class TestTemporaryCreditOffsetByDebitMemo:
    """Seed 003: a temporary credit, later offset by a debit memo for the same amount."""

    def test_debit_memo_takes_the_temporary_credit_back(self, db, controller):
        cus = customer(db, controller)
        inv = invoice(db, controller, [line("1", "500.00")], customer_id=cus.id)
        temp = post(db, controller, standalone(db, controller, cus.id, price="120.00", reason="temporary_credit"))
        apply(db, controller, temp, to_invoice(inv, "120.00"))
        with db.uow() as uow:
            dm = create_debit_memo(
                uow,
                controller,
                customer_id=cus.id,
                currency="USD",
                reason_code="temporary_credit",
                invoice_id=inv.id,
                lines=[FreeLineInput("Temporary credit withdrawn", "1", "120.00")],
                issue_date=DAY,
            )
        dm = post(db, controller, dm)
        with db.uow(readonly=True) as uow:
            entries = uow.journal.for_source(controller.company_id, dm.id) + uow.journal.for_source(
                controller.company_id, temp.id
            )
        assert [(ln.account, str(ln.debit.amount), str(ln.credit.amount)) for e in entries for ln in e.lines] == [
            ("1150", "0.00", "120.00"),
            ("1200", "120.00", "0.00"),  # debit memo: Dr AR, Cr clearing
            ("1150", "120.00", "0.00"),
            ("1200", "0.00", "120.00"),
        ]  # temporary credit: Dr clearing, Cr AR
        inv_after, dm_after, cus_after = read(db, controller, invoice_id=inv.id, memo_id=dm.id, customer_id=cus.id)
        assert (inv_after.amount_due, dm_after.amount_due) == (usd("380.00"), usd("120.00"))
        assert (cus_after.balance, cus_after.available_credit) == (usd("500.00"), usd("0.00"))


class TestUnapply:
    def test_marks_reversed_and_restores_both_sides(self, db, controller):
        cus, memo = credit_account(db, controller)
        inv = invoice(db, controller, customer_id=cus.id)
        [app] = apply(db, controller, memo, to_invoice(inv, "70.00"))
        with db.uow() as uow:
            reversed_ = unapply(uow, controller, app.id)
        assert str(reversed_.status) == "reversed"
        inv_after, memo_after, cus_after = read(db, controller, invoice_id=inv.id, memo_id=memo.id, customer_id=cus.id)
        assert (inv_after.amount_due, inv_after.payment_status) == (usd("100.00"), "unpaid")
        assert (memo_after.amount_applied, cus_after.available_credit) == (usd("0.00"), usd("300.00"))
        with db.uow(readonly=True) as uow:
            [kept] = list_applications(uow, controller, source_id=memo.id)
            actions = [e.action for e in uow.audit.for_entity(controller.company_id, app.id)]
        assert (kept.id, str(kept.status), kept.reversed_by) == (app.id, "reversed", controller.user_id)
        assert actions == ["application.created", "application.reversed"]

    def test_unapplying_twice_is_an_invalid_transition_and_changes_nothing(self, db, controller):
        cus, memo = credit_account(db, controller)
        inv = invoice(db, controller, customer_id=cus.id)
        [app] = apply(db, controller, memo, to_invoice(inv, "70.00"))
        with db.uow() as uow:
            unapply(uow, controller, app.id)
        with pytest.raises(InvalidTransitionError) as err, db.uow() as uow:
            unapply(uow, controller, app.id)
        assert (err.value.code, err.value.context["status"]) == ("invalid_transition", "reversed")
        _, memo_after, _ = read(db, controller, memo_id=memo.id)
        assert memo_after.amount_applied == usd("0.00")


class TestAutoApplyOnPost:
    def test_memo_from_invoice_applies_itself_up_to_the_amount_due(self, db, controller):
        inv = invoice(db, controller, [line("2", "100.00")])
        posted = post(
            db, controller, credit(db, controller, inv, [__import__("tests.builders").builders.by_qty(inv, 0, "1")])
        )
        assert posted.amount_applied == usd("100.00")
        inv_after, memo_after, cus_after = read(
            db, controller, invoice_id=inv.id, memo_id=posted.id, customer_id=inv.customer_id
        )
        assert (inv_after.amount_credited, inv_after.amount_due) == (usd("100.00"), usd("100.00"))
        assert memo_after.settlement_status == "applied"
        assert (cus_after.balance, cus_after.available_credit) == (usd("100.00"), usd("0.00"))

    def test_rest_stays_as_account_credit_when_invoice_was_paid(self, db, controller):
        inv = invoice(db, controller, [line("2", "100.00")])
        with db.uow() as uow:
            pay = record_payment(
                uow,
                controller,
                customer_id=inv.customer_id,
                amount="150.00",
                currency="USD",
                received_on=DAY,
                method="card",
            )
        apply(db, controller, pay, to_invoice(inv, "150.00"), source_type="payment")
        posted = post(db, controller, credit(db, controller, inv))  # credits the whole 200
        assert (posted.amount_applied, posted.amount_available) == (usd("50.00"), usd("150.00"))
        inv_after, _, cus_after = read(db, controller, invoice_id=inv.id, customer_id=inv.customer_id)
        assert (inv_after.amount_due, inv_after.payment_status) == (usd("0.00"), "paid")
        assert (cus_after.balance, cus_after.available_credit) == (usd("-150.00"), usd("150.00"))

    def test_auto_apply_false_leaves_it_as_credit(self, db, controller):
        inv = invoice(db, controller)
        posted = post(db, controller, credit(db, controller, inv, auto_apply=False))
        assert posted.amount_applied == usd("0.00")
        with db.uow(readonly=True) as uow:
            assert list_applications(uow, controller, source_id=posted.id) == []


class TestVoidAfterSettlement:
    def test_void_refused_while_applied_then_succeeds_after_unapply(self, db, controller):
        inv = invoice(db, controller, [line("1", "100.00")])
        posted = post(db, controller, credit(db, controller, inv))
        with pytest.raises(MemoSettledError) as err, db.uow() as uow:
            void_memo(uow, controller, posted.id)
        assert err.value.code == "memo_settled"
        with db.uow(readonly=True) as uow:
            [app] = list_applications(uow, controller, source_id=posted.id)
        with db.uow() as uow:
            unapply(uow, controller, app.id)
        with db.uow() as uow:
            void_memo(uow, controller, posted.id)
        inv_after, memo_after, cus_after = read(
            db, controller, invoice_id=inv.id, memo_id=posted.id, customer_id=inv.customer_id
        )
        assert str(memo_after.status) == "void"
        assert (inv_after.amount_due, inv_after.payment_status) == (usd("100.00"), "unpaid")
        assert (cus_after.balance, cus_after.available_credit) == (usd("100.00"), usd("0.00"))
