"""/v1/refunds/{id}: a refund, and reversing it when its money comes back (issue 17). Refunds are made from
their source: POST /v1/credit-memos/{id}/refunds and POST /v1/payments/{id}/refunds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from creditmemo.api.deps import Call, IdempotentCall
from creditmemo.api.problems import problems
from creditmemo.api.schemas.settlement import RefundOut, RefundReverse
from creditmemo.services.settlement import refunds

router = APIRouter(prefix="/refunds", tags=["refunds"])
RefundId = Annotated[str, Path(max_length=40)]


@router.get("/{refund_id}", response_model=RefundOut, responses=problems(403, 404))
def get_refund(refund_id: RefundId, ctx: Call) -> Response:
    return ctx.read(lambda uow: RefundOut.of(refunds.get_refund(uow, ctx.actor, refund_id)))


@router.post(
    "/{refund_id}/reverse",
    response_model=RefundOut,
    responses=problems(403, 404, 409, 413),
    summary="The refund's money came back: mirror entries, the source's available amount restored",
)
def reverse_refund(refund_id: RefundId, body: RefundReverse, ctx: IdempotentCall) -> Response:
    return ctx.write(
        lambda uow: RefundOut.of(
            refunds.reverse_refund(uow, ctx.actor, refund_id, reason=body.reason, on=body.reversed_on)
        ),
        body=body,
    )
