"""/v1/returns: return authorizations (RMA, issue 10). Authorize, list, read, edit while authorized,
receive, create the credit memo, cancel. Same conventions as the rest of /v1: roles (checked by the
services), company isolation (another company's return is 404), Idempotency-Key on POST, problem+json."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from creditmemo.api.deps import Call, IdempotentCall
from creditmemo.api.problems import problems
from creditmemo.api.schemas.common import Page, page
from creditmemo.api.schemas.memos import MemoOut, memo_out
from creditmemo.api.schemas.returns import (
    CancelBody,
    ReceiveBody,
    ReturnCreate,
    ReturnCreditMemoCreate,
    ReturnOut,
    ReturnUpdate,
)
from creditmemo.domain.returns import ReturnAuthorization
from creditmemo.services.actors import Actor
from creditmemo.services.lists import MAX_LIMIT
from creditmemo.services.returns import authorize, credit, read, receive
from creditmemo.store.uow import UnitOfWork

router = APIRouter(prefix="/returns", tags=["returns"])
ReturnId = Annotated[str, Path(max_length=40)]
Q = Annotated[str | None, Query(max_length=40)]
Status = Literal["authorized", "received", "credited", "cancelled"]
Sort = Literal["id", "-id", "number", "-number", "created_at", "-created_at"]
ONE = problems(403, 404)
VERB = problems(403, 404, 409, 413)


def _out(uow: UnitOfWork, actor: Actor, ret: ReturnAuthorization) -> ReturnOut:
    return ReturnOut.of(ret, read.return_memos(uow, actor, ret.id))


@router.post(
    "",
    status_code=201,
    response_model=ReturnOut,
    responses=VERB,
    summary="Authorize a return (RMA) of invoiced quantities",
)
def create_return(body: ReturnCreate, ctx: IdempotentCall) -> Response:
    return ctx.write(
        lambda uow: ReturnOut.of(
            authorize.create_return(
                uow,
                ctx.actor,
                invoice_id=body.invoice_id,
                lines=[line.input() for line in body.lines],
                reason_code=body.reason_code,
                case_reference=body.case_reference,
            ),
            [],
        ),
        status=201,
        body=body,
    )


@router.get("", response_model=Page[ReturnOut], responses=problems(403), summary="List returns")
def list_returns(
    ctx: Call,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    starting_after: Q = None,
    status: Status | None = None,
    customer_id: Q = None,
    invoice_id: Q = None,
    number: Q = None,
    sort: Sort = "-id",
) -> Response:
    def run(uow: UnitOfWork) -> Page[Any]:
        rows, more = read.list_returns(
            uow,
            ctx.actor,
            status=status,
            customer_id=customer_id,
            invoice_id=invoice_id,
            number=number,
            sort=sort,
            starting_after=starting_after,
            limit=limit,
        )
        return page(ReturnOut, [ReturnOut.of(r) for r in rows], more)

    return ctx.read(run)


@router.get("/{return_id}", response_model=ReturnOut, responses=ONE, summary="A return with its lines and memos")
def get_return(return_id: ReturnId, ctx: Call) -> Response:
    return ctx.read(lambda uow: _out(uow, ctx.actor, read.get_return(uow, ctx.actor, return_id)))


@router.patch("/{return_id}", response_model=ReturnOut, responses=VERB, summary="Edit a return while authorized")
def update_return(return_id: ReturnId, body: ReturnUpdate, ctx: Call) -> Response:
    sent = body.model_fields_set
    changes: dict[str, Any] = {name: getattr(body, name) for name in ("reason_code", "case_reference") if name in sent}
    if "lines" in sent and body.lines is not None:
        changes["lines"] = [line.input() for line in body.lines]
    return ctx.write(
        lambda uow: _out(uow, ctx.actor, authorize.update_return(uow, ctx.actor, return_id, **changes)),
        idempotent=False,
    )


@router.post(
    "/{return_id}/receive",
    response_model=ReturnOut,
    responses=VERB,
    summary="Receive returned goods (no body: everything authorized and not yet received)",
)
def receive_return(return_id: ReturnId, ctx: IdempotentCall, body: ReceiveBody | None = None) -> Response:
    given = body if body is not None else ReceiveBody()
    lines = None if given.lines is None else [line.input() for line in given.lines]
    return ctx.write(
        lambda uow: _out(
            uow,
            ctx.actor,
            receive.receive_return(uow, ctx.actor, return_id, lines=lines, cancel_rest=given.cancel_rest),
        ),
        body=given,
    )


@router.post(
    "/{return_id}/credit-memo",
    status_code=201,
    response_model=MemoOut,
    responses=VERB,
    summary="Create the credit memo for what is received and not yet credited",
)
def create_credit_memo(
    return_id: ReturnId, ctx: IdempotentCall, body: ReturnCreditMemoCreate | None = None
) -> Response:
    given = body if body is not None else ReturnCreditMemoCreate()
    return ctx.write(
        lambda uow: memo_out(
            uow,
            ctx.actor,
            credit.create_credit_memo_from_return(
                uow,
                ctx.actor,
                return_id,
                reason_code=given.reason_code,
                memo_text=given.memo,
                issue_date=given.issue_date,
                auto_apply=given.auto_apply,
                post=given.post,
            ),
        ),
        status=201,
        body=given,
    )


@router.post(
    "/{return_id}/cancel",
    response_model=ReturnOut,
    responses=VERB,
    summary="Cancel an authorized return (nothing received), with a reason",
)
def cancel_return(return_id: ReturnId, body: CancelBody, ctx: IdempotentCall) -> Response:
    return ctx.write(
        lambda uow: _out(uow, ctx.actor, authorize.cancel_return(uow, ctx.actor, return_id, reason=body.reason)),
        body=body,
    )
