"""Paged, filtered lists for the edges (API, web UI, CSV export): customers, invoices, memos, payments.
Read-only; every query is scoped by the actor's company, so another company's documents never appear.

Two modes over the same repositories: the cursor mode (``list_…``: domain values, ``starting_after``, the
API's JSON lists) and the page mode (``list_page``/``list_chunks``: typed rows, one class per list, their amounts
as ``Money``, in keyset or numbered pages: the web's lists and every CSV export). The page mode's request type is
the store's (``ListQuery``) and is re-exported here on purpose: the edges import it from this module, never from
``store/``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from datetime import date, datetime
from typing import Any, Final, TypeVar

from creditmemo.domain.documents import Customer, Invoice, Memo, MemoKind
from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.money import Money
from creditmemo.domain.parsing import parse_date
from creditmemo.domain.settlement import Payment
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store.repositories.listing import MAX_LIMIT as MAX_LIMIT
from creditmemo.store.repositories.overviews import PAGE_SIZE as PAGE_SIZE
from creditmemo.store.repositories.overviews import PAYMENT_STATUSES as PAYMENT_STATUSES
from creditmemo.store.repositories.overviews import ListQuery as ListQuery
from creditmemo.store.repositories.overviews import Page as StorePage
from creditmemo.store.repositories.overviews import Row as Row
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


# A row's amount fields read from these columns; any other ``x: Money`` from ``x_minor``.
_MINOR_COLUMNS: Final = {"amount_due": "due_minor", "amount_available": "available_minor"}
T = TypeVar("T")


def typed_row(cls: type[T], r: Row, *, currency: str | None = None, **given: Any) -> T:
    """The dataclass ``cls`` from a query's row: each field from the column of its name, each ``Money`` field from
    its minor units (``x_minor``, or ``_MINOR_COLUMNS``) in the row's currency (or ``currency``); ``given`` fields
    as given. A field with a default may be missing from the row."""
    values: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]  # cls is a dataclass; TypeVar bounds cannot say so
        if f.name in given:
            values[f.name] = given[f.name]
        elif f.type in ("Money", Money):
            minor = r[_MINOR_COLUMNS.get(f.name, f"{f.name}_minor")]
            values[f.name] = Money.from_minor(int(minor), str(currency or r["currency"]))
        else:
            values[f.name] = r[f.name] if f.default is MISSING else r.get(f.name, f.default)
    return cls(**values)


@dataclass(frozen=True, slots=True)
class MemoRow:
    """A credit or debit memo as its list shows it."""

    id: str
    number: str
    customer: str
    customer_id: str
    status: str
    reason_code: str
    issue_date: date
    currency: str
    total: Money
    amount_applied: Money
    amount_refunded: Money
    print_status: str
    source: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    """An invoice as its list shows it: what is due after credits, payments and discounts, and whether paid."""

    id: str
    number: str
    customer: str
    customer_id: str
    status: str
    issue_date: date
    due_date: date
    currency: str
    total: Money
    amount_credited: Money
    amount_paid: Money
    amount_due: Money
    payment_status: str  # unpaid | part_paid | paid


@dataclass(frozen=True, slots=True)
class PaymentRow:
    """A payment as its list shows it: what is left to apply or refund, and how far it is applied."""

    id: str
    number: str
    customer: str
    customer_id: str
    received_on: date
    method: str
    reference: str | None
    status: str
    currency: str
    amount: Money
    amount_applied: Money
    amount_refunded: Money
    amount_available: Money
    settlement_status: str  # unapplied | part_applied | applied


@dataclass(frozen=True, slots=True)
class CustomerRow:
    """A customer as its list shows it."""

    id: str
    name: str
    email: str | None
    currency: str
    payment_terms_days: int
    balance: Money
    available_credit: Money
    created_at: datetime


ListRow = MemoRow | InvoiceRow | PaymentRow | CustomerRow


@dataclass(frozen=True, slots=True)
class MemoSummary:
    """A memo named beside another document (an invoice's or a return's memos): number, status and total."""

    id: str
    number: str
    status: str
    total: Money
    reason_code: str | None = None
    issue_date: date | None = None


_ROW_OF: Mapping[str, type[ListRow]] = {
    "credit_memos": MemoRow,
    "debit_memos": MemoRow,
    "invoices": InvoiceRow,
    "payments": PaymentRow,
    "customers": CustomerRow,
}


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list: its typed rows, and where it stands (keyset: has_prev/has_next and the ids at either
    end for the links; numbered: the page, its size and the exact total)."""

    rows: Sequence[ListRow]
    total: int
    page: int
    page_size: int
    sort: str
    descending: bool
    columns: tuple[str, ...] = field(default_factory=tuple)
    keyset: bool = False
    has_prev: bool = False
    has_next: bool = False

    @property
    def first_id(self) -> str | None:
        return self.rows[0].id if self.rows else None

    @property
    def last_id(self) -> str | None:
        return self.rows[-1].id if self.rows else None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _typed(name: str, rows: Sequence[Row]) -> list[ListRow]:
    cls = _ROW_OF[name]
    return [typed_row(cls, r) for r in rows]


def list_page(uow: UnitOfWork, actor: Actor, name: str, q: ListQuery) -> Page:
    """One page of the list ``name`` (one of ``LISTS``) with ``q``'s filters, sort and paging."""
    authorize(actor, Permission.READ)
    p: StorePage = uow.overviews.page(name, actor.company_id, q)
    return Page(
        rows=_typed(name, p.rows),
        total=p.total,
        page=p.page,
        page_size=p.page_size,
        sort=p.sort,
        descending=p.descending,
        columns=p.columns,
        keyset=p.keyset,
        has_prev=p.has_prev,
        has_next=p.has_next,
    )


def list_chunks(uow: UnitOfWork, actor: Actor, name: str, q: ListQuery, chunk: int = 2000) -> Iterator[list[ListRow]]:
    """Every row of the list ``name`` in ``q``'s sort order (its paging ignored), ``chunk`` rows per query:
    for exports, read lazily inside the caller's unit of work."""
    authorize(actor, Permission.READ)
    return (_typed(name, rows) for rows in uow.overviews.chunks(name, actor.company_id, q, chunk))


def customer_choices(uow: UnitOfWork, actor: Actor) -> list[Row]:
    """The company's customers by name (id, name, currency; the first 500): a form's customer picker."""
    authorize(actor, Permission.READ)
    return uow.overviews.customer_choices(actor.company_id)
