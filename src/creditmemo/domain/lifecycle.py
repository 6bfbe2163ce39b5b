"""The memo lifecycle as one table keyed on (status, action) — DESIGN §2. Credit and debit memos share it."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from creditmemo.domain.errors import InvalidTransitionError


class Status(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    READY_TO_POST = "ready_to_post"
    POSTED = "posted"
    VOID = "void"
    DISCARDED = "discarded"


class Action(StrEnum):
    EDIT = "edit"  # stays in draft
    SUBMIT = "submit"  # to pending_approval, or straight to approved when no tier applies
    APPROVE = "approve"
    REJECT = "reject"
    RECALL = "recall"
    POST = "post"
    QUEUE_POST = "queue_post"  # > line limit or bulk: the worker finishes it
    FINISH_POST = "finish_post"  # worker only
    FAIL_POST = "fail_post"  # worker only: posting failed, back to draft with the error
    VOID = "void"
    DISCARD = "discard"


S, A = Status, Action
TRANSITIONS: Final[Mapping[tuple[Status, Action], Status]] = MappingProxyType(
    {
        (S.DRAFT, A.EDIT): S.DRAFT,
        (S.DRAFT, A.SUBMIT): S.PENDING_APPROVAL,
        (S.DRAFT, A.POST): S.POSTED,
        (S.DRAFT, A.QUEUE_POST): S.READY_TO_POST,
        (S.DRAFT, A.DISCARD): S.DISCARDED,
        (S.PENDING_APPROVAL, A.APPROVE): S.APPROVED,
        (S.PENDING_APPROVAL, A.REJECT): S.DRAFT,
        (S.PENDING_APPROVAL, A.RECALL): S.DRAFT,
        (S.PENDING_APPROVAL, A.DISCARD): S.DISCARDED,
        # An approved memo can still be recalled to draft (and then needs approval again) or queued
        # when it is longer than the background line limit (DESIGN §2).
        (S.APPROVED, A.POST): S.POSTED,
        (S.APPROVED, A.QUEUE_POST): S.READY_TO_POST,
        (S.APPROVED, A.RECALL): S.DRAFT,
        (S.READY_TO_POST, A.FINISH_POST): S.POSTED,
        (S.READY_TO_POST, A.FAIL_POST): S.DRAFT,
        (S.POSTED, A.VOID): S.VOID,
    }
)

# Actions a person can ask for; the worker's own edges are not offered to users.
USER_ACTIONS: Final = (A.SUBMIT, A.APPROVE, A.REJECT, A.RECALL, A.POST, A.VOID, A.DISCARD)
EDITABLE: Final = frozenset({S.DRAFT})
TERMINAL: Final = frozenset({S.VOID, S.DISCARDED})


def allowed_actions(status: Status) -> tuple[Action, ...]:
    """User actions with an edge out of ``status``, in a stable order (buttons and the API)."""
    return tuple(a for a in USER_ACTIONS if (status, a) in TRANSITIONS)


def next_status(status: Status, action: Action, entity: str = "memo") -> Status:
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise InvalidTransitionError(status, action, allowed_actions(status), entity) from None


def ensure_editable(status: Status, entity: str = "memo") -> None:
    if status not in EDITABLE:
        next_status(status, Action.EDIT, entity)
