"""Revenue schedules (issue 12): the worked example, and properties: schedules sum to the line's net; a
line credited in several memos has splits that sum to it exactly, month by month; recognized + deferred +
credited = invoiced at every date; a run is idempotent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.recognition import (
    CreditMonth,
    Period,
    ScheduleMonth,
    cumulative,
    position,
    schedule,
    split_credit,
    to_recognize,
)

YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))


class TestWorkedExample:
    def test_recognized_through_march_is_295_89(self) -> None:
        assert cumulative(120000, YEAR, date(2026, 3, 31)) == 29589
        months = schedule(120000, YEAR)
        assert sum(m.amount_minor for m in months[:3]) == 29589

    def test_a_full_credit_on_april_first_splits_295_89_and_904_11(self) -> None:
        split = split_credit(120000, YEAR, covers=None, memo_date=date(2026, 4, 1))
        assert sum(c.recognized_minor for c in split) == 29589
        assert sum(c.deferred_minor for c in split) == 90411

    def test_months_already_recognized_come_from_revenue_whatever_the_memo_date(self) -> None:
        split = split_credit(
            120000, YEAR, covers=None, memo_date=date(2026, 2, 1), recognized_through=date(2026, 6, 30)
        )
        assert sum(c.recognized_minor for c in split) == cumulative(120000, YEAR, date(2026, 6, 30))

    def test_a_period_that_ends_before_it_starts_names_the_field(self) -> None:
        with pytest.raises(ValidationFailedError) as err:
            Period(date(2026, 2, 1), date(2026, 1, 31))
        assert err.value.errors[0].field == "service_end"


days = st.integers(min_value=0, max_value=800)
nets = st.integers(min_value=0, max_value=10**11)


@st.composite
def periods(draw: st.DrawFn) -> Period:
    start = date(2025, 1, 1) + timedelta(days=draw(days))
    return Period(start, start + timedelta(days=draw(st.integers(min_value=0, max_value=500))))


@settings(max_examples=300, deadline=None)
@given(net=nets, period=periods())
def test_schedules_sum_to_the_line_net(net: int, period: Period) -> None:
    months = schedule(net, period)
    assert sum(m.amount_minor for m in months) == net
    assert all(m.amount_minor >= 0 for m in months)
    assert [m.month for m in months] == period.months()
    assert months[-1].due_on == period.end


@settings(max_examples=300, deadline=None)
@given(net=nets, period=periods(), cuts=st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=6))
def test_a_line_credited_in_several_memos_splits_to_it_exactly(net: int, period: Period, cuts: list[int]) -> None:
    """Credits over the whole period that complete the line: their months sum to the schedule's months."""
    total = sum(cuts)
    pieces = [net * c // total for c in cuts]
    pieces[-1] += net - sum(pieces)
    by_month: dict[date, int] = {}
    before = 0
    memo_day = period.start
    for piece in pieces:
        split = split_credit(piece, period, covers=None, memo_date=memo_day, credited_before_minor=before)
        assert sum(c.total_minor for c in split) == piece
        # A month may move a cent to its neighbour (cumulative rounding); the memo's two legs never go negative.
        assert 0 <= sum(c.recognized_minor for c in split) <= piece
        for c in split:
            by_month[c.month] = by_month.get(c.month, 0) + c.total_minor
        before += piece
        memo_day += timedelta(days=period.days // len(pieces))
    assert {m.month: m.amount_minor for m in schedule(net, period) if m.amount_minor} == {
        k: v for k, v in by_month.items() if v
    }


class Line:
    """A scheduled line in memory, driven like the store drives it: runs set due months to what they should
    have recognized; credits add their split; voids add it negated."""

    def __init__(self, net: int, period: Period) -> None:
        self.period = period
        self.months: tuple[ScheduleMonth, ...] = schedule(net, period)
        self.recognized: dict[date, int] = {}
        self.credits: list[CreditMonth] = []
        self.credited = 0
        self.through: date | None = None

    def run(self, through: date) -> int:
        moved = 0
        self.through = through if self.through is None else max(through, self.through)
        for m in self.months:
            if m.due_on > self.through:
                continue
            target = to_recognize(m.amount_minor, sum(c.deferred_minor for c in self.credits if c.month == m.month))
            if self.recognized.get(m.month) != target:
                moved += target - self.recognized.get(m.month, 0)
                self.recognized[m.month] = target
        return moved

    def credit(self, amount: int, on: date, covers: Period | None) -> tuple[CreditMonth, ...]:
        split = split_credit(
            amount,
            self.period,
            covers=covers,
            memo_date=on,
            recognized_through=self.through,
            credited_before_minor=self.credited if covers is None else 0,
        )
        self.credits.extend(split)
        self.credited += amount
        return split

    def void(self, split: tuple[CreditMonth, ...], amount: int) -> None:
        self.credits.extend(CreditMonth(c.month, -c.recognized_minor, -c.deferred_minor) for c in split)
        self.credited -= amount


events = st.lists(
    st.tuples(
        st.sampled_from(["run", "credit", "void"]),
        st.integers(min_value=0, max_value=500),  # a day offset
        st.integers(min_value=1, max_value=100),  # a share of what is left, in percent
        st.booleans(),  # a covered period (proration) or the whole line
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(net=nets, period=periods(), steps=events)
def test_recognized_deferred_and_credited_sum_to_invoiced_at_every_step(
    net: int, period: Period, steps: list[tuple[str, int, int, bool]]
) -> None:
    line = Line(net, period)
    posted: list[tuple[tuple[CreditMonth, ...], int]] = []
    for kind, offset, share, prorated in steps:
        day = period.start + timedelta(days=offset)
        if kind == "run":
            line.run(day)
            assert line.run(day) == 0  # idempotent: a second run moves nothing
        elif kind == "credit" and net - line.credited > 0:
            amount = max(1, (net - line.credited) * share // 100)
            covers = Period(min(day, period.end), period.end) if prorated else None
            split = line.credit(amount, day, covers)
            assert sum(c.total_minor for c in split) == amount
            assert 0 <= sum(c.recognized_minor for c in split) <= amount
            posted.append((split, amount))
        elif kind == "void" and posted:
            line.void(*posted.pop())
        pos = position(line.months, line.recognized, line.credits)
        assert pos.recognized + pos.deferred + pos.credited == pos.invoiced == net
        assert pos.credited == line.credited
    line.run(period.end)
    pos = position(line.months, line.recognized, line.credits)
    assert pos.deferred == 0  # once every month is due and run, nothing is left deferred
    assert pos.recognized == net - line.credited
