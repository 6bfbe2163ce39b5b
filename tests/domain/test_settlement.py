"""Settlement rules, pure (domain/settlement.py): parsing and checking an application request, oldest-first
allocation of account credit, what a payment has available and its status, what an application settles,
refund limits, aging buckets and a statement's running balance (DESIGN §2 Applications, Refunds, Payments)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from creditmemo.domain.errors import (
    CurrencyMismatchError,
    CustomerMismatchError,
    InsufficientAvailableError,
    OverRefundError,
    RefundLimitError,
    ValidationFailedError,
)
from creditmemo.domain.money import MINOR_UNITS, Money
from creditmemo.domain.settlement import (
    BUCKETS,
    MAX_ALLOCATIONS,
    AllocationInput,
    Application,
    ApplicationStatus,
    ParsedAllocation,
    Party,
    Payment,
    RefundLimits,
    SourceType,
    TargetType,
    bucket_bounds,
    bucket_for,
    check_allocations,
    check_refund,
    oldest_first,
    parse_allocations,
    running_balances,
)

# The machine is shared: no per-example deadline, no complaint about slow generation (the checks stay).
LOADED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

D = Decimal
DAY = date(2026, 3, 2)


def usd(amount: str) -> Money:
    return Money(D(amount), "USD")


def party(
    pid: str, open_amount: str, *, kind: str = "invoice", customer: str = "cus_1", currency: str = "USD"
) -> Party:
    return Party(kind, pid, pid.upper(), customer, currency, Money(D(open_amount), currency))


def cents(minor: int) -> Money:
    return Money.from_minor(minor, "USD")


def alloc(target_id: str, amount: str, currency: str = "USD") -> ParsedAllocation:
    return ParsedAllocation(TargetType.INVOICE, target_id, Money(D(amount), currency))


# strategies ---------------------------------------------------------------------------------
CURRENCIES = st.sampled_from(["USD", "JPY", "KWD"])  # 2, 0 and 3 minor units
MINORS = st.integers(min_value=0, max_value=10**9)


@st.composite
def sides(draw: st.DrawFn) -> tuple[list[Party], list[Party]]:
    """Sources and targets of one customer in one currency, with open amounts in whole minor units."""
    currency = draw(CURRENCIES)
    sources = [
        Party("credit_memo", f"src_{i}", f"CM-{i}", "cus_1", currency, Money.from_minor(m, currency))
        for i, m in enumerate(draw(st.lists(MINORS, max_size=6)))
    ]
    targets = [
        Party("invoice", f"inv_{i}", f"INV-{i}", "cus_1", currency, Money.from_minor(m, currency))
        for i, m in enumerate(draw(st.lists(MINORS, max_size=6)))
    ]
    return sources, targets


# oldest_first -------------------------------------------------------------------------------
class TestOldestFirstExamples:
    def test_one_source_pays_the_oldest_targets_first(self):
        src = party("cm", "150.00", kind="credit_memo")
        a, b, c = party("a", "100.00"), party("b", "80.00"), party("c", "10.00")
        got = [(s.id, t.id, m) for s, t, m in oldest_first([src], [a, b, c])]
        assert got == [("cm", "a", usd("100.00")), ("cm", "b", usd("50.00"))]

    def test_sources_are_used_up_oldest_first_too(self):
        s1, s2 = party("s1", "30.00", kind="credit_memo"), party("s2", "100.00", kind="credit_memo")
        a, b = party("a", "50.00"), party("b", "50.00")
        got = [(s.id, t.id, m) for s, t, m in oldest_first([s1, s2], [a, b])]
        assert got == [("s1", "a", usd("30.00")), ("s2", "a", usd("20.00")), ("s2", "b", usd("50.00"))]

    def test_nothing_to_apply_gives_nothing(self):
        assert oldest_first([party("s", "0.00", kind="credit_memo")], [party("a", "10.00")]) == []
        assert oldest_first([party("s", "10.00", kind="credit_memo")], [party("a", "0.00")]) == []
        assert oldest_first([], [party("a", "10.00")]) == []
        assert oldest_first([party("s", "10.00", kind="credit_memo")], []) == []

    def test_a_settled_target_in_the_middle_is_passed_over(self):
        src = party("cm", "25.00", kind="credit_memo")
        got = [(t.id, m) for _, t, m in oldest_first([src], [party("a", "0.00"), party("b", "10.00")])]
        assert got == [("b", usd("10.00"))]

    def test_exact_in_a_currency_without_minor_units_and_one_with_three(self):
        jpy = [
            (t.id, m)
            for _, t, m in oldest_first(
                [party("s", "1001", currency="JPY")],
                [party("a", "1000", currency="JPY"), party("b", "7", currency="JPY")],
            )
        ]
        assert jpy == [("a", Money(D(1000), "JPY")), ("b", Money(D(1), "JPY"))]
        kwd = [
            m for _, _, m in oldest_first([party("s", "0.001", currency="KWD")], [party("a", "5.000", currency="KWD")])
        ]
        assert kwd == [Money(D("0.001"), "KWD")]


class TestOldestFirstProperties:
    @LOADED
    @given(sides())
    def test_never_more_than_a_source_has_or_a_target_is_due(self, drawn: tuple[list[Party], list[Party]]):
        sources, targets = drawn
        result = oldest_first(sources, targets)
        for p in (*sources, *targets):
            used = sum((m.amount for s, t, m in result if p.id in (s.id, t.id)), D(0))
            assert used <= p.open_amount.amount

    @LOADED
    @given(sides())
    def test_every_part_positive_and_exact_in_minor_units(self, drawn: tuple[list[Party], list[Party]]):
        sources, targets = drawn
        for _, _, amount in oldest_first(sources, targets):
            assert amount.is_positive()
            assert amount.amount == amount.amount.quantize(D(1).scaleb(-MINOR_UNITS[amount.currency]))

    @LOADED
    @given(sides())
    def test_applies_everything_that_can_be_applied(self, drawn: tuple[list[Party], list[Party]]):
        """Conservation: the total applied is the smaller of all credit available and all that is due."""
        sources, targets = drawn
        applied = sum((m.amount for _, _, m in oldest_first(sources, targets)), D(0))
        available = sum((p.open_amount.amount for p in sources), D(0))
        due = sum((p.open_amount.amount for p in targets), D(0))
        assert applied == min(available, due)

    @LOADED
    @given(sides())
    def test_oldest_first_on_both_sides(self, drawn: tuple[list[Party], list[Party]]):
        """Parts come in (source, target) list order, and a later target or source is only touched once every
        earlier one is used up: a clerk working down two lists."""
        sources, targets = drawn
        result = oldest_first(sources, targets)
        s_index = {p.id: i for i, p in enumerate(sources)}
        t_index = {p.id: i for i, p in enumerate(targets)}
        keys = [(s_index[s.id], t_index[t.id]) for s, t, _ in result]
        assert keys == sorted(keys)
        assert len(set(keys)) == len(keys)
        left = {p.id: p.open_amount for p in (*sources, *targets)}
        for source, target, amount in result:
            for earlier in targets[: t_index[target.id]]:
                assert not left[earlier.id].is_positive()
            for earlier in sources[: s_index[source.id]]:
                assert not left[earlier.id].is_positive()
            left[source.id] = left[source.id] - amount
            left[target.id] = left[target.id] - amount


# parse_allocations --------------------------------------------------------------------------
class TestParseAllocations:
    def test_parses_amounts_in_the_sources_currency(self):
        got = parse_allocations(
            [AllocationInput("invoice", "inv_1", "12.5"), AllocationInput("debit_memo", "dm_1", 3)], "USD"
        )
        assert got == [
            ParsedAllocation(TargetType.INVOICE, "inv_1", usd("12.50")),
            ParsedAllocation(TargetType.DEBIT_MEMO, "dm_1", usd("3.00")),
        ]

    def test_take_discount_is_kept_only_as_a_boolean(self):
        got = parse_allocations(
            [AllocationInput("invoice", "a", "1", True), AllocationInput("invoice", "b", "1", False)], "USD"
        )
        assert [p.take_discount for p in got] == [True, False]
        assert parse_allocations([AllocationInput("invoice", "a", "1")], "USD")[0].take_discount is None

    def test_an_empty_request_is_refused(self):
        with pytest.raises(ValidationFailedError) as err:
            parse_allocations([], "USD")
        assert (err.value.field, err.value.errors[0].code) == ("allocations", "required")

    def test_at_most_max_allocations(self):
        parse_allocations([AllocationInput("invoice", "i", "1")] * MAX_ALLOCATIONS, "USD")
        with pytest.raises(ValidationFailedError) as err:
            parse_allocations([AllocationInput("invoice", "i", "1")] * (MAX_ALLOCATIONS + 1), "USD")
        assert err.value.errors[0].code == "too_many"

    def test_every_field_error_is_collected_with_its_path(self):
        with pytest.raises(ValidationFailedError) as err:
            parse_allocations(
                [
                    AllocationInput("invoice", "ok", "1.00"),
                    AllocationInput("payment", "", "0", "yes"),
                    AllocationInput("invoice", "x", "1.001"),
                    AllocationInput("invoice", "y", 1.5),
                ],
                "USD",
            )
        assert [(e.field, e.code) for e in err.value.errors] == [
            ("allocations[1].target_type", "invalid"),
            ("allocations[1].target_id", "required"),
            ("allocations[1].take_discount", "invalid"),
            ("allocations[1].amount", "out_of_range"),
            ("allocations[2].amount", "too_many_decimals"),
            ("allocations[3].amount", "not_a_decimal_string"),
        ]

    @pytest.mark.parametrize("amount", ["0", "0.00", "-1.00"])
    def test_amounts_must_be_positive(self, amount: str):
        with pytest.raises(ValidationFailedError) as err:
            parse_allocations([AllocationInput("invoice", "a", amount)], "USD")
        assert err.value.errors[0].field == "allocations[0].amount"

    def test_places_follow_the_currency(self):
        assert parse_allocations([AllocationInput("invoice", "a", "0.125")], "KWD")[0].amount == Money(
            D("0.125"), "KWD"
        )
        with pytest.raises(ValidationFailedError):
            parse_allocations([AllocationInput("invoice", "a", "0.5")], "JPY")

    @LOADED
    @given(st.integers(min_value=1, max_value=999_999_999_999), CURRENCIES)
    def test_minor_units_round_trip_exactly(self, minor: int, currency: str):
        text = str(D(minor).scaleb(-MINOR_UNITS[currency]))
        parsed = parse_allocations([AllocationInput("invoice", "a", text)], currency)[0].amount
        assert parsed.to_minor() == minor
        assert parsed.currency == currency


# check_allocations --------------------------------------------------------------------------
class TestCheckAllocations:
    def test_within_what_is_due_and_available_passes(self):
        src = party("cm", "100.00", kind="credit_memo")
        targets = {"a": party("a", "60.00"), "b": party("b", "40.00")}
        check_allocations(src, [alloc("a", "60.00"), alloc("b", "40.00")], targets)  # all of both: allowed
        with pytest.raises(InsufficientAvailableError):  # a cent more of either is not
            check_allocations(src, [alloc("a", "60.00"), alloc("b", "40.01")], targets)

    def test_one_cent_over_a_targets_due_is_refused_naming_it(self):
        src = party("cm", "100.00", kind="credit_memo")
        with pytest.raises(InsufficientAvailableError) as err:
            check_allocations(src, [alloc("a", "60.01")], {"a": party("a", "60.00")})
        assert err.value.field == "allocations[0].amount"
        assert err.value.context == {"limit": "amount_due", "amount_due": "60.00", "requested": "60.01"}

    def test_allocations_to_one_target_add_up(self):
        src = party("cm", "100.00", kind="credit_memo")
        with pytest.raises(InsufficientAvailableError) as err:
            check_allocations(src, [alloc("a", "30.00"), alloc("a", "30.01")], {"a": party("a", "60.00")})
        assert err.value.field == "allocations[1].amount"
        assert err.value.context["requested"] == "60.01"

    def test_the_whole_request_must_fit_the_source(self):
        src = party("cm", "99.99", kind="credit_memo")
        with pytest.raises(InsufficientAvailableError) as err:
            check_allocations(
                src, [alloc("a", "60.00"), alloc("b", "40.00")], {"a": party("a", "60"), "b": party("b", "40")}
            )
        assert err.value.field == "allocations"
        assert err.value.context == {"limit": "available", "available": "99.99", "requested": "100.00"}

    def test_another_customers_target_is_refused(self):
        src = party("cm", "100.00", kind="credit_memo")
        with pytest.raises(CustomerMismatchError) as err:
            check_allocations(src, [alloc("a", "1.00")], {"a": party("a", "10.00", customer="cus_2")})
        assert err.value.field == "allocations[0].target_id"

    def test_another_currency_is_refused(self):
        src = party("cm", "100.00", kind="credit_memo")
        with pytest.raises(CurrencyMismatchError) as err:
            check_allocations(src, [alloc("a", "1.00")], {"a": party("a", "10.00", currency="EUR")})
        assert err.value.context["other_currency"] == "EUR"

    @LOADED
    @given(sides(), st.data())
    def test_accepts_exactly_the_requests_within_both_limits(
        self, drawn: tuple[list[Party], list[Party]], data: st.DataObject
    ):
        """Property: a request passes iff no target gets more than it has due and the source's available
        amount covers the total; when it passes, nothing applied exceeds either limit."""
        sources, targets = drawn
        assume(sources and targets)
        source, currency = sources[0], sources[0].currency
        picks = data.draw(
            st.lists(
                st.tuples(st.sampled_from(targets), st.integers(min_value=1, max_value=10**9)), min_size=1, max_size=8
            )
        )
        allocations = [ParsedAllocation(TargetType.INVOICE, t.id, Money.from_minor(m, currency)) for t, m in picks]
        per_target: dict[str, int] = {}
        for t, m in picks:
            per_target[t.id] = per_target.get(t.id, 0) + m
        within = (
            all(per_target[t.id] <= t.open_amount.to_minor() for t in targets if t.id in per_target)
            and sum(per_target.values()) <= source.open_amount.to_minor()
        )
        try:
            check_allocations(source, allocations, {t.id: t for t in targets})
        except InsufficientAvailableError:
            assert not within
        else:
            assert within


# payments and applications -------------------------------------------------------------------
def payment(amount: str, applied: str = "0.00", refunded: str = "0.00") -> Payment:
    return Payment(
        "pay_1", "co_1", "PAY-1", "cus_1", "USD", D(1), usd(amount), usd(applied), usd(refunded), DAY, "wire", None
    )


class TestPaymentAmounts:
    def test_available_is_amount_less_applied_less_refunded(self):
        assert payment("100.00", "30.00", "20.50").amount_available == usd("49.50")

    @pytest.mark.parametrize(
        ("applied", "refunded", "status"),
        [
            ("0.00", "0.00", "unapplied"),
            ("0.01", "0.00", "part_applied"),
            ("0.00", "99.99", "part_applied"),
            ("60.00", "40.00", "applied"),
            ("100.00", "0.00", "applied"),
        ],
    )
    def test_status_follows_what_was_used(self, applied: str, refunded: str, status: str):
        assert payment("100.00", applied, refunded).settlement_status == status

    @LOADED
    @given(st.integers(0, 10**9), st.integers(0, 10**9), st.integers(0, 10**9))
    def test_available_plus_used_is_the_amount(self, applied: int, refunded: int, extra: int):
        total = applied + refunded + extra
        p = Payment(
            "p", "c", "P", "cus", "USD", D(1), Money.from_minor(total, "USD"), Money.from_minor(applied, "USD"),
            Money.from_minor(refunded, "USD"), DAY, "wire", None,
        )  # fmt: skip
        assert (p.amount_available + p.amount_applied + p.amount_refunded) == p.amount
        assert p.amount_available.to_minor() == extra
        assert p.settlement_status == (
            "unapplied" if applied + refunded == 0 else "applied" if extra == 0 else "part_applied"
        )


class TestApplication:
    def application(self, amount: str, discount: str | None) -> Application:
        return Application(
            "app_1", "co_1", SourceType.PAYMENT, "pay_1", TargetType.INVOICE, "inv_1", "cus_1", usd(amount),
            ApplicationStatus.ACTIVE, DAY, discount=None if discount is None else usd(discount),
        )  # fmt: skip

    def test_settles_its_amount_and_the_discount_it_took(self):
        app = self.application("98.00", "2.00")
        assert (app.settles, app.discount_taken, app.currency) == (usd("100.00"), usd("2.00"), "USD")

    def test_without_a_discount_it_settles_its_amount(self):
        app = self.application("98.00", None)
        assert (app.settles, app.discount_taken) == (usd("98.00"), usd("0.00"))


# refunds ------------------------------------------------------------------------------------
class TestCheckRefund:
    def test_within_every_limit_breaks_none(self):
        assert (
            check_refund(usd("10.00"), "CM-1", RefundLimits(usd("10.00"), usd("10.00"), usd("10.00")), override=False)
            == []
        )

    def test_over_the_available_amount_is_never_overridable(self):
        with pytest.raises(OverRefundError) as err:
            check_refund(usd("10.01"), "CM-1", RefundLimits(usd("10.00"), usd("100.00")), override=True)
        assert err.value.context == {"available": "10.00"}

    def test_over_the_customers_net_credit_needs_an_override(self):
        limits = RefundLimits(usd("50.00"), usd("20.00"))
        with pytest.raises(RefundLimitError) as err:
            check_refund(usd("20.01"), "CM-1", limits, override=False)
        assert err.value.context["limits"] == ["customer_net_credit"]
        assert err.value.context["invoice_paid_left"] is None
        assert check_refund(usd("20.01"), "CM-1", limits, override=True) == ["customer_net_credit"]

    def test_over_what_was_paid_on_the_invoice_needs_an_override(self):
        limits = RefundLimits(usd("50.00"), usd("50.00"), usd("5.00"))
        with pytest.raises(RefundLimitError) as err:
            check_refund(usd("6.00"), "CM-1", limits, override=False)
        assert (err.value.context["limits"], err.value.context["invoice_paid_left"]) == (["invoice_paid"], "5.00")
        assert check_refund(usd("6.00"), "CM-1", RefundLimits(usd("50"), usd("1"), usd("5")), override=True) == [
            "customer_net_credit",
            "invoice_paid",
        ]

    @LOADED
    @given(
        st.integers(1, 10**6), st.integers(0, 10**6), st.integers(0, 10**6), st.one_of(st.none(), st.integers(0, 10**6))
    )
    def test_limits_broken_are_exactly_those_the_amount_exceeds(
        self, amount: int, available: int, net: int, paid: int | None
    ):
        limits = RefundLimits(cents(available), cents(net), None if paid is None else cents(paid))
        if amount > available:
            with pytest.raises(OverRefundError):
                check_refund(cents(amount), "CM-1", limits, override=True)
            return
        expected = [
            name
            for name, bound in (("customer_net_credit", net), ("invoice_paid", paid))
            if bound is not None and amount > bound
        ]
        assert check_refund(cents(amount), "CM-1", limits, override=True) == expected
        if expected:
            with pytest.raises(RefundLimitError):
                check_refund(cents(amount), "CM-1", limits, override=False)
        else:
            assert check_refund(cents(amount), "CM-1", limits, override=False) == []


# aging and statements -----------------------------------------------------------------------
class TestAging:
    @pytest.mark.parametrize(
        ("days_past_due", "bucket"),
        [(-5, "current"), (0, "current"), (1, "days_1_30"), (30, "days_1_30"), (31, "days_31_60"), (60, "days_31_60"),
         (61, "days_61_90"), (90, "days_61_90"), (91, "days_over_90"), (4000, "days_over_90")],
    )  # fmt: skip
    def test_bucket_edges(self, days_past_due: int, bucket: str):
        assert bucket_for(DAY - timedelta(days=days_past_due), DAY) == bucket

    def test_the_sql_bounds_bucket_the_same_way(self):
        """bucket_bounds is what SQL compares due dates with; it must agree with bucket_for on every day (all
        of them, edges included: a sample could miss the one day where they part)."""
        b0, b1, b2, b3 = bucket_bounds(DAY)
        for days_past_due in range(-400, 401):
            due = DAY - timedelta(days=days_past_due)
            by_bounds = next(
                (name for name, bound in zip(BUCKETS, (b0, b1, b2, b3), strict=False) if due >= bound), BUCKETS[4]
            )
            assert bucket_for(due, DAY) == by_bounds, days_past_due


class TestRunningBalances:
    def test_worked_statement(self):
        movements = [
            (usd("100.00"), usd("0")),
            (usd("0"), usd("30.00")),
            (usd("0"), usd("80.00")),
            (usd("5.55"), usd("0")),
        ]
        assert running_balances(usd("20.00"), movements) == [usd("120.00"), usd("90.00"), usd("10.00"), usd("15.55")]

    @LOADED
    @given(st.integers(-(10**9), 10**9), st.lists(st.tuples(MINORS, MINORS), max_size=20))
    def test_each_balance_is_the_opening_plus_debits_less_credits_so_far(
        self, opening: int, moves: list[tuple[int, int]]
    ):
        balances = running_balances(cents(opening), [(cents(d), cents(c)) for d, c in moves])
        assert len(balances) == len(moves)
        for i, balance in enumerate(balances):
            assert balance.to_minor() == opening + sum(d - c for d, c in moves[: i + 1])
