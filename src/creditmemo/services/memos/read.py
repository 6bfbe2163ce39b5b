"""Reading memos with their journal entries and audit events."""

from __future__ import annotations

from creditmemo.domain.audit import AuditEvent
from creditmemo.domain.documents import Memo, MemoKind
from creditmemo.domain.ledger import JournalEntry
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store.uow import UnitOfWork


def get_memo(uow: UnitOfWork, actor: Actor, memo_id: str, kind: MemoKind | None = None) -> Memo:
    authorize(actor, Permission.READ)
    return uow.memos.get(actor.company_id, memo_id, kind)


def memo_journal(uow: UnitOfWork, actor: Actor, memo_id: str, kind: MemoKind | None = None) -> list[JournalEntry]:
    memo = get_memo(uow, actor, memo_id, kind)
    return uow.journal.for_source(actor.company_id, memo.id)


def memo_events(uow: UnitOfWork, actor: Actor, memo_id: str) -> list[AuditEvent]:
    authorize(actor, Permission.READ)
    return uow.audit.for_entity(actor.company_id, memo_id)
