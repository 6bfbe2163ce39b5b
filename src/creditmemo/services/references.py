"""Documents and customers named the way people name them, by number (CM-000001, PAY-000001, INV-000001) or
by name, resolved to ids within the actor's company: what the CLI accepts wherever it asks for one; and back,
ids to the numbers and names a page shows."""

from __future__ import annotations

from collections.abc import Sequence

from creditmemo.domain.errors import NotFoundError
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store.uow import UnitOfWork


def memo_id(uow: UnitOfWork, actor: Actor, ref: str) -> str:
    """The id of the credit or debit memo numbered ``ref`` or with that id."""
    authorize(actor, Permission.READ)
    found = uow.memos.find(actor.company_id, ref)
    if found is None:
        raise NotFoundError("memo", ref)
    return found[0]


def customer_id(uow: UnitOfWork, actor: Actor, name_or_id: str) -> str:
    """The id of the customer with this name or id."""
    authorize(actor, Permission.READ)
    found = uow.customers.find(actor.company_id, name_or_id)
    if found is None:
        raise NotFoundError("customer", name_or_id)
    return found


def settlement_document(uow: UnitOfWork, actor: Actor, ref: str) -> tuple[str, str]:
    """(document type, id) of the memo, payment or invoice named ``ref``: the type as the settlement services
    spell it (credit_memo, debit_memo, payment, invoice)."""
    authorize(actor, Permission.READ)
    memo = uow.memos.find(actor.company_id, ref)
    if memo is not None:
        return f"{memo[1]}_memo", memo[0]
    payment = uow.payments.find(actor.company_id, ref)
    if payment is not None:
        return "payment", payment
    invoice = uow.invoices.find(actor.company_id, ref)
    if invoice is not None:
        return "invoice", invoice
    raise NotFoundError("document", ref)


def document_numbers(uow: UnitOfWork, actor: Actor, ids: Sequence[str]) -> dict[str, str]:
    """The numbers of the invoices, memos, payments and refunds among ``ids`` (of the actor's company; other
    ids are left out)."""
    authorize(actor, Permission.READ)
    return uow.reports.document_numbers(actor.company_id, ids)


def user_names(uow: UnitOfWork, actor: Actor, ids: Sequence[str | None]) -> dict[str, str]:
    """The names of the users among ``ids`` (of the actor's company), for "created by" and the like."""
    authorize(actor, Permission.READ)
    return uow.overviews.user_names(actor.company_id, ids)
