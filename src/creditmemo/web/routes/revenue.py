"""The Revenue page (issue 12): the waterfall of a range of months, deferred revenue at its end beside the
ledger, and, for a controller, the recognition run (a one-time form)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from creditmemo.domain.errors import DomainError, ValidationFailedError
from creditmemo.services.actors import Permission
from creditmemo.services.revenue import recognize
from creditmemo.services.revenue_reports import deferred_revenue, revenue_waterfall
from creditmemo.store.uow import UnitOfWork
from creditmemo.web.core import (
    FormDep,
    ViewerDep,
    WebRoute,
    WriterDep,
    as_str,
    db_of,
    field_errors,
    redirect,
    render,
    today,
)
from creditmemo.web.once import submit_once

router = APIRouter(route_class=WebRoute)


def _range(request: Request) -> tuple[str, str]:
    year = today(request).year
    q = request.query_params
    return q.get("from") or f"{year}-01-01", q.get("to") or f"{year}-12-31"


def _page(
    request: Request, v: ViewerDep, errors: dict[str, str] | None = None, status: int = 200, through: str | None = None
) -> Response:
    start, end = _range(request)
    errors = dict(errors or {})
    waterfall = deferred = None
    with db_of(request).uow(readonly=True) as uow:
        try:
            waterfall = revenue_waterfall(uow, v.actor, start=start, end=end)
            deferred = deferred_revenue(uow, v.actor, as_of=end)
        except ValidationFailedError as e:
            errors.update(field_errors(e))
            status = 422
    return render(
        request,
        "revenue.html",
        status,
        start=start,
        end=end,
        waterfall=waterfall,
        deferred=deferred,
        errors=errors,
        through=through or today(request).isoformat(),
        can_recognize=v.actor.can(Permission.RECOGNIZE_REVENUE),
        done=request.query_params.get("done"),
        entries=request.query_params.get("entries"),
    )


@router.get("/revenue", include_in_schema=False)
def revenue_page(request: Request, v: ViewerDep) -> Response:
    return _page(request, v)


@router.post("/revenue/recognize", include_in_schema=False)
def revenue_recognize(request: Request, v: WriterDep, form: FormDep) -> Response:
    start, end = _range(request)

    def attempt(uow: UnitOfWork) -> Response:
        try:
            run = recognize(uow, v.actor, through=as_str(form, "through"))
        except DomainError as e:
            if e.code in ("not_found", "forbidden"):
                raise
            uow.rollback()
            return _page(request, v, field_errors(e) or {"through": e.detail}, 422, as_str(form, "through"))
        query = {"from": start, "to": end, "done": "recognized", "entries": str(len(run.entries))}
        return redirect(f"/revenue?{urlencode(query)}")

    return submit_once(request, v, form, attempt)
