"""Sign-in throttling (issue 16 item 7). A wrong password counts once against the e-mail tried and once
against the client address. With ``EMAIL_LIMIT`` failures for one e-mail, or ``ADDRESS_LIMIT`` from one
address, within ``WINDOW``, further attempts are refused (``TooManyAttemptsError``, 429 with Retry-After)
before the password is looked at, so a refused attempt costs no argon2 hash; refused attempts are not
counted. The counts live in the database (``sign_in_failures``), so every server process sees them.

A lockout starts when a failure brings a count to its limit: it is recorded once (``sign_in_lockouts``,
listed to the e-mail's company's admins, and an audit event ``user.sign_in_locked`` in that company when the
e-mail is a user's), not per refused attempt. It ends when the oldest failure it counted leaves the window.

A correct password clears the failures of its e-mail (the user proved who they are; the e-mail's next
wrong password starts from one), never those of the address: a guesser cannot reset the address's count by
signing in to an account of their own between guesses."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from creditmemo.domain.errors import TooManyAttemptsError
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize, system_actor
from creditmemo.store.locking import lock_key
from creditmemo.store.repositories.sign_in_limits import SignInLimitRepository
from creditmemo.store.uow import UnitOfWork

WINDOW = timedelta(minutes=15)
EMAIL_LIMIT = 5
ADDRESS_LIMIT = 20
LOCKOUT_LIST_DAYS = 30


@dataclass(frozen=True, slots=True)
class Lockout:
    id: str
    scope: str  # email | address
    subject: str
    email: str | None
    failures: int
    locked_at: datetime
    until: datetime
    active: bool


def _subjects(email: object, address: str | None) -> list[tuple[str, str, int]]:
    out = []
    if isinstance(email, str) and email.strip():
        out.append(("email", email.strip().lower()[:254], EMAIL_LIMIT))
    if address:
        out.append(("address", address[:254], ADDRESS_LIMIT))
    return out


def check(uow: UnitOfWork, email: object, address: str | None) -> None:
    """Raise ``TooManyAttemptsError`` when the e-mail or the address is locked out (before any hash)."""
    repo = SignInLimitRepository(uow.conn)
    now = uow.now()
    since = now - WINDOW
    wait = 0
    for scope, subject, limit in _subjects(email, address):
        count, _ = repo.window(scope, subject, since)
        if count >= limit:
            # Allowed again when fewer than ``limit`` remain: when the limit-th newest failure leaves the window.
            oldest_counted = repo.nth_newest(scope, subject, since, limit)
            if oldest_counted is not None:
                wait = max(wait, math.ceil((oldest_counted + WINDOW - now).total_seconds()))
    if wait > 0:
        raise TooManyAttemptsError(max(1, wait))


def record_failure(uow: UnitOfWork, email: object, address: str | None, company_id: str | None) -> None:
    """Count a wrong password; when a count reaches its limit, record the lockout once (and audit it)."""
    repo = SignInLimitRepository(uow.conn)
    now = uow.now()
    since = now - WINDOW
    mail = email.strip().lower()[:254] if isinstance(email, str) else None
    subjects = _subjects(email, address)
    # Step 0 of the lock order (docs/CONCURRENCY.md), in a fixed order: failures of one subject are counted one
    # transaction at a time, so exactly one of them reaches the limit and records the lockout.
    for scope, subject, _ in sorted(subjects):
        lock_key(uow.conn, "sign_in", scope, subject)
    for scope, subject, limit in subjects:
        repo.forget(scope, subject, before=since)  # what left the window is no longer needed
        repo.add_failure(scope, subject, company_id, now)
        count, _ = repo.window(scope, subject, since)
        if count != limit:
            continue
        oldest = repo.nth_newest(scope, subject, since, limit) or now
        until = oldest + WINDOW
        lockout_id = repo.add_lockout(
            scope=scope,
            subject=subject,
            company_id=company_id,
            email=mail,
            failures=count,
            now=now,
            until=until,
        )
        if company_id is not None:
            audit.record(
                uow,
                system_actor(company_id, "sign-in throttle"),
                "user.sign_in_locked",
                "sign_in_lockout",
                lockout_id,
                {
                    "scope": [None, scope],
                    "subject": [None, subject],
                    "email": [None, mail],
                    "failures": [None, count],
                    "until": [None, until.isoformat()],
                },
            )


def record_success(uow: UnitOfWork, email: str) -> None:
    """A correct password clears its e-mail's failures (never the address's: see the module docstring)."""
    SignInLimitRepository(uow.conn).forget("email", email.strip().lower()[:254])


def lockouts(uow: UnitOfWork, actor: Actor) -> list[Lockout]:
    """The lockouts started by failures for the actor's company's e-mails in the last ``LOCKOUT_LIST_DAYS``
    days, newest first, active ones flagged (admins: users and keys are theirs to manage)."""
    authorize(actor, Permission.MANAGE)
    now = uow.now()
    rows = SignInLimitRepository(uow.conn).lockouts(actor.company_id, now - timedelta(days=LOCKOUT_LIST_DAYS))
    return [_lockout(r, now) for r in rows]


def _lockout(row: Any, now: datetime) -> Lockout:
    return Lockout(
        row["id"],
        row["scope"],
        row["subject"],
        row["email"],
        int(row["failures"]),
        row["locked_at"],
        row["until"],
        row["until"] > now,
    )
