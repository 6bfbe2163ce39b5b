"""Periods (issue 17 item 2): the months a company has closed, and the row that makes closing race-free.

``period_states`` has one row per company (seeded with the company). Its ``closed`` column is the closed
months; a dated write reads it under a share lock (``closed``), a close or reopen under FOR NO KEY UPDATE
(``lock_for_change``); see store/locking.py and docs/CONCURRENCY.md. Never cached across units of work:
another process may close a month at any time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from creditmemo.store.locking import locked, shared
from creditmemo.store.tables import period_states, periods

_state = select(period_states.c.closed).where(period_states.c.company_id == bindparam("b_company"))
_STATE = {False: _state, True: shared(_state)}
_STATE_FOR_CHANGE = {False: _state, True: locked(_state)}
_history = select(periods).where(periods.c.company_id == bindparam("b_company")).order_by(periods.c.period.desc())


def _split(text: str | None) -> frozenset[str]:
    return frozenset(p for p in (text or "").split(",") if p)


class PeriodRepository:
    def __init__(self, conn: Connection, *, row_locks: bool) -> None:
        self.conn = conn
        self.row_locks = row_locks  # PostgreSQL writing units of work; SQLite's writers hold the database lock
        self._closed: dict[str, frozenset[str]] = {}  # once per unit of work: held under the share lock

    def seed(self, company_id: str) -> None:
        """A new company: nothing closed."""
        self.conn.execute(insert(period_states).values(company_id=company_id, closed="", version=1))

    def closed(self, company_id: str) -> frozenset[str]:
        """The company's closed months, read under a share lock held to commit (so no close of a month can
        commit while this transaction may still write a date in it). Read once per unit of work."""
        if company_id not in self._closed:
            text = self.conn.execute(_STATE[self.row_locks], {"b_company": company_id}).scalar_one_or_none()
            self._closed[company_id] = _split(text)
        return self._closed[company_id]

    def lock_for_change(self, company_id: str) -> frozenset[str]:
        """Close or reopen: the state row under FOR NO KEY UPDATE (waits for every dated write in flight).
        A company without its row (created before the row was seeded by anything but the migration) gets it."""
        text = self.conn.execute(_STATE_FOR_CHANGE[self.row_locks], {"b_company": company_id}).scalar_one_or_none()
        if text is None:
            self.seed(company_id)
            text = self.conn.execute(_STATE_FOR_CHANGE[self.row_locks], {"b_company": company_id}).scalar_one()
        self._closed[company_id] = _split(text)
        return self._closed[company_id]

    def set_closed(self, company_id: str, closed: Iterable[str]) -> None:
        value = ",".join(sorted(set(closed)))
        self.conn.execute(
            update(period_states)
            .where(period_states.c.company_id == company_id)
            .values(closed=value, version=period_states.c.version + 1)
        )
        self._closed[company_id] = _split(value)

    def history(self, company_id: str) -> list[dict[str, Any]]:
        """Every month ever closed, newest first."""
        return [dict(r) for r in self.conn.execute(_history, {"b_company": company_id}).mappings()]

    def get(self, company_id: str, period: str) -> dict[str, Any] | None:
        row = (
            self.conn.execute(select(periods).where(periods.c.company_id == company_id, periods.c.period == period))
            .mappings()
            .first()
        )
        return None if row is None else dict(row)

    def record_close(self, company_id: str, period: str, *, by: str | None, at: datetime) -> None:
        values = {
            "status": "closed",
            "closed_at": at,
            "closed_by": by,
            "reopened_at": None,
            "reopened_by": None,
            "reopen_reason": None,
        }
        if self.get(company_id, period) is None:
            self.conn.execute(insert(periods).values(company_id=company_id, period=period, **values))
        else:
            self.conn.execute(
                update(periods).where(periods.c.company_id == company_id, periods.c.period == period).values(**values)
            )

    def record_reopen(self, company_id: str, period: str, *, by: str | None, at: datetime, reason: str) -> None:
        self.conn.execute(
            update(periods)
            .where(periods.c.company_id == company_id, periods.c.period == period)
            .values(status="open", reopened_at=at, reopened_by=by, reopen_reason=reason)
        )
