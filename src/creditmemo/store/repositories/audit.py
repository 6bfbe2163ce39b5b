"""The audit log. Events are buffered during a transaction and inserted, unsealed, at commit (one
statement, no shared row touched); the sealer (store/sealer.py) chains committed events afterwards under
the company's chain head, which no request transaction locks (docs/CONCURRENCY.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Connection, bindparam, cast, func, insert, select, update

from creditmemo.domain.anchors import Anchor
from creditmemo.domain.audit import GENESIS, AuditEvent, Seal, jsonable_changes
from creditmemo.ids import new_id, tx_order_key
from creditmemo.store.bulk import insert_rows
from creditmemo.store.locking import locked
from creditmemo.store.numbering import Numbers
from creditmemo.store.repositories.webhooks import queue_audit_events
from creditmemo.store.tables import audit_anchors, audit_events, audit_heads

_insert_events = insert(audit_events)
_read_head = select(audit_heads.c.last_seq, audit_heads.c.last_hash).where(
    audit_heads.c.company_id == bindparam("b_company")
)
# The sealer's lock on the head: on PostgreSQL, a sealer finding another one at work skips this company
# (the other will chain what it finds, and the caller tries again); SQLite serialises writers anyway.
_lock_head = locked(_read_head)
_lock_head_or_skip = _read_head.with_for_update(key_share=True, skip_locked=True)
_move_head = (
    update(audit_heads)
    .where(audit_heads.c.company_id == bindparam("b_company"))
    .values(last_seq=bindparam("b_seq"), last_hash=bindparam("b_hash"))
)
_sealed = audit_events.c.seq.is_not(None)
_unsealed = audit_events.c.seq.is_(None)
_queue = (
    select(audit_events)
    .where(audit_events.c.company_id == bindparam("b_company"), _unsealed)
    .order_by(audit_events.c.tx_id, audit_events.c.ordinal)
    .limit(bindparam("b_limit"))
)
_write_seal = (
    update(audit_events)
    .where(audit_events.c.company_id == bindparam("b_company"), audit_events.c.id == bindparam("b_id"), _unsealed)
    .values(seq=bindparam("b_seq"), prev_hash=bindparam("b_prev"), hash=bindparam("b_hash"))
)


class AuditLog:
    def __init__(
        self, conn: Connection, *, row_locks: bool, request_id: str | None = None, numbers: Numbers | None = None
    ) -> None:
        self.conn = conn
        self.numbers = numbers
        self.row_locks = row_locks
        self.request_id = request_id
        self.pending: list[AuditEvent] = []
        self.written: set[str] = set()  # companies whose events this transaction inserted (to seal after commit)
        self.enabled = True

    def record(
        self,
        *,
        company_id: str,
        actor_id: str | None,
        actor_label: str | None,
        action: str,
        entity_type: str,
        entity_id: str,
        changes: Mapping[str, Any],
        now: datetime,
    ) -> None:
        if not self.enabled:  # only the engine benchmark turns it off (Database(..., audit=False))
            return
        self.pending.append(
            AuditEvent(
                id=new_id("ev"),
                company_id=company_id,
                occurred_at=now,
                actor_id=actor_id,
                actor_label=actor_label,
                action=action,
                entity_type=entity_type,
                entity_id=entity_id,
                changes=jsonable_changes(changes),
                request_id=self.request_id,
            )
        )

    def start_chain(self, company_id: str) -> None:
        self.conn.execute(insert(audit_heads).values(company_id=company_id, last_seq=0, last_hash=GENESIS))

    def flush(self) -> None:
        """Insert the buffered events, unsealed, in one statement; called by the unit of work at commit."""
        if not self.pending:
            return
        events, self.pending = self.pending, []
        tx_id = tx_order_key()  # the sealer chains transactions in this order
        rows: list[dict[str, Any]] = [
            {
                "company_id": e.company_id,
                "id": e.id,
                "seq": None,
                "tx_id": tx_id,
                "ordinal": i,
                "occurred_at": e.occurred_at,
                "actor_id": e.actor_id,
                "actor_label": e.actor_label,
                "action": e.action,
                "entity_type": e.entity_type,
                "entity_id": e.entity_id,
                "changes": e.changes,
                "request_id": e.request_id,
                "prev_hash": None,
                "hash": None,
            }
            for i, e in enumerate(events)
        ]
        numbered = []
        if self.numbers is not None and self.numbers.reserved:  # events naming a number not taken yet
            text = {id(r): json.dumps(r["changes"], ensure_ascii=False) for r in rows}
            numbered = [r for r in rows if self.numbers.carries(text[id(r)])]
            for r in numbered:
                r["changes"] = cast(self.numbers.text_sql(text[id(r)], "b_changes"), JSON)
                self.conn.execute(insert(audit_events).values(r))
        plain = [r for r in rows if not any(r is n for n in numbered)]
        if plain:
            insert_rows(self.conn, audit_events, plain)  # one statement on PostgreSQL (store/bulk.py)
        queue_audit_events(self.conn, rows)  # the webhook outbox, same transaction (repositories/webhooks.py)
        self.written.update(e.company_id for e in events)

    # sealing ------------------------------------------------------------------------------------------
    def lock_head(self, company_id: str, *, skip_locked: bool = False) -> tuple[int, str] | None:
        """The head under its lock; None when ``skip_locked`` and another sealer holds it."""
        stmt = (_lock_head_or_skip if skip_locked else _lock_head) if self.row_locks else _read_head
        row = self.conn.execute(stmt, {"b_company": company_id}).first()
        if row is None:
            if skip_locked and self.row_locks and self._head_exists(company_id):
                return None
            self.start_chain(company_id)
            return 0, GENESIS
        return row[0], row[1]

    def _head_exists(self, company_id: str) -> bool:
        return self.conn.execute(_read_head, {"b_company": company_id}).first() is not None

    def unsealed(self, company_id: str, limit: int) -> list[AuditEvent]:
        rows = self.conn.execute(_queue, {"b_company": company_id, "b_limit": limit}).mappings().all()
        return [_event_from_row(r) for r in rows]

    def write_seals(self, company_id: str, seals: Sequence[Seal]) -> None:
        last = seals[-1]
        self.conn.execute(
            _write_seal,
            [
                {"b_company": company_id, "b_id": s.event_id, "b_seq": s.seq, "b_prev": s.prev_hash, "b_hash": s.hash}
                for s in seals
            ],
        )
        self.conn.execute(_move_head, {"b_company": company_id, "b_seq": last.seq, "b_hash": last.hash})

    def companies_with_unsealed(self) -> list[str]:
        stmt = select(audit_events.c.company_id).where(_unsealed).distinct().order_by(audit_events.c.company_id)
        return list(self.conn.execute(stmt).scalars())

    def unsealed_count(self, company_id: str) -> int:
        return int(
            self.conn.execute(
                select(func.count()).select_from(audit_events).where(audit_events.c.company_id == company_id, _unsealed)
            ).scalar_one()
        )

    # reading ------------------------------------------------------------------------------------------
    def head(self, company_id: str) -> tuple[int, str]:
        row = self.conn.execute(_read_head, {"b_company": company_id}).first()
        return (row[0], row[1]) if row else (0, GENESIS)

    def iter_events(
        self, company_id: str, batch: int = 5000, *, after: int = 0, upto: int | None = None
    ) -> Iterator[AuditEvent]:
        """Sealed events in chain order."""
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

    def query(
        self,
        company_id: str,
        *,
        entity_id: str | None = None,
        actor_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        after_seq: int = 0,
        limit: int = 100,
    ) -> list[AuditEvent]:
        """Sealed events in chain order after ``after_seq`` (keyset pagination), filtered; ``end`` exclusive."""
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
        return self.conn.execute(
            select(audit_events.c.seq).where(
                audit_events.c.company_id == company_id, audit_events.c.id == event_id, _sealed
            )
        ).scalar_one_or_none()

    def company_ids(self) -> list[str]:
        return list(self.conn.execute(select(audit_heads.c.company_id).order_by(audit_heads.c.company_id)).scalars())

    def for_entity(self, company_id: str, entity_id: str) -> list[AuditEvent]:
        """Every event of one document, sealed ones in chain order, then any not yet sealed."""
        c = audit_events.c
        rows = (
            self.conn.execute(
                select(audit_events)
                .where(c.company_id == company_id, c.entity_id == entity_id)
                .order_by(c.seq.is_(None), c.seq, c.tx_id, c.ordinal)
            )
            .mappings()
            .all()
        )
        return [_event_from_row(r) for r in rows]


class AnchorRepository:
    """Signed chain heads (domain/anchors.py) as published, newest last."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, anchor: Anchor) -> str:
        anchor_id = new_id("anc")
        self.conn.execute(insert(audit_anchors).values(id=anchor_id, **anchor.to_dict()))
        return anchor_id

    def list(self, company_id: str, *, limit: int = 100) -> list[Anchor]:
        c = audit_anchors.c
        rows = self.conn.execute(
            select(c.company_id, c.seq, c.hash, c.anchored_at, c.key_id, c.signature)
            .where(c.company_id == company_id)
            .order_by(c.seq.desc(), c.anchored_at.desc())
            .limit(limit)
        ).all()
        return [Anchor(*r) for r in reversed(rows)]

    def hash_at(self, company_id: str, seq: int) -> str | None:
        return self.conn.execute(
            select(audit_events.c.hash).where(audit_events.c.company_id == company_id, audit_events.c.seq == seq)
        ).scalar_one_or_none()


def _event_from_row(r: Any) -> AuditEvent:
    return AuditEvent(
        id=r["id"],
        company_id=r["company_id"],
        occurred_at=r["occurred_at"],
        actor_id=r["actor_id"],
        actor_label=r["actor_label"],
        action=r["action"],
        entity_type=r["entity_type"],
        entity_id=r["entity_id"],
        changes=r["changes"],
        request_id=r["request_id"],
        seq=r["seq"],
        prev_hash=r["prev_hash"],
        hash=r["hash"],
    )
