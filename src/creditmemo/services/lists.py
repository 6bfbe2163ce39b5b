"""Paged, filtered lists for the edges (API, web UI, CSV export): customers, invoices, memos, payments.
Read-only; every query is scoped by the actor's company, so another company's documents never appear.

Two modes over the same repositories: the cursor mode (``list_…``: domain values, ``starting_after``, the
API's JSON lists) and the page mode (``list_page``/``list_chunks``: the list engine's rows with their sort
keys, keyset or numbered pages, the web's lists and every CSV export). The page mode's request and answer
types are the store's (``ListQuery``, ``Page``, ``Row``) and are re-exported here on purpose: the edges
import them from this module, never from ``store/``."""

from __future__ import annotations

from collections.abc import Iterator

from creditmemo.domain.documents import Customer, Invoice, Memo, MemoKind
from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.parsing import parse_date
from creditmemo.domain.settlement import Payment
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store.repositories.listing import MAX_LIMIT as MAX_LIMIT
from creditmemo.store.repositories.web_queries import PAGE_SIZE as PAGE_SIZE
from creditmemo.store.repositories.web_queries import PAYMENT_STATUSES as PAYMENT_STATUSES
from creditmemo.store.repositories.web_queries import ListQuery as ListQuery
from creditmemo.store.repositories.web_queries import Page as Page
from creditmemo.store.repositories.web_queries import Row as Row
from creditmemo.store.uow import UnitOfWork


def _date(value: object, field: str) -> object:
    return None if value is None else parse_date(value, field)


def list_customers(
    uow: UnitOfWork, actor: Actor, *, starting_after: str | None = None, limit: int = 20
) -> tuple[list[Customer], bool]:
    authorize(actor, Permission.READ)
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailedError.single("limit", f"From 1 to {MAX_LIMIT}.", "out_of_range")
    if starting_after is not None:
        try:
            uow.customers.get(actor.company_id, starting_after)
        except Exception:
            raise ValidationFailedError.single("starting_after", "Unknown cursor.", "invalid") from None
    rows = uow.customers.list(actor.company_id, limit=limit + 1, after=starting_after)
    return rows[:limit], len(rows) > limit


def list_invoices(
    uow: UnitOfWork,
    actor: Actor,
    *,
    customer_id: str | None = None,
    number: str | None = None,
    issued_from: object = None,
    issued_to: object = None,
    sort: str = "-id",
    starting_after: str | None = None,
    limit: int = 20,
) -> tuple[list[Invoice], bool]:
    authorize(actor, Permission.READ)
    filters = {
        "customer_id": customer_id,
        "number": number,
        "issued_from": _date(issued_from, "issued_from"),
        "issued_to": _date(issued_to, "issued_to"),
    }
    return uow.invoices.list(actor.company_id, filters=filters, sort=sort, starting_after=starting_after, limit=limit)


def list_memos(
    uow: UnitOfWork,
    actor: Actor,
    kind: MemoKind,
    *,
    status: str | None = None,
    customer_id: str | None = None,
    invoice_id: str | None = None,
    reason_code: str | None = None,
    number: str | None = None,
    issued_from: object = None,
    issued_to: object = None,
    sort: str = "-id",
    starting_after: str | None = None,
    limit: int = 20,
) -> tuple[list[Memo], bool]:
    authorize(actor, Permission.READ)
    filters = {
        "status": status,
        "customer_id": customer_id,
        "invoice_id": invoice_id,
        "reason_code": reason_code,
        "number": number,
        "issued_from": _date(issued_from, "issued_from"),
        "issued_to": _date(issued_to, "issued_to"),
    }
    return uow.memos.list(
        actor.company_id, kind=kind, filters=filters, sort=sort, starting_after=starting_after, limit=limit
    )


def list_payments(
    uow: UnitOfWork,
    actor: Actor,
    *,
    customer_id: str | None = None,
    number: str | None = None,
    received_from: object = None,
    received_to: object = None,
    sort: str = "-id",
    starting_after: str | None = None,
    limit: int = 20,
) -> tuple[list[Payment], bool]:
    authorize(actor, Permission.READ)
    filters = {
        "customer_id": customer_id,
        "number": number,
        "received_from": _date(received_from, "received_from"),
        "received_to": _date(received_to, "received_to"),
    }
    return uow.payments.page(actor.company_id, filters=filters, sort=sort, starting_after=starting_after, limit=limit)


# page mode --------------------------------------------------------------------------------------
LISTS = ("credit_memos", "debit_memos", "invoices", "customers", "payments")  # what ``name`` may be


def list_page(uow: UnitOfWork, actor: Actor, name: str, q: ListQuery) -> Page:
    """One page of the list ``name`` (one of ``LISTS``) with ``q``'s filters, sort and paging."""
    authorize(actor, Permission.READ)
    return uow.web_queries.page(name, actor.company_id, q)


def list_chunks(uow: UnitOfWork, actor: Actor, name: str, q: ListQuery, chunk: int = 2000) -> Iterator[list[Row]]:
    """Every row of the list ``name`` in ``q``'s sort order (its paging ignored), ``chunk`` rows per query:
    for exports, read lazily inside the caller's unit of work."""
    authorize(actor, Permission.READ)
    return uow.web_queries.chunks(name, actor.company_id, q, chunk)


def customer_choices(uow: UnitOfWork, actor: Actor) -> list[Row]:
    """The company's customers by name (id, name, currency; the first 500): a form's customer picker."""
    authorize(actor, Permission.READ)
    return uow.web_queries.customer_choices(actor.company_id)
