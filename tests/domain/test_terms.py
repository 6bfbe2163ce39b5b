"""Credit terms and settlement discounts (domain/terms.py, issue 15 items 6-8): validation names the field;
the potential discount, its share for credit memos and the offer stay within 0..potential and never leave a
negative amount due (property-tested); taking the discount follows the date and the exact amount; the
application's entry balances in both currencies with the discount in it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.fx import FxAccounts, realized_entry
from creditmemo.domain.money import Money
from creditmemo.domain.terms import (
    CreditTerms,
    DiscountExpiredError,
    discount_left,
    discount_offer,
    discount_to_take,
    potential_discount,
    share,
)

ISSUED = date(2026, 3, 1)
TERMS = CreditTerms(30, Decimal("2.00"), 10)


def usd(text: str) -> Money:
    return Money(Decimal(text), "USD")


def fields(value: object) -> list[str]:
    with pytest.raises(ValidationFailedError) as err:
        CreditTerms.parse(value)
    return [e.field for e in err.value.errors]


class TestCreditTerms:
    def test_parse_and_label(self):
        terms = CreditTerms.parse({"net_days": 30, "discount_percent": "2", "discount_days": 10})
        assert terms == TERMS
        assert terms.to_dict() == {"net_days": 30, "discount_percent": "2.00", "discount_days": 10}
        assert terms.label == "2 % 10, net 30"
        assert CreditTerms.parse({"net_days": 45}).label == "net 45"

    def test_every_bad_field_is_named(self):
        assert fields({"net_days": -1, "discount_percent": "101", "discount_days": "x"}) == [
            "credit_terms.net_days",
            "credit_terms.discount_days",
            "credit_terms.discount_percent",
        ]
        assert fields({"net_days": 30, "discount_percent": "1.005"}) == ["credit_terms.discount_percent"]
        assert fields({"net_days": 10, "discount_days": 11}) == ["credit_terms.discount_days"]
        assert fields({"net_days": True}) == ["credit_terms.net_days"]
        assert fields({"net_days": 30, "discount_percent": 2.5}) == ["credit_terms.discount_percent"]  # no float
        assert fields({"net_days": 30, "discount_percent": "NaN"}) == ["credit_terms.discount_percent"]
        assert fields({"net_days": 30, "grace": 3}) == ["credit_terms.grace"]
        assert fields("2/10 net 30") == ["credit_terms"]


class TestWorkedExample:
    """2 % 10 net 30 on 500.00: 10.00 until day 10; 490.00 on day 9 settles it, on day 11 it does not."""

    def test_potential(self):
        d = potential_discount(usd("500.00"), TERMS, ISSUED, Decimal(1), "USD")
        assert d is not None
        assert (d.amount, d.functional("USD"), d.until) == (usd("10.00"), usd("10.00"), date(2026, 3, 11))
        assert potential_discount(usd("500.00"), None, ISSUED, Decimal(1), "USD") is None
        assert potential_discount(usd("500.00"), CreditTerms(30), ISSUED, Decimal(1), "USD") is None

    def test_take(self):
        offer = discount_offer(
            potential=usd("10.00"), total=usd("500.00"), credited=usd("0"), taken=usd("0"), due=usd("500.00")
        )

        def take(amount: str, paid_on: date, take: bool | None) -> Money:
            return discount_to_take(
                amount=usd(amount),
                due=usd("500.00"),
                offer=offer,
                until=date(2026, 3, 11),
                paid_on=paid_on,
                take=take,
                where="a",
                number="INV-1",
            )

        assert take("490.00", date(2026, 3, 10), None) == offer
        assert take("490.00", date(2026, 3, 12), None) == usd("0")
        assert take("490.00", date(2026, 3, 10), False) == usd("0")
        assert take("400.00", date(2026, 3, 10), None) == usd("0")
        with pytest.raises(DiscountExpiredError) as late:
            take("490.00", date(2026, 3, 12), True)
        assert late.value.field == "a.take_discount"
        assert late.value.context["discount_date"] == "2026-03-11"
        with pytest.raises(ValidationFailedError) as wrong:
            take("400.00", date(2026, 3, 10), True)
        assert wrong.value.field == "a.amount"


money_minor = st.integers(min_value=1, max_value=10**11)
percents = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)


@settings(max_examples=400, deadline=None)
@given(
    total_minor=money_minor,
    percent=percents,
    discount_days=st.integers(min_value=0, max_value=60),
    credits=st.lists(st.integers(min_value=1, max_value=10**11), max_size=8),
    paid_minor=st.integers(min_value=0, max_value=10**11),
)
def test_discount_stays_within_potential_and_never_leaves_a_negative_amount_due(
    total_minor: int, percent: Decimal, discount_days: int, credits: list[int], paid_minor: int
) -> None:
    """For any terms and any credit memo amounts (posted one by one, never more than the invoice), the offer
    is within 0..potential, shrinks as credit grows, and total - credited - paid - offer is never negative.
    The credit memos' own shares never add up to more than the potential plus a minor unit per memo."""
    total = Money.from_minor(total_minor, "USD")
    terms = CreditTerms(max(discount_days, 30), percent, discount_days)
    d = potential_discount(total, terms, ISSUED, Decimal("1.1"), "EUR")
    if d is None:
        return
    assert Money.zero("USD") < d.amount <= total
    credited = Money.zero("USD")
    previous = d.amount
    shares = Money.zero("USD")
    for c in credits:
        part = Money.from_minor(c, "USD").min(total - credited)
        if not part.is_positive():
            break
        shares = shares + share(d.amount, part, total)
        credited = credited + part
        left = discount_left(d.amount, total, credited)
        assert Money.zero("USD") <= left <= previous <= d.amount
        previous = left
        paid = Money.from_minor(paid_minor, "USD").min(total - credited)
        due = total - credited - paid
        offer = discount_offer(potential=d.amount, total=total, credited=credited, taken=Money.zero("USD"), due=due)
        assert Money.zero("USD") <= offer <= left
        assert (due - offer).amount >= 0
    assert shares.to_minor() <= d.amount.to_minor() + len(credits)
    if credited == total:
        assert discount_left(d.amount, total, credited) == Money.zero("USD")


