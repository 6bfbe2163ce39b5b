"""Signing in to the web UI with e-mail and password, and out again. The browser holds a random
token (256 bits) in an HttpOnly cookie; the database holds its SHA-256 and the session's CSRF token."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from creditmemo.services import audit, sign_in_limits
from creditmemo.services.actors import Actor, Role
from creditmemo.services.users import verify_password
from creditmemo.store.repositories.users import UserRepository
from creditmemo.store.repositories.web_sessions import WebSessionRepository
from creditmemo.store.uow import UnitOfWork

SESSION_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class WebSession:
    actor: Actor
    csrf_token: str
    name: str
    company_name: str


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str  # the cookie value: the only time it exists in plain text
    session: WebSession


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode(errors="replace")).hexdigest()


def sign_in(uow: UnitOfWork, *, email: object, password: object, address: str | None = None) -> SignedIn | None:
    """A new session for a correct e-mail and password of an active user, else None (no hint which).
    ``TooManyAttemptsError`` before the password is checked when the e-mail or the client ``address`` is
    locked out (services/sign_in_limits.py); a wrong password is counted (the caller commits it)."""
    sign_in_limits.check(uow, email, address)
    actor = verify_password(uow, email, password)
    if actor is None or actor.user_id is None:
        row = UserRepository(uow.conn).by_email(email.strip().lower()) if isinstance(email, str) else None
        sign_in_limits.record_failure(uow, email, address, None if row is None else row["company_id"])
        return None
    sign_in_limits.record_success(uow, str(email))
    repo = WebSessionRepository(uow.conn)
    now = uow.now()
    repo.remove_expired(now)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    repo.add(
        token_hash=token_digest(token),
        user_id=actor.user_id,
        csrf_token=csrf,
        now=now,
        expires_at=now + SESSION_LIFETIME,
    )
    audit.record(uow, actor, "user.signed_in", "user", actor.user_id, {"channel": [None, "web"]})
    session = session_for(uow, token)
    assert session is not None
    return SignedIn(token, session)


def session_for(uow: UnitOfWork, token: object) -> WebSession | None:
    """The live session a cookie stands for, or None (unknown, expired, user deactivated)."""
    if not isinstance(token, str) or not 20 <= len(token) <= 200:
        return None
    row = WebSessionRepository(uow.conn).get(token_digest(token))
    if row is None or not row["active"] or row["expires_at"] <= uow.now():
        return None
    actor = Actor(
        row["user_id"], row["company_id"], Role(row["role"]), frozenset(row["privileges"] or ()), row["email"]
    )
    return WebSession(actor, row["csrf_token"], row["name"], row["company_name"])


def sign_out(uow: UnitOfWork, token: object) -> None:
    if not isinstance(token, str):
        return
    session = session_for(uow, token)
    if WebSessionRepository(uow.conn).remove(token_digest(token)) and session is not None:
        audit.record(
            uow, session.actor, "user.signed_out", "user", session.actor.user_id or "", {"channel": [None, "web"]}
        )
