"""The date rules (domain/dating.py): bounds, the future limit, closed periods, the first open period."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditmemo.domain.dating import (
    Bound,
    Calendar,
    check_date,
    first_open_on_or_after,
    parse_period,
    period_bounds,
    period_of,
)
from creditmemo.domain.errors import PeriodClosedError, ValidationFailedError

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
