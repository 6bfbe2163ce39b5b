"""A company's exchange-rate table (issue 15): one rate per currency and day, replaced by a later PUT."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from creditmemo.store.tables import exchange_rates

MAX_LIST: int = 1000


class ExchangeRateRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def put(
        self, company_id: str, currency: str, day: date, rate: Decimal, *, at: datetime, by: str | None
    ) -> Decimal | None:
        """Set the rate of a day; returns the rate it replaced (None when new)."""
        before = self.rate_of_day(company_id, currency, day)
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        values = {
            "company_id": company_id,
            "currency": currency,
            "rate_date": day,
            "rate": rate,
            "updated_at": at,
            "updated_by": by,
        }
        stmt = dialect.insert(exchange_rates).values(values)
        self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["company_id", "currency", "rate_date"],
                set_={"rate": rate, "updated_at": at, "updated_by": by},
            )
        )
        return before

    def rate_of_day(self, company_id: str, currency: str, day: date) -> Decimal | None:
        r = exchange_rates.c
        return self.conn.execute(
            select(r.rate).where(r.company_id == company_id, r.currency == currency, r.rate_date == day)
        ).scalar_one_or_none()

    def rate_on(self, company_id: str, currency: str, day: date) -> Decimal | None:
        """The rate of ``day``: the latest on or before it."""
        r = exchange_rates.c
        return self.conn.execute(
            select(r.rate)
            .where(r.company_id == company_id, r.currency == currency, r.rate_date <= day)
            .order_by(r.rate_date.desc())
            .limit(1)
        ).scalar_one_or_none()

    def table(
        self, company_id: str, *, currency: str | None, start: date | None, end: date | None, limit: int = MAX_LIST
    ) -> list[dict[str, Any]]:
        r = exchange_rates.c
        stmt = select(exchange_rates).where(r.company_id == company_id)
        if currency is not None:
            stmt = stmt.where(r.currency == currency)
        if start is not None:
            stmt = stmt.where(r.rate_date >= start)
        if end is not None:
            stmt = stmt.where(r.rate_date <= end)
        return [dict(row) for row in self.conn.execute(stmt.order_by(r.currency, r.rate_date).limit(limit)).mappings()]
