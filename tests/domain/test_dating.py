"""The date rules (domain/dating.py): bounds, the future limit, closed periods, the first open period."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditmemo.domain.dating import (
    Bound,
    Calendar,
    Use,
    application_date,
    check_application_order,
    check_date,
    check_free_as_of,
    check_order,
    dated_by,
    first_open_on_or_after,
    parse_period,
    period_bounds,
    period_of,
    settlement_bounds,
)
from creditmemo.domain.errors import PeriodClosedError, ValidationFailedError
from creditmemo.domain.money import Money
from creditmemo.domain.settlement import Party, Refund, SourceType

TODAY = date(2026, 4, 15)


def test_before_a_document_is_refused_in_finance_words() -> None:
    with pytest.raises(ValidationFailedError) as e:
        check_date(
            "date",
            date(2020, 1, 1),
            Calendar(TODAY),
            what="posting date",
            not_before=[Bound(date(2026, 3, 10), "CM-000007's issue date")],
        )
    assert e.value.field == "date"
    assert e.value.errors[0].code == "before_document"
    assert e.value.errors[0].message == "The posting date 2020-01-01 is before CM-000007's issue date 2026-03-10."


def test_on_the_documents_date_is_fine() -> None:
    assert check_date("date", date(2026, 3, 10), Calendar(TODAY), not_before=[Bound(date(2026, 3, 10), "x")])


def test_the_future_limit() -> None:
    cal = Calendar(TODAY, max_future_days=30)
    assert check_date("issue_date", TODAY + timedelta(days=30), cal)
    with pytest.raises(ValidationFailedError) as e:
        check_date("issue_date", TODAY + timedelta(days=31), cal)
    assert e.value.errors[0].code == "too_far_ahead"
    assert check_date("issue_date", TODAY + timedelta(days=31), cal, future_ok=True)


def test_a_closed_period_names_the_field_and_the_period() -> None:
    with pytest.raises(PeriodClosedError) as e:
        check_date("applied_on", date(2026, 3, 31), Calendar(TODAY, frozenset({"2026-03"})))
    assert (e.value.code, e.value.field, e.value.context["period"]) == ("period_closed", "applied_on", "2026-03")


def test_periods_parse_and_bound() -> None:
    assert parse_period(" 2026-03 ") == "2026-03"
    for bad in ("2026-13", "2026-3", "26-03", "", None, 202603):
        with pytest.raises(ValidationFailedError):
            parse_period(bad)
    assert period_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert period_bounds("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))


def test_first_open_period_skips_consecutive_closed_months() -> None:
    assert first_open_on_or_after(date(2026, 3, 10), {"2026-03", "2026-04"}) == date(2026, 5, 1)
    assert first_open_on_or_after(date(2026, 3, 10), {"2026-04"}) == date(2026, 3, 10)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)), st.sets(st.integers(0, 24), max_size=12))
def test_first_open_is_open_on_or_after_and_the_first(day: date, offsets: set[int]) -> None:
    closed = set()
    for n in offsets:
        y, m = divmod(day.month - 1 + n, 12)
        closed.add(f"{day.year + y:04d}-{m + 1:02d}")
    found = first_open_on_or_after(day, closed)
    assert found >= day
    assert period_of(found) not in closed
    if found != day:  # every month between is closed, and it is the first day of its month
        assert found.day == 1
        assert period_of(found - timedelta(days=1)) in closed


# settlement dates (issue 16 item 1) ----------------------------------------------------------------------------
def _party(kind: str, number: str, dated: date | None) -> Party:
    return Party(kind, f"id-{number}", number, "cus", "USD", Money.zero("USD"), dated=dated)


_days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
_parties = st.lists(
    st.builds(
        _party,
        st.sampled_from(["credit_memo", "payment", "invoice", "debit_memo"]),
        st.from_regex(r"[A-Z]{2}-0000[0-9]{2}", fullmatch=True),
        st.none() | _days,
    ),
    min_size=1,
    max_size=5,
)


def test_an_application_before_its_credit_memo_names_both_dates() -> None:
    memo = _party("credit_memo", "CM-000007", date(2026, 3, 10))
    invoice = _party("invoice", "INV-000003", date(2026, 3, 2))
    with pytest.raises(ValidationFailedError) as e:
        check_application_order(date(2026, 3, 5), [memo, invoice])
    assert (e.value.field, e.value.errors[0].code) == ("applied_on", "before_document")
    assert e.value.errors[0].message == "The application date 2026-03-05 is before CM-000007's issue date 2026-03-10."
    payment = _party("payment", "PAY-000001", date(2026, 3, 12))
    with pytest.raises(ValidationFailedError, match="PAY-000001's receipt date 2026-03-12"):
        check_application_order(date(2026, 3, 11), [payment, invoice])


def test_the_latest_bound_is_the_one_named() -> None:
    bounds = [Bound(date(2026, 1, 1), "the issue date"), Bound(date(2026, 2, 1), "the unapplication date")]
    with pytest.raises(ValidationFailedError, match="before the unapplication date 2026-02-01"):
        check_order("void_date", date(2025, 12, 1), bounds, what="void date")


@given(_days, _parties)
def test_an_application_is_accepted_exactly_when_no_document_is_dated_after_it(day: date, parties: list[Party]) -> None:
    if all(dated_by(p, day) for p in parties):
        assert check_application_order(day, parties) == day
        return
    latest = max(p.dated for p in parties if p.dated is not None)
    with pytest.raises(ValidationFailedError) as e:
        check_application_order(day, parties)
    assert e.value.errors[0].code == "before_document"
    assert e.value.errors[0].message.startswith(f"The application date {day} is before ")
    assert e.value.errors[0].message.endswith(f" {latest}.")  # the latest document, the day to date it on or after


@given(_days, _parties)
def test_an_automatic_applications_date_is_the_first_it_may_have(default: date, parties: list[Party]) -> None:
    """Never before its usual date, on or after every document (so accepted), and the earliest such day."""
    day = application_date(default, parties)
    assert day >= default
    assert check_application_order(day, parties) == day
    assert day == default or any(p.dated == day for p in parties)


def _refund(number: str, on: date, back: date | None) -> Refund:
    return Refund(
        "rf",
        "co",
        number,
        SourceType.CREDIT_MEMO,
        "cm",
        "cus",
        Money.zero("USD"),
        "ach",
        None,
        on,
        status="completed" if back is None else "reversed",
        reversed_on=back,
    )


def test_a_void_is_bounded_by_every_settlement_event_of_its_memo() -> None:
    refunds = [_refund("RF-000001", date(2026, 3, 1), date(2026, 3, 20)), _refund("RF-000002", date(2026, 3, 5), None)]
    bounds = settlement_bounds("CM-000007", date(2026, 2, 1), date(2026, 3, 10), refunds)
    assert sorted((b.on, b.what) for b in bounds) == [
        (date(2026, 2, 1), "CM-000007's last application date"),
        (date(2026, 3, 1), "refund RF-000001's date"),
        (date(2026, 3, 5), "refund RF-000002's date"),
        (date(2026, 3, 10), "CM-000007's last unapplication date"),
        (date(2026, 3, 20), "refund RF-000001's reversal date"),
    ]
    with pytest.raises(ValidationFailedError) as e:
        check_order("void_date", date(2026, 3, 15), bounds, what="void date")
    assert (
        e.value.errors[0].message == "The void date 2026-03-15 is before refund RF-000001's reversal date 2026-03-20."
    )
    assert settlement_bounds("CM-000007", None, None, []) == []


@given(
    _days,
    st.none() | _days,
    st.none() | _days,
    st.lists(st.tuples(_days, st.none() | _days), max_size=4),
)
def test_a_void_is_accepted_exactly_when_on_or_after_the_last_settlement_event(
    day: date, applied: date | None, unapplied: date | None, refunds: list[tuple[date, date | None]]
) -> None:
    rfs = [_refund(f"RF-{i:06d}", on, back) for i, (on, back) in enumerate(refunds)]
    events = [d for d in (applied, unapplied, *(d for pair in refunds for d in pair)) if d is not None]
    bounds = settlement_bounds("CM-000001", applied, unapplied, rfs)
    if all(day >= d for d in events):
        assert check_order("void_date", day, bounds, what="void date") == day
        return
    with pytest.raises(ValidationFailedError) as e:
        check_order("void_date", day, bounds, what="void date")
    assert e.value.errors[0].message.startswith(f"The void date {day} is before ")
    assert e.value.errors[0].message.endswith(f" {max(events)}.")  # the latest event is named


# an amount freed is free from its release's date on --------------------------------------------------------
D0 = date(2026, 3, 1)


def test_an_amount_freed_later_is_not_free_before() -> None:
    """A memo of 50.00: 50.00 applied on the 1st, unapplied on the 20th. On the 10th it had nothing free."""
    uses = [Use(D0, D0 + timedelta(days=19), 5000)]
    with pytest.raises(ValidationFailedError) as e:
        check_free_as_of("applied_on", D0 + timedelta(days=9), 5000, 5000, uses, what="application date", whose="CM-1")
    assert (e.value.field, e.value.errors[0].code) == ("applied_on", "before_release")
    assert e.value.errors[0].message == (
        "The application date 2026-03-10 is before the amount of CM-1 was free again: it is free from 2026-03-20 "
        "(an unapplication or refund reversal is dated then)."
    )
    assert check_free_as_of("applied_on", D0 + timedelta(days=19), 5000, 5000, uses, what="x", whose="CM-1")
    with pytest.raises(ValidationFailedError, match="free from 2026-03-20"):  # before the 1st: it overlaps the 1st
        check_free_as_of("applied_on", D0 - timedelta(days=1), 5000, 5000, uses, what="x", whose="CM-1")


_offsets = st.integers(min_value=0, max_value=12)


@given(
    st.lists(st.tuples(_offsets, st.none() | st.integers(min_value=1, max_value=6), st.integers(1, 5)), max_size=6),
    _offsets,
    st.integers(min_value=1, max_value=5),
    st.integers(min_value=0, max_value=15),
)
def test_a_use_is_accepted_exactly_when_it_fits_on_every_day_from_its_date(
    spans: list[tuple[int, int | None, int]], offset: int, minor: int, extra: int
) -> None:
    """Against the definition, day by day: what was in use on each day from ``day`` on, plus the new use, is
    at most the total (a total at least what is in use today, as the running totals ensure)."""
    uses = [Use(D0 + timedelta(days=o), None if n is None else D0 + timedelta(days=o + n), m) for o, n, m in spans]
    total = sum(u.minor for u in uses if u.until is None) + minor + extra
    day = D0 + timedelta(days=offset)
    horizon = [day + timedelta(days=i) for i in range(30)]
    fits = all(sum(u.minor for u in uses if u.active_on(t)) + minor <= total for t in horizon)
    if fits:
        assert check_free_as_of("applied_on", day, minor, total, uses, what="application date", whose="X") == day
        return
    with pytest.raises(ValidationFailedError) as e:
        check_free_as_of("applied_on", day, minor, total, uses, what="application date", whose="X")
    assert e.value.errors[0].code == "before_release"
    free_from = next(
        d
        for d in horizon
        if all(sum(u.minor for u in uses if u.active_on(t)) + minor <= total for t in horizon if t >= d)
    )
    assert e.value.errors[0].message.endswith(
        f"free from {free_from} (an unapplication or refund reversal is dated then)."
    )
