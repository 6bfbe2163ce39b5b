"""The approval queue for managers, VPs and controllers: memos pending approval that this user may
approve (amount, age, creator), each with approve and reject and a comment. Memos they may not
approve (their own, or above their limit) are listed apart, with the reason."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from creditmemo.domain.approval import required_tier
from creditmemo.domain.lifecycle import Action, Status
from creditmemo.domain.memo_actions import Facts, Standing, refusal
from creditmemo.domain.money import Money
from creditmemo.services.actors import Permission
from creditmemo.services.companies import functional_currency
from creditmemo.services.memos.actions import asker
from creditmemo.services.memos.approval import approval_queue
from creditmemo.services.settings import load_policy
from creditmemo.web.core import ViewerDep, WebRoute, db_of, render, today

router = APIRouter(route_class=WebRoute)


@router.get("/approvals", include_in_schema=False)
def approvals(request: Request, v: ViewerDep) -> Response:
    return queue_page(request, v)


def queue_page(request: Request, v: Any, errors: dict[str, str] | None = None) -> Response:
    actor = v.actor
    mine, others = [], []
    with db_of(request).uow(readonly=True) as uow:
        rows = approval_queue(uow, actor)
        currency = functional_currency(uow, actor)
        policy = load_policy(uow, actor.company_id)
    now = today(request)
    who = asker(actor)
    for r in rows:
        amount = r.functional_total
        tier = required_tier(policy, amount.amount)
        item = {
            "id": r.id,
            "number": r.number,
            "customer": r.customer,
            "reason_code": r.reason_code,
            "creator": r.creator,
            "total": r.total,
            "amount": amount,
            "tier": tier.name if tier else None,
            "age": (now - r.updated_at.date()).days,
        }
        # The same rule as the memo page, the API and approve_memo (domain/memo_actions.py).
        zero = Money.zero(r.total.currency)
        facts = Facts(r.kind, r.number, Status.PENDING_APPROVAL, r.created_by, zero, zero)
        error = refusal(Action.APPROVE, facts, who, policy, Standing(amount, tier))
        if error is None:
            mine.append(item)
        else:
            others.append({**item, "why": error.detail})
    status = 422 if errors else 200
    return render(
        request,
        "approvals.html",
        status,
        mine=mine,
        others=others,
        errors=errors or {},
        can_approve=actor.can(Permission.APPROVE_MEMO),
        currency=currency,
    )
