"""Automatic credits (issue 11): prorated downgrade credits, SLA outage credits, and using a customer's account
credit on demand. Same conventions as the rest of /v1: Idempotency-Key on POST, problem+json errors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import RootModel

from creditmemo.api.deps import IdempotentCall
from creditmemo.api.problems import problems
from creditmemo.api.schemas.automatic import ProrationCreate, SlaCreditCreate
from creditmemo.api.schemas.memos import MemoOut, memo_out
from creditmemo.api.schemas.settlement import ApplicationOut
from creditmemo.services.memos import automatic
from creditmemo.services.settlement import account_credit

router = APIRouter(tags=["automatic credits"])
Id = Annotated[str, Path(max_length=40)]
CREATE = problems(403, 404, 409, 413)


@router.post(
    "/invoices/{invoice_id}/proration-credits",
    status_code=201,
    response_model=MemoOut,
    responses=CREATE,
    summary="A prorated credit memo for a downgrade in the middle of a line's service period",
)
def create_proration_credit(invoice_id: Id, body: ProrationCreate, ctx: IdempotentCall) -> Response:
    return ctx.write(
        lambda uow: memo_out(
            uow,
            ctx.actor,
            automatic.create_proration_credit(
                uow,
                ctx.actor,
                invoice_id,
                invoice_line_id=body.invoice_line_id,
                effective_date=body.effective_date,
                new_quantity=body.new_quantity,
                new_unit_price=body.new_unit_price,
                apply_to_next_invoice=body.apply_to_next_invoice,
                post=body.post,
                external_reference=body.external_reference,
                issue_date=body.issue_date,
            ),
        ),
        status=201,
        body=body,
    )


@router.post(
    "/customers/{customer_id}/sla-credits",
    status_code=201,
    response_model=MemoOut,
    responses=CREATE,
    summary="An SLA outage credit from the plan's value and the company's SLA policy",
)
def create_sla_credit(customer_id: Id, body: SlaCreditCreate, ctx: IdempotentCall) -> Response:
    return ctx.write(
        lambda uow: memo_out(
            uow,
            ctx.actor,
            automatic.create_sla_credit(
                uow,
                ctx.actor,
                customer_id,
                invoice_line_id=body.invoice_line_id,
                outage_minutes=body.outage_minutes,
                incident_reference=body.incident_reference,
                apply_to_next_invoice=body.apply_to_next_invoice,
                post=body.post,
            ),
        ),
        status=201,
        body=body,
    )


@router.post(
    "/customers/{customer_id}/apply-credit",
    response_model=list[ApplicationOut],
    responses=CREATE,
    summary="Apply the customer's account credit to its open invoices, oldest first",
)
def apply_customer_credit(customer_id: Id, ctx: IdempotentCall) -> Response:
    def run(uow: Any) -> Any:
        apps = account_credit.apply_account_credit(uow, ctx.actor, customer_id)
        return RootModel[list[ApplicationOut]]([ApplicationOut.of(a) for a in apps])

    return ctx.write(run)
