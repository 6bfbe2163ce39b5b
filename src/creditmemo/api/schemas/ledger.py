"""Journal entries and audit events (read only)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from creditmemo.api.schemas.common import DecimalStr, MoneyStr, Out, dec, money
from creditmemo.domain.audit import AuditEvent
from creditmemo.domain.ledger import JournalEntry, JournalLine


class JournalLineOut(Out):
    account: str
    debit: MoneyStr
    credit: MoneyStr
    functional_debit: MoneyStr
    functional_credit: MoneyStr
    customer_id: str | None

    @classmethod
    def of(cls, line: JournalLine) -> JournalLineOut:
        return cls(
            account=line.account,
            debit=money(line.debit),
            credit=money(line.credit),
            functional_debit=money(line.functional_debit),
            functional_credit=money(line.functional_credit),
            customer_id=line.customer_id,
        )


class JournalEntryOut(Out):
    object: str = "journal_entry"
    id: str
    date: date
    kind: str
    source_type: str
    source_id: str
    currency: str
    functional_currency: str
    exchange_rate: DecimalStr
    description: str
    lines: list[JournalLineOut]
    sequence: int | None = Field(
        None, description="Its place in the company's posting order (the `after` feed only; null elsewhere)."
    )

    @classmethod
    def of(cls, e: JournalEntry, *, sequence: int | None = None) -> JournalEntryOut:
        return cls(
            sequence=sequence,
            id=e.id,
            date=e.date,
            kind=e.kind,
            source_type=e.source_type,
            source_id=e.source_id,
            currency=e.currency,
            functional_currency=e.functional_currency,
            exchange_rate=dec(e.exchange_rate),
            description=e.description,
            lines=[JournalLineOut.of(line) for line in e.lines],
        )


class AuditEventOut(Out):
    object: str = "audit_event"
    id: str
    seq: int | None = Field(
        description="Place in the company's hash chain; null until the event is sealed "
        "(normally within a second of its commit)."
    )
    occurred_at: datetime
    actor_id: str | None
    actor_label: str | None
    action: str
    entity_type: str
    entity_id: str
    changes: dict[str, Any]
    request_id: str | None
    prev_hash: str | None
    hash: str | None

    @classmethod
    def of(cls, e: AuditEvent) -> AuditEventOut:
        return cls(
            id=e.id,
            seq=e.seq,
            occurred_at=e.occurred_at,
            actor_id=e.actor_id,
            actor_label=e.actor_label,
            action=e.action,
            entity_type=e.entity_type,
            entity_id=e.entity_id,
            changes=dict(e.changes),
            request_id=e.request_id,
            prev_hash=e.prev_hash,
            hash=e.hash,
        )


class ApprovalOut(Out):
    object: str = "approval"
    id: str
    memo_id: str
    memo_version: int
    decision: str
    tier: str | None
    actor_id: str
    comment: str | None
    created_at: datetime

    @classmethod
    def of(cls, a: Any) -> ApprovalOut:
        return cls(
            id=a.id,
            memo_id=a.memo_id,
            memo_version=a.memo_version,
            decision=str(a.decision),
            tier=a.tier,
            actor_id=a.actor_id,
            comment=a.comment,
            created_at=a.created_at,
        )
