"""Submitting, approving, rejecting and recalling memos (credit and debit alike) under the company's
approval policy. Each decision is an ``approvals`` row tied to the memo version it was given on, and
an audit event. Every transition bumps the memo version, so an approval clears exactly one version."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from creditmemo.domain.approval import (
    Approval,
    ApprovalPolicy,
    Decision,
    Tier,
    functional_total,
    required_tier,
)
from creditmemo.domain.documents import Memo, MemoKind
from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.lifecycle import Action, Status, next_status
from creditmemo.domain.money import Money
from creditmemo.ids import new_id
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.lists import typed_row
from creditmemo.services.memos.actions import ensure_allowed
from creditmemo.services.settings import load_policy
from creditmemo.store.uow import UnitOfWork

MAX_COMMENT = 2000


def submit_memo(
    uow: UnitOfWork, actor: Actor, memo_id: str, *, kind: MemoKind | None = None, comment: object = None
) -> Memo:
    """Draft → pending_approval when a tier applies, otherwise straight to approved (recorded as a
    ``not_required`` decision)."""
    authorize(actor, Permission.SUBMIT_MEMO)
    memo = uow.memos.get(actor.company_id, memo_id, kind, for_update=True)
    return submit_draft(uow, actor, memo, comment=comment)


def submit_draft(uow: UnitOfWork, actor: Actor, memo: Memo, *, comment: object = None) -> Memo:
    """Submit a draft this transaction holds (locked, or created with ``post: true``)."""
    authorize(actor, Permission.SUBMIT_MEMO)
    ensure_allowed(uow, actor, memo, Action.SUBMIT)
    text = _comment(comment)
    policy = load_policy(uow, actor.company_id)
    amount, tier = _tier_for(uow, policy, memo)
    if tier is None:
        return _decide(uow, actor, memo, Status.APPROVED, Decision.NOT_REQUIRED, None, text, "submitted", amount)
    return _decide(uow, actor, memo, Status.PENDING_APPROVAL, None, tier, text, "submitted", amount)


def approval_tier(uow: UnitOfWork, memo: Memo) -> Tier | None:
    """The tier the company's policy puts this memo in (None: no approval needed)."""
    return _tier_for(uow, load_policy(uow, memo.company_id), memo)[1]


def approve_memo(
    uow: UnitOfWork, actor: Actor, memo_id: str, *, kind: MemoKind | None = None, comment: object = None
) -> Memo:
    """One approval from a role whose limit covers the amount; never the memo's creator."""
    authorize(actor, Permission.APPROVE_MEMO)
    memo = uow.memos.get(actor.company_id, memo_id, kind, for_update=True)
    policy = load_policy(uow, actor.company_id)
    ensure_allowed(uow, actor, memo, Action.APPROVE, policy)
    status = next_status(memo.status, Action.APPROVE, _entity(memo))
    text = _comment(comment)
    amount, tier = _tier_for(uow, policy, memo)
    return _decide(uow, actor, memo, status, Decision.APPROVED, tier, text, "approved", amount)


def reject_memo(
    uow: UnitOfWork, actor: Actor, memo_id: str, *, kind: MemoKind | None = None, comment: object = None
) -> Memo:
    """Back to draft with a reason, by someone who could have approved it."""
    authorize(actor, Permission.APPROVE_MEMO)
    memo = uow.memos.get(actor.company_id, memo_id, kind, for_update=True)
    policy = load_policy(uow, actor.company_id)
    ensure_allowed(uow, actor, memo, Action.REJECT, policy)
    status = next_status(memo.status, Action.REJECT, _entity(memo))
    text = _comment(comment)
    if text is None:
        raise ValidationFailedError.single("comment", "Say why the memo is rejected.", "required")
    amount, tier = _tier_for(uow, policy, memo)
    return _decide(uow, actor, memo, status, Decision.REJECTED, tier, text, "rejected", amount)


