"""Idempotency-Key: a replay returns the first response; the same key with another request is a conflict.
Keys are per company and kept at least ``RETENTION`` (24 h). The response is stored in the same
transaction as the change it describes, so a committed change always has its stored response."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from creditmemo.domain.errors import IdempotencyConflictError, ValidationFailedError
from creditmemo.services.actors import Actor
from creditmemo.store.repositories.idempotency import IdempotencyRepository
from creditmemo.store.uow import UnitOfWork

RETENTION: Final = timedelta(hours=24)
MAX_KEY_LENGTH: Final = 255


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    body: str


def request_fingerprint(method: str, path: str, body: bytes | str) -> str:
    data = body.encode() if isinstance(body, str) else body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + data).hexdigest()


def check_key(key: str) -> str:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailedError.single("Idempotency-Key", f"1 to {MAX_KEY_LENGTH} printable characters.", "invalid")
    return key


EXPIRED: Final = StoredResponse(0, "")


def find_response(uow: UnitOfWork, actor: Actor, key: str, fingerprint: str) -> StoredResponse | None:
    """The stored response for this key; None when the key is new; ``EXPIRED`` when it is older than the
    retention (treated as new, replaced on save); a conflict when it was used for a different request."""
    row = IdempotencyRepository(uow.conn).get(actor.company_id, key)
    if row is None:
        return None
    if row["created_at"] < uow.now() - RETENTION:
        return EXPIRED
    if row["request_hash"] != fingerprint:
        raise IdempotencyConflictError(
            "This Idempotency-Key was used with a different request.", field="Idempotency-Key"
        )
    return StoredResponse(row["status_code"], row["response_body"])


def save_response(
    uow: UnitOfWork, actor: Actor, key: str, fingerprint: str, status_code: int, body: str, *, replace: bool = False
) -> None:
    repo = IdempotencyRepository(uow.conn, uow.numbers)
    if replace:
        repo.remove(actor.company_id, key)
    repo.add(
        company_id=actor.company_id,
        key=key,
        request_hash=fingerprint,
        status_code=status_code,
        body=body,
        now=uow.now(),
    )


def purge_expired(uow: UnitOfWork) -> int:
    return IdempotencyRepository(uow.conn).purge(uow.now() - RETENTION)
