"""Money: construction, currency-checked arithmetic, minor units, half-up rounding, parsing that names
its field, and allocation by largest remainder (DESIGN §2, STYLE B3)."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditmemo.domain.errors import CurrencyMismatchError, ValidationFailedError
from creditmemo.domain.money import (
    MINOR_UNITS,
    Money,
    allocate,
    minor_units,
    parse_amount,
    parse_currency,
    parse_decimal,
    quantum,
    total,
)

D = Decimal


class TestConstruction:
    def test_pads_to_the_minor_unit(self):
        assert Money(D("5"), "USD").amount.as_tuple() == D("5.00").as_tuple()
        assert str(Money(D("5"), "KWD")) == "5.000 KWD"
        assert str(Money(D("5"), "JPY")) == "5 JPY"

    @pytest.mark.parametrize("value", [5.0, 5, "5.00", True])
    def test_rejects_anything_but_decimal(self, value):
        with pytest.raises(TypeError):
            Money(value, "USD")

    @pytest.mark.parametrize(("amount", "currency"), [("0.001", "USD"), ("0.5", "JPY"), ("1.0001", "KWD")])
    def test_rejects_more_places_than_the_currency_allows(self, amount, currency):
        with pytest.raises(ValueError, match="more places"):
            Money(D(amount), currency)

    @pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "sNaN"])
    def test_rejects_non_finite(self, amount):
        with pytest.raises(ValueError, match="finite"):
            Money(D(amount), "USD")

    def test_rejects_an_unknown_currency_naming_the_field(self):
        with pytest.raises(ValidationFailedError) as err:
            Money(D("1.00"), "XYZ")
        assert (err.value.field, err.value.errors[0].code) == ("currency", "unknown_currency")

    def test_is_immutable(self):
        m = Money(D("1.00"), "USD")
        with pytest.raises(AttributeError):
            m.amount = D("2.00")  # type: ignore[misc]  # frozen on purpose


class TestMinorUnits:
    PINNED: ClassVar[dict[str, int]] = {
        "USD": 2,
        "EUR": 2,
        "GBP": 2,
        "CHF": 2,
        "CAD": 2,
        "AUD": 2,
        "INR": 2,
        "JPY": 0,
        "KRW": 0,
        "KWD": 3,
        "BHD": 3,
    }

    def test_iso_4217_minor_units_are_pinned(self):
        assert {c: MINOR_UNITS[c] for c in self.PINNED} == self.PINNED
        assert {c: minor_units(c) for c in self.PINNED} == self.PINNED
        assert quantum("JPY") == D("1")
        assert quantum("USD") == D("0.01")
        assert quantum("KWD") == D("0.001")

    @pytest.mark.parametrize(
        ("amount", "currency", "minor"),
        [
            ("123.45", "USD", 12345),
            ("-0.01", "EUR", -1),
            ("1234", "JPY", 1234),
            ("1.234", "KWD", 1234),
            ("0", "BHD", 0),
            ("999999999999.99", "USD", 99999999999999),
        ],
    )
    def test_to_minor_and_back(self, amount, currency, minor):
        m = Money(D(amount), currency)
        assert m.to_minor() == minor
        assert Money.from_minor(minor, currency) == m
        assert type(m.to_minor()) is int

    def test_from_minor_of_an_unknown_currency_is_refused(self):
        with pytest.raises(ValidationFailedError):
            Money.from_minor(100, "XYZ")

    @settings(max_examples=200)
    @given(st.sampled_from(sorted(PINNED)), st.integers(-(10**15), 10**15))
    def test_from_minor_to_minor_round_trips(self, currency, minor):
        m = Money.from_minor(minor, currency)
        assert m.to_minor() == minor
        assert Money(m.amount, currency) == m  # a valid Money, equal to one built the checked way
        assert Money.from_minor(m.to_minor(), currency) == m


class TestRounding:
    @pytest.mark.parametrize(
        ("value", "currency", "expected"),
        [
            ("0.125", "USD", "0.13"),
            ("0.135", "USD", "0.14"),
            ("-0.125", "USD", "-0.13"),
            ("0.124999", "USD", "0.12"),
            ("2.5", "JPY", "3"),
            ("3.5", "JPY", "4"),
            ("-2.5", "JPY", "-3"),
            ("1.0005", "KWD", "1.001"),
            ("1.0004", "KWD", "1.000"),
        ],
    )
    def test_rounds_half_up_away_from_zero(self, value, currency, expected):
        assert Money.rounded(D(value), currency) == Money(D(expected), currency)

    def test_times_rounds_once(self):
        assert Money(D("10.00"), "USD").times(D("0.0825")) == Money(D("0.83"), "USD")  # 0.825 -> 0.83


class TestArithmetic:
    def test_adds_subtracts_and_compares_in_one_currency(self):
        a, b = Money(D("1.10"), "USD"), Money(D("2.25"), "USD")
        assert a + b == Money(D("3.35"), "USD")
        assert a - b == Money(D("-1.15"), "USD")
        assert -a == Money(D("-1.10"), "USD")
        assert a < b
        assert a <= b
        assert b > a
        assert b >= a
        assert a.min(b) == a
        assert total([a, b, a], "USD") == Money(D("4.45"), "USD")
        assert total([], "JPY") == Money.zero("JPY")

    @pytest.mark.parametrize("op", ["__add__", "__sub__", "__lt__", "__le__", "__gt__", "__ge__", "min"])
    def test_mixing_currencies_raises_currency_mismatch(self, op):
        usd, eur = Money(D("1.00"), "USD"), Money(D("1.00"), "EUR")
        with pytest.raises(CurrencyMismatchError) as err:
            getattr(usd, op)(eur)
        assert err.value.code == "currency_mismatch"
        assert err.value.context == {"currency": "USD", "other_currency": "EUR"}

    def test_total_refuses_a_foreign_item(self):
        with pytest.raises(CurrencyMismatchError):
            total([Money(D("1.00"), "USD"), Money(D("1"), "JPY")], "USD")

    def test_combining_with_a_plain_number_is_a_type_error(self):
        with pytest.raises(TypeError):
            Money(D("1.00"), "USD") + D("1")  # type: ignore[operator]  # Money + Decimal is refused on purpose


class TestParsing:
    @pytest.mark.parametrize(
        ("value", "currency", "expected"),
        [
            ("12.5", "USD", "12.50"),
            (" 12.50 ", "USD", "12.50"),
            (12, "USD", "12.00"),
            (D("7"), "JPY", "7"),
            ("0.001", "KWD", "0.001"),
            ("-3.10", "EUR", "-3.10"),
        ],
    )
    def test_parses_text_ints_and_decimals(self, value, currency, expected):
        assert parse_amount(value, currency, "amount") == Money(D(expected), currency)

    @pytest.mark.parametrize(
        ("value", "currency", "code"),
        [
            ("1.005", "USD", "too_many_decimals"),
            ("1.5", "JPY", "too_many_decimals"),
            ("1.0001", "KWD", "too_many_decimals"),
            ("abc", "USD", "invalid_decimal"),
            ("", "USD", "invalid_decimal"),
            ("1e", "USD", "invalid_decimal"),
            ("NaN", "USD", "invalid_decimal"),
            ("Infinity", "USD", "invalid_decimal"),
            (None, "USD", "invalid_decimal"),
            ([1], "USD", "invalid_decimal"),
            ("1" * 41, "USD", "invalid_decimal"),
            (1.5, "USD", "not_a_decimal_string"),
            (True, "USD", "not_a_decimal_string"),
            ("1000000000000", "USD", "too_large"),
        ],
    )
    def test_bad_amounts_name_the_field_and_code(self, value, currency, code):
        with pytest.raises(ValidationFailedError) as err:
            parse_amount(value, currency, "lines[3].amount")
        assert err.value.code == "validation_error"
        assert err.value.field == "lines[3].amount"
        assert [(e.field, e.code) for e in err.value.errors] == [("lines[3].amount", code)]

    @pytest.mark.parametrize("value", ["0", "0.00", "-1.00"])
    def test_positive_amounts_reject_zero_and_negative(self, value):
        with pytest.raises(ValidationFailedError) as err:
            parse_amount(value, "USD", "amount", positive=True)
        assert (err.value.field, err.value.errors[0].code) == ("amount", "out_of_range")

    def test_unknown_currency_names_the_currency_field(self):
        with pytest.raises(ValidationFailedError) as err:
            parse_amount("1.00", "usd", "amount")
        assert (err.value.field, err.value.errors[0].code) == ("currency", "unknown_currency")
        with pytest.raises(ValidationFailedError) as err:
            parse_currency("EURO", "lines[0].currency")
        assert (err.value.field, err.value.errors[0].code) == ("lines[0].currency", "unknown_currency")

    @pytest.mark.parametrize(
        ("kwargs", "value", "code"),
        [
            ({"max_places": 4}, "8.12345", "too_many_decimals"),
            ({"minimum": D(0)}, "-0.01", "out_of_range"),
            ({"minimum": D(0), "exclusive_minimum": True}, "0", "out_of_range"),
            ({"maximum": D(100)}, "100.01", "out_of_range"),
        ],
    )
    def test_parse_decimal_bounds(self, kwargs, value, code):
        with pytest.raises(ValidationFailedError) as err:
            parse_decimal(value, "lines[0].tax_rate", **kwargs)
        assert (err.value.field, err.value.errors[0].code) == ("lines[0].tax_rate", code)

    def test_parse_decimal_accepts_the_bounds_themselves(self):
        assert parse_decimal("100", "f", minimum=D(0), maximum=D(100)) == D(100)
        assert parse_decimal("0", "f", minimum=D(0), maximum=D(100)) == D(0)
        assert parse_decimal("1.2300", "f", max_places=2) == D("1.23")  # trailing zeros are not places


CURRENCIES = ["USD", "JPY", "KWD", "EUR", "BHD", "KRW"]


@st.composite
def amounts_and_weights(draw):
    currency = draw(st.sampled_from(CURRENCIES))
    minor = draw(st.integers(-(10**12), 10**12))
    weights = draw(
        st.lists(
            st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False),
            min_size=1,
            max_size=12,
        )
    )
    if sum(weights) == 0:
        weights[0] = D(1)
    return Money.from_minor(minor, currency), weights


class TestAllocate:
    @settings(max_examples=200)
    @given(amounts_and_weights())
    def test_parts_sum_exactly_and_each_is_within_one_minor_unit_of_its_share(self, case):
        amount, weights = case
        parts = allocate(amount, weights)
        assert len(parts) == len(weights)
        assert all(p.currency == amount.currency for p in parts)
        assert total(parts, amount.currency) == amount
        q = quantum(amount.currency)
        weight_sum = sum(weights)
        for part, w in zip(parts, weights, strict=True):
            exact = amount.amount * w / weight_sum
            assert abs(part.amount - exact) < q
            if w == 0:
                assert part.amount == 0

    def test_largest_remainder_example(self):
        parts = allocate(Money(D("100.00"), "USD"), [D(1), D(1), D(1)])
        assert [str(p.amount) for p in parts] == ["33.34", "33.33", "33.33"]
        assert [p.amount for p in allocate(Money(D("10"), "JPY"), [D(1)] * 3)] == [D(4), D(3), D(3)]
        assert [p.amount for p in allocate(Money(D("-0.010"), "KWD"), [D(1)] * 3)] == [
            D("-0.004"),
            D("-0.003"),
            D("-0.003"),
        ]

    @pytest.mark.parametrize("weights", [[], [D(0), D(0)], [D(1), D(-1)]])
    def test_rejects_bad_weights(self, weights):
        with pytest.raises(ValueError, match="weight"):
            allocate(Money(D("1.00"), "USD"), weights)
