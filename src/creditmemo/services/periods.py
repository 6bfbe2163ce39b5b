"""Periods and date rules at the service level (issue 17 items 1 and 2).

``check`` is how every service that takes a date checks it: it gathers today, the company's closed months
(read under the period share lock, store/repositories/periods.py) and its future limit (a setting), and asks
the one domain function (domain/dating.py). ``close_period`` / ``reopen_period`` change which months are
closed, audited; a close waits for the dated writes in flight (docs/CONCURRENCY.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from creditmemo.domain.dating import (
    Bound,
    Calendar,
    check_date,
    first_open_on_or_after,
    parse_period,
    period_of,
)
from creditmemo.domain.errors import InvalidTransitionError, ValidationFailedError
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.settings import max_future_days
from creditmemo.store.uow import UnitOfWork

__all__ = ["Bound", "check", "close_period", "list_periods", "reopen_period", "void_date"]


def calendar(uow: UnitOfWork, company_id: str) -> Calendar:
    """Today, the closed months (share-locked to commit) and the future limit, all read fresh."""
    return Calendar(uow.now().date(), uow.periods.closed(company_id), max_future_days(uow, company_id))


def check(
    uow: UnitOfWork,
    company_id: str,
    field: str,
    day: date,
    *,
    what: str,
    not_before: Sequence[Bound] = (),
    future_ok: bool = False,
) -> date:
    """The date rules for one dated write (domain/dating.py): refused with the field named."""
    return check_date(field, day, calendar(uow, company_id), what=what, not_before=not_before, future_ok=future_ok)


def void_date(
    uow: UnitOfWork, company_id: str, given: date | None, *, field: str, not_before: Sequence[Bound]
) -> tuple[date, str | None]:
    """A void's date: the given one (checked like any), or today, moved to the first day of the first open
    period when today's is closed. The second value is the closed period skipped (for the entry's text)."""
    if given is not None:
        return check(uow, company_id, field, given, what="void date", not_before=not_before), None
    cal = calendar(uow, company_id)
    start = max([cal.today, *(b.on for b in not_before)])
    day = first_open_on_or_after(start, cal.closed)
    skipped = period_of(start) if day != start else None
    # A date the rules moved forward is not refused for being ahead: the company chose to close the month.
    check_date(field, day, cal, what="void date", not_before=not_before, future_ok=skipped is not None)
    return day, skipped


@dataclass(frozen=True, slots=True)
class PeriodView:
    period: str
    status: str  # open | closed
    closed_at: datetime | None
    closed_by: str | None
    reopened_at: datetime | None
    reopened_by: str | None
    reopen_reason: str | None


def _view(row: dict[str, object]) -> PeriodView:
    return PeriodView(
        period=str(row["period"]),
        status=str(row["status"]),
        closed_at=row["closed_at"],  # type: ignore[arg-type]  # a column of datetimes
        closed_by=row["closed_by"],  # type: ignore[arg-type]  # a column of ids
        reopened_at=row["reopened_at"],  # type: ignore[arg-type]  # a column of datetimes
        reopened_by=row["reopened_by"],  # type: ignore[arg-type]  # a column of ids
        reopen_reason=row["reopen_reason"],  # type: ignore[arg-type]  # a column of text
    )


def list_periods(uow: UnitOfWork, actor: Actor, *, months: int = 12) -> list[PeriodView]:
    """The current month and the ``months - 1`` before it, plus every month ever closed, newest first."""
    authorize(actor, Permission.READ)
    known = {str(r["period"]): _view(r) for r in uow.periods.history(actor.company_id)}
    today = uow.now().date()
    year, month = today.year, today.month
    for _ in range(max(1, months)):
        key = f"{year:04d}-{month:02d}"
        known.setdefault(key, PeriodView(key, "open", None, None, None, None, None))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return [known[k] for k in sorted(known, reverse=True)]


def close_period(uow: UnitOfWork, actor: Actor, period: object) -> PeriodView:
    """Close a month: from the commit on, nothing can be dated in it. Waits for the dated writes in flight
    (they hold the period share lock), so none of them commits after this does."""
    authorize(actor, Permission.CLOSE_PERIOD)
    key = parse_period(period)
    closed = uow.periods.lock_for_change(actor.company_id)
    if key in closed:
        raise InvalidTransitionError("closed", "close", ["reopen"], "period")
    now = uow.now()
    uow.periods.set_closed(actor.company_id, closed | {key})
    uow.periods.record_close(actor.company_id, key, by=actor.user_id, at=now)
    audit.record(uow, actor, "period.closed", "period", key, {"status": ["open", "closed"]})
    return PeriodView(key, "closed", now, actor.user_id, None, None, None)


def reopen_period(uow: UnitOfWork, actor: Actor, period: object, *, reason: object) -> PeriodView:
    """Reopen a closed month (a reason is required, and audited)."""
    authorize(actor, Permission.CLOSE_PERIOD)
    key = parse_period(period)
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailedError.single("reason", "Say why the period is reopened.", "required")
    if len(reason) > 2000:
        raise ValidationFailedError.single("reason", "Text of at most 2000 characters.", "invalid")
    why = reason.strip()
    closed = uow.periods.lock_for_change(actor.company_id)
    if key not in closed:
        raise InvalidTransitionError("open", "reopen", ["close"], "period")
    now = uow.now()
    uow.periods.set_closed(actor.company_id, closed - {key})
    uow.periods.record_reopen(actor.company_id, key, by=actor.user_id, at=now, reason=why)
    audit.record(uow, actor, "period.reopened", "period", key, {"status": ["closed", "open"], "reason": [None, why]})
    row = uow.periods.get(actor.company_id, key)
    return _view(row) if row is not None else PeriodView(key, "open", None, None, now, actor.user_id, why)
