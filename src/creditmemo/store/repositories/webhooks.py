"""Webhook endpoints, the outbox and the delivery attempts (issue 13 item 3; docs/CONCURRENCY.md, "The webhook
outbox").

The write path (``queue_audit_events``, called by ``AuditLog.flush`` at commit) adds one statement, an
``INSERT … SELECT`` that reads the transaction's events back (by their tx_id) and joins them to the company's
active subscriptions. It is one constant statement, compiled once: building it per transaction from the events'
values cost more than the rest of the audit trail (a third of a memo's time on SQLite, cProfile). It writes a row
only for an endpoint subscribed to the event, it returns no rows (so on PostgreSQL it travels in the commit's
pipeline flight: no extra round trip), and it locks nothing but the rows it inserts (its foreign key to the
endpoint takes the usual FOR KEY SHARE). A company without endpoints pays one indexed lookup that finds nothing.

The deliverer claims due rows in its own short transactions (``claim``: FOR NO KEY UPDATE SKIP LOCKED on
PostgreSQL, so several deliverers share the work; SQLite runs one), sets their lease (``next_attempt_at``) and
commits before any HTTP request; the results are written in another short transaction (``record``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    select,
    tuple_,
    update,
)
from sqlalchemy.sql import Select

from creditmemo.domain.webhooks import AUDITED_TYPES, GIVE_UP_AFTER
from creditmemo.ids import new_id
from creditmemo.store.engine import ROWCOUNT
from creditmemo.store.tables import (
    audit_events,
    webhook_attempts,
    webhook_endpoints,
    webhook_outbox,
    webhook_subscriptions,
)
from creditmemo.store.types import UTCDateTime

_o = webhook_outbox.c
_e = webhook_endpoints.c
_s = webhook_subscriptions.c
_a = webhook_attempts.c
_OUTBOX_COLUMNS = [
    "company_id",
    "event_id",
    "endpoint_id",
    "event_type",
    "document_id",
    "position",
    "payload",
    "status",
    "attempts",
    "created_at",
    "next_attempt_at",
    "give_up_at",
]


@dataclass(frozen=True, slots=True)
class Endpoint:
    company_id: str
    id: str
    url: str
    events: list[str]
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery taken by a deliverer: what to send, where, signed with what."""

    company_id: str
    event_id: str
    endpoint_id: str
    event_type: str
    document_id: str
    created_at: datetime
    give_up_at: datetime
    attempts: int  # including this one
    url: str
    secret: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt gave: a status code and the start of the response, or an error."""

    delivery: Claimed
    attempted_at: datetime
    status_code: int | None
    response: str | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _event_select(company_id: str, event_id: str, event_type: str, document_id: str, position: str, at: datetime,
                  payload: Mapping[str, Any] | None) -> Select[Any]:  # fmt: skip
    return select(
        literal(company_id, String(40)).label("company_id"),
        literal(event_id, String(40)).label("event_id"),
        literal(event_type, String(40)).label("event_type"),
        literal(document_id, String(40)).label("document_id"),
        literal(position, String(60)).label("position"),
        (literal(dict(payload), JSON) if payload is not None else cast(null(), JSON)).label("payload"),
        literal(at, UTCDateTime()).label("created_at"),
        literal(at + GIVE_UP_AFTER, UTCDateTime()).label("give_up_at"),
    )


def _queue(conn: Connection, event: Select[Any]) -> None:
    source = event.subquery("ev")
    ev = source.c
    pick = (
        select(
            ev.company_id,
            ev.event_id,
            _s.endpoint_id,
            ev.event_type,
            ev.document_id,
            ev.position,
            ev.payload,
            literal("pending", String(10)),
            literal(0, Integer),
            ev.created_at,
            ev.created_at,
            ev.give_up_at,
        )
        .select_from(source)
        .join(webhook_subscriptions, and_(_s.company_id == ev.company_id, _s.event_type == ev.event_type))
        .join(webhook_endpoints, and_(_e.company_id == _s.company_id, _e.id == _s.endpoint_id))
        .where(_e.status == "active")
    )
    conn.execute(insert(webhook_outbox).from_select(_OUTBOX_COLUMNS, pick))


_ev = audit_events.c


def _from_audit_events(position: ColumnElement[str]) -> Any:
    """The outbox rows of one transaction's events (read back by their tx_id, still unsealed: the partial
    index ix_audit_events_unsealed finds them), for each active endpoint subscribed to their type."""
    pick = (
        select(
            _ev.company_id,
            _ev.id,
            _s.endpoint_id,
            _ev.action,
            _ev.entity_id,
            position,
            cast(null(), JSON),
            literal("pending", String(10)),
            literal(0, Integer),
            _ev.occurred_at,
            _ev.occurred_at,
            bindparam("b_give_up", type_=UTCDateTime()),
        )
        .select_from(audit_events)
        .join(webhook_subscriptions, and_(_s.company_id == _ev.company_id, _s.event_type == _ev.action))
        .join(webhook_endpoints, and_(_e.company_id == _s.company_id, _e.id == _s.endpoint_id))
        .where(
            _ev.company_id == bindparam("b_company"),
            _ev.tx_id == bindparam("b_tx"),
            _ev.seq.is_(None),
            _e.status == "active",
        )
    )
    return insert(webhook_outbox).from_select(_OUTBOX_COLUMNS, pick)


# The position is "<tx_id>:<ordinal, six digits or more>", as queue_event's callers write it; built in SQL
# per dialect (SQLite has printf, PostgreSQL lpad). One statement each, built once: the write path pays
# no SQL construction per transaction.
_ordinal = cast(_ev.ordinal, Text)
_QUEUE_FROM_AUDIT = {
    "sqlite": _from_audit_events(_ev.tx_id + ":" + func.printf("%06d", _ev.ordinal)),
    "postgresql": _from_audit_events(
        _ev.tx_id + ":" + func.lpad(_ordinal, func.greatest(6, func.length(_ordinal)), "0")
    ),
}


def queue_audit_events(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Outbox rows for the audit events ``AuditLog.flush`` has just inserted (one transaction's: one tx_id),
    for every active endpoint of their company subscribed to them: one constant statement per company, none
    when no event of the transaction is a webhook event."""
    companies: dict[str, datetime] = {}
    for r in rows:
        if r["action"] in AUDITED_TYPES:
            at = r["occurred_at"]
            companies[r["company_id"]] = max(companies.get(r["company_id"], at), at)
    if not companies:
        return
    stmt = _QUEUE_FROM_AUDIT["postgresql" if conn.dialect.name == "postgresql" else "sqlite"]
    tx_id = rows[0]["tx_id"]
    for company_id, at in companies.items():
        conn.execute(stmt, {"b_company": company_id, "b_tx": tx_id, "b_give_up": at + GIVE_UP_AFTER})


