"""Date rules, one place (issue 17 items 1 and 2). Pure: the caller passes today, the company's closed
periods and its future limit.

- A document is dated on or after the documents it touches: a memo's issue date on or after its invoice's
  issue date (or its return's receipt); a posting, void, application, unapplication, refund or refund
  reversal on or after the memo, invoice, payment, application or refund it touches.
- No date more than ``max_future_days`` after today (a company setting).
- Nothing is dated in a closed period (a month, ``YYYY-MM``).
- Settlement dates in order (issue 16 item 1: reports as of a date count what is dated on or before it): an
  application, automatic ones too, on or after its credit document and the invoice or debit memo it settles
  (``check_application_order``, ``application_date``); a void on or after the memo's last settlement event, its
  applications, unapplications, refunds and refund reversals (``settlement_bounds``); an application or refund
  not before the unapplication or refund reversal that freed the amount it uses (``check_free_as_of``).

Every refusal names the field and says it in finance words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from creditmemo.domain.errors import PeriodClosedError, ValidationFailedError
from creditmemo.domain.settlement import Party, Refund

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
    check_order(field, day, not_before, what=what)
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


def check_order(field: str, day: date, not_before: Iterable[Bound], *, what: str = "date") -> date:
    """Refuse ``day`` when it is before one of ``not_before``: a ``before_document`` error on ``field`` naming
    both dates, the latest bound it is before (the one to date it on or after)."""
    for bound in sorted(not_before, key=lambda b: b.on, reverse=True):
        if day < bound.on:
            raise ValidationFailedError.single(
                field, f"The {what} {day} is before {bound.what} {bound.on}.", "before_document"
            )
    return day


# settlement dates -------------------------------------------------------------------------------------------
def party_bound(party: Party) -> Bound | None:
    """What an application of (or to) this document may not be dated before: its issue (a payment's receipt)
    date."""
    if party.dated is None:
        return None
    words = "receipt date" if party.type == "payment" else "issue date"
    return Bound(party.dated, f"{party.number}'s {words}")


def application_bounds(parties: Iterable[Party]) -> list[Bound]:
    """The bounds of an application between ``parties`` (its source and its targets)."""
    return [b for b in map(party_bound, parties) if b is not None]


def dated_by(party: Party, day: date) -> bool:
    """Whether an application dated ``day`` may touch ``party``: it exists on that day."""
    return party.dated is None or party.dated <= day


def check_application_order(day: date, parties: Iterable[Party], *, field: str = "applied_on") -> date:
    """An application is dated on or after its credit document (credit memo or payment) and every invoice or
    debit memo it settles; else ``before_document`` on ``field``, naming both dates. Every application is
    checked by this before it is written (services/settlement/applications.py ``new_applications``)."""
    return check_order(field, day, application_bounds(parties), what="application date")


def application_date(default: date, parties: Iterable[Party]) -> date:
    """The date of an automatic application (a "next invoice" credit, account credit on a new invoice): its
    usual date (``default``: the posting's, the invoice's, today) or, when one of ``parties`` is dated later, the
    latest of their dates, the first day on which all of them exist."""
    return max([default, *(p.dated for p in parties if p.dated is not None)])


def settlement_bounds(
    number: str, last_applied: date | None, last_unapplied: date | None, refunds: Iterable[Refund]
) -> list[Bound]:
    """What a void of the memo numbered ``number`` may not be dated before: its settlement events, the last
    date of its applications (from it, or to a debit memo) and of their unapplications, and of its refunds and
    their reversals. A void before one of them would leave the memo voided yet applied or refunded as of the
    days in between."""
    bounds: list[Bound] = []
    if last_applied is not None:
        bounds.append(Bound(last_applied, f"{number}'s last application date"))
    if last_unapplied is not None:
        bounds.append(Bound(last_unapplied, f"{number}'s last unapplication date"))
    for rf in refunds:
        bounds.append(Bound(rf.refunded_on, f"refund {rf.number}'s date"))
        if rf.reversed_on is not None:
            bounds.append(Bound(rf.reversed_on, f"refund {rf.number}'s reversal date"))
    return bounds


@dataclass(frozen=True, slots=True)
class Use:
    """An amount (minor units) of a document in use from ``on`` (an application's or refund's date) until
    ``until`` (its unapplication's or reversal's date, from which it is free again; None: still in use)."""

    on: date
    until: date | None
    minor: int

    def active_on(self, day: date) -> bool:
        return self.on <= day and (self.until is None or day < self.until)


def check_free_as_of(
    field: str,
    day: date,
    minor: int,
    total_minor: int,
    uses: Iterable[Use],
    *,
    what: str,
    whose: str,
    state: str = "free",
) -> date:
    """A new use of ``minor`` (an application of or to a document, a refund of it) dated ``day``: refused when, on
    ``day`` or a later day, what was in use then and it would be more than the document's ``total_minor``. The
    amount an unapplication or a refund's reversal frees is free from that date on, not before (the reports as
    of the days between would show the document used twice over). The error (``before_release``, on ``field``)
    names ``day`` and the first date from which the amount is free (``state``: "free" for a credit, "due" for
    an invoice or debit memo). Whether the amount is there today is checked by the caller."""
    held = list(uses)
    # In use only grows between the later uses' dates (a release lowers it): the peaks are on those dates.
    peaks = sorted({day, *(u.on for u in held if u.on > day)})
    if all(sum(u.minor for u in held if u.active_on(t)) + minor <= total_minor for t in peaks):
        return day
    free_from = min(
        (
            r
            for r in sorted({u.until for u in held if u.until is not None and u.until > day})
            if all(
                sum(u.minor for u in held if u.active_on(t)) + minor <= total_minor
                for t in {r, *(u.on for u in held if u.on > r)}
            )
        ),
        default=None,
    )
    when = f": it is {state} from {free_from} (an unapplication or refund reversal is dated then)" if free_from else ""
    raise ValidationFailedError.single(
        field, f"The {what} {day} is before the amount of {whose} was {state} again{when}.", "before_release"
    )


def check_max_future_days(value: object, field: str = "max_future_days") -> int:
    """The setting: a whole number of days, 0 to ``MAX_FUTURE_DAYS_LIMIT``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailedError.single(field, "A whole number of days.", "invalid")
    if not 0 <= value <= MAX_FUTURE_DAYS_LIMIT:
        raise ValidationFailedError.single(field, f"Between 0 and {MAX_FUTURE_DAYS_LIMIT}.", "out_of_range")
    return value
