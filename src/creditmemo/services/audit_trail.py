"""Reading and verifying the audit trail: filtered event lists (auditors read them) and the walk of a
company's hash chain that finds the first event altered, inserted or removed behind our back.

Events join the chain when they are sealed (store/sealer.py), normally within moments of their commit. The
event list (``list_events``) is the chain: sealed events in order. A document's timeline also shows
events not sealed yet. ``verify`` checks the chain and says how many events are still waiting to join it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from creditmemo.domain.audit import AuditEvent, ChainBreak, verify_chain
from creditmemo.domain.errors import ValidationFailedError
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store.uow import UnitOfWork

MAX_LIMIT = 500


def list_events(
    uow: UnitOfWork,
    actor: Actor,
    *,
    entity_id: str | None = None,
    actor_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 100,
    after: str | None = None,
) -> list[AuditEvent]:
    """Events in chain order; ``after`` is the id of the last event of the previous page (cursor);
    ``start`` inclusive, ``end`` exclusive."""
    authorize(actor, Permission.READ)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailedError.single("limit", f"Between 1 and {MAX_LIMIT}.", "out_of_range")
    if start is not None and end is not None and end <= start:
        raise ValidationFailedError.single("end", "Must be after start.", "out_of_range")
    after_seq = 0
    if after is not None:
        seq = uow.audit.seq_of(actor.company_id, after)
        if seq is None:
            raise ValidationFailedError.single("after", f"No audit event {after!r}.", "unknown_cursor")
        after_seq = seq
    return uow.audit.query(
        actor.company_id, entity_id=entity_id, actor_id=actor_id, start=start, end=end, after_seq=after_seq, limit=limit
    )


def pending_events(uow: UnitOfWork, actor_or_company: Actor | str) -> int:
    """Committed events not sealed into the chain yet."""
    if isinstance(actor_or_company, Actor):
        authorize(actor_or_company, Permission.VERIFY_AUDIT)
        return uow.audit.unsealed_count(actor_or_company.company_id)
    return uow.audit.unsealed_count(actor_or_company)


def verify_audit_chain(uow: UnitOfWork, actor_or_company: Actor | str) -> ChainBreak | None:
    """None when the company's chain is intact, else the first broken event (seq and id).
    Given a company id (the CLI's operator check) no actor is needed; an actor needs verify_audit."""
    if isinstance(actor_or_company, Actor):
        authorize(actor_or_company, Permission.VERIFY_AUDIT)
        company_id = actor_or_company.company_id
    else:
        company_id = actor_or_company
    head_seq, head_hash = uow.audit.head(company_id)
    found = verify_chain(uow.audit.iter_events(company_id, upto=head_seq), head_seq, head_hash)
    if found is not None:
        return found
    # Events past the head: legitimate ones were committed with a head move, so read them first and
    # the head again after; whatever lies beyond that head was appended behind the application's back.
    # (Two reads, not one snapshot, so a verify running beside writers reports no false break.)
    tail = list(uow.audit.iter_events(company_id, after=head_seq, batch=1000))
    latest_seq, _ = uow.audit.head(company_id)
    forged = next((e for e in tail if (e.seq or 0) > latest_seq), None)
    if forged is not None:
        return ChainBreak(forged.seq or 0, forged.id, f"event #{forged.seq} is beyond the chain head #{latest_seq}")
    return None


def events_of(uow: UnitOfWork, actor: Actor, entity_ids: Sequence[str]) -> list[AuditEvent]:
    """The audit events of each of ``entity_ids`` (sealed and not yet sealed), each entity's in chain order."""
    authorize(actor, Permission.READ)
    return [event for entity_id in entity_ids for event in uow.audit.for_entity(actor.company_id, entity_id)]
