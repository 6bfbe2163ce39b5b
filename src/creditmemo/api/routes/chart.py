"""/v1/reason-codes and /v1/accounts (issue 17 item 7): every role of the company reads; admins add, change,
deactivate (never delete). Every change is audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from creditmemo.api.deps import Call, IdempotentCall
from creditmemo.api.problems import problems
from creditmemo.api.routes.memos import _list
from creditmemo.api.schemas.chart import (
    AccountCreate,
    AccountOut,
    AccountUpdate,
    ReasonCodeCreate,
    ReasonCodeOut,
    ReasonCodeUpdate,
)
from creditmemo.services import chart
from creditmemo.store.uow import UnitOfWork

router = APIRouter(tags=["reason codes and accounts"])
CodePath = Annotated[str, Path(max_length=40)]
NumberPath = Annotated[str, Path(max_length=20)]
ActiveQ = Annotated[bool | None, Query(description="true: only active ones, false: only inactive ones")]


def _sent(body: Any) -> dict[str, Any]:
    return {name: getattr(body, name) for name in body.model_fields_set}


@router.get("/reason-codes", response_model=list[ReasonCodeOut], responses=problems(403))
def list_reason_codes(ctx: Call, active: ActiveQ = None) -> Response:
    return ctx.read(
        lambda uow: _list(
            ReasonCodeOut, [ReasonCodeOut.of(r) for r in chart.list_reason_codes(uow, ctx.actor, active=active)]
        )
    )


@router.get("/reason-codes/{code}", response_model=ReasonCodeOut, responses=problems(403, 404))
def get_reason_code(code: CodePath, ctx: Call) -> Response:
    return ctx.read(lambda uow: ReasonCodeOut.of(chart.get_reason_code(uow, ctx.actor, code)))


@router.post(
    "/reason-codes",
    status_code=201,
    response_model=ReasonCodeOut,
    responses=problems(403, 409, 413),
    summary="Add a reason code mapped to an active account (admin)",
)
def add_reason_code(body: ReasonCodeCreate, ctx: IdempotentCall) -> Response:
    def run(uow: UnitOfWork) -> ReasonCodeOut:
        added = chart.add_reason_code(
            uow,
            ctx.actor,
            code=body.code,
            description=body.description,
            account=body.account,
            applies_to=body.applies_to,
        )
        return ReasonCodeOut.of(added)

    return ctx.write(run, status=201, body=body)


@router.patch(
    "/reason-codes/{code}",
    response_model=ReasonCodeOut,
    responses=problems(403, 404, 409, 413),
    summary="Change the description or account, or (de)activate (admin); a code in use may be deactivated",
)
def update_reason_code(code: CodePath, body: ReasonCodeUpdate, ctx: Call) -> Response:
    sent = {k: v for k, v in _sent(body).items() if v is not None}
    return ctx.write(
        lambda uow: ReasonCodeOut.of(chart.update_reason_code(uow, ctx.actor, code, **sent)), idempotent=False
    )


@router.get("/accounts", response_model=list[AccountOut], responses=problems(403))
def list_accounts(ctx: Call, active: ActiveQ = None) -> Response:
    return ctx.read(
        lambda uow: _list(AccountOut, [AccountOut.of(a) for a in chart.list_accounts(uow, ctx.actor, active=active)])
    )


@router.get("/accounts/{number}", response_model=AccountOut, responses=problems(403, 404))
def get_account(number: NumberPath, ctx: Call) -> Response:
    return ctx.read(lambda uow: AccountOut.of(chart.get_account(uow, ctx.actor, number)))


@router.post(
    "/accounts",
    status_code=201,
    response_model=AccountOut,
    responses=problems(403, 409, 413),
    summary="Add an account to the chart (admin)",
)
def add_account(body: AccountCreate, ctx: IdempotentCall) -> Response:
    return ctx.write(
        lambda uow: AccountOut.of(
            chart.add_account(uow, ctx.actor, number=body.number, name=body.name, kind=body.kind)
        ),
        status=201,
        body=body,
    )


@router.patch(
    "/accounts/{number}",
    response_model=AccountOut,
    responses=problems(403, 404, 409, 413),
    summary="Rename or (de)activate (admin); an account a posting role or a reason code uses stays active (409)",
)
def update_account(number: NumberPath, body: AccountUpdate, ctx: Call) -> Response:
    sent = {k: v for k, v in _sent(body).items() if v is not None}
    return ctx.write(lambda uow: AccountOut.of(chart.update_account(uow, ctx.actor, number, **sent)), idempotent=False)