def queue_event(
    conn: Connection,
    *,
    company_id: str,
    event_id: str,
    event_type: str,
    document_id: str,
    position: str,
    at: datetime,
    payload: Mapping[str, Any],
) -> None:
    """An event that is not an audit event (audit.anchor), with its payload."""
    _queue(conn, _event_select(company_id, event_id, event_type, document_id, position, at, payload))


_record = (
    update(webhook_outbox)
    .where(
        _o.company_id == bindparam("b_company"),
        _o.event_id == bindparam("b_event"),
        _o.endpoint_id == bindparam("b_endpoint"),
        _o.status == "pending",  # an endpoint deleted meanwhile (cancelled) stays so
    )
    .values(status=bindparam("b_status"), delivered_at=bindparam("b_delivered"), next_attempt_at=bindparam("b_next"))
)


class WebhookRepository:
    def __init__(self, conn: Connection, *, row_locks: bool) -> None:
        self.conn = conn
        self.row_locks = row_locks

    # endpoints ----------------------------------------------------------------------------------------
    def add_endpoint(
        self,
        *,
        company_id: str,
        endpoint_id: str,
        url: str,
        events: list[str],
        event_types: list[str],
        secret: str,
        created_by: str | None,
        now: datetime,
    ) -> None:
        self.conn.execute(
            insert(webhook_endpoints).values(
                company_id=company_id,
                id=endpoint_id,
                url=url,
                events=events,
                secret=secret,
                status="active",
                created_at=now,
                created_by=created_by,
                updated_at=now,
            )
        )
        self.conn.execute(
            insert(webhook_subscriptions),
            [{"company_id": company_id, "event_type": t, "endpoint_id": endpoint_id} for t in event_types],
        )

    def endpoints(self, company_id: str, *, include_deleted: bool = False) -> list[Endpoint]:
        stmt = select(webhook_endpoints).where(_e.company_id == company_id)
        if not include_deleted:
            stmt = stmt.where(_e.status != "deleted")
        return [_endpoint(r) for r in self.conn.execute(stmt.order_by(_e.created_at, _e.id)).mappings()]

    def endpoint(self, company_id: str, endpoint_id: str) -> Endpoint | None:
        row = (
            self.conn.execute(select(webhook_endpoints).where(_e.company_id == company_id, _e.id == endpoint_id))
            .mappings()
            .first()
        )
        return _endpoint(row) if row else None

    def set_status(self, company_id: str, endpoint_id: str, status: str, now: datetime) -> None:
        self.conn.execute(
            update(webhook_endpoints)
            .where(_e.company_id == company_id, _e.id == endpoint_id)
            .values(status=status, updated_at=now)
        )
        if status == "deleted":  # what was still to send is never sent
            self.conn.execute(
                update(webhook_outbox)
                .where(_o.company_id == company_id, _o.endpoint_id == endpoint_id, _o.status == "pending")
                .values(status="cancelled")
            )

    # retention ----------------------------------------------------------------------------------------
    def purge(self, before: datetime, limit: int, company_ids: Sequence[str] | None = None) -> tuple[int, int]:
        """Delete up to ``limit`` finished deliveries (delivered, failed, cancelled) whose last activity
        (``next_attempt_at``: the last claim) is before ``before``, and up to ``limit`` attempts made before
        it to deliveries not pending; the counts deleted (``company_ids``: only theirs). Pending deliveries and
        their attempts are never touched."""
        done = (_o.status.in_(("delivered", "failed", "cancelled")), _o.next_attempt_at < before)
        finished = select(_o.company_id, _o.event_id, _o.endpoint_id).where(*done)
        if company_ids is not None:
            finished = finished.where(_o.company_id.in_(company_ids))
        finished = finished.limit(limit)
        # The conditions again on the deleted row itself: a row a redelivery set pending while this statement
        # waited for its lock is checked again as committed (PostgreSQL re-evaluates the row's own conditions,
        # not the sub-select's) and kept (tests/services/test_webhook_purge_race.py).
        outbox = self.conn.execute(
            delete(webhook_outbox)
            .where(*done, tuple_(_o.company_id, _o.event_id, _o.endpoint_id).in_(finished))
            .execution_options(**ROWCOUNT)
        ).rowcount
        pending = exists().where(
            _o.company_id == _a.company_id,
            _o.event_id == _a.event_id,
            _o.endpoint_id == _a.endpoint_id,
            _o.status == "pending",
        )
        old = select(_a.company_id, _a.id).where(_a.attempted_at < before, ~pending)
        if company_ids is not None:
            old = old.where(_a.company_id.in_(company_ids))
        old = old.limit(limit)
        attempts = self.conn.execute(
            delete(webhook_attempts).where(tuple_(_a.company_id, _a.id).in_(old)).execution_options(**ROWCOUNT)
        ).rowcount
        return int(outbox or 0), int(attempts or 0)

    # redelivery and reading ---------------------------------------------------------------------------
    def redeliver(self, company_id: str, event_id: str, now: datetime) -> list[str]:
        """Send the event again to each endpoint (not deleted) that had it: due now, a day to succeed. The
        endpoints' ids whose delivery was set pending, as the update found them: empty when the company has no
        such event (or a purge deleted it while this waited for its row lock)."""
        live = select(_e.id).where(_e.company_id == company_id, _e.status != "deleted")
        endpoints = self.conn.execute(
            update(webhook_outbox)
            .where(_o.company_id == company_id, _o.event_id == event_id, _o.endpoint_id.in_(live))
            .values(status="pending", next_attempt_at=now, give_up_at=now + GIVE_UP_AFTER, delivered_at=None)
            .returning(_o.endpoint_id)
        ).scalars()
        return sorted(endpoints)

    def event_exists(self, company_id: str, event_id: str) -> bool:
        stmt = select(_o.event_id).where(_o.company_id == company_id, _o.event_id == event_id).limit(1)
        return self.conn.execute(stmt).first() is not None

    def attempts(self, company_id: str, endpoint_id: str, *, limit: int) -> list[dict[str, Any]]:
        """The latest attempts to this endpoint, newest first, with their event's type and delivery status."""
        stmt = (
            select(
                _a.id,
                _a.event_id,
                _o.event_type,
                _o.status.label("delivery_status"),
                _a.attempted_at,
                _a.status_code,
                _a.response,
                _a.error,
                _a.duration_ms,
            )
            .join(
                webhook_outbox,
                and_(_o.company_id == _a.company_id, _o.event_id == _a.event_id, _o.endpoint_id == _a.endpoint_id),
            )
            .where(_a.company_id == company_id, _a.endpoint_id == endpoint_id)
            .order_by(_a.attempted_at.desc(), _a.id.desc())
            .limit(limit)
        )
        return [dict(r) for r in self.conn.execute(stmt).mappings()]

    def deliveries(self, company_id: str, endpoint_id: str, *, limit: int) -> list[dict[str, Any]]:
        """The latest events queued for this endpoint, newest first, with their status."""
        stmt = (
            select(_o.event_id, _o.event_type, _o.document_id, _o.status, _o.attempts, _o.created_at, _o.delivered_at)
            .where(_o.company_id == company_id, _o.endpoint_id == endpoint_id)
            .order_by(_o.position.desc())
            .limit(limit)
        )
        return [dict(r) for r in self.conn.execute(stmt).mappings()]

    # delivering ---------------------------------------------------------------------------------------
    def claim(
        self, now: datetime, lease_until: datetime, limit: int, company_ids: Sequence[str] | None = None
    ) -> list[Claimed]:
        """Take up to ``limit`` due deliveries: pending, due, to an active endpoint, and the oldest still
        pending of their document for that endpoint (a document's events go out in order). Their lease
        (``next_attempt_at``) is moved to ``lease_until`` and their attempt counted; commit before sending."""
        earlier = webhook_outbox.alias("earlier")
        p = earlier.c
        blocked = exists().where(
            p.company_id == _o.company_id,
            p.endpoint_id == _o.endpoint_id,
            p.document_id == _o.document_id,
            p.status == "pending",
            p.position < _o.position,
        )
        active = exists().where(_e.company_id == _o.company_id, _e.id == _o.endpoint_id, _e.status == "active")
        stmt = (
            select(_o.company_id, _o.event_id, _o.endpoint_id)
            .where(_o.status == "pending", _o.next_attempt_at <= now, active, ~blocked)
            .order_by(_o.next_attempt_at, _o.position)
            .limit(limit)
        )
        if company_ids is not None:
            stmt = stmt.where(_o.company_id.in_(list(company_ids)))
        if self.row_locks:
            stmt = stmt.with_for_update(key_share=True, skip_locked=True, of=webhook_outbox)
        keys = [tuple(r) for r in self.conn.execute(stmt)]
        if not keys:
            return []
        match = tuple_(_o.company_id, _o.event_id, _o.endpoint_id).in_(keys)
        self.conn.execute(
            update(webhook_outbox).where(match).values(next_attempt_at=lease_until, attempts=_o.attempts + 1)
        )
        rows = (
            self.conn.execute(
                select(webhook_outbox, _e.url, _e.secret)
                .join(webhook_endpoints, and_(_e.company_id == _o.company_id, _e.id == _o.endpoint_id))
                .where(match)
            )
            .mappings()
            .all()
        )
        ae = audit_events.c
        wanted = sorted({(r["company_id"], r["event_id"]) for r in rows if r["payload"] is None})
        events: dict[tuple[str, str], Any] = {}
        if wanted:  # the audit events the payloads are built from, by their keys
            found = self.conn.execute(
                select(
                    ae.company_id,
                    ae.id,
                    ae.occurred_at,
                    ae.actor_id,
                    ae.actor_label,
                    ae.entity_type,
                    ae.changes,
                    ae.request_id,
                ).where(tuple_(ae.company_id, ae.id).in_(wanted))
            ).mappings()
            events = {(e["company_id"], e["id"]): e for e in found}
        return [_claimed(r, events.get((r["company_id"], r["event_id"]))) for r in rows]

    def record(self, outcomes: Sequence[Outcome], now: datetime, retry_in: Mapping[int, float]) -> None:
        """The attempts, and each delivery's new state: delivered; pending again after its back-off
        (``retry_in`` by attempt count); or failed once its day is over."""
        if not outcomes:
            return
        self.conn.execute(
            insert(webhook_attempts),
            [
                {
                    "company_id": o.delivery.company_id,
                    "id": new_id("wha"),
                    "event_id": o.delivery.event_id,
                    "endpoint_id": o.delivery.endpoint_id,
                    "attempted_at": o.attempted_at,
                    "status_code": o.status_code,
                    "response": o.response,
                    "error": o.error,
                    "duration_ms": o.duration_ms,
                }
                for o in outcomes
            ],
        )
        rows = []
        for o in outcomes:
            d = o.delivery
            if o.ok:
                status, delivered_at, next_at = "delivered", o.attempted_at, now
            elif now >= d.give_up_at:
                status, delivered_at, next_at = "failed", None, now
            else:
                status, delivered_at, next_at = "pending", None, now + timedelta(seconds=retry_in[d.attempts])
            rows.append(
                {
                    "b_company": d.company_id,
                    "b_event": d.event_id,
                    "b_endpoint": d.endpoint_id,
                    "b_status": status,
                    "b_delivered": delivered_at,
                    "b_next": next_at,
                }
            )
        self.conn.execute(_record, rows)  # one executemany


def _endpoint(r: Any) -> Endpoint:
    return Endpoint(
        r["company_id"], r["id"], r["url"], list(r["events"]), r["status"], r["created_at"], r["updated_at"]
    )


def _claimed(r: Any, event: Any) -> Claimed:
    payload = r["payload"]
    if payload is None:  # an audit event: the payload is built from it (its id is the event id)
        payload = {
            "id": r["event_id"],
            "type": r["event_type"],
            "created_at": event["occurred_at"].isoformat(),
            "company_id": r["company_id"],
            "data": {
                "document_type": event["entity_type"],
                "document_id": r["document_id"],
                "actor": {"id": event["actor_id"], "label": event["actor_label"]},
                "changes": event["changes"],
                "request_id": event["request_id"],
            },
        }
    return Claimed(
        company_id=r["company_id"],
        event_id=r["event_id"],
        endpoint_id=r["endpoint_id"],
        event_type=r["event_type"],
        document_id=r["document_id"],
        created_at=r["created_at"],
        give_up_at=r["give_up_at"],
        attempts=r["attempts"],
        url=r["url"],
        secret=r["secret"],
        payload=dict(payload),
    )
