"""Webhook endpoints, their delivery attempts and redelivery (issue 13 item 3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from creditmemo.api.schemas.common import In, Out
from creditmemo.domain.webhooks import EVENT_TYPES, MAX_EVENTS, MAX_URL
from creditmemo.services.webhooks import Endpoint

EventName = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class WebhookEndpointCreate(In):
    model_config = In.model_config | {
        "json_schema_extra": {
            "examples": [
                {"url": "https://erp.example.com/hooks/creditmemo", "events": ["credit_memo.*", "refund.created"]}
            ]
        }
    }
    url: Annotated[str, StringConstraints(max_length=MAX_URL)] = Field(
        description="http(s); link-local and metadata addresses are refused, private and loopback ones unless "
        "CREDITMEMO_WEBHOOKS_ALLOW_PRIVATE=1."
    )
    events: list[EventName] = Field(
        max_length=MAX_EVENTS,
        description=f"Event types, `prefix.*` or `*`; one of: {', '.join(EVENT_TYPES)}.",
    )


class WebhookEndpointOut(Out):
    object: str = "webhook_endpoint"
    id: str
    url: str
    events: list[str]
    status: str = Field(description="active, disabled or deleted")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, e: Endpoint) -> WebhookEndpointOut:
        return cls(
            id=e.id, url=e.url, events=e.events, status=e.status, created_at=e.created_at, updated_at=e.updated_at
        )


class WebhookEndpointCreated(WebhookEndpointOut):
    secret: str = Field(
        description="The signing secret: shown in this answer only. Verify `Creditmemo-Signature` with it."
    )


class WebhookEndpointList(Out):
    data: list[WebhookEndpointOut]


class WebhookAttemptOut(Out):
    object: str = "webhook_attempt"
    id: str
    event_id: str
    event_type: str
    delivery_status: str = Field(description="the event's delivery to this endpoint: pending, delivered, failed…")
    attempted_at: datetime
    status_code: int | None
    response: str | None = Field(description="The first 200 characters of the receiver's answer.")
    error: str | None = Field(description="Why no answer came (timeout, refused, address not allowed).")
    duration_ms: int

    @classmethod
    def of(cls, r: dict[str, Any]) -> WebhookAttemptOut:
        return cls(**r)


class WebhookAttemptList(Out):
    data: list[WebhookAttemptOut]


class RedeliveryOut(Out):
    object: str = "redelivery"
    event_id: str
    endpoints: list[str] = Field(description="The endpoints the event is queued for again, due now.")
