"""Printing a memo (HTML print view or PDF download): the print status becomes printed and the event
log records who printed it, when and in which format (seed 004 print status). Allowed after posting
(rule 4 lets print status change); not while the worker holds the memo (ready_to_post)."""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from creditmemo.domain.documents import Memo, MemoKind
from creditmemo.domain.errors import InvalidTransitionError, ValidationFailedError
from creditmemo.domain.lifecycle import Status, allowed_actions
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store.uow import UnitOfWork

FORMATS: Final = ("html", "pdf")


def mark_printed(uow: UnitOfWork, actor: Actor, memo_id: str, *, fmt: str, kind: MemoKind | None = None) -> Memo:
    """Set print_status to printed (it stays printed) and record a ``*.printed`` event every time."""
    authorize(actor, Permission.PRINT)
    if fmt not in FORMATS:
        raise ValidationFailedError.single("format", f"One of {', '.join(FORMATS)}.", "invalid")
    memo = uow.memos.get(actor.company_id, memo_id, kind, for_update=True)
    if memo.status is Status.READY_TO_POST:
        raise InvalidTransitionError(memo.status, "print", allowed_actions(memo.status), f"{memo.kind} memo")
    entity = f"{memo.kind}_memo"
    changes: dict[str, object] = {"format": [None, fmt]}
    if memo.print_status != "printed":
        memo = replace(memo, print_status="printed", updated_at=uow.now())
        uow.memos.save(memo)
        changes["print_status"] = ["not_printed", "printed"]
    audit.record(uow, actor, f"{entity}.printed", entity, memo.id, changes)
    return memo
