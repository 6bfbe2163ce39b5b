"""What may this actor do to this memo now: for each user action, allowed or the error that says why not.

The one source of that answer (issue 14): the services raise the refusal of the action they run, the API's
``allowed_actions``, the web page's buttons and the approval queue list the actions with none. Pure: the
caller passes what the rules need (the actor's role and permissions, the memo's facts, the approval policy).

Checks, in the order a refusal is reported: the actor's role (forbidden), the lifecycle table
(invalid_transition), then the action's own rule: approving or rejecting needs someone other than the
creator whose limit covers the amount (forbidden); only the creator recalls (forbidden); a draft the policy
sends to approval, or an approved memo changed since its approval, cannot be posted (approval_required);
a void needs the memo fully unapplied and unrefunded (memo_settled)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from creditmemo.domain.approval import ApprovalPolicy, Tier, may_approve
from creditmemo.domain.documents import Memo
from creditmemo.domain.errors import (
    ApprovalRequiredError,
    DomainError,
    ForbiddenError,
    InvalidTransitionError,
    MemoSettledError,
)
from creditmemo.domain.lifecycle import TRANSITIONS, USER_ACTIONS, Action, Status, allowed_actions
from creditmemo.domain.money import Money


@dataclass(frozen=True, slots=True)
class Asker:
    """Who asks: the user (None for a system actor), the role, and the user actions the role and the
    user's privileges permit on any memo."""

    user_id: str | None
    role: str
    permitted: frozenset[Action]


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules read of a memo (a Memo gives them all; the approval queue builds them from a row)."""

    kind: str
    number: str
    status: Status
    created_by: str | None
    amount_applied: Money
    amount_refunded: Money

    @classmethod
    def of(cls, memo: Memo) -> Facts:
        return cls(str(memo.kind), memo.number, memo.status, memo.created_by, memo.amount_applied, memo.amount_refunded)


@dataclass(frozen=True, slots=True)
class Standing:
    """The memo under the company's approval policy: its total in company currency, the tier that
    applies (None: no approval needed) and, for an approved memo, whether a clearing decision was
    given on its current version."""

    amount: Money
    tier: Tier | None
    cleared: bool = True


def refusal(
    action: Action, memo: Facts, asker: Asker, policy: ApprovalPolicy, standing: Standing
) -> DomainError | None:
    """None when ``asker`` may take ``action`` on ``memo`` now, else the error that says why not."""
    entity = f"{memo.kind} memo"
    if action not in asker.permitted:
        return ForbiddenError(f"Role {asker.role} may not {action} {entity}s.", permission=str(action), role=asker.role)
    if (memo.status, action) not in TRANSITIONS:
        return InvalidTransitionError(memo.status, action, allowed_actions(memo.status), entity)
    if action in (Action.APPROVE, Action.REJECT):
        return _approver_refusal(action, memo, asker, policy, standing)
    if action is Action.RECALL and (asker.user_id is None or asker.user_id != memo.created_by):
        return ForbiddenError("Only the memo's creator may recall it.", reason="not_creator")
    if action is Action.POST:
        return _posting_refusal(memo, standing)
    if action is Action.VOID and (memo.amount_applied.amount or memo.amount_refunded.amount):
        return MemoSettledError(
            f"{memo.number} has {memo.amount_applied} applied and {memo.amount_refunded} refunded; "
            "unapply and reverse those first.",
            applied=str(memo.amount_applied.amount),
            refunded=str(memo.amount_refunded.amount),
        )
    return None


def memo_actions(
    memo: Facts, asker: Asker, policy: ApprovalPolicy, standing: Standing
) -> Mapping[Action, DomainError | None]:
    """Every user action, in the lifecycle's order, with its refusal (None: allowed now)."""
    return {action: refusal(action, memo, asker, policy, standing) for action in USER_ACTIONS}


def allowed_now(memo: Facts, asker: Asker, policy: ApprovalPolicy, standing: Standing) -> tuple[Action, ...]:
    """The user actions ``asker`` may take on ``memo`` now (what the API lists and the web offers)."""
    return tuple(a for a, why in memo_actions(memo, asker, policy, standing).items() if why is None)


def _approver_refusal(
    action: Action, memo: Facts, asker: Asker, policy: ApprovalPolicy, standing: Standing
) -> DomainError | None:
    if asker.user_id is not None and asker.user_id == memo.created_by:
        return ForbiddenError(f"The creator of a memo may not {action} it.", reason="own_memo")
    tier = standing.tier
    if not may_approve(policy, asker.role, standing.amount.amount, tier):
        limit = policy.role_limits.get(asker.role)
        return ForbiddenError(
            f"Role {asker.role} may not {action} a memo of {standing.amount}"
            + (f" (tier {tier.name} needs {tier.min_role} or above)" if tier else "")
            + ".",
            reason="approval_limit",
            role=asker.role,
            amount=str(standing.amount.amount),
            limit=None if limit is None else str(limit),
            tier=tier.name if tier else None,
        )
    return None


def _posting_refusal(memo: Facts, standing: Standing) -> DomainError | None:
    tier = standing.tier
    if memo.status is Status.DRAFT and tier is not None:
        return ApprovalRequiredError(
            f"{memo.number} ({standing.amount} in company currency) needs approval (tier {tier.name}: "
            f"{tier.min_role} or above); submit it first.",
            tier=tier.name,
            amount=str(standing.amount.amount),
        )
    if memo.status is Status.APPROVED and not standing.cleared:
        return ApprovalRequiredError(f"{memo.number} changed after its approval; submit it again.")
    return None