@settings(max_examples=300, deadline=None)
@given(
    paid_minor=st.integers(min_value=1, max_value=10**9),
    discount_minor=st.integers(min_value=1, max_value=10**7),
    source_rate=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("500"), places=4),
    target_rate=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("500"), places=4),
    reverse=st.booleans(),
)
def test_a_discounted_application_entry_balances_in_both_currencies(
    paid_minor: int, discount_minor: int, source_rate: Decimal, target_rate: Decimal, reverse: bool
) -> None:
    paid, discount = Money.from_minor(paid_minor, "EUR"), Money.from_minor(discount_minor, "EUR")
    source = Money.rounded(paid.amount * source_rate, "USD")
    target = Money.rounded((paid + discount).amount * target_rate, "USD")
    discount_f = Money.rounded(discount.amount * target_rate, "USD")
    entry = realized_entry(
        entry_id="je_1",
        company_id="co_1",
        on=ISSUED,
        application_id="app_1",
        customer_id="cus_1",
        amount=paid,
        source_relief=source,
        target_relief=target,
        accounts=FxAccounts("1200", "7100", "7200", "4950"),
        rate=target_rate,
        reverse=reverse,
        discount=discount,
        discount_functional=discount_f,
    )
    assert entry is not None
    debit = sum((line.debit for line in entry.lines), Money.zero("EUR"))
    credit = sum((line.credit for line in entry.lines), Money.zero("EUR"))
    f_debit = sum((line.functional_debit for line in entry.lines), Money.zero("USD"))
    f_credit = sum((line.functional_credit for line in entry.lines), Money.zero("USD"))
    assert debit == credit
    assert f_debit == f_credit
    ar = [line for line in entry.lines if line.account == "1200"]
    net_ar = sum((line.functional_debit - line.functional_credit for line in ar), Money.zero("USD"))
    assert net_ar == ((target - source) if reverse else (source - target))
