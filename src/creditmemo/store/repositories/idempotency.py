"""Stored responses of POST requests by (company, Idempotency-Key)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select

from creditmemo.store.engine import ROWCOUNT
from creditmemo.store.numbering import Numbers
from creditmemo.store.tables import idempotency_keys

_get = select(idempotency_keys).where(
    idempotency_keys.c.company_id == bindparam("b_company"), idempotency_keys.c.key == bindparam("b_key")
)
_insert = insert(idempotency_keys)


class IdempotencyRepository:
    def __init__(self, conn: Connection, numbers: Numbers | None = None) -> None:
        self.conn = conn
        self.numbers = numbers

    def get(self, company_id: str, key: str) -> Mapping[Any, Any] | None:
        return self.conn.execute(_get, {"b_company": company_id, "b_key": key}).mappings().first()

    def add(self, *, company_id: str, key: str, request_hash: str, status_code: int, body: str, now: datetime) -> None:
        row = {
            "company_id": company_id,
            "key": key,
            "request_hash": request_hash,
            "status_code": status_code,
            "response_body": body,
            "created_at": now,
        }
        if self.numbers is not None and self.numbers.carries(body):  # the body names a number not taken yet
            row["response_body"] = self.numbers.text_sql(body, "b_body")
            self.conn.execute(insert(idempotency_keys).values(row))
        else:
            self.conn.execute(_insert, row)

    def remove(self, company_id: str, key: str) -> None:
        self.conn.execute(
            delete(idempotency_keys).where(idempotency_keys.c.company_id == company_id, idempotency_keys.c.key == key)
        )

    def purge(self, before: datetime) -> int:
        stmt = delete(idempotency_keys).where(idempotency_keys.c.created_at < before)
        return self.conn.execute(stmt.execution_options(**ROWCOUNT)).rowcount
