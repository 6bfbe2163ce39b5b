"""Journal entries balance by construction in document and functional currency (rule 5); a void is
the mirror entry (rule 4)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditmemo.domain.errors import UnbalancedEntryError
from creditmemo.domain.ledger import JournalEntry, JournalLine, Leg, build_entry, reverse
from creditmemo.domain.money import Money

D = Decimal
DAY = date(2026, 3, 2)
RATES = [D(1), D("1.0850"), D("0.0067"), D("149.5"), D("0.27"), D("3.2616")]
CURRENCIES = ["USD", "EUR", "JPY", "KWD", "GBP"]


def m(amount: str, currency: str = "USD") -> Money:
    return Money(D(amount), currency)


def sums(entry: JournalEntry) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return (
        sum((line.debit.amount for line in entry.lines), D(0)),
        sum((line.credit.amount for line in entry.lines), D(0)),
        sum((line.functional_debit.amount for line in entry.lines), D(0)),
        sum((line.functional_credit.amount for line in entry.lines), D(0)),
    )


def entry_from(legs: list[Leg], currency: str, functional: str, rate: Decimal) -> JournalEntry:
    net = sum((line.amount.amount if line.debit else -line.amount.amount for line in legs), D(0))
    balancing = Leg("1200", Money(abs(net), currency), debit=net < 0, customer_id="cus_1")
    return build_entry(
        entry_id="je_1",
        company_id="co_1",
        on=DAY,
        source_type="credit_memo",
        source_id="cm_1",
        kind="post",
        functional_currency=functional,
        exchange_rate=rate,
        legs=legs,
        balancing=balancing,
    )


@st.composite
def postings(draw):
    currency = draw(st.sampled_from(CURRENCIES))
    functional = draw(st.sampled_from(["USD", "JPY", "KWD"]))
    rate = draw(
        st.one_of(
            st.sampled_from(RATES),
            st.decimals(min_value=D("0.0001"), max_value=D(500), places=4, allow_nan=False, allow_infinity=False),
        )
    )
    legs = draw(
        st.lists(
            st.builds(
                lambda acct, minor, debit: Leg(acct, Money.from_minor(minor, currency), debit),
                st.sampled_from(["4900", "2200", "1300", "5000", "6100", "4000"]),
                st.integers(0, 10**8),
                st.booleans(),
            ),
            min_size=1,
            max_size=10,
        )
    )
    return legs, currency, functional, rate


class TestBuildEntry:
    @settings(max_examples=200)
    @given(postings())
    def test_every_built_entry_balances_in_both_currencies(self, case):
        legs, currency, functional, rate = case
        entry = entry_from(legs, currency, functional, rate)
        debit, credit, f_debit, f_credit = sums(entry)
        assert debit == credit
        assert f_debit == f_credit
        assert entry.total_debit.amount == debit
        for line in entry.lines[:-1]:  # detail lines: converted and rounded once
            amount = line.debit if line.debit else line.credit
            functional_amount = line.functional_debit if line.debit else line.functional_credit
            assert functional_amount == Money.rounded(amount.amount * rate, functional)
            assert not (line.debit and line.credit)
        assert all(ln.debit.currency == currency and ln.functional_debit.currency == functional for ln in entry.lines)
        assert entry.lines[-1].account == "1200"
        assert entry.lines[-1].customer_id == "cus_1"

    @settings(max_examples=200)
    @given(postings())
    def test_reverse_of_reverse_equals_the_entry_in_amounts(self, case):
        entry = entry_from(*case)
        reversed_ = reverse(entry, entry_id="je_2", on=date(2026, 4, 1))
        assert sums(reversed_) == tuple(sums(entry)[i] for i in (1, 0, 3, 2))
        for a, b in zip(entry.lines, reversed_.lines, strict=True):
            assert (b.debit, b.credit, b.functional_debit, b.functional_credit) == (
                a.credit,
                a.debit,
                a.functional_credit,
                a.functional_debit,
            )
        back = reverse(reversed_, entry_id="je_3", on=date(2026, 5, 1))
        assert [
            (line.account, line.debit, line.credit, line.functional_debit, line.functional_credit, line.customer_id)
            for line in back.lines
        ] == [
            (line.account, line.debit, line.credit, line.functional_debit, line.functional_credit, line.customer_id)
            for line in entry.lines
        ]

    def test_reverse_is_dated_the_void_date_and_keeps_the_source(self):
        entry = entry_from([Leg("4900", m("100.00"), True)], "USD", "USD", D(1))
        voided = reverse(entry, entry_id="je_v", on=date(2026, 3, 10))
        assert (voided.id, voided.date, voided.kind, voided.source_id) == ("je_v", date(2026, 3, 10), "void", "cm_1")
        assert voided.description == "Reversal of je_1"

    def test_legs_on_one_account_and_side_merge_and_zero_legs_drop(self):
        entry = entry_from(
            [Leg("4900", m("10.00"), True), Leg("4900", m("5.00"), True), Leg("2200", m("0.00"), True)],
            "USD",
            "USD",
            D(1),
        )
        assert [(line.account, str(line.debit.amount), str(line.credit.amount)) for line in entry.lines] == [
            ("4900", "15.00", "0.00"),
            ("1200", "0.00", "15.00"),
        ]

    def test_the_balancing_line_absorbs_functional_rounding(self):
        # three legs of 0.01 EUR at 1.5: each rounds to 0.02 USD; AR takes 0.06, not round(0.03 * 1.5) = 0.05
        entry = entry_from(
            [
                Leg("4900", m("0.01", "EUR"), True),
                Leg("2200", m("0.01", "EUR"), True),
                Leg("6100", m("0.01", "EUR"), True),
            ],
            "EUR",
            "USD",
            D("1.5"),
        )
        assert entry.lines[-1].functional_credit == m("0.06")
        assert entry.lines[-1].credit == m("0.03", "EUR")


class TestUnbalanced:
    def _line(self, account: str, dr: str, cr: str, fdr: str, fcr: str) -> JournalLine:
        return JournalLine(account, m(dr, "EUR"), m(cr, "EUR"), m(fdr), m(fcr))

    def _entry(self, *lines: JournalLine) -> JournalEntry:
        return JournalEntry("je_x", "co_1", DAY, "credit_memo", "cm_x", "post", "EUR", "USD", D("1.085"), tuple(lines))

    def test_document_currency_unbalanced(self):
        with pytest.raises(UnbalancedEntryError) as err:
            self._entry(
                self._line("4900", "100.00", "0", "108.50", "0"), self._line("1200", "0", "99.99", "0", "108.50")
            )
        assert err.value.code == "unbalanced_entry"
        assert err.value.context == {"source_id": "cm_x"}

    def test_functional_currency_unbalanced(self):
        with pytest.raises(UnbalancedEntryError):
            self._entry(
                self._line("4900", "100.00", "0", "108.50", "0"), self._line("1200", "0", "100.00", "0", "108.49")
            )

    def test_no_lines(self):
        with pytest.raises(UnbalancedEntryError):
            self._entry()

    def test_balanced_hand_built_entry_is_accepted(self):
        entry = self._entry(
            self._line("4900", "100.00", "0", "108.50", "0"), self._line("1200", "0", "100.00", "0", "108.50")
        )
        assert entry.total_debit == m("100.00", "EUR")

    def test_build_entry_with_a_wrong_balancing_amount_is_refused(self):
        with pytest.raises(UnbalancedEntryError):
            build_entry(
                entry_id="je_1",
                company_id="co_1",
                on=DAY,
                source_type="credit_memo",
                source_id="cm_1",
                kind="post",
                functional_currency="USD",
                exchange_rate=D(1),
                legs=[Leg("4900", m("100.00"), True)],
                balancing=Leg("1200", m("99.00"), False),
            )


def test_functional_amounts_beyond_the_maximum_are_an_exchange_rate_error():
    from creditmemo.domain.errors import ValidationFailedError

    with pytest.raises(ValidationFailedError) as err:
        entry_from([Leg("4900", m("999999999999.99", "EUR"), True)], "EUR", "USD", D("99999999"))
    assert (err.value.field, err.value.errors[0].code) == ("exchange_rate", "too_large")
    with pytest.raises(ValidationFailedError):  # a detail line alone (restock legs cancel in the AR line)
        entry_from(
            [
                Leg("1300", m("999999999999.99"), True),
                Leg("5000", m("999999999999.99"), False),
                Leg("4900", m("1.00"), True),
            ],
            "USD",
            "USD",
            D("1.5"),
        )


def test_balancing_line_takes_the_functional_side_rounding_needs():
    """Regression (found by the property above): legs on both sides whose functional rounding tips against
    the balancing leg's document side used to give an unbalanced entry (UnbalancedEntryError)."""
    legs = [
        Leg("6100", m("0.02", "EUR"), True),
        Leg("4900", m("0.01", "EUR"), False),
        Leg("2200", m("0.01", "EUR"), False),
    ]
    entry = build_entry(
        entry_id="je_1",
        company_id="co_1",
        on=DAY,
        source_type="credit_memo",
        source_id="cm_1",
        kind="post",
        functional_currency="USD",
        exchange_rate=D("0.5"),
        legs=legs,
        balancing=Leg("1200", m("0.00", "EUR"), False, customer_id="cus_1"),
    )
    ar = entry.lines[-1]
    assert (ar.debit, ar.credit, ar.functional_debit, ar.functional_credit) == (
        m("0.00", "EUR"),
        m("0.00", "EUR"),
        m("0.01"),
        m("0.00"),
    )
