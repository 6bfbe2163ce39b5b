"""The background worker: posts memos in ready_to_post (DESIGN §2: > line limit, or bulk).

Each memo is claimed and posted in its own transaction, so a worker killed mid-posting leaves the
memo ready_to_post with nothing written (the transaction never commits) and the next run posts it
exactly once. On PostgreSQL several workers run side by side (FOR UPDATE SKIP LOCKED); on SQLite
one worker (BEGIN IMMEDIATE serialises writers). A memo that cannot be posted (a domain error such
as over_credit because its invoice was fully credited meanwhile) goes back to draft with the error
in ``post_error``, in a new transaction."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from creditmemo.domain.documents import Memo
from creditmemo.domain.errors import DomainError
from creditmemo.domain.lifecycle import Action, Status, next_status
from creditmemo.services import audit
from creditmemo.services.actors import system_actor
from creditmemo.services.memos.post import finish_post
from creditmemo.store.uow import Database, UnitOfWork

log = logging.getLogger("creditmemo.worker")
WORKER_LABEL = "worker"


class PostingRefusedError(DomainError):
    """A constraint of the database refused the posting (a bug or a direct edit, never a user's input)."""

    code = "integrity_error"


@dataclass
class WorkerStats:
    posted: int = 0
    failed: int = 0


def post_next(db: Database) -> tuple[str, Memo | DomainError] | None:
    """Claim and post one queued memo. None when the queue is empty (or every queued memo is held by
    another worker); otherwise (memo id, posted memo or the domain error that sent it to draft).
    A database constraint refusing the posting (IntegrityError) also sends it to draft, as
    ``integrity_error``: retrying would fail the same way and block the queue. A deadlock or
    serialization failure is retried at once (``Database.transact``); other exceptions (connection
    lost) propagate, and the memo stays ready_to_post for the next round."""
    claimed: list[tuple[str, str]] = []  # the memo the last attempt claimed, for _fail

    def claim_and_post(uow: UnitOfWork) -> tuple[str, Memo] | None:
        claimed.clear()
        found = uow.memos.claim_next_ready()
        if found is None:
            return None
        claimed.append(found)
        company_id, memo_id = found
        memo = uow.memos.get(company_id, memo_id, for_update=True)
        log.info("posting %s %s (%d lines)", memo.number, memo_id, len(memo.lines))
        return memo_id, finish_post(uow, system_actor(company_id, WORKER_LABEL), memo, action=Action.FINISH_POST)

    try:
        return db.transact(claim_and_post)  # a deadlock is retried; the claim is taken again
    except DomainError as e:
        error = e
    except IntegrityError as e:
        error = PostingRefusedError(f"The database refused the posting: {e.orig}")
    company_id, memo_id = claimed[0]
    _fail(db, company_id, memo_id, error)
    return memo_id, error


def _fail(db: Database, company_id: str, memo_id: str, error: DomainError) -> None:
    """Back to draft with the error visible on the memo and in the audit trail (own transaction)."""
    actor = system_actor(company_id, WORKER_LABEL)

    def back_to_draft(uow: UnitOfWork) -> None:
        memo = uow.memos.get(company_id, memo_id, for_update=True)
        if memo.status is not Status.READY_TO_POST:
            return  # someone else already dealt with it
        status = next_status(memo.status, Action.FAIL_POST, f"{memo.kind} memo")
        message = f"{error.code}: {error.detail}"
        uow.memos.save(replace(memo, status=status, post_error=message, updated_at=uow.now(), version=memo.version + 1))
        audit.record(
            uow,
            actor,
            f"{memo.kind}_memo.post_failed",
            f"{memo.kind}_memo",
            memo.id,
            {
                "status": [str(memo.status), str(status)],
                "post_error": [None, message],
                "error_code": [None, error.code],
            },
        )

    db.transact(back_to_draft)


@dataclass
class Periodic:
    """A job the worker also runs every ``every`` seconds (the first time at start), e.g. audit anchoring; a
    failure is logged and tried again at the next due time, never stopping the posting."""

    name: str
    every: float
    run: Callable[[], object]
    due: float = 0.0

    def run_if_due(self) -> None:
        now = time.monotonic()
        if now < self.due:
            return
        self.due = now + self.every
        try:
            self.run()
        except Exception:
            log.exception("%s failed; next try in %.0f s", self.name, self.every)


def anchor_audit_chains(
    db: Database, key: Any, anchors_file: Path, company_ids: Sequence[str] | None = None
) -> list[Any]:
    """Seal pending events, sign each company's chain head and publish it (services/anchoring.py): one
    transaction, then the file. What `creditmemo audit anchor` and the worker's hourly job run."""
    from creditmemo.services.anchoring import anchor_heads, append_to_file

    if company_ids is None:
        with db.uow(readonly=True) as uow:
            company_ids = uow.audit.company_ids()
    db.seal(company_ids)
    with db.uow() as uow:
        made = anchor_heads(uow, key, company_ids)
    append_to_file(anchors_file, made)
    log.info("anchored %d audit chains in %s", len(made), anchors_file)
    return made


def run_worker(
    db: Database,
    *,
    once: bool = False,
    batch: int = 100,
    poll_interval: float = 1.0,
    should_stop: Callable[[], bool] = lambda: False,
    periodic: Sequence[Periodic] = (),
) -> WorkerStats:
    """Post until the queue is empty (``once``) or forever, polling every ``poll_interval`` seconds
    when idle. ``batch`` bounds how many memos one round posts before checking ``should_stop``."""
    stats = WorkerStats()
    while not should_stop():
        for job in periodic:
            job.run_if_due()
        done_this_round = 0
        while done_this_round < batch:
            try:
                result = post_next(db)
            except (OperationalError, InterfaceError):
                if once:
                    raise
                log.exception("database unavailable; retrying in %.1f s", poll_interval)
                break
            if result is None:
                break
            done_this_round += 1
            memo_id, outcome = result
            if isinstance(outcome, DomainError):
                stats.failed += 1
                log.warning("memo %s not posted: %s %s", memo_id, outcome.code, outcome.detail)
            else:
                stats.posted += 1
                log.info("posted %s %s", outcome.number, memo_id)
        if done_this_round == 0:
            if once:
                return stats
            time.sleep(poll_interval)
    return stats
