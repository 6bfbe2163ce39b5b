"""The audit log: events are buffered during a transaction and chained at commit, so the chain head
(one row per company) is locked only for the last statements of the transaction."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from creditmemo.domain.audit import GENESIS, AuditEvent, event_hash, jsonable_changes
from creditmemo.ids import new_id
from creditmemo.store.locking import locked
from creditmemo.store.tables import audit_events, audit_heads


_insert_events = insert(audit_events)
# The head, read under its row lock on PostgreSQL (FOR UPDATE); SQLite writers already hold the database's
# write lock from BEGIN IMMEDIATE, so a plain read there is serialised too.
_read_head = select(audit_heads.c.last_seq, audit_heads.c.last_hash).where(
    audit_heads.c.company_id == bindparam("b_company"))
_lock_head = locked(_read_head)
_move_head = (update(audit_heads).where(audit_heads.c.company_id == bindparam("b_company"))
              .values(last_seq=bindparam("b_seq"), last_hash=bindparam("b_hash")))


class AuditLog:
    def __init__(self, conn: Connection, *, row_locks: bool, request_id: str | None = None) -> None:
        self.conn = conn
        self.row_locks = row_locks
        self.request_id = request_id
        self.pending: list[AuditEvent] = []
        self.enabled = True

    def record(self, *, company_id: str, actor_id: str | None, actor_label: str | None, action: str,
               entity_type: str, entity_id: str, changes: Mapping[str, Any], now: datetime) -> None:
        if not self.enabled:  # only the engine benchmark turns it off (Database(..., audit=False))
            return
        self.pending.append(AuditEvent(
            id=new_id("ev"), company_id=company_id, occurred_at=now, actor_id=actor_id,
            actor_label=actor_label, action=action, entity_type=entity_type, entity_id=entity_id,
            changes=jsonable_changes(changes), request_id=self.request_id))

    def start_chain(self, company_id: str) -> None:
        self.conn.execute(insert(audit_heads).values(company_id=company_id, last_seq=0, last_hash=GENESIS))

    def flush(self) -> None:
        """Chain and insert the buffered events; called by the unit of work just before commit."""
        if not self.pending:
            return
        by_company: dict[str, list[AuditEvent]] = {}
        for event in self.pending:
            by_company.setdefault(event.company_id, []).append(event)
        self.pending = []
        for company_id in sorted(by_company):
            self._append(company_id, by_company[company_id])

    def _append(self, company_id: str, events: list[AuditEvent]) -> None:
        head = self.conn.execute(_lock_head if self.row_locks else _read_head, {"b_company": company_id}).first()
        seq, prev = (head[0], head[1]) if head else (0, GENESIS)
        rows = []
        for event in events:
            seq += 1
            digest = event_hash(event, seq, prev)
            rows.append({
                "company_id": company_id, "seq": seq, "id": event.id, "occurred_at": event.occurred_at,
                "actor_id": event.actor_id, "actor_label": event.actor_label, "action": event.action,
                "entity_type": event.entity_type, "entity_id": event.entity_id, "changes": event.changes,
                "request_id": event.request_id, "prev_hash": prev, "hash": digest,
            })
            prev = digest
        self.conn.execute(_insert_events, rows)
        if head is None:
            self.conn.execute(insert(audit_heads).values(company_id=company_id, last_seq=seq, last_hash=prev))
        else:
            self.conn.execute(_move_head, {"b_company": company_id, "b_seq": seq, "b_hash": prev})

    def head(self, company_id: str) -> tuple[int, str]:
        row = self.conn.execute(select(audit_heads.c.last_seq, audit_heads.c.last_hash)
                                .where(audit_heads.c.company_id == company_id)).first()
        return (row[0], row[1]) if row else (0, GENESIS)

    def iter_events(self, company_id: str, batch: int = 5000, *, after: int = 0,
                    upto: int | None = None) -> Iterator[AuditEvent]:
        last = after
        while True:
            stmt = select(audit_events).where(audit_events.c.company_id == company_id, audit_events.c.seq > last)
            if upto is not None:
                stmt = stmt.where(audit_events.c.seq <= upto)
            rows = self.conn.execute(stmt.order_by(audit_events.c.seq).limit(batch)).mappings().all()
            if not rows:
                return
            for r in rows:
                yield _event_from_row(r)
            last = rows[-1]["seq"]

    def query(self, company_id: str, *, entity_id: str | None = None, actor_id: str | None = None,
              start: datetime | None = None, end: datetime | None = None, after_seq: int = 0,
              limit: int = 100) -> list[AuditEvent]:
        """Events in seq order after ``after_seq`` (keyset pagination), filtered; ``end`` exclusive."""
        c = audit_events.c
        stmt = select(audit_events).where(c.company_id == company_id, c.seq > after_seq)
        if entity_id is not None:
            stmt = stmt.where(c.entity_id == entity_id)
        if actor_id is not None:
            stmt = stmt.where(c.actor_id == actor_id)
        if start is not None:
            stmt = stmt.where(c.occurred_at >= start)
        if end is not None:
            stmt = stmt.where(c.occurred_at < end)
        rows = self.conn.execute(stmt.order_by(c.seq).limit(limit)).mappings().all()
        return [_event_from_row(r) for r in rows]

    def seq_of(self, company_id: str, event_id: str) -> int | None:
        return self.conn.execute(select(audit_events.c.seq).where(
            audit_events.c.company_id == company_id, audit_events.c.id == event_id)).scalar_one_or_none()

    def company_ids(self) -> list[str]:
        return list(self.conn.execute(select(audit_heads.c.company_id).order_by(audit_heads.c.company_id)).scalars())

    def for_entity(self, company_id: str, entity_id: str) -> list[AuditEvent]:
        rows = self.conn.execute(select(audit_events).where(
            audit_events.c.company_id == company_id, audit_events.c.entity_id == entity_id,
        ).order_by(audit_events.c.seq)).mappings().all()
        return [_event_from_row(r) for r in rows]


def _event_from_row(r: Mapping[str, Any]) -> AuditEvent:
    return AuditEvent(
        id=r["id"], company_id=r["company_id"], occurred_at=r["occurred_at"], actor_id=r["actor_id"],
        actor_label=r["actor_label"], action=r["action"], entity_type=r["entity_type"],
        entity_id=r["entity_id"], changes=r["changes"], request_id=r["request_id"], seq=r["seq"],
        prev_hash=r["prev_hash"], hash=r["hash"])
