"""Revenue schedules (ASC 606, issue 12): a line with a service period is recognized ratably by day, and a
credit on it is split between what is already recognized and what is still deferred. Pure arithmetic on
integer minor units (exact: no rounding but the one half-up division below).

- Recognized through day t = round_half_up(net x days elapsed through t / days in period); a month's amount
  is the difference of that cumulative figure at the month's two ends, so the months always sum exactly to
  the line's net (cumulative rounding). The example of the issue: 1,200.00 over 2026 (365 days), through
  2026-03-31 (90 days) = 295.89.
- A credit is spread the same way over the days it covers (the memo line's service period: all of the line's
  period unless a proration narrowed it). Its part on days before the memo's date, and all of its part in a
  month a recognition run has already recognized, comes from revenue (``recognized``); the rest from deferred
  revenue (``deferred``). A credit over the line's whole period is allocated as the difference of the
  cumulative allocation of (credited before + this credit) and of (credited before), so the credits of one
  line sum month by month exactly to its schedule when they complete it.
- A month is due for recognition on its last covered day (the month's end, or the period's end).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from creditmemo.domain.errors import ValidationFailedError


def _half_up(numerator: int, denominator: int) -> int:
    """round_half_up(numerator / denominator) for numerator >= 0, denominator > 0, in integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    nxt = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


def check_period(start: date, end: date, field: str = "service_end") -> None:
    if end < start:
        raise ValidationFailedError.single(field, "The period ends before it starts.", "out_of_range")


@dataclass(frozen=True, slots=True)
class Period:
    """Inclusive days ``start..end``."""

    start: date
    end: date

    def __post_init__(self) -> None:
        check_period(self.start, self.end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def elapsed_through(self, day: date) -> int:
        """Days of the period on or before ``day`` (0 before it starts, all after it ends)."""
        if day < self.start:
            return 0
        return (min(day, self.end) - self.start).days + 1

    def months(self) -> list[date]:
        """The first day of each calendar month the period touches."""
        out, m = [], month_start(self.start)
        while m <= self.end:
            out.append(m)
            m = month_end(m) + timedelta(days=1)
        return out

    def due_on(self, month: date) -> date:
        """The last day of the period inside ``month``: when that month is recognized."""
        return min(month_end(month), self.end)


def cumulative(amount_minor: int, period: Period, through: date) -> int:
    """What of ``amount_minor`` spread ratably over ``period`` falls on or before ``through`` (half-up)."""
    return _half_up(amount_minor * period.elapsed_through(through), period.days)


@dataclass(frozen=True, slots=True)
class ScheduleMonth:
    month: date  # first day of the month
    due_on: date  # last day of the period in that month
    amount_minor: int


def schedule(net_minor: int, period: Period) -> tuple[ScheduleMonth, ...]:
    """The line's months: cumulative rounding, so they sum exactly to ``net_minor``."""
    if net_minor < 0:
        raise ValueError("a schedule is for a non-negative net")
    out, before = [], 0
    for m in period.months():
        due = period.due_on(m)
        upto = cumulative(net_minor, period, due)
        out.append(ScheduleMonth(m, due, upto - before))
        before = upto
    return tuple(out)


@dataclass(frozen=True, slots=True)
class CreditMonth:
    """A credit's share of one month: ``recognized`` is taken from revenue, ``deferred`` from deferred
    revenue."""

    month: date
    recognized_minor: int
    deferred_minor: int

    @property
    def total_minor(self) -> int:
        return self.recognized_minor + self.deferred_minor


def split_credit(
    credit_minor: int,
    line_period: Period,
    *,
    covers: Period | None,
    memo_date: date,
    recognized_through: date | None = None,
    credited_before_minor: int = 0,
) -> tuple[CreditMonth, ...]:
    """Split a credit of ``credit_minor`` on a scheduled line by month into recognized and deferred parts.

    ``covers``: the days the credit is for (None or the whole period: the credit is spread like the line);
    ``recognized_through``: the company's latest recognition run: a month due on or before it is recognized
    (its share is from revenue, whatever the memo date);
    ``credited_before_minor``: the line's credit posted before this one (used when ``covers`` is the whole
    period, so successive credits sum exactly to the schedule). The parts sum exactly to ``credit_minor``."""
    if credit_minor < 0:
        raise ValueError("a credit is not negative")
    span = line_period
    base = credited_before_minor
    if covers is not None and covers != line_period:
        start, end = max(covers.start, line_period.start), min(covers.end, line_period.end)
        span = Period(start, end) if start <= end else line_period
        base = 0

    def share(through: date) -> int:
        return cumulative(base + credit_minor, span, through) - cumulative(base, span, through)

    before_memo = memo_date - timedelta(days=1)
    out = []
    for m in line_period.months():
        first, last = max(m, span.start), min(month_end(m), span.end)
        if first > last:
            continue
        opening = share(first - timedelta(days=1))
        in_month = share(last) - opening
        recognized_by_run = recognized_through is not None and line_period.due_on(m) <= recognized_through
        if recognized_by_run or before_memo >= last:
            recognized = in_month
        elif before_memo < first:
            recognized = 0
        else:
            recognized = share(before_memo) - opening
        if in_month:
            out.append(CreditMonth(m, recognized, in_month - recognized))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class LinePosition:
    """A scheduled line at a date, in minor units: invoiced = recognized + deferred + credited."""

    invoiced: int
    recognized: int  # net revenue: recognized by runs less credits taken from revenue
    deferred: int  # still in deferred revenue
    credited: int


def position(
    months: Sequence[ScheduleMonth],
    recognized_by_month: Mapping[date, int],
    credits: Iterable[CreditMonth],
) -> LinePosition:
    """Where a line stands: its schedule, what runs recognized per month, the credits' splits (a void adds
    the negated split)."""
    invoiced = sum(m.amount_minor for m in months)
    run = sum(recognized_by_month.values())
    from_revenue = from_deferred = 0
    for c in credits:
        from_revenue += c.recognized_minor
        from_deferred += c.deferred_minor
    return LinePosition(
        invoiced=invoiced,
        recognized=run - from_revenue,
        deferred=invoiced - run - from_deferred,
        credited=from_revenue + from_deferred,
    )


def to_recognize(amount_minor: int, credited_deferred_minor: int) -> int:
    """What a due month should have recognized in all: its amount less what credits took from deferred."""
    return amount_minor - credited_deferred_minor
