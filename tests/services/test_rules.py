"""The seven rules that must never break (DESIGN §2), on both engines, and bad input as typed errors
that write nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from creditmemo.domain.documents import Memo
from creditmemo.domain.errors import (
    CurrencyMismatchError,
    DomainError,
    InvalidTransitionError,
    OverCreditError,
    PostedIsFinalError,
    ValidationFailedError,
)
from creditmemo.domain.inputs import CreditLineInput, FreeLineInput
from creditmemo.domain.lifecycle import Status
from creditmemo.domain.money import Money
from creditmemo.services.memos.create import create_debit_memo, create_standalone_credit_memo
from creditmemo.services.memos.discard import discard_memo
from creditmemo.services.memos.edit import update_memo
from creditmemo.services.memos.void import void_memo
from creditmemo.services.reports import reconcile, trial_balance
from creditmemo.store import tables as t
from creditmemo.store.uow import Database
from tests.builders import by_amount, by_qty, credit, customer, expect_journal, invoice, line, post, standalone

D = Decimal


def usd(s: str) -> Money:
    return Money(D(s), "USD")


def counts(db: Database, company_id: str) -> dict[str, object]:
    """Everything a failed request must not have changed: rows per table and the number counters."""
    tabs = [
        t.customers,
        t.invoices,
        t.invoice_lines,
        t.memos,
        t.memo_lines,
        t.journal_entries,
        t.journal_lines,
        t.applications,
        t.audit_events,
    ]
    with db.uow(readonly=True) as uow:
        result: dict[str, object] = {
            tab.name: uow.conn.execute(
                select(func.count()).select_from(tab).where(tab.c.company_id == company_id)
            ).scalar()
            for tab in tabs
        }
        result["sequences"] = sorted(
            uow.conn.execute(
                select(t.number_sequences.c.doc_type, t.number_sequences.c.next_value).where(
                    t.number_sequences.c.company_id == company_id
                )
            ).all()
        )
        result["credited"] = sorted(
            uow.conn.execute(
                select(
                    t.invoice_lines.c.id,
                    t.invoice_lines.c.credited_quantity,
                    t.invoice_lines.c.credited_net_minor,
                    t.invoice_lines.c.credited_tax_minor,
                ).where(t.invoice_lines.c.company_id == company_id)
            ).all()
        )
        result["balances"] = sorted(
            uow.conn.execute(
                select(t.customers.c.id, t.customers.c.balance_minor, t.customers.c.available_credit_minor).where(
                    t.customers.c.company_id == company_id
                )
            ).all()
        )
    return result


E = TypeVar("E", bound=DomainError)


def fails_writing_nothing(db: Database, company_id: str, call: Callable[[], object], error: type[E]) -> E:
    before = counts(db, company_id)
    with pytest.raises(error) as err:
        call()
    assert counts(db, company_id) == before
    return err.value


def memo_state(db, actor, memo_id):
    with db.uow(readonly=True) as uow:
        return uow.memos.get(actor.company_id, memo_id), uow.journal.for_source(actor.company_id, memo_id)


# rule 1 -------------------------------------------------------------------------------------------
class TestNoOverCredit:
    def test_draft_beyond_the_line_quantity_is_refused_on_save(self, db, controller):
        inv = invoice(db, controller, [line("10", "100.00", "8.25")])
        err = fails_writing_nothing(
            db,
            controller.company_id,
            lambda: credit(db, controller, inv, [by_qty(inv, 0, "10.000001")]),
            OverCreditError,
        )
        assert (err.code, err.field) == ("over_credit", "lines[0].quantity")

    def test_draft_beyond_the_line_amount_is_refused_on_save(self, db, controller):
        inv = invoice(db, controller, [line("1", "5.00"), line("10", "100.00", "8.25")])
        err = fails_writing_nothing(
            db,
            controller.company_id,
            lambda: credit(db, controller, inv, [by_amount(inv, 1, "1000.01")]),
            OverCreditError,
        )
        assert (err.code, err.field) == ("over_credit", "lines[0].amount")

    def test_draft_beyond_what_posted_credit_left_is_refused_on_save(self, db, controller):
        inv = invoice(db, controller, [line("10", "100.00", "8.25")])
        post(db, controller, credit(db, controller, inv, [by_qty(inv, 0, "6")]))
        err = fails_writing_nothing(
            db, controller.company_id, lambda: credit(db, controller, inv, [by_qty(inv, 0, "5")]), OverCreditError
        )
        assert err.field == "lines[0].quantity"
        err = fails_writing_nothing(
            db,
            controller.company_id,
            lambda: credit(db, controller, inv, [by_amount(inv, 0, "400.01")]),
            OverCreditError,
        )
        assert err.field == "lines[0].amount"
        assert credit(db, controller, inv, [by_qty(inv, 0, "4")]).subtotal == usd("400.00")

    def test_fully_credited_invoice_cannot_be_pre_populated_again(self, db, controller):
        inv = invoice(db, controller, [line("2", "50.00")])
        post(db, controller, credit(db, controller, inv))
        err = fails_writing_nothing(db, controller.company_id, lambda: credit(db, controller, inv), OverCreditError)
        assert (err.code, err.field) == ("over_credit", "invoice_id")

    @pytest.mark.parametrize("by", ["quantity", "amount"])
    def test_second_of_two_drafts_for_one_line_is_refused_at_post_and_writes_nothing(self, db, controller, by):
        inv = invoice(db, controller, [line("4", "25.00", "8.25")])
        pick = (lambda: [by_qty(inv, 0, "4")]) if by == "quantity" else (lambda: [by_amount(inv, 0, "100.00")])
        first = credit(db, controller, inv, pick(), auto_apply=False)
        second = credit(db, controller, inv, pick(), auto_apply=False)
        post(db, controller, first)
        err = fails_writing_nothing(db, controller.company_id, lambda: post(db, controller, second), OverCreditError)
        assert (err.code, err.field) == ("over_credit", f"lines[0].{by}")
        memo, entries = memo_state(db, controller, second.id)
        assert memo.status is Status.DRAFT
        assert entries == []
        with db.uow(readonly=True) as uow:
            inv_line = uow.invoices.get(controller.company_id, inv.id).lines[0]
            cus = uow.customers.get(controller.company_id, inv.customer_id)
        assert (inv_line.credited_net, inv_line.credited_tax) == (usd("100.00"), usd("8.25"))
        assert cus.balance == usd("0.00")
        assert cus.available_credit == usd("108.25")

    def test_editing_a_draft_beyond_what_is_left_is_refused(self, db, controller):
        inv = invoice(db, controller, [line("10", "10.00")])
        post(db, controller, credit(db, controller, inv, [by_qty(inv, 0, "7")]))
        draft = credit(db, controller, inv, [by_qty(inv, 0, "1")])

        def edit():
            with db.uow() as uow:
                update_memo(uow, controller, draft.id, lines=[by_qty(inv, 0, "4")])

        err = fails_writing_nothing(db, controller.company_id, edit, OverCreditError)
        assert (err.code, err.field) == ("over_credit", "lines[0].quantity")

    def test_after_a_void_the_losing_draft_can_post(self, db, controller):
        inv = invoice(db, controller, [line("2", "10.01", "8.25")])
        winner = credit(db, controller, inv, auto_apply=False, issue_date="2026-03-02")
        loser = credit(db, controller, inv, auto_apply=False, issue_date="2026-03-02")
        post(db, controller, winner)
        fails_writing_nothing(db, controller.company_id, lambda: post(db, controller, loser), OverCreditError)
        with db.uow() as uow:
            void_memo(uow, controller, winner.id, on="2026-03-03")
        assert post(db, controller, loser).total == usd("21.67")
        with db.uow(readonly=True) as uow:
            inv_line = uow.invoices.get(controller.company_id, inv.id).lines[0]
        assert (inv_line.credited_net, inv_line.credited_tax) == (usd("20.02"), usd("1.65"))

    def test_two_lines_second_over_credited_names_its_index(self, db, controller):
        inv = invoice(db, controller, [line("1", "10.00"), line("1", "20.00")])
        other = credit(db, controller, inv, [by_qty(inv, 1, "1")], auto_apply=False)
        both = credit(db, controller, inv, [by_qty(inv, 0, "1"), by_qty(inv, 1, "1")], auto_apply=False)
        post(db, controller, other)
        err = fails_writing_nothing(db, controller.company_id, lambda: post(db, controller, both), OverCreditError)
        assert err.field == "lines[1].quantity"


# rule 2 -------------------------------------------------------------------------------------------
class TestTaxFollowsTheInvoice:
    def test_the_second_half_posted_takes_exactly_the_remaining_tax(self, db, controller):
        inv = invoice(db, controller, [line("2", "10.01", "8.25")])  # net 20.02, tax 1.65165 -> 1.65
        assert inv.lines[0].tax == usd("1.65")
        a = credit(db, controller, inv, [by_qty(inv, 0, "1")], auto_apply=False)
        b = credit(db, controller, inv, [by_qty(inv, 0, "1")], auto_apply=False)
        assert a.tax_total == b.tax_total == usd("0.83")  # 0.825825 each, as drafts
        post(db, controller, a)
        posted = post(db, controller, b)
        assert (posted.subtotal, posted.tax_total, posted.total) == (usd("10.01"), usd("0.82"), usd("10.83"))
        memo, entries = memo_state(db, controller, b.id)
        assert memo.lines[0].tax == usd("0.82")
        assert memo.total == usd("10.83")
        expect_journal(
            entries[0],
            """
            Dr 4900 10.01 USD
            Dr 2200 0.82 USD
            Cr 1200 10.83 USD
        """,
        )
        with db.uow(readonly=True) as uow:
            inv_line = uow.invoices.get(controller.company_id, inv.id).lines[0]
        assert (inv_line.credited_net, inv_line.credited_tax) == (usd("20.02"), usd("1.65"))

    def test_voiding_the_completing_piece_gives_back_exactly_its_repriced_tax(self, db, controller):
        inv = invoice(db, controller, [line("2", "10.01", "8.25")])
        a = credit(db, controller, inv, [by_qty(inv, 0, "1")], auto_apply=False, issue_date="2026-03-02")
        b = credit(db, controller, inv, [by_qty(inv, 0, "1")], auto_apply=False, issue_date="2026-03-02")
        post(db, controller, a)
        post(db, controller, b)
        with db.uow() as uow:
            void_memo(uow, controller, b.id, on="2026-03-02")
        with db.uow(readonly=True) as uow:
            inv_line = uow.invoices.get(controller.company_id, inv.id).lines[0]
            cus = uow.customers.get(controller.company_id, inv.customer_id)
        assert (inv_line.credited_quantity, inv_line.credited_net, inv_line.credited_tax) == (
            D(1),
            usd("10.01"),
            usd("0.83"),
        )
        assert cus.balance == inv.total - usd("10.84")
        c = credit(db, controller, inv, [by_qty(inv, 0, "1")], auto_apply=False)
        assert c.tax_total == usd("0.82")  # completing again: the remaining tax, at save already

    def test_credit_line_takes_the_invoice_lines_rate(self, db, controller):
        inv = invoice(db, controller, [line("3", "100.00", "19")])
        memo = credit(db, controller, inv, [by_amount(inv, 0, "50.00")])
        assert (memo.lines[0].tax_rate, memo.lines[0].tax) == (D("19"), usd("9.50"))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pieces=st.lists(st.tuples(st.booleans(), st.integers(1, 99)), min_size=1, max_size=5),
    currency_rate=st.sampled_from([("USD", None), ("JPY", "0.0067"), ("KWD", "3.2616")]),
)
def test_posting_a_line_in_random_pieces_nets_its_tax_and_keeps_the_books(db, controller, pieces, currency_rate):
    """Rule 2 through the services: drafts saved first, then posted in turn; the last takes the rest."""
    currency, rate = currency_rate
    cus = customer(db, controller, currency)
    price = {"USD": "19.99", "JPY": "1999", "KWD": "19.999"}[currency]
    inv = invoice(db, controller, [line("7", price, "8.25")], currency=currency, rate=rate, customer_id=cus.id)
    target = inv.lines[0]
    q = Money.from_minor(1, currency).amount
    drafts = []
    left_qty, left_net = target.quantity, target.net.amount
    for by_quantity, percent in pieces:
        if by_quantity:
            qty = (left_qty * percent / 100).quantize(D("0.01"))
            piece_net = Money.rounded(target.net.amount * qty / target.quantity, currency).amount
            if qty <= 0 or qty >= left_qty or not 0 < piece_net < left_net:
                continue  # leave something on the line for the last piece
            left_qty -= qty
            left_net -= piece_net
            drafts.append(credit(db, controller, inv, [by_qty(inv, 0, str(qty))], auto_apply=False))
        else:
            amount = (left_net * percent / 100).quantize(q)
            if amount <= 0 or amount >= left_net:
                continue
            left_net -= amount
            drafts.append(credit(db, controller, inv, [by_amount(inv, 0, str(amount))], auto_apply=False))
    posted = [post(db, controller, d) for d in drafts]
    with db.uow(readonly=True) as uow:
        remaining = uow.invoices.get(controller.company_id, inv.id).lines[0]
    if remaining.remaining_net.is_positive():
        rest = credit(db, controller, inv, [by_amount(inv, 0, str(remaining.remaining_net.amount))], auto_apply=False)
        posted.append(post(db, controller, rest))
    assert sum((m.tax_total.amount for m in posted), D(0)) == target.tax.amount
    assert sum((m.subtotal.amount for m in posted), D(0)) == target.net.amount
    with db.uow(readonly=True) as uow:
        done = uow.invoices.get(controller.company_id, inv.id).lines[0]
        balance = uow.customers.get(controller.company_id, cus.id).balance
        assert reconcile(uow, controller).ok
    assert (done.credited_net, done.credited_tax) == (target.net, target.tax)
    assert balance == Money.zero(currency)


# rule 3 -------------------------------------------------------------------------------------------
class TestCurrencyAndRateFollowTheInvoice:
    def test_asking_for_another_currency_is_a_currency_mismatch(self, db, controller):
        inv = invoice(db, controller, [line("1", "100.00")])
        err = fails_writing_nothing(
            db, controller.company_id, lambda: credit(db, controller, inv, currency="EUR"), CurrencyMismatchError
        )
        assert (err.code, err.field) == ("currency_mismatch", "currency")

    def test_eur_invoice_credited_whole_reverses_the_functional_amounts_exactly(self, db, controller):
        inv = invoice(
            db,
            controller,
            [line("3", "333.33", "19"), line("7", "0.07", "7"), line("1", "1234.57", "8.25")],
            currency="EUR",
            rate="1.085",
        )
        memo = credit(db, controller, inv, currency="EUR")
        assert (memo.currency, memo.exchange_rate) == ("EUR", D("1.085"))
        post(db, controller, memo)
        with db.uow(readonly=True) as uow:
            (inv_entry,) = uow.journal.for_source(controller.company_id, inv.id)
            (memo_entry,) = uow.journal.for_source(controller.company_id, memo.id)

        def functional(entry, account):
            return sum(
                line.functional_debit.amount - line.functional_credit.amount
                for line in entry.lines
                if line.account == account
            )

        assert functional(inv_entry, "1200") == -functional(memo_entry, "1200") != 0
        assert functional(inv_entry, "2200") == -functional(memo_entry, "2200") != 0
        assert functional(inv_entry, "4000") == -functional(memo_entry, "4900") != 0
        assert memo_entry.exchange_rate == inv_entry.exchange_rate == D("1.085")
        assert all(ln.functional_debit.currency == "USD" for ln in memo_entry.lines)


# rule 4 -------------------------------------------------------------------------------------------
class TestPostedIsFinal:
    @pytest.fixture
    def posted(self, db, controller):
        inv = invoice(db, controller, [line("2", "50.00", "10")])
        return post(db, controller, credit(db, controller, inv, auto_apply=False, issue_date="2026-03-02"))

    def _assert_invalid(self, err: DomainError, action: str, status: str = "posted", allowed=("void",)) -> None:
        assert err.code == "invalid_transition"
        assert err.context == {"status": status, "action": action, "allowed_actions": list(allowed)}

    def test_edit_discard_and_post_are_refused_naming_status_and_allowed_actions(self, db, controller, posted):
        cid = controller.company_id

        def edit():  # past draft only the text and metadata change (issue 17): a new reference is refused
            with db.uow() as uow:
                update_memo(uow, controller, posted.id, reference="changed")

        def discard():
            with db.uow() as uow:
                discard_memo(uow, controller, posted.id, reason="no")

        final = fails_writing_nothing(db, cid, edit, PostedIsFinalError)
        assert (final.code, final.field, final.context["memo_status"]) == ("posted_is_final", "reference", "posted")
        self._assert_invalid(fails_writing_nothing(db, cid, discard, InvalidTransitionError), "discard")
        self._assert_invalid(
            fails_writing_nothing(db, cid, lambda: post(db, controller, posted), InvalidTransitionError), "post"
        )

    def test_void_writes_a_reversing_entry_dated_the_void_date(self, db, controller, posted):
        with db.uow() as uow:
            voided = void_memo(uow, controller, posted.id, on="2026-04-30")
        assert (voided.status, str(voided.void_date)) == (Status.VOID, "2026-04-30")
        _, entries = memo_state(db, controller, posted.id)
        assert [(e.kind, str(e.date)) for e in entries] == [("post", "2026-03-02"), ("void", "2026-04-30")]
        expect_journal(
            entries[1],
            """
            Cr 4900 100.00 USD
            Cr 2200 10.00 USD
            Dr 1200 110.00 USD
        """,
        )
        for a, b in zip(entries[0].lines, entries[1].lines, strict=True):
            assert (a.functional_debit, a.functional_credit) == (b.functional_credit, b.functional_debit)
        err = fails_writing_nothing(
            db, controller.company_id, lambda: post(db, controller, posted), InvalidTransitionError
        )
        self._assert_invalid(err, "post", status="void", allowed=())

    def test_void_gives_the_credit_back_to_the_invoice_line(self, db, controller, posted):
        with db.uow() as uow:
            void_memo(uow, controller, posted.id, on="2026-03-02")
        with db.uow(readonly=True) as uow:
            inv = uow.invoices.get(controller.company_id, posted.invoice_id)
        inv_line = inv.lines[0]
        assert (inv_line.credited_quantity, inv_line.credited_net, inv_line.credited_tax) == (
            0,
            usd("0.00"),
            usd("0.00"),
        )
        assert credit(db, controller, inv).total == usd("110.00")  # the whole line is creditable again


# rule 5 -------------------------------------------------------------------------------------------
def test_trial_balance_balances_and_ar_equals_customer_balances(db, controller):
    cid = controller.company_id
    acme = customer(db, controller, "USD", "Acme")
    globex = customer(db, controller, "EUR", "Globex")
    inv1 = invoice(db, controller, [line("3", "33.33", "8.25"), line("1", "0.05", "7.5")], customer_id=acme.id)
    inv2 = invoice(db, controller, [line("7", "13.37", "19")], currency="EUR", rate="1.0850", customer_id=globex.id)
    post(db, controller, credit(db, controller, inv1, [by_qty(inv1, 0, "1")]))
    post(db, controller, credit(db, controller, inv2, [by_amount(inv2, 0, "10.01")], auto_apply=False))
    voided = post(db, controller, credit(db, controller, inv1, [by_qty(inv1, 1, "1")], auto_apply=False))
    with db.uow() as uow:
        void_memo(uow, controller, voided.id)
    post(db, controller, standalone(db, controller, acme.id, price="12.34"))
    with db.uow() as uow:
        dm = create_debit_memo(
            uow,
            controller,
            customer_id=globex.id,
            currency="EUR",
            exchange_rate="1.0912",
            reason_code="chargeback",
            lines=[FreeLineInput("Charge-back", "1", "99.99", tax_rate="19")],
        )
    post(db, controller, dm)

    jl, je = t.journal_lines, t.journal_entries
    with db.uow(readonly=True) as uow:
        totals = uow.conn.execute(
            select(
                func.sum(jl.c.debit_minor),
                func.sum(jl.c.credit_minor),
                func.sum(jl.c.functional_debit_minor),
                func.sum(jl.c.functional_credit_minor),
            ).where(jl.c.company_id == cid)
        ).one()
        by_currency = uow.conn.execute(
            select(
                je.c.currency,
                func.sum(jl.c.debit_minor),
                func.sum(jl.c.credit_minor),
            )
            .join(je, je.c.id == jl.c.entry_id)
            .where(jl.c.company_id == cid)
            .group_by(je.c.currency)
        ).all()
        ar_by_customer = dict(
            uow.conn.execute(
                select(
                    jl.c.customer_id,
                    func.sum(jl.c.debit_minor - jl.c.credit_minor),
                )
                .where(jl.c.company_id == cid, jl.c.account_code == "1200")
                .group_by(jl.c.customer_id)
            ).all()
        )
        ar_functional = uow.conn.execute(
            select(func.sum(jl.c.functional_debit_minor - jl.c.functional_credit_minor)).where(
                jl.c.company_id == cid, jl.c.account_code == "1200"
            )
        ).scalar()
        customers = {c: uow.customers.get(cid, c) for c in (acme.id, globex.id)}
        tb = trial_balance(uow, controller)
        rec = reconcile(uow, controller)
    assert totals[2] == totals[3]
    assert {cur for cur, *_ in by_currency} == {"USD", "EUR"}
    assert all(int(d) == int(c) for _cur, d, c in by_currency)
    assert {k: int(v) for k, v in ar_by_customer.items()} == {c: cus.balance.to_minor() for c, cus in customers.items()}
    assert tb.balanced
    assert tb.total_debit.to_minor() == int(totals[2])
    ar_row = next(r for r in tb.rows if r.account == "1200")
    assert ar_row.balance.to_minor() == int(ar_functional)
    assert rec.ok, rec.problems


# rule 6 -------------------------------------------------------------------------------------------
class TestGaplessNumbers:
    def test_each_document_type_numbers_in_its_own_sequence(self, db, controller):
        cus = customer(db, controller)
        inv = invoice(db, controller, [line("10", "10.00")], customer_id=cus.id)
        numbers = [credit(db, controller, inv, [by_qty(inv, 0, "1")]).number]
        with db.uow() as uow:
            dm = create_debit_memo(
                uow,
                controller,
                customer_id=cus.id,
                currency="USD",
                reason_code="chargeback",
                lines=[FreeLineInput("Charge", "1", "5.00")],
            )
        numbers.append(dm.number)
        numbers.append(standalone(db, controller, cus.id).number)
        # a failed create (over_credit, validation) takes no number
        fails_writing_nothing(
            db, controller.company_id, lambda: credit(db, controller, inv, [by_qty(inv, 0, "11")]), OverCreditError
        )
        fails_writing_nothing(
            db,
            controller.company_id,
            lambda: credit(db, controller, inv, [by_qty(inv, 0, "-1")]),
            ValidationFailedError,
        )
        discarded = credit(db, controller, inv, [by_qty(inv, 0, "1")])
        with db.uow() as uow:
            discard_memo(uow, controller, discarded.id, reason="duplicate")
        voided = post(db, controller, credit(db, controller, inv, [by_qty(inv, 0, "1")], auto_apply=False))
        with db.uow() as uow:
            void_memo(uow, controller, voided.id)
        with db.uow() as uow:
            dm2 = create_debit_memo(
                uow,
                controller,
                customer_id=cus.id,
                currency="USD",
                reason_code="chargeback",
                lines=[FreeLineInput("Charge", "1", "5.00")],
            )
        last = credit(db, controller, inv, [by_qty(inv, 0, "1")])
        numbers += [discarded.number, voided.number, dm2.number, last.number]
        assert numbers == ["CM-000001", "DM-000001", "CM-000002", "CM-000003", "CM-000004", "DM-000002", "CM-000005"]
        assert inv.number == "INV-000001"
        with db.uow(readonly=True) as uow:
            kept = [uow.memos.get(controller.company_id, m.id) for m in (discarded, voided)]
        assert [(k.number, str(k.status)) for k in kept] == [("CM-000003", "discarded"), ("CM-000004", "void")]


# rule 7 -------------------------------------------------------------------------------------------
class TestNothingIsDeleted:
    @pytest.mark.parametrize("reason", [None, "", "   ", 42, "x" * 2001])
    def test_discard_needs_a_reason(self, db, controller, reason):
        inv = invoice(db, controller)
        memo = credit(db, controller, inv)

        def discard():
            with db.uow() as uow:
                discard_memo(uow, controller, memo.id, reason=reason)

        err = fails_writing_nothing(db, controller.company_id, discard, ValidationFailedError)
        assert (err.code, err.field, err.errors[0].code) == ("validation_error", "reason", "required")

    def test_discard_removes_lines_and_keeps_header_and_number(self, db, controller):
        inv = invoice(db, controller, [line("1", "10.00"), line("2", "20.00", "5")])
        memo = credit(db, controller, inv, reason="price_correction")
        with db.uow() as uow:
            discard_memo(uow, controller, memo.id, reason="  Entered twice ")
        kept, entries = memo_state(db, controller, memo.id)
        assert (kept.number, kept.status, kept.customer_id, kept.invoice_id, kept.reason_code, kept.discard_reason) == (
            memo.number,
            Status.DISCARDED,
            memo.customer_id,
            inv.id,
            "price_correction",
            "Entered twice",
        )
        assert kept.lines == ()
        assert kept.total == usd("0.00")
        assert entries == []
        with db.uow(readonly=True) as uow:
            assert (
                uow.conn.execute(
                    select(func.count()).select_from(t.memo_lines).where(t.memo_lines.c.memo_id == memo.id)
                ).scalar()
                == 0
            )
            events = uow.audit.for_entity(controller.company_id, memo.id)
        assert [e.action for e in events] == ["credit_memo.created", "credit_memo.discarded"]
        assert events[1].changes == {
            "status": ["draft", "discarded"],
            "reason": [None, "Entered twice"],
            "lines": [2, 0],
            "total": ["52.00", "0"],
        }

    def test_every_change_is_an_audit_event_with_before_and_after(self, db, controller):
        inv = invoice(db, controller, [line("4", "25.00", "8.25")])
        memo = credit(db, controller, inv, [by_qty(inv, 0, "1")], auto_apply=False, issue_date="2026-03-02")
        with db.uow() as uow:
            update_memo(uow, controller, memo.id, memo_text="Two units damaged", lines=[by_qty(inv, 0, "2")])
        post(db, controller, memo)
        with db.uow() as uow:
            void_memo(uow, controller, memo.id, on="2026-03-09", reason="Wrong customer")
        with db.uow(readonly=True) as uow:
            events = uow.audit.for_entity(controller.company_id, memo.id)
        assert [(e.action, e.entity_type, e.entity_id) for e in events] == [
            ("credit_memo.created", "credit_memo", memo.id),
            ("credit_memo.updated", "credit_memo", memo.id),
            ("credit_memo.posted", "credit_memo", memo.id),
            ("credit_memo.voided", "credit_memo", memo.id),
        ]
        created, updated, posted, voided = (e.changes for e in events)
        assert created["number"] == [None, memo.number]
        assert created["status"] == [None, "draft"]
        assert created["total"] == [None, "27.06"]
        assert updated == {"memo_text": [None, "Two units damaged"], "total": ["27.06", "54.13"], "lines": [1, 1]}
        assert posted == {"status": ["draft", "posted"]}
        assert voided == {
            "status": ["posted", "void"],
            "void_date": [None, "2026-03-09"],
            "reason": [None, "Wrong customer"],
        }
        assert all(e.actor_label == "test controller" for e in events)
        assert [e.seq for e in events] == sorted(e.seq for e in events)


# bad input ----------------------------------------------------------------------------------------
class TestBadInput:
    def _field_codes(self, err: DomainError) -> list[tuple[str, str]]:
        assert isinstance(err, ValidationFailedError)
        assert err.code == "validation_error"
        return [(e.field, e.code) for e in err.errors]

    @pytest.mark.parametrize(
        ("qty", "code"),
        [
            ("0", "out_of_range"),
            ("-1", "out_of_range"),
            ("1.0000001", "too_many_decimals"),
            ("one", "invalid_decimal"),
            (1.5, "not_a_decimal_string"),
        ],
    )
    def test_bad_credit_quantity(self, db, controller, qty, code):
        inv = invoice(db, controller, [line("10", "10.00")])
        err = fails_writing_nothing(
            db, controller.company_id, lambda: credit(db, controller, inv, [by_qty(inv, 0, qty)]), ValidationFailedError
        )
        assert self._field_codes(err) == [("lines[0].quantity", code)]

    @pytest.mark.parametrize(
        ("amount", "code"), [("0", "out_of_range"), ("-5.00", "out_of_range"), ("1.001", "too_many_decimals")]
    )
    def test_bad_credit_amount(self, db, controller, amount, code):
        inv = invoice(db, controller, [line("10", "10.00")])
        err = fails_writing_nothing(
            db,
            controller.company_id,
            lambda: credit(db, controller, inv, [by_amount(inv, 0, amount)]),
            ValidationFailedError,
        )
        assert self._field_codes(err) == [("lines[0].amount", code)]

    def test_jpy_amount_with_decimals(self, db, controller):
        inv = invoice(db, controller, [line("1", "1000")], currency="JPY", rate="0.0067")
        err = fails_writing_nothing(
            db,
            controller.company_id,
            lambda: credit(db, controller, inv, [by_amount(inv, 0, "10.5")]),
            ValidationFailedError,
        )
        assert self._field_codes(err) == [("lines[0].amount", "too_many_decimals")]

    def test_credit_rounding_to_zero(self, db, controller):
        inv = invoice(db, controller, [line("1", "1.00")])
        err = fails_writing_nothing(
            db,
            controller.company_id,
            lambda: credit(db, controller, inv, [by_qty(inv, 0, "0.001")]),
            ValidationFailedError,
        )
        assert self._field_codes(err) == [("lines[0].quantity", "zero_amount")]

    def test_line_not_on_the_invoice(self, db, controller):
        inv = invoice(db, controller, [line("1", "10.00")])
        other = invoice(db, controller, [line("1", "10.00")], customer_id=inv.customer_id)
        err = fails_writing_nothing(
            db,
            controller.company_id,
            lambda: credit(db, controller, inv, [CreditLineInput(other.lines[0].id, quantity="1")]),
            ValidationFailedError,
        )
        assert self._field_codes(err) == [("lines[0].invoice_line_id", "not_on_invoice")]
        assert err.field == "lines[0].invoice_line_id"

    def test_every_bad_line_is_reported(self, db, controller):
        inv = invoice(db, controller, [line("1", "10.00"), line("1", "10.00")])
        err = fails_writing_nothing(
            db,
            controller.company_id,
            lambda: credit(
                db,
                controller,
                inv,
                [
                    CreditLineInput("il_nope"),
                    by_qty(inv, 1, "-2"),
                    CreditLineInput(inv.lines[1].id, quantity="1", amount="1"),
                ],
            ),
            ValidationFailedError,
        )
        assert self._field_codes(err) == [
            ("lines[0].invoice_line_id", "not_on_invoice"),
            ("lines[1].quantity", "out_of_range"),
            ("lines[2].invoice_line_id", "duplicate"),
        ]

    @pytest.mark.parametrize("rate", ["100.01", "-1", "8.12345"])
    def test_tax_rate_outside_0_to_100_on_an_invoice(self, db, controller, rate):
        cus = customer(db, controller)
        err = fails_writing_nothing(
            db,
            controller.company_id,
            lambda: invoice(db, controller, [line("1", "10.00"), line("1", "10.00", rate)], customer_id=cus.id),
            ValidationFailedError,
        )
        code = "too_many_decimals" if rate == "8.12345" else "out_of_range"
        assert self._field_codes(err) == [("lines[1].tax_rate", code)]

    def test_tax_rate_outside_0_to_100_on_a_standalone_memo(self, db, controller):
        cus = customer(db, controller)

        def create():
            with db.uow() as uow:
                create_standalone_credit_memo(
                    uow,
                    controller,
                    customer_id=cus.id,
                    currency="USD",
                    reason_code="goodwill",
                    lines=[FreeLineInput("x", "1", "10.00", tax_rate="101")],
                )

        err = fails_writing_nothing(db, controller.company_id, create, ValidationFailedError)
        assert self._field_codes(err) == [("lines[0].tax_rate", "out_of_range")]

    @pytest.mark.parametrize("currency", ["XYZ", "usd", None, ""])
    def test_unknown_currency(self, db, controller, currency):
        cus = customer(db, controller)

        def create():
            with db.uow() as uow:
                create_standalone_credit_memo(
                    uow,
                    controller,
                    customer_id=cus.id,
                    currency=currency,
                    reason_code="goodwill",
                    lines=[FreeLineInput("x", "1", "10.00")],
                )

        err = fails_writing_nothing(db, controller.company_id, create, ValidationFailedError)
        assert self._field_codes(err) == [("currency", "unknown_currency")]
        err = fails_writing_nothing(
            db,
            controller.company_id,
            lambda: invoice(db, controller, [line()], currency=currency, customer_id=cus.id),
            ValidationFailedError,
        )
        assert self._field_codes(err) == [("currency", "unknown_currency")]

    def test_memo_in_another_currency_than_its_invoice(self, db, controller):
        inv = invoice(db, controller, [line("1", "10.00")], currency="EUR", rate="1.1")
        for asked in ("USD", "JPY"):

            def credit_in(currency: str = asked) -> Memo:
                return credit(db, controller, inv, currency=currency)

            err = fails_writing_nothing(db, controller.company_id, credit_in, CurrencyMismatchError)
            assert (err.code, err.field) == ("currency_mismatch", "currency")

    def test_standalone_memo_in_another_currency_than_its_customer(self, db, controller):
        cus = customer(db, controller, "EUR")
        err = fails_writing_nothing(
            db, controller.company_id, lambda: standalone(db, controller, cus.id), CurrencyMismatchError
        )
        assert (err.code, err.field) == ("currency_mismatch", "currency")

    def test_debit_memo_with_a_zero_price(self, db, controller):
        cus = customer(db, controller)

        def create():
            with db.uow() as uow:
                create_debit_memo(
                    uow,
                    controller,
                    customer_id=cus.id,
                    currency="USD",
                    reason_code="chargeback",
                    lines=[FreeLineInput("x", "1", "0")],
                )

        err = fails_writing_nothing(db, controller.company_id, create, ValidationFailedError)
        assert self._field_codes(err) == [("lines[0].unit_price", "out_of_range")]

    def test_line_amount_beyond_the_maximum(self, db, controller):
        """quantity x unit price must fit the integer minor-unit columns (was an OverflowError / DataError)."""
        cus = customer(db, controller)
        err = fails_writing_nothing(
            db,
            controller.company_id,
            lambda: invoice(
                db, controller, [line("1", "1.00"), line("999999999999", "999999999999")], customer_id=cus.id
            ),
            ValidationFailedError,
        )
        assert self._field_codes(err) == [("lines[1]", "too_large")]

        def create():
            with db.uow() as uow:
                create_standalone_credit_memo(
                    uow,
                    controller,
                    customer_id=cus.id,
                    currency="USD",
                    reason_code="goodwill",
                    lines=[FreeLineInput("x", "100000", "99999999999")],
                )

        err = fails_writing_nothing(db, controller.company_id, create, ValidationFailedError)
        assert self._field_codes(err) == [("lines[0]", "too_large")]

    def test_exchange_rate_that_overflows_functional_amounts(self, db, controller):
        """Was an OverflowError on SQLite and a DataError on PostgreSQL (a 500 for client input)."""
        cus = customer(db, controller, "EUR")
        err = fails_writing_nothing(
            db,
            controller.company_id,
            lambda: invoice(
                db, controller, [line("1", "999999999999.99")], currency="EUR", rate="99999999", customer_id=cus.id
            ),
            ValidationFailedError,
        )
        assert err.field == "exchange_rate"
        assert err.errors[0].code == "too_large"
