"""Printing a memo (HTML print view or PDF download). Seed 004: only a final document is printed — a posted
or void memo's print status becomes printed and the event log records who printed it, when and in which
format (rule 4 lets print status change after posting). Any other status (draft, pending approval,
approved, ready to post, discarded) gives a preview with its watermark and records nothing."""

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
PRINTED_STATUSES: Final = frozenset({Status.POSTED, Status.VOID})


def open_document(uow: UnitOfWork, actor: Actor, memo_id: str, *, fmt: str, kind: MemoKind | None = None) -> Memo:
    """The memo whose document an edge renders. A user who may print a final memo prints it (``mark_printed``);
    a reader, or any memo not yet final, gets a preview and nothing is written. The unit of work may be
    read-only when the actor lacks the print permission."""
    authorize(actor, Permission.READ)
    if fmt not in FORMATS:
        raise ValidationFailedError.single("format", f"One of {', '.join(FORMATS)}.", "invalid")
    memo = uow.memos.get(actor.company_id, memo_id, kind)
    if actor.can(Permission.PRINT) and memo.status in PRINTED_STATUSES:
        return mark_printed(uow, actor, memo.id, fmt=fmt, kind=kind)
    return memo


def mark_printed(uow: UnitOfWork, actor: Actor, memo_id: str, *, fmt: str, kind: MemoKind | None = None) -> Memo:
    """Set print_status to printed (it stays printed) and record a ``*.printed`` event every time; a memo
    that is not final is a preview: returned as it is, nothing recorded."""
    authorize(actor, Permission.PRINT)
    if fmt not in FORMATS:
        raise ValidationFailedError.single("format", f"One of {', '.join(FORMATS)}.", "invalid")
    memo = uow.memos.get(actor.company_id, memo_id, kind, for_update=True)
    if memo.status not in PRINTED_STATUSES:
        return memo
    entity = f"{memo.kind}_memo"
    changes: dict[str, object] = {"format": [None, fmt]}
    if memo.print_status != "printed":
        memo = replace(memo, print_status="printed", updated_at=uow.now())
        uow.memos.save(memo)
        changes["print_status"] = ["not_printed", "printed"]
    audit.record(uow, actor, f"{entity}.printed", entity, memo.id, changes)
    return memo


def record_sent(
    uow: UnitOfWork, actor: Actor, memo_id: str, *, recipient: object, kind: MemoKind | None = None
) -> Memo:
    """Record that the document went to a recipient (seed 004: the memo is sent to the customer; the mail itself
    is not ours to send). Only a final memo is sent; anything else is refused naming its status, and nothing
    is recorded."""
    authorize(actor, Permission.PRINT)
    to = recipient.strip() if isinstance(recipient, str) else ""
    if not to or len(to) > 320 or any(c in to for c in "\r\n"):
        raise ValidationFailedError.single(
            "recipient", "Who received it: an e-mail address or a name (at most 320 characters).", "invalid"
        )
    memo = uow.memos.get(actor.company_id, memo_id, kind, for_update=True)
    if memo.status not in PRINTED_STATUSES:
        raise InvalidTransitionError(memo.status, "send", allowed_actions(memo.status), f"{memo.kind} memo")
    entity = f"{memo.kind}_memo"
    audit.record(uow, actor, f"{entity}.sent", entity, memo.id, {"recipient": [None, to]})
    return memo