def recall_memo(
    uow: UnitOfWork, actor: Actor, memo_id: str, *, kind: MemoKind | None = None, comment: object = None
) -> Memo:
    """The creator takes a pending or approved memo back to draft (to edit it; it then needs
    approval again)."""
    authorize(actor, Permission.SUBMIT_MEMO)
    memo = uow.memos.get(actor.company_id, memo_id, kind, for_update=True)
    ensure_allowed(uow, actor, memo, Action.RECALL)
    status = next_status(memo.status, Action.RECALL, _entity(memo))
    return _decide(uow, actor, memo, status, Decision.RECALLED, None, _comment(comment), "recalled", None)


def list_approvals(uow: UnitOfWork, actor: Actor, memo_id: str) -> list[Approval]:
    authorize(actor, Permission.READ)
    memo = uow.memos.get(actor.company_id, memo_id)  # not_found for another company's memo
    return uow.approvals.for_memo(actor.company_id, memo.id)


@dataclass(frozen=True, slots=True)
class QueuedMemo:
    """A memo waiting for approval: its total, and that total in the company's functional currency at the memo's
    rate (what the approval tiers are measured in)."""

    id: str
    kind: MemoKind
    number: str
    customer: str
    reason_code: str
    total: Money
    functional_total: Money
    created_by: str | None
    creator: str | None  # the creator's name; None for a memo the system made
    created_at: datetime
    updated_at: datetime


def approval_queue(uow: UnitOfWork, actor: Actor) -> list[QueuedMemo]:
    """The company's memos pending approval, longest waiting first (the first 500), each with its customer's
    and creator's names: the approval queue, whose rows the edge renders through ``domain/memo_actions``."""
    authorize(actor, Permission.READ)
    currency = uow.companies.get(actor.company_id).functional_currency
    queue = []
    for r in uow.overviews.pending_approval(actor.company_id):
        total = Money.from_minor(int(r["total_minor"]), r["currency"])
        functional = functional_total(total, Decimal(r["exchange_rate"]), currency)
        queue.append(typed_row(QueuedMemo, r, total=total, functional_total=functional))
    return queue


def _tier_for(uow: UnitOfWork, policy: ApprovalPolicy, memo: Memo) -> tuple[Money, Tier | None]:
    company = uow.companies.get(memo.company_id)
    amount = functional_total(memo.total, memo.exchange_rate, company.functional_currency)
    return amount, required_tier(policy, amount.amount)


def _decide(
    uow: UnitOfWork,
    actor: Actor,
    memo: Memo,
    status: Status,
    decision: Decision | None,
    tier: Tier | None,
    comment: str | None,
    verb: str,
    amount: Money | None,
) -> Memo:
    now = uow.now()
    changed = replace(memo, status=status, updated_at=now, version=memo.version + 1)
    uow.memos.save(changed)
    if decision is not None:
        uow.approvals.add(
            memo.company_id,
            Approval(
                id=new_id("apv"),
                memo_id=memo.id,
                memo_version=changed.version,
                decision=decision,
                tier=tier.name if tier else None,
                actor_id=actor.user_id or actor.label or "system",
                comment=comment,
                created_at=now,
            ),
        )
    changes: dict[str, object] = {"status": [str(memo.status), str(status)]}
    if decision is not None:
        changes["decision"] = [None, str(decision)]
    if tier is not None:
        changes["tier"] = [None, tier.name]
    if amount is not None:
        changes["functional_total"] = [None, str(amount.amount)]
    if comment is not None:
        changes["comment"] = [None, comment]
    audit.record(uow, actor, f"{memo.kind}_memo.{verb}", f"{memo.kind}_memo", memo.id, changes)
    return changed


def _comment(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_COMMENT:
        raise ValidationFailedError.single("comment", f"Text of at most {MAX_COMMENT} characters.", "invalid")
    return value.strip() or None


def _entity(memo: Memo) -> str:
    return f"{memo.kind} memo"
