"""/v1/customers: create, read, list, statement."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import RootModel

from creditmemo.api.deps import Call, IdempotentCall
from creditmemo.api.problems import problems
from creditmemo.api.schemas.common import CreditTermsDoc, Page, page
from creditmemo.api.schemas.customers import (
    CreditPlanApply,
    CreditPlanOut,
    CustomerCreate,
    CustomerOut,
    CustomerUpdate,
)
from creditmemo.api.schemas.reports import StatementOut, plain
from creditmemo.api.schemas.settlement import ApplicationOut
from creditmemo.presentation import csv_export
from creditmemo.services import customers as svc
from creditmemo.services import lists, reports
from creditmemo.services.lists import MAX_LIMIT
from creditmemo.services.settlement import oldest_first
from creditmemo.store.uow import UnitOfWork

router = APIRouter(prefix="/customers", tags=["customers"])
CustomerId = Annotated[str, Path(max_length=40)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=40)]


@router.post("", status_code=201, response_model=CustomerOut, responses=problems(403, 409, 413))
def create_customer(body: CustomerCreate, ctx: IdempotentCall) -> Response:
    return ctx.write(
        lambda uow: CustomerOut.of(
            svc.create_customer(
                uow,
                ctx.actor,
                name=body.name,
                currency=body.currency,
                payment_terms_days=body.payment_terms_days,
                email=body.email,
                auto_apply_credit=body.auto_apply_credit,
                legal=body.legal_given(),
                credit_terms=None if body.credit_terms is None else body.credit_terms.model_dump(),
            )
        ),
        status=201,
        body=body,
    )


@router.get("", response_model=Page[CustomerOut], responses={**problems(403), **csv_export.CSV_RESPONSE})
def list_customers(
    ctx: Call, limit: Limit = 20, starting_after: Cursor = None, fmt: csv_export.Format = "json"
) -> Response:
    if fmt == "csv":
        q = csv_export.api_list_query("name")
        return csv_export.list_csv(ctx.db, ctx.actor, "customers", q, request_id=ctx.request_id)

    def run(uow: UnitOfWork) -> Page[CustomerOut]:
        rows, more = lists.list_customers(uow, ctx.actor, starting_after=starting_after, limit=limit)
        return page(CustomerOut, [CustomerOut.of(c) for c in rows], more)

    return ctx.read(run)


@router.get("/{customer_id}", response_model=CustomerOut, responses=problems(403, 404))
def get_customer(customer_id: CustomerId, ctx: Call) -> Response:
    return ctx.read(lambda uow: CustomerOut.of(svc.get_customer(uow, ctx.actor, customer_id)))


@router.get(
    "/{customer_id}/statement",
    response_model=StatementOut,
    responses={**problems(403, 404), **csv_export.CSV_RESPONSE},
)
def customer_statement(
    customer_id: CustomerId,
    ctx: Call,
    start: Annotated[str | None, Query(max_length=10, examples=["2026-01-01"])] = None,
    end: Annotated[str | None, Query(max_length=10, examples=["2026-03-31"])] = None,
    fmt: csv_export.Format = "json",
) -> Response:
    """Opening balance, every line and closing balance of a period, by the dates of the entries. Left out, the
    period ends today (`end`) and starts on the first day of the month it ends in (`start`)."""
    if fmt == "csv":
        with ctx.db.uow(readonly=True, request_id=ctx.request_id) as uow:
            st = reports.customer_statement(uow, ctx.actor, customer_id, start=start, end=end)
        return csv_export.statement_csv(st)
    return ctx.read(
        lambda uow: StatementOut.model_validate(
            plain(reports.customer_statement(uow, ctx.actor, customer_id, start=start, end=end))
        )
    )


@router.patch("/{customer_id}", response_model=CustomerOut, responses=problems(403, 404, 413))
def update_customer(customer_id: CustomerId, body: CustomerUpdate, ctx: Call) -> Response:
    """Change what is sent: the customer's name, e-mail, payment terms, credit terms (null: the company's apply),
    whether its account credit goes to each new invoice automatically (null: the company's setting), and its legal
    name, address and tax ID (null or "" clears one; the documents printed from now on show them). Each change is
    audited."""
    legal = body.legal_given()
    fields: dict[str, object] = {}
    for name in sorted(
        body.model_fields_set & {"name", "email", "payment_terms_days", "credit_terms", "auto_apply_credit"}
    ):
        value = getattr(body, name)
        fields[name] = value.model_dump() if isinstance(value, CreditTermsDoc) else value
    if not fields and not legal:
        return ctx.read(lambda uow: CustomerOut.of(svc.get_customer(uow, ctx.actor, customer_id)))

    def run(uow: UnitOfWork) -> CustomerOut:
        customer = svc.get_customer(uow, ctx.actor, customer_id)
        if fields:
            customer = svc.update_customer(uow, ctx.actor, customer_id, **fields)
        if legal:
            customer = svc.set_legal_details(uow, ctx.actor, customer_id, legal)
        return CustomerOut.of(customer)

    return ctx.write(run, idempotent=False)


@router.get("/{customer_id}/credit-plan", response_model=CreditPlanOut, responses=problems(403, 404))
def credit_plan(customer_id: CustomerId, ctx: Call) -> Response:
    """The customer's open items (invoices and debit memos with an amount due, oldest due date first), its credits
    (credit memos and payments with an amount available, oldest first) and what applying the credit to the oldest
    items would do, with the plan's fingerprint. Writes nothing."""
    return ctx.read(lambda uow: CreditPlanOut.of(oldest_first.plan(uow, ctx.actor, customer_id)))


@router.post(
    "/{customer_id}/credit-plan/apply",
    response_model=list[ApplicationOut],
    responses=problems(403, 404, 409, 413),
)
def apply_credit_plan(customer_id: CustomerId, body: CreditPlanApply, ctx: IdempotentCall) -> Response:
    """Apply the plan ``GET …/credit-plan`` answered with this fingerprint: all its applications in one transaction.
    If the plan worked out now is another one (an application, posting, payment or void in between), nothing is
    applied: 409 ``plan_changed``; ask for the plan again."""

    def run(uow: UnitOfWork) -> RootModel[list[ApplicationOut]]:
        apps = oldest_first.apply_planned(uow, ctx.actor, customer_id, body.fingerprint)
        return RootModel[list[ApplicationOut]]([ApplicationOut.of(a) for a in apps])

    return ctx.write(run, body=body)
