"""Date rules, one place (issue 17 items 1 and 2). Pure: the caller passes today, the company's closed
periods and its future limit.

- A document is dated on or after the documents it touches: a memo's issue date on or after its invoice's
  issue date (or its return's receipt); a posting, void, application, unapplication, refund or refund
  reversal on or after the memo, invoice, payment, application or refund it touches.
- No date more than ``max_future_days`` after today (a company setting).
- Nothing is dated in a closed period (a month, ``YYYY-MM``).

Every refusal names the field and says it in finance words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from creditmemo.domain.errors import PeriodClosedError, ValidationFailedError

DEFAULT_MAX_FUTURE_DAYS: Final = 30
MAX_FUTURE_DAYS_LIMIT: Final = 3660
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, slots=True)
class Bound:
    """A date the checked one may not be before, and what it is in words ("CM-000007's issue date")."""

    on: date
    what: str


@dataclass(frozen=True, slots=True)
class Calendar:
    """What the rules need from the company: today, its closed periods, how far ahead a date may be."""

    today: date
    closed: frozenset[str] = frozenset()
    max_future_days: int = DEFAULT_MAX_FUTURE_DAYS


def period_of(day: date) -> str:
    """The period (month) a date falls in: ``YYYY-MM``."""
    return f"{day.year:04d}-{day.month:02d}"


def parse_period(value: object, field: str = "period") -> str:
    """A period as ``YYYY-MM`` (month 01-12), normalised; else a validation error naming ``field``."""
    if isinstance(value, str):
        m = _PERIOD.match(value.strip())
        if m and 1 <= int(m.group(2)) <= 12 and int(m.group(1)) >= 1:
            return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    raise ValidationFailedError.single(field, f"{value!r} is not a period (YYYY-MM).", "invalid_period")


def period_bounds(period: str) -> tuple[date, date]:
    """The first and last day of a period."""
    year, month = int(period[:4]), int(period[5:7])
    start = date(year, month, 1)
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return start, nxt - timedelta(days=1)


def first_open_on_or_after(day: date, closed: Iterable[str]) -> date:
    """``day`` if its period is open, else the first day of the first open period after it."""
    shut = frozenset(closed)
    while period_of(day) in shut:
        day = period_bounds(period_of(day))[1] + timedelta(days=1)
    return day


def check_date(
    field: str,
    day: date,
    calendar: Calendar,
    *,
    what: str = "date",
    not_before: Sequence[Bound] = (),
    future_ok: bool = False,
) -> date:
    """Refuse ``day`` (the value of ``field``, "the posting date") when it is before one of ``not_before``,
    more than the company's limit in the future (unless ``future_ok``), or in a closed period."""
    for bound in not_before:
        if day < bound.on:
            raise ValidationFailedError.single(
                field, f"The {what} {day} is before {bound.what} {bound.on}.", "before_document"
            )
    if not future_ok and (day - calendar.today).days > calendar.max_future_days:
        raise ValidationFailedError.single(
            field,
            f"The {what} {day} is more than {calendar.max_future_days} days after today ({calendar.today}).",
            "too_far_ahead",
        )
    period = period_of(day)
    if period in calendar.closed:
        raise PeriodClosedError(
            f"The {what} {day} is in {period}, which is closed; reopen it or use a date in an open period.",
            field=field,
            period=period,
        )
    return day


def check_max_future_days(value: object, field: str = "max_future_days") -> int:
    """The setting: a whole number of days, 0 to ``MAX_FUTURE_DAYS_LIMIT``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailedError.single(field, "A whole number of days.", "invalid")
    if not 0 <= value <= MAX_FUTURE_DAYS_LIMIT:
        raise ValidationFailedError.single(field, f"Between 0 and {MAX_FUTURE_DAYS_LIMIT}.", "out_of_range")
    return value
