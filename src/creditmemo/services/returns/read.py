"""Reading returns: one by id or number, a filtered page, the credit memos created from one."""

from __future__ import annotations

from creditmemo.domain.audit import AuditEvent
from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.returns import ReturnAuthorization, ReturnStatus
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.lists import MemoSummary, typed_row
from creditmemo.store.repositories.listing import MAX_LIMIT
from creditmemo.store.uow import UnitOfWork


def get_return(uow: UnitOfWork, actor: Actor, return_id: str) -> ReturnAuthorization:
    authorize(actor, Permission.READ)
    return uow.returns.get(actor.company_id, return_id)


def get_return_by_number(uow: UnitOfWork, actor: Actor, number: str) -> ReturnAuthorization:
    authorize(actor, Permission.READ)
    return uow.returns.by_number(actor.company_id, number)


def returns_of_invoice(uow: UnitOfWork, actor: Actor, invoice_id: str) -> list[ReturnAuthorization]:
    """The invoice's returns, by number (the first 100)."""
    authorize(actor, Permission.READ)
    return uow.returns.of_invoice(actor.company_id, invoice_id)


def return_memos(uow: UnitOfWork, actor: Actor, return_id: str) -> list[MemoSummary]:
    """The credit memos created from the return, oldest first."""
    authorize(actor, Permission.READ)
    return [typed_row(MemoSummary, r) for r in uow.returns.memos_of(actor.company_id, return_id)]


def return_events(uow: UnitOfWork, actor: Actor, return_id: str) -> list[AuditEvent]:
    """The return's audit events (sealed and not yet sealed), in chain order."""
    authorize(actor, Permission.READ)
    return sorted(uow.audit.for_entity(actor.company_id, return_id), key=lambda e: e.order)


def list_returns(
    uow: UnitOfWork,
    actor: Actor,
    *,
    status: str | None = None,
    customer_id: str | None = None,
    invoice_id: str | None = None,
    number: str | None = None,
    sort: str = "-id",
    starting_after: str | None = None,
    limit: int = 20,
) -> tuple[list[ReturnAuthorization], bool]:
    authorize(actor, Permission.READ)
    if status is not None and status not in {str(s) for s in ReturnStatus}:
        raise ValidationFailedError.single("status", f"One of {', '.join(ReturnStatus)}.", "invalid")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailedError.single("limit", f"From 1 to {MAX_LIMIT}.", "out_of_range")
    filters: dict[str, object] = {
        "status": status,
        "customer_id": customer_id,
        "invoice_id": invoice_id,
        "number": number,
    }
    return uow.returns.list(actor.company_id, filters=filters, sort=sort, starting_after=starting_after, limit=limit)
