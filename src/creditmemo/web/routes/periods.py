"""The Periods page (issue 17 item 2): months with their status; a controller or admin closes one (after a
confirmation) or reopens one with a reason. Forms carry the one-time form_token (web/once.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from creditmemo.domain.errors import DomainError
from creditmemo.services.actors import Permission, authorize
from creditmemo.services.periods import close_period, list_periods, reopen_period
from creditmemo.store.uow import UnitOfWork
from creditmemo.web.core import (
    FormDep,
    Viewer,
    ViewerDep,
    WebRoute,
    WriterDep,
    as_str,
    db_of,
    field_errors,
    redirect,
    render,
)
from creditmemo.web.once import submit_once

router = APIRouter(route_class=WebRoute)


def _page(request: Request, v: Viewer, status: int = 200, **context: object) -> Response:
    with db_of(request).uow(readonly=True) as uow:
        rows = list_periods(uow, v.actor)
    return render(
        request,
        "periods.html",
        status,
        periods=rows,
        can_close=v.actor.can(Permission.CLOSE_PERIOD),
        done=request.query_params.get("done"),
        **context,
    )


@router.get("/periods", include_in_schema=False)
def periods_page(request: Request, v: ViewerDep) -> Response:
    return _page(request, v, errors={}, failed=None)


@router.post("/periods/{period}/close", include_in_schema=False)
def close(request: Request, period: str, v: WriterDep, form: FormDep) -> Response:
    authorize(v.actor, Permission.CLOSE_PERIOD)

    def run(uow: UnitOfWork) -> Response:
        close_period(uow, v.actor, period)
        return redirect(f"/periods?done={period}+closed", request)

    try:
        return submit_once(request, v, form, run)
    except DomainError as e:
        if e.code == "forbidden":
            raise
        return _page(request, v, 409 if e.code == "invalid_transition" else 422, errors=field_errors(e), failed=period)


@router.post("/periods/{period}/reopen", include_in_schema=False)
def reopen(request: Request, period: str, v: WriterDep, form: FormDep) -> Response:
    authorize(v.actor, Permission.CLOSE_PERIOD)
    reason = as_str(form, "reason")

    def run(uow: UnitOfWork) -> Response:
        reopen_period(uow, v.actor, period, reason=reason)
        return redirect(f"/periods?done={period}+reopened", request)

    try:
        return submit_once(request, v, form, run)
    except DomainError as e:
        if e.code == "forbidden":
            raise
        return _page(request, v, 409 if e.code == "invalid_transition" else 422, errors=field_errors(e), failed=period)
