"""Issue 13 item 3: signed webhooks from an outbox, on both engines, to a real receiver on 127.0.0.1. The events
are written in the transaction of the change; the deliverer signs them, keeps each document's order, retries after
a receiver's error with back-off, gives up after a day, and sends again on request. Admins only; one company
never sees another's endpoints or events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from creditmemo.store.tables import audit_events, webhook_endpoints, webhook_outbox
from creditmemo.store.uow import Database, utc_now
from creditmemo.webhooks import Deliverer, purge_finished
from tests.api.conftest import Tenant, assert_problem
from tests.receiver import Receiver, verify


@pytest.fixture(autouse=True)
def _loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDITMEMO_WEBHOOKS_ALLOW_PRIVATE", "1")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


class Clock:
    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def register(tenant: Tenant, url: str, events: list[str] | None = None) -> dict:
    return tenant.ok(tenant.post("/v1/webhook-endpoints", {"url": url, "events": events or ["*"]}, role="admin"), 201)


def drain(deliverer: Deliverer) -> int:
    total = 0
    while (n := deliverer.deliver_due()) > 0:
        total += n
    return total


def memo_story(tenant: Tenant) -> dict:
    """A credit memo created, submitted and posted through the API: three events of one document (and its
    application, when posting applies it)."""
    inv = tenant.invoice()
    memo = tenant.memo_from(inv)
    tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/submit"))
    tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))
    return memo


def test_events_are_signed_in_order_and_carry_the_audit_event(db: Database, tenant: Tenant, receiver: Receiver):
    made = register(tenant, receiver.url, ["credit_memo.*"])
    assert made["secret"].startswith("whsec_")
    assert made["status"] == "active"
    listed = tenant.ok(tenant.get("/v1/webhook-endpoints", role="admin"))["data"]
    assert [e["id"] for e in listed] == [made["id"]]
    assert "secret" not in listed[0]  # shown once
    memo = memo_story(tenant)
    deliverer = Deliverer(db, company_ids=[tenant.company_id])
    try:
        assert drain(deliverer) == 3
    finally:
        deliverer.close()
    got = receiver.delivered()
    assert [r.json["type"] for r in got] == ["credit_memo.created", "credit_memo.submitted", "credit_memo.posted"]
    for r in got:
        assert verify(made["secret"], r.headers["Creditmemo-Signature"], r.body, tolerance=300)
        assert not verify("whsec_wrong", r.headers["Creditmemo-Signature"], r.body)
        assert r.headers["Creditmemo-Event-Id"] == r.json["id"]
        assert r.json["data"]["document_id"] == memo["id"]
        assert r.json["company_id"] == tenant.company_id
    assert got[0].json["data"]["changes"]["number"] == [None, memo["number"]]  # deferred numbers resolved
    with db.uow(readonly=True) as uow:
        audit_ids = set(
            uow.conn.execute(select(audit_events.c.id).where(audit_events.c.entity_id == memo["id"])).scalars()
        )
    assert {r.json["id"] for r in got} <= audit_ids  # the event id is the audit event's: stable
    attempts = tenant.ok(tenant.get(f"/v1/webhook-endpoints/{made['id']}/deliveries", role="admin"))["data"]
    assert [a["status_code"] for a in attempts] == [200, 200, 200]
    assert {a["delivery_status"] for a in attempts} == {"delivered"}


def test_only_subscribed_events_of_active_endpoints_are_queued(db: Database, tenant: Tenant, receiver: Receiver):
    made = register(tenant, receiver.url, ["refund.created"])
    memo_story(tenant)
    other = register(tenant, receiver.url, ["credit_memo.created"])
    tenant.ok(tenant.post(f"/v1/webhook-endpoints/{other['id']}/disable", role="admin"))
    tenant.memo_from(tenant.invoice())  # while disabled: nothing queued for it
    with db.uow(readonly=True) as uow:
        rows = uow.conn.execute(
            select(webhook_outbox.c.endpoint_id).where(webhook_outbox.c.company_id == tenant.company_id)
        ).all()
    assert rows == []
    enabled = tenant.ok(tenant.post(f"/v1/webhook-endpoints/{other['id']}/enable", role="admin"))
    assert enabled["status"] == "active"
    tenant.memo_from(tenant.invoice())
    with db.uow(readonly=True) as uow:
        rows = uow.conn.execute(
            select(webhook_outbox.c.endpoint_id).where(webhook_outbox.c.company_id == tenant.company_id)
        ).all()
    assert [r[0] for r in rows] == [other["id"]]
    assert made["id"] != other["id"]


def test_retry_after_receiver_errors_keeps_the_documents_order(db: Database, tenant: Tenant, receiver: Receiver):
    made = register(tenant, receiver.url, ["credit_memo.*"])
    receiver.script.extend([500, 503])
    inv = tenant.invoice()
    memo = tenant.memo_from(inv)
    tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/submit"))
    clock = Clock()
    deliverer = Deliverer(db, company_ids=[tenant.company_id], clock=clock)
    try:
        assert drain(deliverer) == 1  # created fails (500); submitted waits behind it
        assert [r.json["type"] for r in receiver.requests] == ["credit_memo.created"]
        assert drain(deliverer) == 0  # not due before its back-off (10 s)
        clock.advance(seconds=11)
        assert drain(deliverer) == 1  # 503 again: next try in 20 s
        clock.advance(seconds=21)
        assert drain(deliverer) == 2  # 200, then the next event of the document
    finally:
        deliverer.close()
    assert [(r.json["type"], r.status) for r in receiver.requests] == [
        ("credit_memo.created", 500),
        ("credit_memo.created", 503),
        ("credit_memo.created", 200),
        ("credit_memo.submitted", 200),
    ]
    attempts = tenant.ok(tenant.get(f"/v1/webhook-endpoints/{made['id']}/deliveries", role="admin"))["data"]
    assert [a["status_code"] for a in reversed(attempts)] == [500, 503, 200, 200]
    assert attempts[-1]["response"].startswith("receiver trouble")
    assert len(attempts[-1]["response"]) == 200  # a snippet


def test_gives_up_after_a_day_then_the_next_event_goes(db: Database, tenant: Tenant, receiver: Receiver):
    made = register(tenant, receiver.url, ["credit_memo.*"])
    receiver.default = 500
    memo = tenant.memo_from(tenant.invoice())
    tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/submit"))
    clock = Clock()
    deliverer = Deliverer(db, company_ids=[tenant.company_id], clock=clock)
    try:
        assert drain(deliverer) == 1
        clock.advance(hours=23)
        assert drain(deliverer) == 1  # still within the day: pending again
        clock.advance(hours=2)
        receiver.default = 200
        receiver.script.append(500)
        assert drain(deliverer) == 2  # fails past the day: given up; the submitted event is free to go
    finally:
        deliverer.close()
    with db.uow(readonly=True) as uow:
        states: dict[str, Any] = dict(
            uow.conn.execute(
                select(webhook_outbox.c.event_type, webhook_outbox.c.status).where(
                    webhook_outbox.c.company_id == tenant.company_id
                )
            )
            .tuples()
            .all()
        )
    assert states == {"credit_memo.created": "failed", "credit_memo.submitted": "delivered"}
    attempts = tenant.ok(tenant.get(f"/v1/webhook-endpoints/{made['id']}/deliveries", role="admin"))["data"]
    assert attempts[-1]["delivery_status"] == "failed"


def test_redeliver_sends_the_same_event_again(db: Database, tenant: Tenant, other: Tenant, receiver: Receiver):
    register(tenant, receiver.url, ["credit_memo.created"])
    tenant.memo_from(tenant.invoice())
    deliverer = Deliverer(db, company_ids=[tenant.company_id])
    try:
        drain(deliverer)
        event_id = receiver.requests[0].json["id"]
        assert_problem(other.post(f"/v1/events/{event_id}/redeliver", role="admin"), 404, "not_found")
        assert_problem(tenant.post(f"/v1/events/{event_id}/redeliver", role="controller"), 403, "forbidden")
        again = tenant.ok(tenant.post(f"/v1/events/{event_id}/redeliver", role="admin"))
        assert again["event_id"] == event_id
        assert len(again["endpoints"]) == 1
        drain(deliverer)
    finally:
        deliverer.close()
    assert [r.json["id"] for r in receiver.requests] == [event_id, event_id]
    audit = tenant.ok(tenant.get(f"/v1/audit-events?entity_id={event_id}", role="admin"))["data"]
    assert [e["action"] for e in audit] == ["webhook_event.redelivered"]


def test_admin_only_and_company_isolation(db: Database, tenant: Tenant, other: Tenant, receiver: Receiver):
    made = register(tenant, receiver.url)
    for role in ("clerk", "controller", "auditor"):
        assert_problem(
            tenant.post("/v1/webhook-endpoints", {"url": receiver.url, "events": ["*"]}, role=role), 403, "forbidden"
        )
    assert other.ok(other.get("/v1/webhook-endpoints", role="admin"))["data"] == []
    for path in (f"/v1/webhook-endpoints/{made['id']}", f"/v1/webhook-endpoints/{made['id']}/deliveries"):
        assert_problem(other.get(path, role="admin"), 404, "not_found")
    assert_problem(other.post(f"/v1/webhook-endpoints/{made['id']}/disable", role="admin"), 404, "not_found")
    assert_problem(other.delete(f"/v1/webhook-endpoints/{made['id']}", role="admin"), 404, "not_found")
    deleted = tenant.ok(tenant.delete(f"/v1/webhook-endpoints/{made['id']}", role="admin"))
    assert deleted["status"] == "deleted"
    assert tenant.ok(tenant.get("/v1/webhook-endpoints", role="admin"))["data"] == []
    with db.uow(readonly=True) as uow:  # marked, not removed
        assert (
            uow.conn.execute(
                select(webhook_endpoints.c.status).where(webhook_endpoints.c.id == made["id"])
            ).scalar_one()
            == "deleted"
        )
    actions = [
        e["action"] for e in tenant.ok(tenant.get(f"/v1/audit-events?entity_id={made['id']}", role="admin"))["data"]
    ]
    assert actions == ["webhook_endpoint.created", "webhook_endpoint.deleted"]
    assert "secret" not in str(tenant.ok(tenant.get(f"/v1/audit-events?entity_id={made['id']}", role="admin")))


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://example.com/hook", "unsupported_scheme"),
        ("javascript:alert(1)", "unsupported_scheme"),
        ("http://169.254.169.254/latest/meta-data", "forbidden_address"),
        ("http://[fd00:ec2::254]/", "forbidden_address"),
        ("http://metadata.google.internal/computeMetadata/v1/", "forbidden_address"),
        ("http://[fe80::1]/", "forbidden_address"),
        ("https://user:pw@example.com/", "invalid_url"),
        ("http:///nohost", "invalid_url"),
    ],
)
def test_bad_urls_are_422_naming_the_field(tenant: Tenant, url: str, code: str):
    body = assert_problem(
        tenant.post("/v1/webhook-endpoints", {"url": url, "events": ["*"]}, role="admin"),
        422,
        "validation_error",
        "url",
    )
    assert body["errors"][0]["code"] == code


def test_loopback_and_private_need_the_setting(tenant: Tenant, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("CREDITMEMO_WEBHOOKS_ALLOW_PRIVATE")
    for url in ("http://127.0.0.1:9/h", "http://localhost/h", "http://10.0.0.5/h", "http://[::1]/h"):
        body = assert_problem(
            tenant.post("/v1/webhook-endpoints", {"url": url, "events": ["*"]}, role="admin"), 422, "validation_error"
        )
        assert body["errors"][0]["code"] == "private_address", url
    assert (
        tenant.post(
            "/v1/webhook-endpoints", {"url": "https://example.com/h", "events": ["*"]}, role="admin"
        ).status_code
        == 201
    )


def test_unknown_event_types_are_422(tenant: Tenant):
    body = assert_problem(
        tenant.post(
            "/v1/webhook-endpoints",
            {"url": "https://example.com/h", "events": ["credit_memo.posted", "memo.eaten"]},
            role="admin",
        ),
        422,
        "validation_error",
        "events[1]",
    )
    assert body["errors"][0]["code"] == "unknown_event"
    assert_problem(
        tenant.post("/v1/webhook-endpoints", {"url": "https://example.com/h", "events": []}, role="admin"),
        422,
        "validation_error",
        "events",
    )


def test_a_name_resolving_to_a_refused_address_is_not_called(
    db: Database, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
):
    """DNS rebinding: the name passed registration; at delivery it resolves to loopback, which is refused (the
    setting is off for the deliverer), and the attempt records why."""
    made = register(tenant, "http://localhost:9/hook", ["credit_memo.created"])
    tenant.memo_from(tenant.invoice())
    deliverer = Deliverer(db, company_ids=[tenant.company_id], private_ok=False)
    try:
        assert drain(deliverer) == 1
    finally:
        deliverer.close()
    attempt = tenant.ok(tenant.get(f"/v1/webhook-endpoints/{made['id']}/deliveries", role="admin"))["data"][0]
    assert attempt["status_code"] is None
    assert "private or loopback" in attempt["error"]


def test_finished_deliveries_are_purged_after_the_retention_pending_ones_never(
    db: Database, tenant: Tenant, receiver: Receiver
):
    """`creditmemo webhooks purge` / the worker's hourly job: deliveries delivered, failed or cancelled more than
    the retention ago go, with their attempts; younger ones and pending ones (whatever their age) stay."""
    made = register(tenant, receiver.url, ["credit_memo.created"])
    tenant.memo_from(tenant.invoice())
    tenant.memo_from(tenant.invoice())
    tenant.memo_from(tenant.invoice())
    clock = Clock()
    clocked = Database(db.engine, clock=clock)
    deliverer = Deliverer(db, company_ids=[tenant.company_id], clock=clock)
    try:
        assert drain(deliverer) == 3  # delivered now
        clock.advance(days=10)
        tenant.memo_from(tenant.invoice())
        assert drain(deliverer) == 1  # delivered ten days later
        receiver.default = 500
        tenant.memo_from(tenant.invoice())
        assert drain(deliverer) == 1  # refused, and past its day by the deliverer's clock: failed
    finally:
        deliverer.close()
    tenant.memo_from(tenant.invoice())  # never tried: pending

    def states() -> list[str]:
        with db.uow(readonly=True) as uow:
            rows = uow.conn.execute(
                select(webhook_outbox.c.status).where(webhook_outbox.c.company_id == tenant.company_id)
            )
            return sorted(rows.scalars())

    def attempts() -> list[Any]:
        page = tenant.ok(tenant.get(f"/v1/webhook-endpoints/{made['id']}/deliveries?limit=100", role="admin"))
        return sorted((a["delivery_status"], a["status_code"]) for a in page["data"])

    assert states() == ["delivered"] * 4 + ["failed", "pending"]
    with pytest.raises(ValueError, match="at least 2 days"):
        purge_finished(clocked, 1, [tenant.company_id])

    clock.advance(days=25)  # the first three finished 35 days ago, the other two 25
    assert purge_finished(clocked, 30, [tenant.company_id]) == (3, 3)
    assert states() == ["delivered", "failed", "pending"]
    assert attempts() == [("delivered", 200), ("failed", 500)]
    assert purge_finished(clocked, 30, [tenant.company_id]) == (0, 0)  # nothing more is that old

    clock.advance(days=400)
    assert purge_finished(clocked, 30, [tenant.company_id]) == (2, 2)
    assert states() == ["pending"]  # never deleted while pending: the deliverer gives it up first
    assert attempts() == []
