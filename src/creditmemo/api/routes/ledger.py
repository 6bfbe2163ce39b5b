"""/v1/journal-entries (the general journal, for ERP pulls) and /v1/audit-events (auditors read them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from creditmemo.api.deps import Reader
from creditmemo.api.problems import problems
from creditmemo.api.schemas.common import Page, page
from creditmemo.api.schemas.ledger import AuditEventOut, JournalEntryOut
from creditmemo.services import audit_trail, journal
from creditmemo.store.repositories.listing import MAX_LIMIT
from creditmemo.store.uow import UnitOfWork

router = APIRouter(tags=["ledger and audit"])
Q = Annotated[str | None, Query(max_length=40)]
DateQ = Annotated[str | None, Query(max_length=10, examples=["2026-03-01"])]


@router.get("/journal-entries", response_model=Page[JournalEntryOut], responses=problems(403))
def list_journal_entries(
    ctx: Reader,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    starting_after: Q = None,
    source_type: Literal["invoice", "credit_memo", "debit_memo", "payment", "refund"] | None = None,
    source_id: Q = None,
    kind: Q = None,
    date_from: DateQ = None,
    date_to: DateQ = None,
    sort: Literal["id", "-id", "date", "-date", "created_at", "-created_at"] = "-id",
) -> Response:
    def run(uow: UnitOfWork) -> Any:
        rows, more = journal.list_journal_entries(
            uow,
            ctx.actor,
            source_type=source_type,
            source_id=source_id,
            kind=kind,
            date_from=date_from,
            date_to=date_to,
            sort=sort,
            starting_after=starting_after,
            limit=limit,
        )
        return page(JournalEntryOut, [JournalEntryOut.of(e) for e in rows], more)

    return ctx.read(run)


@router.get("/audit-events", response_model=Page[AuditEventOut], responses=problems(403))
def list_audit_events(
    ctx: Reader,
    entity_id: Q = None,
    actor_id: Q = None,
    start: Annotated[datetime | None, Query(description="Inclusive (UTC if no offset).")] = None,
    end: Annotated[datetime | None, Query(description="Exclusive (UTC if no offset).")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    starting_after: Q = None,
) -> Response:
    def run(uow: UnitOfWork) -> Any:
        events = audit_trail.list_events(
            uow,
            ctx.actor,
            entity_id=entity_id,
            actor_id=actor_id,
            start=_utc(start),
            end=_utc(end),
            limit=limit + 1,
            after=starting_after,
        )
        return page(AuditEventOut, [AuditEventOut.of(e) for e in events[:limit]], len(events) > limit)

    return ctx.read(run)


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
