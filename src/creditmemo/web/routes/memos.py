"""The memo page: header, lines, totals, status, timeline, approvals, journal, applications, refunds;
action buttons only from ``allowed_actions`` and the user's role; apply (oldest open documents first,
amounts editable), unapply and refund. Errors come back next to the field of the form that caused them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from creditmemo.domain.documents import Memo, MemoKind, MemoSource
from creditmemo.domain.errors import (
    ApprovalRequiredError,
    DomainError,
    MemoSettledError,
    NotFoundError,
    ValidationFailedError,
)
from creditmemo.domain.lifecycle import Action, Status
from creditmemo.domain.money import Money
from creditmemo.presentation.statuses import status_for
from creditmemo.services.actors import Actor, Permission
from creditmemo.services.audit_trail import events_of
from creditmemo.services.chart import list_accounts
from creditmemo.services.customers import get_customer
from creditmemo.services.invoices import get_invoice
from creditmemo.services.journal import entries_of
from creditmemo.services.memos.actions import refusals, standing
from creditmemo.services.memos.approval import (
    approve_memo,
    list_approvals,
    recall_memo,
    reject_memo,
    submit_memo,
)
from creditmemo.services.memos.discard import discard_memo
from creditmemo.services.memos.post import post_memo
from creditmemo.services.memos.read import get_memo, memo_events, memo_journal
from creditmemo.services.memos.reissue import reissue_memo
from creditmemo.services.memos.void import void_memo
from creditmemo.services.references import document_numbers, user_names
from creditmemo.services.returns.read import get_return
from creditmemo.services.revenue_reports import memo_split
from creditmemo.services.settings import load_policy
from creditmemo.services.settlement.applications import list_applications
from creditmemo.services.settlement.history import apply_proposal
from creditmemo.services.settlement.refunds import list_refunds
from creditmemo.store.uow import UnitOfWork
from creditmemo.web import settle
from creditmemo.web.core import (
    FormDep,
    ViewerDep,
    WebRoute,
    WriterDep,
    as_str,
    db_of,
    prefixed_errors,
    redirect,
    render,
    safe_path,
    today,
)
from creditmemo.web.messages import referenced_ids, success_notice
from creditmemo.web.once import submit_once

router = APIRouter(route_class=WebRoute)


@dataclass(frozen=True, slots=True)
class Button:
    action: str
    label: str
    needs: str | None = None  # "comment" | "reason" | None: the text field the action asks for
    required: bool = False
    style: str = ""


BUTTONS: Final = {
    Action.SUBMIT: Button("submit", "Submit for approval", "comment", style="primary"),
    Action.APPROVE: Button("approve", "Approve", "comment", style="primary"),
    Action.REJECT: Button("reject", "Reject", "comment", required=True),
    Action.RECALL: Button("recall", "Recall to draft", "comment"),
    Action.POST: Button("post", "Post", style="primary"),
    Action.VOID: Button("void", "Void", "reason", required=True, style="danger"),
    Action.DISCARD: Button("discard", "Discard", "reason", required=True, style="danger"),
}
# Void and reissue (seed 001, issue 17): offered beside Void on a posted credit memo not from a return.
REISSUE: Final = Button("reissue", "Void and reissue", "reason", required=True, style="danger")
SERVICES: Final[dict[str, Callable[..., Memo]]] = {
    "submit": lambda uow, a, mid, f: submit_memo(uow, a, mid, comment=as_str(f, "comment")),
    "approve": lambda uow, a, mid, f: approve_memo(uow, a, mid, comment=as_str(f, "comment")),
    "reject": lambda uow, a, mid, f: reject_memo(uow, a, mid, comment=as_str(f, "comment")),
    "recall": lambda uow, a, mid, f: recall_memo(uow, a, mid, comment=as_str(f, "comment")),
    "post": lambda uow, a, mid, f: post_memo(uow, a, mid),
    "void": lambda uow, a, mid, f: void_memo(uow, a, mid, reason=_void_reason(f)),
    "discard": lambda uow, a, mid, f: discard_memo(uow, a, mid, reason=as_str(f, "reason")),
    # The new draft: the page it leads to links back to the voided memo.
    "reissue": lambda uow, a, mid, f: reissue_memo(uow, a, mid, reason=_void_reason(f))[1],
}


def _void_reason(form: FormData) -> str:
    """A void from the web says why (kept in the timeline and the audit trail)."""
    reason = as_str(form, "reason")
    if reason is None:
        raise ValidationFailedError.single("reason", "Say why the memo is voided; the reason is kept.", "required")
    return reason


REFUND_METHODS: Final = ("bank_transfer", "card", "check", "cash")


def approval_view(uow: UnitOfWork, memo: Memo) -> tuple[Money, str | None]:
    """(amount in company currency, the tier the policy puts the memo in)."""
    view = standing(uow, memo, load_policy(uow, memo.company_id))
    return view.amount, view.tier.name if view.tier else None


def _worth_a_note(action: Action, error: DomainError) -> bool:
    """A refusal the user can act on or should know about (not: their role, the status, another's recall)."""
    if isinstance(error, (ApprovalRequiredError, MemoSettledError)):
        return True
    # Approve and reject are refused for the same reason: say it once.
    return action is Action.APPROVE and error.context.get("reason") in ("own_memo", "approval_limit")


def buttons(uow: UnitOfWork, actor: Actor, memo: Memo) -> tuple[list[Button], list[str]]:
    """The actions this user may take now (services/memos/actions.py, as the API's allowed_actions), and
    notes saying why an action the memo's status offers is refused."""
    policy = load_policy(uow, memo.company_id)
    result, notes = [], []
    for action, error in refusals(uow, actor, memo, policy).items():
        if error is not None:
            if _worth_a_note(action, error):
                notes.append(error.detail)
            continue
        if action is Action.SUBMIT and standing(uow, memo, policy).tier is None:
            result.append(Button("submit", "Mark ready (no approval needed)", "comment"))
            continue
        result.append(BUTTONS[action])
        if action is Action.VOID and _reissuable(actor, memo):
            result.append(REISSUE)
    return result, notes


def _reissuable(actor: Actor, memo: Memo) -> bool:
    return (
        memo.kind is MemoKind.CREDIT
        and memo.source is not MemoSource.RETURN
        and memo.replaced_by_id is None
        and actor.can(Permission.CREATE_MEMO)
    )


def memo_context(uow: UnitOfWork, actor: Actor, memo_id: str) -> dict[str, Any]:
    memo = get_memo(uow, actor, memo_id)
    customer = get_customer(uow, actor, memo.customer_id)
    invoice = get_invoice(uow, actor, memo.invoice_id) if memo.invoice_id else None
    events = memo_events(uow, actor, memo.id)
    approvals = list_approvals(uow, actor, memo.id)
    journal = memo_journal(uow, actor, memo.id)
    if memo.kind is MemoKind.CREDIT:
        apps = list_applications(uow, actor, source_id=memo.id)
        refunds = list_refunds(uow, actor, memo.id)
    else:
        apps, refunds = list_applications(uow, actor, target_id=memo.id), []
    # The journal: the memo's own entries and those of its applications (realized exchange differences and
    # settlement discounts are booked by the application, issue 15), oldest first.
    journal = [*journal, *entries_of(uow, actor, [a.id for a in apps[:200]])]
    # The timeline: the memo's own events and those of its applications and refunds, in chain order.
    related = [*(a.id for a in apps if a.source_id == memo.id), *(r.id for r in refunds)][:200]
    events = [*events, *events_of(uow, actor, related)]
    events.sort(key=lambda e: e.order)
    names = user_names(
        uow,
        actor,
        [
            memo.created_by,
            memo.posted_by,
            memo.voided_by,
            *(a.actor_id for a in approvals),
            *(a.created_by for a in apps),
        ],
    )
    numbers = document_numbers(
        uow,
        actor,
        [*(a.target_id for a in apps), *(a.source_id for a in apps), *referenced_ids(e.changes for e in events)],
    )
    btns, notes = buttons(uow, actor, memo)
    posted_credit = (
        memo.kind is MemoKind.CREDIT and memo.status is Status.POSTED and memo.amount_available.is_positive()
    )
    can_apply = posted_credit and actor.can(Permission.APPLY)
    amount, tier = approval_view(uow, memo)
    return {
        "memo": memo,
        "customer": customer,
        "invoice": invoice,
        "return_number": get_return(uow, actor, memo.return_id).number if memo.return_id else None,
        "link_numbers": document_numbers(uow, actor, [i for i in (memo.replaces_id, memo.replaced_by_id) if i]),
        "events": events,
        "approvals": approvals,
        "journal": journal,
        "applications": apps,
        "refunds": refunds,
        "names": names,
        "numbers": numbers,
        "buttons": btns,
        "notes": notes,
        "functional_amount": amount,
        "tier": tier,
        "targets": apply_proposal(uow, actor, memo.customer_id, memo.amount_available) if can_apply else [],
        "can_apply": can_apply,
        "can_unapply": actor.can(Permission.APPLY) and memo.kind is MemoKind.CREDIT,
        "can_refund": posted_credit and actor.can(Permission.REFUND),
        "can_override": actor.can(Permission.OVERRIDE_REFUND_LIMIT),
        "refund_methods": REFUND_METHODS,
        "can_print": actor.can(Permission.PRINT),
        "can_edit": memo.status is Status.DRAFT and actor.can(Permission.EDIT_MEMO),
        "accounts": {a["code"]: a["name"] for a in list_accounts(uow, actor)},
        "inv_line_no": {line.id: line.line_no for line in invoice.lines} if invoice else {},
        # issue 12: how each line's credit was split between revenue and deferred revenue
        "revenue_split": memo_split(uow, actor, memo.id, memo.currency) if invoice else {},
    }


def _page(
    request: Request,
    actor: Actor,
    memo_id: str,
    *,
    errors: dict[str, str] | None = None,
    form: FormData | None = None,
    status: int = 200,
    notice: str | None = None,
    done: str | None = None,
) -> Response:
    with db_of(request).uow(readonly=True) as uow:
        context = memo_context(uow, actor, memo_id)
    notice = success_notice(done, context) if done else notice
    return render(
        request, "memo.html", status, errors=errors or {}, form=form, notice=notice, today=today(request), **context
    )


@router.get("/memos/{memo_id}", include_in_schema=False)
def memo_page(request: Request, memo_id: str, v: ViewerDep) -> Response:
    done = request.query_params.get("done") or ("created" if "created" in request.query_params else None)
    return _page(request, v.actor, memo_id, done=done)


def _safe_next(value: object) -> str | None:
    return safe_path(value)


@router.post("/memos/{memo_id}/do/{action}", include_in_schema=False)
def memo_action(request: Request, memo_id: str, action: str, v: WriterDep, form: FormDep) -> Response:
    service = SERVICES.get(action)
    if service is None:
        raise NotFoundError("action", action)

    def run(uow: UnitOfWork) -> Response:
        memo = service(uow, v.actor, memo_id, form)
        return redirect(_safe_next(form.get("next")) or f"/memos/{memo.id}?done={action}", request)

    try:
        return submit_once(request, v, form, run)
    except NotFoundError:
        raise
    except DomainError as e:
        back = _safe_next(form.get("next"))
        if back and back.startswith("/approvals"):
            from creditmemo.web.routes.approvals import queue_page

            return queue_page(request, v, errors={f"{memo_id}.{k}": m for k, m in prefixed_errors(action, e).items()})
        return _page(request, v.actor, memo_id, errors=prefixed_errors(action, e), form=form, status=status_for(e.code))


# apply, unapply, refund: the payment page's forms too (web/settle.py) ---------------------------------------
@router.post("/memos/{memo_id}/apply", include_in_schema=False)
def memo_apply(request: Request, memo_id: str, v: WriterDep, form: FormDep) -> Response:
    page = partial(_page, request, v.actor, memo_id)
    rows = settle.allocation_rows(form)
    return settle.apply_form(
        request, v, form, rows, source_type="credit_memo", source_id=memo_id, back=f"/memos/{memo_id}", page=page
    )


@router.post("/applications/{application_id}/unapply", include_in_schema=False)
def application_unapply(request: Request, application_id: str, v: WriterDep, form: FormDep) -> Response:
    """Unapply from the memo page (the memo, source or target of the application, is named by the form)."""
    memo_id = str(form.get("memo_id") or "")
    page = partial(_page, request, v.actor, memo_id)
    return settle.unapply_form(
        request, v, form, application_id, document_id=memo_id, back=f"/memos/{memo_id}", page=page
    )


@router.post("/memos/{memo_id}/refund", include_in_schema=False)
def memo_refund(request: Request, memo_id: str, v: WriterDep, form: FormDep) -> Response:
    page = partial(_page, request, v.actor, memo_id)
    return settle.refund_form(
        request, v, form, source_type="credit_memo", source_id=memo_id, back=f"/memos/{memo_id}", page=page
    )
