"""Audit events and the per-company hash chain that makes tampering visible (rule 7, DESIGN §1).

An event is written in the transaction of the change it describes, *unsealed* (no seq, no hash); a sealer
chains committed events after the fact, in the order it finds them, so no transaction waits for the
chain's head (docs/CONCURRENCY.md). ``seq`` is the event's place in its company's chain once sealed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: str
    company_id: str
    occurred_at: datetime
    actor_id: str | None
    actor_label: str | None
    action: str
    entity_type: str
    entity_id: str
    changes: Mapping[str, Any]
    request_id: str | None = None
    seq: int | None = None  # None until sealed
    prev_hash: str | None = None
    hash: str | None = None

    @property
    def sealed(self) -> bool:
        return self.seq is not None

    @property
    def order(self) -> tuple[int, int, datetime, str]:
        """Chain order: sealed events by seq, then the ones not sealed yet by time."""
        return (0, self.seq, self.occurred_at, self.id) if self.seq is not None else (1, 0, self.occurred_at, self.id)


_PLAIN = (str, int, bool, type(None))


def _jsonable(value: Any) -> Any:
    # Exact type checks first: this runs for every value of every event, and an ABC isinstance is slow.
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is list or kind is tuple:
        return [_jsonable(v) for v in value]
    if kind is dict or isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bool, int, str)):
        return value
    return str(value)  # Decimal, date, enums: their canonical text


def jsonable_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    result = _jsonable(changes)
    assert isinstance(result, dict)
    return result


def event_hash(event: AuditEvent, seq: int, prev_hash: str) -> str:
    """SHA-256 over the canonical JSON of every field an auditor relies on, chained to the previous."""
    payload = {
        "company_id": event.company_id,
        "seq": seq,
        "id": event.id,
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "changes": _jsonable(event.changes),
        "request_id": event.request_id,
        "prev_hash": prev_hash,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Seal:
    """An event's place in the chain: what the sealer writes onto it."""

    event_id: str
    seq: int
    prev_hash: str
    hash: str


def seal(events: Iterable[AuditEvent], head_seq: int, head_hash: str) -> list[Seal]:
    """Chain unsealed events after the head (seq head_seq + 1, ...), each hash covering the previous."""
    seals, seq, prev = [], head_seq, head_hash
    for event in events:
        seq += 1
        digest = event_hash(event, seq, prev)
        seals.append(Seal(event.id, seq, prev, digest))
        prev = digest
    return seals


@dataclass(frozen=True, slots=True)
class ChainBreak:
    seq: int
    event_id: str | None
    reason: str


def verify_chain(events: Iterable[AuditEvent], head_seq: int, head_hash: str) -> ChainBreak | None:
    """Walk a company's events in seq order; the first break found, or None when intact.
    Catches an altered row (hash), an inserted or removed row (seq or prev_hash), a truncated tail (head)."""
    expected_seq, prev = 1, GENESIS
    for event in events:
        if event.seq is None:
            return ChainBreak(expected_seq, event.id, "an unsealed event inside the chain")
        if event.seq == expected_seq > head_seq:  # appended behind the application's back
            return ChainBreak(event.seq, event.id, f"event #{event.seq} is beyond the chain head #{head_seq}")
        if event.seq != expected_seq:
            return ChainBreak(expected_seq, event.id, f"expected event #{expected_seq}, found #{event.seq}")
        if event.prev_hash != prev:
            return ChainBreak(event.seq, event.id, "prev_hash does not match the previous event")
        if event_hash(event, event.seq, prev) != event.hash:
            return ChainBreak(event.seq, event.id, "contents do not match the recorded hash")
        prev, expected_seq = event.hash, expected_seq + 1
    if expected_seq - 1 != head_seq or prev != head_hash:
        return ChainBreak(expected_seq, None, f"chain ends at #{expected_seq - 1} but the head says #{head_seq}")
    return None
