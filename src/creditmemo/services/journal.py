"""Reading the general journal (entries with their lines), filtered and paged, for ERP pulls."""

from __future__ import annotations

from creditmemo.domain.ledger import JournalEntry
from creditmemo.domain.parsing import parse_date
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store.uow import UnitOfWork


def list_journal_entries(
    uow: UnitOfWork,
    actor: Actor,
    *,
    source_type: str | None = None,
    source_id: str | None = None,
    kind: str | None = None,
    date_from: object = None,
    date_to: object = None,
    sort: str = "-id",
    starting_after: str | None = None,
    limit: int = 20,
) -> tuple[list[JournalEntry], bool]:
    authorize(actor, Permission.READ)
    filters = {
        "source_type": source_type,
        "source_id": source_id,
        "kind": kind,
        "date_from": None if date_from is None else parse_date(date_from, "date_from"),
        "date_to": None if date_to is None else parse_date(date_to, "date_to"),
    }
    return uow.journal.list(actor.company_id, filters=filters, sort=sort, starting_after=starting_after, limit=limit)
