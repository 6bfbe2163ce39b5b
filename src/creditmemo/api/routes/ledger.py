"""/v1/journal-entries (the general journal, for ERP pulls), /v1/audit-events (auditors read them) and
/v1/audit-anchors (signed chain heads, services/anchoring.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from creditmemo.api.deps import Call
from creditmemo.api.problems import problems
from creditmemo.api.schemas.common import Out, Page, page
from creditmemo.api.schemas.ledger import AuditEventOut, JournalEntryOut
from creditmemo.services import anchoring, audit_trail, journal
from creditmemo.services.lists import MAX_LIMIT
from creditmemo.store.uow import UnitOfWork

router = APIRouter(tags=["ledger and audit"])
Q = Annotated[str | None, Query(max_length=40)]
DateQ = Annotated[str | None, Query(max_length=10, examples=["2026-03-01"])]


@router.get("/journal-entries", response_model=Page[JournalEntryOut], responses=problems(403))
def list_journal_entries(
    ctx: Call,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    starting_after: Q = None,
    source_type: Literal["invoice", "credit_memo", "debit_memo", "payment", "refund", "revenue_run"] | None = None,
    source_id: Q = None,
    kind: Q = None,
    date_from: DateQ = None,
    date_to: DateQ = None,
    sort: Literal["id", "-id", "date", "-date", "created_at", "-created_at"] = "-id",
    after: Annotated[
        str | None,
        Query(
            max_length=64,
            description=(
                "The GL export feed: entries in posting order after this cursor (`start` for the first page; then "
                "the `next_cursor` of the previous page, which is given even when the page is empty: poll with "
                "it). Never skips or repeats an entry, even while others post. `sort` and `starting_after` do "
                "not apply."
            ),
        ),
    ] = None,
) -> Response:
    def run(uow: UnitOfWork) -> Any:
        if after is not None:
            entries, cursor, more = journal.journal_feed(
                uow,
                ctx.actor,
                after=after,
                limit=limit,
                source_type=source_type,
                source_id=source_id,
                kind=kind,
                date_from=date_from,
                date_to=date_to,
            )
            data = [JournalEntryOut.of(e, sequence=seq) for e, seq in entries]
            return Page[JournalEntryOut](data=data, has_more=more, next_cursor=cursor)
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
    ctx: Call,
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


class AuditAnchorOut(Out):
    object: str = "audit_anchor"
    company_id: str
    seq: int
    hash: str
    anchored_at: str
    key_id: str
    signature: str


class AuditAnchorList(Out):
    object: str = "list"
    data: list[AuditAnchorOut]


@router.get(
    "/audit-anchors",
    response_model=AuditAnchorList,
    responses=problems(403),
    summary="Signed heads of the company's audit chain (`creditmemo audit anchor`), oldest first",
)
def list_audit_anchors(ctx: Call, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Response:
    """The latest ``limit`` anchors. Each signs (company_id, seq, hash, anchored_at) as canonical JSON with the
    Ed25519 key whose id is ``key_id``; keep copies outside this service and check them with
    `creditmemo audit verify --anchors FILE --public-key KEY`."""
    return ctx.read(
        lambda uow: AuditAnchorList(
            data=[AuditAnchorOut(**a.to_dict()) for a in anchoring.list_anchors(uow, ctx.actor, limit=limit)]
        )
    )
