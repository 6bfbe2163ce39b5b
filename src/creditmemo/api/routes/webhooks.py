"""/v1/webhook-endpoints and /v1/events/{id}/redeliver (issue 13 item 3): a company's admins register, list,
disable, enable and delete endpoints, read the attempts made to one and send an event again. Every change is
audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from creditmemo.api.deps import Call, IdempotentCall
from creditmemo.api.problems import problems
from creditmemo.api.schemas.webhooks import (
    RedeliveryOut,
    WebhookAttemptList,
    WebhookAttemptOut,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointList,
    WebhookEndpointOut,
)
from creditmemo.services import webhooks
from creditmemo.store.uow import UnitOfWork

router = APIRouter(tags=["webhooks"])
IdPath = Annotated[str, Path(max_length=40)]


@router.post(
    "/webhook-endpoints",
    status_code=201,
    response_model=WebhookEndpointCreated,
    responses=problems(403, 409, 413, 422),
    summary="Register an endpoint (admin); the signing secret is in this answer only",
)
def create_endpoint(body: WebhookEndpointCreate, ctx: IdempotentCall) -> Response:
    def run(uow: UnitOfWork) -> WebhookEndpointCreated:
        made = webhooks.create_endpoint(uow, ctx.actor, url=body.url, events=body.events)
        return WebhookEndpointCreated(**WebhookEndpointOut.of(made.endpoint).model_dump(), secret=made.secret)

    return ctx.write(run, status=201, body=body)


@router.get("/webhook-endpoints", response_model=WebhookEndpointList, responses=problems(403))
def list_endpoints(ctx: Call) -> Response:
    return ctx.read(
        lambda uow: WebhookEndpointList(
            data=[WebhookEndpointOut.of(e) for e in webhooks.list_endpoints(uow, ctx.actor)]
        )
    )


@router.get("/webhook-endpoints/{endpoint_id}", response_model=WebhookEndpointOut, responses=problems(403, 404))
def get_endpoint(endpoint_id: IdPath, ctx: Call) -> Response:
    return ctx.read(lambda uow: WebhookEndpointOut.of(webhooks.get_endpoint(uow, ctx.actor, endpoint_id)))


def _status_route(path: str, status: str, summary: str) -> None:
    def change(endpoint_id: IdPath, ctx: IdempotentCall) -> Response:
        return ctx.write(lambda uow: WebhookEndpointOut.of(webhooks.set_status(uow, ctx.actor, endpoint_id, status)))

    change.__name__ = f"{status}_endpoint"
    router.add_api_route(
        path,
        change,
        methods=["DELETE"] if status == "deleted" else ["POST"],
        response_model=WebhookEndpointOut,
        responses=problems(403, 404, 409),
        summary=summary,
    )


_status_route("/webhook-endpoints/{endpoint_id}/disable", "disabled", "Stop queueing and sending to it (admin)")
_status_route("/webhook-endpoints/{endpoint_id}/enable", "active", "Queue and send to it again (admin)")
_status_route(
    "/webhook-endpoints/{endpoint_id}", "deleted", "Mark it deleted (admin): nothing more is sent; nothing is removed"
)


@router.get(
    "/webhook-endpoints/{endpoint_id}/deliveries",
    response_model=WebhookAttemptList,
    responses=problems(403, 404),
    summary="The latest delivery attempts to the endpoint, newest first",
)
def list_deliveries(endpoint_id: IdPath, ctx: Call, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> Response:
    return ctx.read(
        lambda uow: WebhookAttemptList(
            data=[WebhookAttemptOut.of(r) for r in webhooks.deliveries(uow, ctx.actor, endpoint_id, limit=limit)]
        )
    )


@router.post(
    "/events/{event_id}/redeliver",
    response_model=RedeliveryOut,
    responses=problems(403, 404, 409),
    summary="Send a webhook event again to every endpoint it was for (admin)",
)
def redeliver(event_id: IdPath, ctx: IdempotentCall) -> Response:
    return ctx.write(
        lambda uow: RedeliveryOut(event_id=event_id, endpoints=webhooks.redeliver(uow, ctx.actor, event_id))
    )
