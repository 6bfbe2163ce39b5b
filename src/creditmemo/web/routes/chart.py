"""The admin page of reason codes and accounts (issue 17 item 7), at /settings/reason-codes: every role reads;
an admin adds, changes and (de)activates (never deletes), each form with its one-time token. The same services
as the API and the CLI, so every change is audited and seen at once by every server process."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from creditmemo.domain.chart import ACCOUNT_KINDS, REASON_APPLIES_TO
from creditmemo.services import chart
from creditmemo.services.actors import Permission
from creditmemo.store.uow import UnitOfWork
from creditmemo.web.core import FormDep, ViewerDep, WebRoute, WriterDep, as_str, db_of, render
from creditmemo.web.once import submit_change

router = APIRouter(route_class=WebRoute)
PATH = "/settings/reason-codes"


def _page(
    request: Request, v: Any, *, errors: dict[str, str] | None = None, form: FormData | None = None, status: int = 200
) -> Response:
    with db_of(request).uow(readonly=True) as uow:
        reasons = chart.list_reason_codes(uow, v.actor)
        accounts = chart.list_accounts(uow, v.actor)
    return render(
        request,
        "chart.html",
        status,
        reasons=reasons,
        accounts=accounts,
        active_accounts=[a for a in accounts if a["active"]],
        kinds=ACCOUNT_KINDS,
        applies=REASON_APPLIES_TO,
        can_edit=v.actor.can(Permission.MANAGE),
        errors=errors or {},
        form=form,
        saved=request.query_params.get("saved"),
    )


@router.get(PATH, include_in_schema=False)
def chart_page(request: Request, v: ViewerDep) -> Response:
    return _page(request, v)


def _submit(request: Request, v: Any, form: FormData, prefix: str, change: Any, saved: str) -> Response:
    """Run ``change`` once per form token; a refusal comes back next to the field of the form that sent it."""
    page, then = partial(_page, request, v), f"{PATH}?saved={saved}"
    return submit_change(request, v, form, change, then=then, page=page, errors=prefix)


def _active(form: FormData) -> bool | None:
    value = as_str(form, "active")
    return None if value is None else value == "yes"


@router.post(PATH, include_in_schema=False)
def add_reason(request: Request, v: WriterDep, form: FormDep) -> Response:
    def change(uow: UnitOfWork) -> None:
        chart.add_reason_code(
            uow,
            v.actor,
            code=as_str(form, "code"),
            description=as_str(form, "description"),
            account=as_str(form, "account"),
            applies_to=as_str(form, "applies_to") or "both",
        )

    return _submit(request, v, form, "reason_new", change, "reason")


@router.post(PATH + "/{code}", include_in_schema=False)
def update_reason(request: Request, code: str, v: WriterDep, form: FormDep) -> Response:
    def change(uow: UnitOfWork) -> None:
        values: dict[str, Any] = {"description": as_str(form, "description"), "account": as_str(form, "account")}
        values = {k: val for k, val in values.items() if val is not None}
        if (active := _active(form)) is not None:
            values["active"] = active
        chart.update_reason_code(uow, v.actor, code, **values)

    return _submit(request, v, form, f"reason_{code}", change, "reason")


@router.post("/settings/accounts", include_in_schema=False)
def add_account(request: Request, v: WriterDep, form: FormDep) -> Response:
    def change(uow: UnitOfWork) -> None:
        chart.add_account(
            uow, v.actor, number=as_str(form, "number"), name=as_str(form, "name"), kind=as_str(form, "kind")
        )

    return _submit(request, v, form, "account_new", change, "account")


@router.post("/settings/accounts/{number}", include_in_schema=False)
def update_account(request: Request, number: str, v: WriterDep, form: FormDep) -> Response:
    def change(uow: UnitOfWork) -> None:
        values: dict[str, Any] = {}
        if (name := as_str(form, "name")) is not None:
            values["name"] = name
        if (active := _active(form)) is not None:
            values["active"] = active
        chart.update_account(uow, v.actor, number, **values)

    return _submit(request, v, form, f"account_{number}", change, "account")
