"""What this actor may do to a memo now (domain/memo_actions.py), with the facts that answer needs read
here: the actor's permissions, the company's approval policy, the memo's amount in company currency and,
for an approved memo, whether its approval covers its current version. The lifecycle services raise from
``ensure_allowed``; the API's ``allowed_actions``, the web's buttons and the approval queue use the rest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from creditmemo.domain.approval import ApprovalPolicy, functional_total, is_cleared, required_tier
from creditmemo.domain.documents import Memo
from creditmemo.domain.errors import DomainError
from creditmemo.domain.lifecycle import USER_ACTIONS, Action, Status
from creditmemo.domain.memo_actions import Asker, Facts, Standing, allowed_now, memo_actions, refusal
from creditmemo.services.actors import Actor, Permission
from creditmemo.services.settings import load_policy
from creditmemo.store.uow import UnitOfWork

# The permission each user action needs (the role part of the rules).
PERMISSION: Final[Mapping[Action, Permission]] = {
    Action.SUBMIT: Permission.SUBMIT_MEMO,
    Action.APPROVE: Permission.APPROVE_MEMO,
    Action.REJECT: Permission.APPROVE_MEMO,
    Action.RECALL: Permission.SUBMIT_MEMO,
    Action.POST: Permission.POST_MEMO,
    Action.VOID: Permission.VOID_MEMO,
    Action.DISCARD: Permission.DISCARD_MEMO,
}


def asker(actor: Actor) -> Asker:
    return Asker(actor.user_id, str(actor.role), frozenset(a for a in USER_ACTIONS if actor.can(PERMISSION[a])))


def standing(uow: UnitOfWork, memo: Memo, policy: ApprovalPolicy) -> Standing:
    """The memo under ``policy``; reads its approvals only when it is approved."""
    company = uow.companies.get(memo.company_id)
    amount = functional_total(memo.total, memo.exchange_rate, company.functional_currency)
    cleared = memo.status is not Status.APPROVED or is_cleared(
        uow.approvals.for_memo(memo.company_id, memo.id), memo.version
    )
    return Standing(amount, required_tier(policy, amount.amount), cleared)


def refusals(
    uow: UnitOfWork, actor: Actor, memo: Memo, policy: ApprovalPolicy | None = None
) -> Mapping[Action, DomainError | None]:
    """Every user action on ``memo`` for ``actor``, with the error that refuses it (None: allowed)."""
    policy = policy or load_policy(uow, memo.company_id)
    return memo_actions(Facts.of(memo), asker(actor), policy, standing(uow, memo, policy))


def allowed_actions_for(
    uow: UnitOfWork, actor: Actor, memo: Memo, policy: ApprovalPolicy | None = None
) -> tuple[Action, ...]:
    """The user actions ``actor`` may take on ``memo`` now: what the API lists and the web offers."""
    policy = policy or load_policy(uow, memo.company_id)
    return allowed_now(Facts.of(memo), asker(actor), policy, standing(uow, memo, policy))


def ensure_allowed(
    uow: UnitOfWork, actor: Actor, memo: Memo, action: Action, policy: ApprovalPolicy | None = None
) -> None:
    """Raise the error that refuses ``action`` on ``memo`` for ``actor``, if any."""
    policy = policy or load_policy(uow, memo.company_id)
    error = refusal(action, Facts.of(memo), asker(actor), policy, standing(uow, memo, policy))
    if error is not None:
        raise error
