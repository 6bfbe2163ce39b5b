"""Web sign-in sessions: a row per session, keyed by the SHA-256 of the cookie's token (the token
itself is never stored), with its CSRF token and expiry."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from creditmemo.store.engine import ROWCOUNT
from creditmemo.store.tables import companies, users, web_sessions

Row = Mapping[Any, Any]  # a result row: SQLAlchemy keys RowMapping by name or column

_by_hash = (
    select(
        web_sessions.c.token_hash,
        web_sessions.c.csrf_token,
        web_sessions.c.expires_at,
        users.c.id.label("user_id"),
        users.c.company_id,
        users.c.email,
        users.c.name,
        users.c.role,
        users.c.privileges,
        users.c.active,
        companies.c.name.label("company_name"),
    )
    .join(users, users.c.id == web_sessions.c.user_id)
    .join(companies, companies.c.id == users.c.company_id)
)


class WebSessionRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, *, token_hash: str, user_id: str, csrf_token: str, now: datetime, expires_at: datetime) -> None:
        self.conn.execute(
            insert(web_sessions).values(
                token_hash=token_hash, user_id=user_id, csrf_token=csrf_token, created_at=now, expires_at=expires_at
            )
        )

    def get(self, token_hash: str) -> Row | None:
        """The session with its user and company, whatever its expiry (the service decides)."""
        return self.conn.execute(_by_hash.where(web_sessions.c.token_hash == token_hash)).mappings().first()

    def remove(self, token_hash: str) -> int:
        stmt = delete(web_sessions).where(web_sessions.c.token_hash == token_hash)
        return self.conn.execute(stmt.execution_options(**ROWCOUNT)).rowcount

    def remove_expired(self, now: datetime) -> int:
        stmt = delete(web_sessions).where(web_sessions.c.expires_at < now)
        return self.conn.execute(stmt.execution_options(**ROWCOUNT)).rowcount
