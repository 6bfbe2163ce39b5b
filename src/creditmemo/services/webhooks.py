"""Webhook endpoints, managed by a company's admins (issue 13 item 3): register (the signing secret is answered
once), list, disable, enable, delete (marked deleted, nothing is removed); the attempts made to an endpoint;
sending an event again. Every change is audited (never the secret). Delivery itself is creditmemo/webhooks.py.

Lock (docs/CONCURRENCY.md, "Company configuration"): each change first bumps the company's config version, which
locks the company's row; nothing else is locked."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Any

from creditmemo.domain.errors import NotFoundError, ValidationFailedError
from creditmemo.domain.webhooks import SECRET_PREFIX, check_url, expand_events
from creditmemo.ids import new_id
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store.repositories.webhooks import Claimed, Endpoint, Outcome
from creditmemo.store.uow import UnitOfWork

__all__ = ["Claimed", "Endpoint", "NewEndpoint", "Outcome"]  # the edges take these from here, not from store/
ALLOW_PRIVATE_ENV = "CREDITMEMO_WEBHOOKS_ALLOW_PRIVATE"


def allow_private() -> bool:
    """Loopback and private addresses as receivers: refused unless CREDITMEMO_WEBHOOKS_ALLOW_PRIVATE=1 (tests,
    development). Link-local and metadata addresses are refused always."""
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in ("1", "true", "yes")


@dataclass(frozen=True, slots=True)
class NewEndpoint:
    endpoint: Endpoint
    secret: str  # shown once


def create_endpoint(uow: UnitOfWork, actor: Actor, *, url: str, events: list[str]) -> NewEndpoint:
    authorize(actor, Permission.MANAGE)
    checked = check_url(url, allow_private=allow_private())
    types = expand_events(events)
    uow.companies.change_config(actor.company_id)
    endpoint_id = new_id("whe")
    secret = SECRET_PREFIX + secrets.token_hex(32)
    now = uow.now()
    uow.webhooks.add_endpoint(
        company_id=actor.company_id,
        endpoint_id=endpoint_id,
        url=checked,
        events=list(events),
        event_types=types,
        secret=secret,
        created_by=actor.user_id,
        now=now,
    )
    audit.record(
        uow,
        actor,
        "webhook_endpoint.created",
        "webhook_endpoint",
        endpoint_id,
        {"url": [None, checked], "events": [None, list(events)], "status": [None, "active"]},
    )
    found = uow.webhooks.endpoint(actor.company_id, endpoint_id)
    assert found is not None
    return NewEndpoint(found, secret)


def list_endpoints(uow: UnitOfWork, actor: Actor) -> list[Endpoint]:
    authorize(actor, Permission.MANAGE)
    return uow.webhooks.endpoints(actor.company_id)


def get_endpoint(uow: UnitOfWork, actor: Actor, endpoint_id: str) -> Endpoint:
    authorize(actor, Permission.MANAGE)
    found = uow.webhooks.endpoint(actor.company_id, endpoint_id)
    if found is None or found.status == "deleted":
        raise NotFoundError("webhook_endpoint", endpoint_id)
    return found


_VERBS = {"active": "enabled", "disabled": "disabled", "deleted": "deleted"}


def set_status(uow: UnitOfWork, actor: Actor, endpoint_id: str, status: str) -> Endpoint:
    """Disable (nothing is queued for it and nothing sent until enabled again), enable, or delete (marked
    deleted: what was still to send is cancelled)."""
    authorize(actor, Permission.MANAGE)
    uow.companies.change_config(actor.company_id)
    before = get_endpoint(uow, actor, endpoint_id)  # read after the company's lock
    if before.status != status:
        uow.webhooks.set_status(actor.company_id, endpoint_id, status, uow.now())
        audit.record(
            uow,
            actor,
            f"webhook_endpoint.{_VERBS[status]}",
            "webhook_endpoint",
            endpoint_id,
            {"status": [before.status, status]},
        )
    after = uow.webhooks.endpoint(actor.company_id, endpoint_id)
    assert after is not None
    return after


def deliveries(uow: UnitOfWork, actor: Actor, endpoint_id: str, *, limit: int = 50) -> list[dict[str, Any]]:
    """The latest attempts to the endpoint (time, status code, start of the response, error), newest first."""
    get_endpoint(uow, actor, endpoint_id)
    if isinstance(limit, bool) or not 1 <= limit <= 500:
        raise ValidationFailedError.single("limit", "Between 1 and 500.", "out_of_range")
    return uow.webhooks.attempts(actor.company_id, endpoint_id, limit=limit)


def events(uow: UnitOfWork, actor: Actor, endpoint_id: str, *, limit: int = 50) -> list[dict[str, Any]]:
    """The latest events queued for the endpoint with their delivery status, newest first."""
    get_endpoint(uow, actor, endpoint_id)
    return uow.webhooks.deliveries(actor.company_id, endpoint_id, limit=limit)


def redeliver(uow: UnitOfWork, actor: Actor, event_id: str) -> list[str]:
    """Queue the event again for each endpoint (not deleted) it was for: due now, a day to succeed. The
    endpoints' ids."""
    authorize(actor, Permission.MANAGE)
    # The update says what it set pending: a delivery a purge deleted while it waited for the row's lock is not
    # there any more (docs/CONCURRENCY.md, "The webhook outbox"), and then, with no other row left, not found.
    endpoints = uow.webhooks.redeliver(actor.company_id, event_id, uow.now())
    if not endpoints and not uow.webhooks.event_exists(actor.company_id, event_id):
        raise NotFoundError("webhook_event", event_id)
    audit.record(uow, actor, "webhook_event.redelivered", "webhook_event", event_id, {"endpoints": [None, endpoints]})
    return endpoints
