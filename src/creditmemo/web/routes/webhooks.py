"""The admin page of webhooks (issue 13 items 3 and 6), at /settings/webhooks: the endpoints, add one (its signing
secret is shown on the page that answers the form, once: a resent form creates nothing and shows no secret),
disable, enable, delete (after a confirmation), each endpoint's recent attempts and a Redeliver button per event.
The same services as the API, so every change is audited."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from creditmemo.domain.webhooks import EVENT_TYPES
from creditmemo.services import webhooks
from creditmemo.store.uow import UnitOfWork
from creditmemo.web.core import FormDep, ViewerDep, WebRoute, WriterDep, as_str, db_of, render
from creditmemo.web.once import submit_change

router = APIRouter(route_class=WebRoute)
PATH = "/settings/webhooks"
RECENT = 10


def _page(
    request: Request,
    v: Any,
    *,
    errors: dict[str, str] | None = None,
    form: FormData | None = None,
    secret: str | None = None,
    status: int = 200,
) -> Response:
    with db_of(request).uow(readonly=True) as uow:
        endpoints = webhooks.list_endpoints(uow, v.actor)
        attempts = {e.id: webhooks.deliveries(uow, v.actor, e.id, limit=RECENT) for e in endpoints}
    return render(
        request,
        "webhooks.html",
        status,
        endpoints=endpoints,
        attempts=attempts,
        event_types=EVENT_TYPES,
        errors=errors or {},
        form=form,
        secret=secret,
        done=request.query_params.get("done"),
    )


@router.get(PATH, include_in_schema=False)
def webhooks_page(request: Request, v: ViewerDep) -> Response:
    return _page(request, v)


def _submit(request: Request, v: Any, form: FormData, prefix: str, change: Any, done: str) -> Response:
    page, then = partial(_page, request, v), f"{PATH}?done={done}"
    return submit_change(request, v, form, change, then=then, page=page, errors=prefix)


@router.post(PATH, include_in_schema=False)
def add_endpoint(request: Request, v: WriterDep, form: FormDep) -> Response:
    made: list[webhooks.NewEndpoint] = []

    def change(uow: UnitOfWork) -> None:
        made.clear()
        events = [str(x) for x in form.getlist("events") if str(x)]
        made.append(webhooks.create_endpoint(uow, v.actor, url=as_str(form, "url") or "", events=events))

    answer = _submit(request, v, form, "new", change, "added")
    if made and answer.status_code in (204, 303):  # created by this request: the one time the secret is shown
        return _page(request, v, secret=made[0].secret)
    return answer


def _status(request: Request, v: Any, form: FormData, endpoint_id: str, status: str, done: str) -> Response:
    return _submit(
        request,
        v,
        form,
        f"endpoint_{endpoint_id}",
        lambda uow: webhooks.set_status(uow, v.actor, endpoint_id, status),
        done,
    )


@router.post(PATH + "/{endpoint_id}/disable", include_in_schema=False)
def disable(request: Request, endpoint_id: str, v: WriterDep, form: FormDep) -> Response:
    return _status(request, v, form, endpoint_id, "disabled", "disabled")


@router.post(PATH + "/{endpoint_id}/enable", include_in_schema=False)
def enable(request: Request, endpoint_id: str, v: WriterDep, form: FormDep) -> Response:
    return _status(request, v, form, endpoint_id, "active", "enabled")


@router.post(PATH + "/{endpoint_id}/delete", include_in_schema=False)
def delete(request: Request, endpoint_id: str, v: WriterDep, form: FormDep) -> Response:
    return _status(request, v, form, endpoint_id, "deleted", "deleted")


@router.post(PATH + "/events/{event_id}/redeliver", include_in_schema=False)
def redeliver(request: Request, event_id: str, v: WriterDep, form: FormDep) -> Response:
    return _submit(
        request, v, form, f"event_{event_id}", lambda uow: webhooks.redeliver(uow, v.actor, event_id), "redelivered"
    )
