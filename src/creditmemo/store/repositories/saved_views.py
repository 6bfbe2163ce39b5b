"""Saved list views: a user's named filter and sort for one list page (seed 004's list views)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from creditmemo.store.engine import ROWCOUNT
from creditmemo.store.tables import saved_views

Row = Mapping[Any, Any]  # a result row: SQLAlchemy keys RowMapping by name or column


class SavedViewRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self, *, view_id: str, company_id: str, user_id: str, page: str, name: str, query: str, now: datetime
    ) -> None:
        self.conn.execute(
            insert(saved_views).values(
                id=view_id, company_id=company_id, user_id=user_id, page=page, name=name, query=query, created_at=now
            )
        )

    def for_user(self, company_id: str, user_id: str, page: str) -> list[Row]:
        return list(
            self.conn.execute(
                select(saved_views)
                .where(
                    saved_views.c.company_id == company_id,
                    saved_views.c.user_id == user_id,
                    saved_views.c.page == page,
                )
                .order_by(saved_views.c.name, saved_views.c.id)
            ).mappings()
        )

    def remove(self, company_id: str, user_id: str, view_id: str) -> int:
        return self.conn.execute(
            delete(saved_views)
            .where(
                saved_views.c.company_id == company_id, saved_views.c.user_id == user_id, saved_views.c.id == view_id
            )
            .execution_options(**ROWCOUNT)
        ).rowcount
