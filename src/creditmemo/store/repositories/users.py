"""Users and their API keys (keys stored as a SHA-256 of the whole key; passwords as argon2 hashes)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from creditmemo.store.engine import ROWCOUNT
from creditmemo.store.tables import api_keys, companies, users

Row = Mapping[Any, Any]  # a result row: SQLAlchemy keys RowMapping by name or column

_key_by_prefix = (
    select(
        api_keys.c.id,
        api_keys.c.key_hash,
        api_keys.c.revoked_at,
        api_keys.c.company_id,
        users.c.id.label("user_id"),
        users.c.email,
        users.c.role,
        users.c.privileges,
        users.c.active,
        companies.c.auth_version,
    )
    .join(users, users.c.id == api_keys.c.user_id)
    .join(companies, companies.c.id == api_keys.c.company_id)
    .where(api_keys.c.prefix == bindparam("b_prefix"))
)


class UserRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self,
        *,
        user_id: str,
        company_id: str,
        email: str,
        name: str,
        role: str,
        privileges: list[str],
        password_hash: str | None,
        now: datetime,
    ) -> None:
        self.conn.execute(
            insert(users).values(
                id=user_id,
                company_id=company_id,
                email=email,
                name=name,
                role=role,
                privileges=privileges,
                password_hash=password_hash,
                active=True,
                created_at=now,
            )
        )

    def by_email(self, email: str) -> Row | None:
        return self.conn.execute(select(users).where(users.c.email == email)).mappings().first()

    def get(self, company_id: str, user_id: str) -> Row | None:
        return (
            self.conn.execute(select(users).where(users.c.company_id == company_id, users.c.id == user_id))
            .mappings()
            .first()
        )

    def list(self, company_id: str) -> list[Row]:
        return list(
            self.conn.execute(select(users).where(users.c.company_id == company_id).order_by(users.c.email)).mappings()
        )

    def update(self, user_id: str, **values: Any) -> None:
        self.conn.execute(update(users).where(users.c.id == user_id).values(**values))

    def add_key(
        self, *, key_id: str, company_id: str, user_id: str, prefix: str, key_hash: str, name: str | None, now: datetime
    ) -> None:
        self.conn.execute(
            insert(api_keys).values(
                id=key_id,
                company_id=company_id,
                user_id=user_id,
                prefix=prefix,
                key_hash=key_hash,
                name=name,
                created_at=now,
            )
        )

    def key_by_prefix(self, prefix: str) -> Row | None:
        return self.conn.execute(_key_by_prefix, {"b_prefix": prefix}).mappings().first()

    def revoke_key(self, company_id: str, key_id: str, now: datetime) -> int:
        return self.conn.execute(
            update(api_keys)
            .where(
                api_keys.c.company_id == company_id,
                api_keys.c.id == key_id,
                api_keys.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
            .execution_options(**ROWCOUNT)
        ).rowcount
