"""Prorated downgrade credits and SLA outage credits (seed 000), as pure arithmetic: the worked examples of
issue 11, the refusals, and properties of the rounding and of the tax (rule 2) when prorations are credited
through the normal crediting rules."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from creditmemo.domain.crediting import build_invoice_lines, credited_after, price_credit
from creditmemo.domain.documents import InvoiceLine, MemoLine
from creditmemo.domain.errors import OverCreditError, ValidationFailedError
from creditmemo.domain.inputs import InvoiceLineInput
from creditmemo.domain.money import Money
from creditmemo.domain.proration import (
    NoCreditDueError,
    SlaPolicy,
    prorate_downgrade,
    sla_credit,
)

D = Decimal
JAN_1, JAN_31 = date(2026, 1, 1), date(2026, 1, 31)
_n = iter(range(10**9))


def ids(prefix: str) -> str:
    return f"{prefix}_{next(_n)}"


def subscription(
    qty: str, price: str, start: date = JAN_1, end: date = JAN_31, rate: str = "0", discount: str | None = None
) -> InvoiceLine:
    (line,) = build_invoice_lines(
        [InvoiceLineInput("Seats", qty, price, tax_rate=rate, discount=discount)], "USD", "4000", ids
    )
    return replace(line, service_start=start, service_end=end)


class TestProratedDowngrade:
    def test_the_worked_example_is_290_32(self) -> None:
        p = prorate_downgrade(subscription("12", "100.00"), effective_date=date(2026, 1, 17), new_quantity=D(6))
        assert p.net == Money(D("290.32"), "USD")
        assert (p.days_in_period, p.unused_days, p.covers) == (31, 15, (date(2026, 1, 17), JAN_31))

    def test_a_lower_price_prorates_the_price_difference(self) -> None:
        p = prorate_downgrade(subscription("10", "50.00"), effective_date=date(2026, 1, 22), new_unit_price=D("40"))
        assert p.net == Money(D("32.26"), "USD")  # 100.00 x 10 / 31 = 32.258…

    def test_the_first_day_credits_the_whole_difference(self) -> None:
        p = prorate_downgrade(subscription("12", "100.00"), effective_date=JAN_1, new_quantity=D(0))
        assert p.net == Money(D("1200.00"), "USD")

    @pytest.mark.parametrize(
        ("kwargs", "field", "code"),
        [
            ({"effective_date": date(2025, 12, 31), "new_quantity": D(6)}, "effective_date", "out_of_range"),
            ({"effective_date": date(2026, 2, 1), "new_quantity": D(6)}, "effective_date", "out_of_range"),
            ({"effective_date": date(2026, 1, 17), "new_quantity": D(12)}, "new_quantity", "not_a_downgrade"),
            ({"effective_date": date(2026, 1, 17), "new_quantity": D(20)}, "new_quantity", "not_a_downgrade"),
            ({"effective_date": date(2026, 1, 17), "new_unit_price": D("120")}, "new_unit_price", "not_a_downgrade"),
            ({"effective_date": date(2026, 1, 17)}, "new_quantity", "one_of"),
            (
                {"effective_date": date(2026, 1, 17), "new_quantity": D(1), "new_unit_price": D(1)},
                "new_quantity",
                "one_of",
            ),
        ],
    )
    def test_refusals_name_the_field(self, kwargs: dict[str, object], field: str, code: str) -> None:
        with pytest.raises(ValidationFailedError) as err:
            prorate_downgrade(subscription("12", "100.00"), **kwargs)  # type: ignore[arg-type]  # bad input on purpose
        assert (err.value.errors[0].field, err.value.errors[0].code) == (field, code)

    def test_a_line_without_a_service_period_cannot_be_prorated(self) -> None:
        line = replace(subscription("12", "100.00"), service_start=None, service_end=None)
        with pytest.raises(ValidationFailedError) as err:
            prorate_downgrade(line, effective_date=date(2026, 1, 17), new_quantity=D(6))
        assert err.value.errors[0].code == "no_service_period"

    @settings(max_examples=300, deadline=None)
    @given(
        qty=st.integers(1, 500),
        price=st.integers(1, 10**6),
        days=st.integers(1, 366),
        effective=st.integers(0, 365),
        keep=st.integers(0, 499),
        rate=st.sampled_from(["0", "5", "8.25", "20"]),
    )
    def test_the_credit_is_the_exact_share_rounded_half_up_once_and_never_more_than_the_line(
        self, qty: int, price: int, days: int, effective: int, keep: int, rate: str
    ) -> None:
        assume(effective < days and keep < qty)
        line = subscription(str(qty), str(D(price) / 100), JAN_1, JAN_1 + timedelta(days=days - 1), rate)
        p = prorate_downgrade(line, effective_date=JAN_1 + timedelta(days=effective), new_quantity=D(keep))
        exact = Fraction(line.net.amount) * Fraction(qty - keep, qty) * Fraction(days - effective, days)
        expected = (D(exact.numerator) / D(exact.denominator)).quantize(D("0.01"), ROUND_HALF_UP)
        assert p.net.amount == expected
        assert Money.zero("USD") <= p.net <= line.net
        # Credited through the normal rules (rule 1 and 2): the tax never exceeds what the line has left.
        _, _, net, tax = price_credit(line, quantity=None, amount=p.net, field="lines[0]")
        assert net == p.net
        assert tax <= line.tax

    @settings(max_examples=200, deadline=None)
    @given(
        qty=st.integers(2, 60),
        price=st.integers(1, 10**5),
        days=st.integers(2, 366),
        cuts=st.lists(st.integers(1, 365), min_size=1, max_size=6, unique=True),
        rate=st.sampled_from(["0", "7.5", "8.25", "19"]),
    )
    def test_any_split_of_days_nets_to_the_lines_credit_never_over(
        self, qty: int, price: int, days: int, cuts: list[int], rate: str
    ) -> None:
        """A line given up a piece of its period at a time (each piece credited as a downgrade to zero over
        those days, the last piece completing the line): the credits sum to exactly the line's net and its
        tax (rule 2), and no step takes more than the line has left (rule 1)."""
        line = subscription(str(qty), str(D(price) / 100), JAN_1, JAN_1 + timedelta(days=days - 1), rate)
        bounds = sorted({c for c in cuts if c < days} | {0, days})
        credited_net, credited_tax = Money.zero("USD"), Money.zero("USD")
        for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
            last = i == len(bounds) - 2
            share = line.net.amount * (hi - lo) / days
            piece = line.remaining_net if last else Money.rounded(share, "USD").min(line.remaining_net)
            if not piece.is_positive():
                continue
            q, by, net, tax = price_credit(line, quantity=None, amount=piece, field="lines[0]")
            line = credited_after(
                line,
                MemoLine(ids("cml"), 1, "x", q, None, net, line.tax_rate, tax, invoice_line_id=line.id, credit_by=by),
            )
            credited_net, credited_tax = credited_net + net, credited_tax + tax
            assert credited_net <= line.net
            assert credited_tax <= line.tax
        assert (credited_net, credited_tax) == (line.net, line.tax)
        with pytest.raises(OverCreditError):
            price_credit(line, quantity=None, amount=Money(D("0.01"), "USD"), field="lines[0]")


class TestSlaCredit:
    def test_the_worked_example_is_750_00(self) -> None:
        c = sla_credit(subscription("1", "3000.00"), outage_minutes=2160, policy=SlaPolicy())
        assert c.minutes_in_period == 44_640
        assert c.uptime_percent.quantize(D("0.01")) == D("95.16")
        assert c.tier.credit_percent == D(25)
        assert c.net == Money(D("750.00"), "USD")

    @pytest.mark.parametrize(
        ("outage", "percent"),
        [(1, None), (44, None), (45, 10), (446, 10), (447, 25), (2232, 25), (2233, 100), (44_640, 100)],
    )
    def test_the_lowest_tier_the_uptime_falls_below(self, outage: int, percent: int | None) -> None:
        line = subscription("1", "3000.00")
        if percent is None:
            with pytest.raises(NoCreditDueError):
                sla_credit(line, outage_minutes=outage, policy=SlaPolicy())
            return
        assert sla_credit(line, outage_minutes=outage, policy=SlaPolicy()).tier.credit_percent == D(percent)

    @pytest.mark.parametrize("outage", [0, -5, 44_641, True, "60"])
    def test_absurd_outage_minutes_are_refused(self, outage: object) -> None:
        with pytest.raises(ValidationFailedError) as err:
            sla_credit(subscription("1", "3000.00"), outage_minutes=outage, policy=SlaPolicy())  # type: ignore[arg-type]  # bad input on purpose
        assert err.value.errors[0].field == "outage_minutes"

    def test_a_policy_is_validated_and_round_trips(self) -> None:
        policy = SlaPolicy.from_dict(
            {"tiers": [{"below_uptime": "99.5", "credit_percent": "5"}, {"below_uptime": "98", "credit_percent": "50"}]}
        )
        assert SlaPolicy.from_dict(policy.to_dict()) == policy
        bad: dict[str, Any]
        for bad in (
            {"tiers": []},
            {"tiers": [{"below_uptime": "101", "credit_percent": "5"}]},
            {"tiers": [{"below_uptime": "99", "credit_percent": "50"}, {"below_uptime": "98", "credit_percent": "10"}]},
            {"tiers": [{"below_uptime": 99.5, "credit_percent": "5"}]},
        ):
            with pytest.raises(ValidationFailedError):
                SlaPolicy.from_dict(bad)
