"""Overviews: read-only queries across tables that show many documents at once, for the read services: filtered,
sorted, paged lists of memos, invoices, payments and customers (the web's lists, every CSV export); dashboard
aggregates; the approval queue; a customer's open documents; an invoice's memos; numbers and user names by id.
Every query is scoped by company_id. Sums are grouped by currency and rate here and converted in Python."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import BigInteger, Connection, and_, case, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.functions import FunctionElement

from creditmemo.domain.lifecycle import Status
from creditmemo.domain.money import MINOR_UNITS
from creditmemo.store.repositories.list_keys import InvoicePaymentStatus, ReceiptStatus
from creditmemo.store.repositories.listing import after_key, keyset_chunks, keyset_window
from creditmemo.store.tables import customers, invoices, memos, payments, users

Row = Mapping[Any, Any]  # a result row: SQLAlchemy keys RowMapping by name or column
PAGE_SIZE: Final = 25
# The lists whose search reads the rows in order first (Overviews._probe), and the sort keys it does it for:
# those an index gives in order, so the probe reads a range of it.
_SEARCH_PROBED: Final = frozenset({"credit_memos", "debit_memos", "invoices", "payments"})
_PROBED_SORTS: Final = frozenset({"number", "issue_date", "due_date", "received_on", "total", "amount"})
# Both kinds of memo, named so a filter on status alone reads the (company_id, kind, status, …) indexes.
_KINDS: Final = ("credit", "debit")
# A document's customer, within the document's company (one shard, and the customer's primary key).
_MEMO_CUSTOMER = and_(customers.c.company_id == memos.c.company_id, customers.c.id == memos.c.customer_id)
_INVOICE_CUSTOMER = and_(customers.c.company_id == invoices.c.company_id, customers.c.id == invoices.c.customer_id)


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A list request, already parsed by the edge (unknown sort keys fall back to the default)."""

    sort: str = ""
    descending: bool = True
    page: int = 1
    status: str | None = None
    customer_id: str | None = None
    reason: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    q: str | None = None
    currency: str | None = None
    page_size: int = PAGE_SIZE
    # Keyset paging (the lists): the page after the row ``after`` or before the row ``before``, no count.
    # Without ``keyset`` the page is the ``page``-th by OFFSET with an exact total (a customer's documents).
    keyset: bool = False
    after: str | None = None
    before: str | None = None
    invoice_id: str | None = None  # the API's filters (CSV export): a memo's invoice, an exact number
    number: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    rows: Sequence[Row]
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
        return str(self.rows[0]["id"]) if self.rows else None

    @property
    def last_id(self) -> str | None:
        return str(self.rows[-1]["id"]) if self.rows else None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _minor_condition(column: Any, currency_col: Any, amount: Decimal, op: str) -> ColumnElement[bool]:
    """``column`` (minor units of the row's currency) compared with a major-unit ``amount``."""
    by_digits: dict[int, list[str]] = {}
    for cur, digits in MINOR_UNITS.items():
        by_digits.setdefault(digits, []).append(cur)
    parts = []
    for digits, curs in by_digits.items():
        bound = int((amount * (Decimal(10) ** digits)).to_integral_value())
        cmp = column >= bound if op == ">=" else column <= bound
        parts.append(and_(currency_col.in_(curs), cmp))
    return or_(*parts)


def _minor_range(column: Any, currency_col: Any, amount: Decimal, op: str) -> ColumnElement[bool]:
    """``_minor_condition``, with a range on the money sort key that it implies (the loosest of its bounds,
    in thousandths of the major unit) so that the expression index of that key reads only the amounts in
    range (issue 16 item 8: an amount filter that matches few documents read every one of them); the exact
    condition still decides."""
    bounds = [
        int((amount * (Decimal(10) ** digits)).to_integral_value()) * 10 ** (3 - min(digits, 3))
        for digits in set(MINOR_UNITS.values())
    ]
    key = _by_major(column, currency_col)
    loosest = key >= min(bounds) if op == ">=" else key <= max(bounds)
    return and_(loosest, _minor_condition(column, currency_col, amount, op))


def _major_factor(currency_col: Any) -> Any:
    digits = set(MINOR_UNITS.values())
    return case(
        *[
            (currency_col.in_([c for c, dd in MINOR_UNITS.items() if dd == d]), 10 ** (3 - d))
            for d in sorted(digits)
            if d < 3
        ],
        else_=1,
    )


class MajorMilli(FunctionElement[int]):
    """Minor units scaled to thousandths of the major unit, so amounts in currencies with different minor
    units (JPY 0, USD 2, KWD 3) sort by their face value. Exact integer arithmetic. On PostgreSQL it is the
    immutable function ``creditmemo_major_milli(amount, currency)`` (migration 0024), so that the lists'
    money sort keys have expression indexes and a page reads 26 index entries instead of sorting every row;
    elsewhere the same CASE inline. tests/store/test_overviews.py checks the two agree for every currency."""

    type = BigInteger()
    name = "creditmemo_major_milli"
    inherit_cache = True


@compiles(MajorMilli)
def _major_inline(element: MajorMilli, compiler: Any, **kw: Any) -> str:
    amount, currency = list(element.clauses)
    return str(compiler.process(amount * _major_factor(currency), **kw))


@compiles(MajorMilli, "postgresql")
def _major_function(element: MajorMilli, compiler: Any, **kw: Any) -> str:
    return f"creditmemo_major_milli({compiler.process(element.clauses, **kw)})"


def _by_major(column: Any, currency_col: Any) -> Any:
    """``column`` (minor units of the row's currency) as thousandths of the major unit: see MajorMilli."""
    return MajorMilli(column, currency_col)


MEMO_SORTS: Final[dict[str, Any]] = {
    "number": memos.c.number,
    "customer": customers.c.name,
    "status": memos.c.status,
    "reason": memos.c.reason_code,
    "issue_date": memos.c.issue_date,
    "total": _by_major(memos.c.total_minor, memos.c.currency),
    "currency": memos.c.currency,
    "created_at": memos.c.created_at,
    "print_status": memos.c.print_status,
    "applied": _by_major(memos.c.amount_applied_minor, memos.c.currency),
    "id": memos.c.id,
}
_invoice_settled = invoices.c.amount_credited_minor + invoices.c.amount_paid_minor + invoices.c.discount_taken_minor
_invoice_due = invoices.c.total_minor - _invoice_settled
# unpaid | part_paid | paid: a function with an expression index on PostgreSQL (list_keys.py, migration 0026)
_payment_status = InvoicePaymentStatus(
    invoices.c.total_minor,
    invoices.c.amount_credited_minor,
    invoices.c.amount_paid_minor,
    invoices.c.discount_taken_minor,
)
INVOICE_SORTS: Final[dict[str, Any]] = {
    "number": invoices.c.number,
    "customer": customers.c.name,
    "issue_date": invoices.c.issue_date,
    "due_date": invoices.c.due_date,
    "total": _by_major(invoices.c.total_minor, invoices.c.currency),
    "due": _by_major(_invoice_due, invoices.c.currency),
    "credited": _by_major(invoices.c.amount_credited_minor, invoices.c.currency),
    "currency": invoices.c.currency,
    "payment_status": _payment_status,
    "id": invoices.c.id,
}
CUSTOMER_SORTS: Final[dict[str, Any]] = {
    "name": customers.c.name,
    "currency": customers.c.currency,
    "balance": _by_major(customers.c.balance_minor, customers.c.currency),
    "available_credit": _by_major(customers.c.available_credit_minor, customers.c.currency),
    "terms": customers.c.payment_terms_days,
    "created_at": customers.c.created_at,
    "id": customers.c.id,
}


@dataclass(frozen=True, slots=True)
class Listing:
    """A list's filtered query before paging: its sort keys, the default one and the tie-breaking id."""

    stmt: Select[Any]
    sorts: Mapping[str, Any]
    default: str
    tie: Any

    def sort_of(self, q: ListQuery) -> tuple[str, Any]:
        sort = q.sort if q.sort in self.sorts else self.default
        return sort, self.sorts[sort]


_payment_used = payments.c.amount_applied_minor + payments.c.amount_refunded_minor
_payment_available = payments.c.amount_minor - _payment_used
# unapplied | part_applied | applied, as domain/documents.settlement_status says of a payment (the web list's status)
_receipt_status = ReceiptStatus(
    payments.c.amount_minor, payments.c.amount_applied_minor, payments.c.amount_refunded_minor
)
PAYMENT_STATUSES: Final = ("unapplied", "part_applied", "applied", "available")  # available: money left to use
PAYMENT_SORTS: Final[dict[str, Any]] = {
    "number": payments.c.number,
    "customer": customers.c.name,
    "received_on": payments.c.received_on,
    "amount": _by_major(payments.c.amount_minor, payments.c.currency),
    "status": payments.c.status,
    "method": payments.c.method,
    "reference": payments.c.reference,
    "applied": _by_major(payments.c.amount_applied_minor, payments.c.currency),
    "refunded": _by_major(payments.c.amount_refunded_minor, payments.c.currency),
    "available": _by_major(_payment_available, payments.c.currency),
    "settlement_status": _receipt_status,
    "currency": payments.c.currency,
    "id": payments.c.id,
}
_PAYMENT_CUSTOMER = and_(customers.c.company_id == payments.c.company_id, customers.c.id == payments.c.customer_id)


def _page(conn: Connection, stmt: Select[Any], sorts: Mapping[str, Any], default: str, q: ListQuery, tie: Any) -> Page:
    sort = q.sort if q.sort in sorts else default
    col = sorts[sort]
    if q.keyset:
        rows, has_prev, has_next = keyset_window(
            conn, stmt, col, tie, descending=q.descending, limit=q.page_size, after=q.after, before=q.before
        )
        return Page(rows, -1, 1, q.page_size, sort, q.descending, tuple(sorts), True, has_prev, has_next)
    total = int(conn.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one())
    page = max(1, q.page)
    ordered = stmt.order_by(col.desc() if q.descending else col.asc(), tie.desc() if q.descending else tie.asc())
    rows = list(conn.execute(ordered.limit(q.page_size).offset((page - 1) * q.page_size)).mappings())
    return Page(rows, total, page, q.page_size, sort, q.descending, tuple(sorts))


def _search(text: str, number: Any, customer_id: Any, customer_name: Any, named: Sequence[str] | None) -> Any:
    """The search "number or customer": the number contains the text, or the customer is one of ``named`` (the
    customers whose name contains it, found first: an index per arm, issue 16 item 8), or, when ``named`` is
    None (too many), the customer's name contains it."""
    upper = text.strip().upper()
    by_name: Any = func.upper(customer_name).contains(upper, autoescape=True)
    if named is not None:
        by_name = customer_id.in_(named) if named else None
    by_number = func.upper(number).contains(upper, autoescape=True)
    return by_number if by_name is None else or_(by_number, by_name)


def _common(
    stmt: Select[Any],
    q: ListQuery,
    *,
    date_col: Any,
    amount_col: Any,
    currency_col: Any,
    number_col: Any,
    customer_col: Any,
    named: Sequence[str] | None = None,
) -> Select[Any]:
    if q.customer_id:
        stmt = stmt.where(customer_col == q.customer_id)
    if q.date_from:
        stmt = stmt.where(date_col >= q.date_from)
    if q.date_to:
        stmt = stmt.where(date_col <= q.date_to)
    if q.amount_min is not None:
        stmt = stmt.where(_minor_range(amount_col, currency_col, q.amount_min, ">="))
    if q.amount_max is not None:
        stmt = stmt.where(_minor_range(amount_col, currency_col, q.amount_max, "<="))
    if q.q:  # a document's number or its customer's name (the customer is joined)
        stmt = stmt.where(_search(q.q, number_col, customer_col, customers.c.name, named))
    if q.currency:
        stmt = stmt.where(currency_col == q.currency)
    return stmt


class Overviews:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # lists ---------------------------------------------------------------------------------------
    def listing(self, name: str, company_id: str, q: ListQuery) -> Listing:
        """The filtered query of the list ``name`` (credit_memos, debit_memos, invoices, customers)."""
        if name in ("credit_memos", "debit_memos"):
            return self._memo_listing(company_id, "credit" if name == "credit_memos" else "debit", q)
        if name == "invoices":
            return self._invoice_listing(company_id, q)
        if name == "customers":
            return self._customer_listing(company_id, q)
        if name == "payments":
            return self._payment_listing(company_id, q)
        raise KeyError(name)

    def page(self, name: str, company_id: str, q: ListQuery) -> Page:
        lst = self.listing(name, company_id, q)
        if q.keyset and q.q and q.before is None and name in _SEARCH_PROBED:
            found = self._probe(name, company_id, q, lst)
            if found is not None:
                return found
        return _page(self.conn, lst.stmt, lst.sorts, lst.default, q, lst.tie)

    PROBE_ROWS = 2000  # an attribute, so a test can make it small

    def _probe(self, name: str, company_id: str, q: ListQuery, lst: Listing) -> Page | None:
        """A search page read in the list's order (issue 16 item 8). A search text made of common trigrams (a
        zero-padded number such as CM-0001) matches most of the trigram index, and reading every match to sort
        them costs seconds at a million rows, although the first page is near the top of the list. So first the
        next PROBE_ROWS rows in the sort order (an index range when the sort key has one) are filtered: when a
        full page and one more row match among them, those are exactly the page (every later row comes after
        them). Otherwise None, and the page is read through the trigram index as before (a rare text)."""
        sort, col = lst.sort_of(q)
        if sort not in _PROBED_SORTS:
            return None
        plain = self.listing(name, company_id, replace(q, q=None))
        after: tuple[Any, str] | None = None
        if q.after is not None:
            found = self.conn.execute(
                lst.stmt.add_columns(col.label("_keyset_value")).where(lst.tie == q.after).limit(1)
            ).first()
            if found is not None:
                after = (found[-1], q.after)
        window = plain.stmt.add_columns(col.label("_keyset_value"))
        if after is not None:
            window = window.where(after_key(col, plain.tie, after[0], after[1], descending=q.descending))
        order = (col.desc(), plain.tie.desc()) if q.descending else (col.asc(), plain.tie.asc())
        w = window.order_by(*order).limit(self.PROBE_ROWS).subquery()
        number = w.c.number
        matched = select(*[c for c in w.c if c.name != "_keyset_value"]).where(
            _search(q.q or "", number, w.c.customer_id, w.c.customer, self._named(company_id, q))
        )
        key = w.c["_keyset_value"]
        matched = matched.order_by(*((key.desc(), w.c.id.desc()) if q.descending else (key.asc(), w.c.id.asc()))).limit(
            q.page_size + 1
        )
        rows = list(self.conn.execute(matched).mappings())
        if len(rows) <= q.page_size:
            return None
        return Page(
            rows[: q.page_size], -1, 1, q.page_size, sort, q.descending, tuple(lst.sorts), True, after is not None, True
        )

    def chunks(self, name: str, company_id: str, q: ListQuery, chunk: int = 2000) -> Iterator[list[Row]]:
        """Every row of the list in its sort order, ``chunk`` rows per query (keyset): for exports."""
        lst = self.listing(name, company_id, q)
        _, col = lst.sort_of(q)
        return keyset_chunks(self.conn, lst.stmt, col, lst.tie, descending=q.descending, chunk=chunk)

    def memos(self, company_id: str, kind: str, q: ListQuery) -> Page:
        return self.page("credit_memos" if kind == "credit" else "debit_memos", company_id, q)

    def invoices(self, company_id: str, q: ListQuery) -> Page:
        return self.page("invoices", company_id, q)

    def customers(self, company_id: str, q: ListQuery) -> Page:
        return self.page("customers", company_id, q)

    def _memo_listing(self, company_id: str, kind: str, q: ListQuery) -> Listing:
        stmt = (
            select(
                memos.c.id,
                memos.c.number,
                memos.c.status,
                memos.c.reason_code,
                memos.c.issue_date,
                memos.c.total_minor,
                memos.c.currency,
                memos.c.amount_applied_minor,
                memos.c.amount_refunded_minor,
                memos.c.print_status,
                memos.c.created_at,
                memos.c.source,
                customers.c.name.label("customer"),
                memos.c.customer_id,
            )
            .join(customers, _MEMO_CUSTOMER)
            .where(memos.c.company_id == company_id, memos.c.kind == kind)
        )
        if q.status:
            stmt = stmt.where(memos.c.status == q.status)
        if q.reason:
            stmt = stmt.where(memos.c.reason_code == q.reason)
        if q.invoice_id:
            stmt = stmt.where(memos.c.invoice_id == q.invoice_id)
        if q.number:
            stmt = stmt.where(memos.c.number == q.number)
        stmt = _common(
            stmt,
            q,
            date_col=memos.c.issue_date,
            amount_col=memos.c.total_minor,
            currency_col=memos.c.currency,
            number_col=memos.c.number,
            customer_col=memos.c.customer_id,
            named=self._named(company_id, q),
        )
        return Listing(stmt, MEMO_SORTS, "number", memos.c.id)

    def _invoice_listing(self, company_id: str, q: ListQuery) -> Listing:
        stmt = (
            select(
                invoices.c.id,
                invoices.c.number,
                invoices.c.status,
                invoices.c.issue_date,
                invoices.c.due_date,
                invoices.c.total_minor,
                invoices.c.currency,
                invoices.c.amount_credited_minor,
                invoices.c.amount_paid_minor,
                _invoice_due.label("due_minor"),
                _payment_status.label("payment_status"),
                customers.c.name.label("customer"),
                invoices.c.customer_id,
            )
            .join(customers, _INVOICE_CUSTOMER)
            .where(invoices.c.company_id == company_id)
        )
        if q.status:
            stmt = stmt.where(_payment_status == q.status)
        if q.number:
            stmt = stmt.where(invoices.c.number == q.number)
        stmt = _common(
            stmt,
            q,
            date_col=invoices.c.issue_date,
            amount_col=invoices.c.total_minor,
            currency_col=invoices.c.currency,
            number_col=invoices.c.number,
            customer_col=invoices.c.customer_id,
            named=self._named(company_id, q),
        )
        return Listing(stmt, INVOICE_SORTS, "number", invoices.c.id)

    def _payment_listing(self, company_id: str, q: ListQuery) -> Listing:
        stmt = (
            select(
                payments,
                customers.c.name.label("customer"),
                _payment_available.label("available_minor"),
                _receipt_status.label("settlement_status"),
            )
            .join(customers, _PAYMENT_CUSTOMER)
            .where(payments.c.company_id == company_id)
        )
        # the web list's statuses (issue 16 item 5): what of the amount is applied or refunded, or any money left
        # the available amount's sort key is implied, so its expression index gives the (few) payments with money
        # left, or the applied ones, instead of a scan of every payment for them (issue 16 item 8)
        available_key = _by_major(_payment_available, payments.c.currency)
        if q.status == "available":  # the condition of the partial index ix_payments_company_available_number
            stmt = stmt.where(payments.c.amount_minor > _payment_used, available_key > 0)
        elif q.status == "applied":
            stmt = stmt.where(_receipt_status == q.status, available_key == 0)
        elif q.status in PAYMENT_STATUSES:
            stmt = stmt.where(_receipt_status == q.status)
        elif q.status:
            stmt = stmt.where(payments.c.status == q.status)
        if q.number:
            stmt = stmt.where(payments.c.number == q.number)
        stmt = _common(
            stmt,
            q,
            date_col=payments.c.received_on,
            amount_col=payments.c.amount_minor,
            currency_col=payments.c.currency,
            number_col=payments.c.number,
            customer_col=payments.c.customer_id,
            named=self._named(company_id, q),
        )
        return Listing(stmt, PAYMENT_SORTS, "number", payments.c.id)

    NAMED_LIMIT: Final = 200

    def _named(self, company_id: str, q: ListQuery) -> list[str] | None:
        """The ids of the customers whose name contains the search text, when there are few (then the
        documents are matched by number or by these ids, each through an index); None when there are many."""
        if not q.q:
            return None
        ids = list(
            self.conn.execute(
                select(customers.c.id)
                .where(
                    customers.c.company_id == company_id,
                    func.upper(customers.c.name).contains(q.q.strip().upper(), autoescape=True),
                )
                .limit(self.NAMED_LIMIT + 1)
            ).scalars()
        )
        return None if len(ids) > self.NAMED_LIMIT else ids

    def _customer_listing(self, company_id: str, q: ListQuery) -> Listing:
        stmt = select(customers).where(customers.c.company_id == company_id)
        if q.q:
            stmt = stmt.where(func.upper(customers.c.name).contains(q.q.strip().upper(), autoescape=True))
        if q.currency:
            stmt = stmt.where(customers.c.currency == q.currency)
        if q.date_from:
            stmt = stmt.where(func.date(customers.c.created_at) >= q.date_from)
        if q.amount_min is not None:
            stmt = stmt.where(_minor_condition(customers.c.balance_minor, customers.c.currency, q.amount_min, ">="))
        if q.amount_max is not None:
            stmt = stmt.where(_minor_condition(customers.c.balance_minor, customers.c.currency, q.amount_max, "<="))
        return Listing(stmt, CUSTOMER_SORTS, "name", customers.c.id)

    def customer_choices(self, company_id: str, limit: int = 500) -> list[Row]:
        return list(
            self.conn.execute(
                select(customers.c.id, customers.c.name, customers.c.currency)
                .where(customers.c.company_id == company_id)
                .order_by(customers.c.name, customers.c.id)
                .limit(limit)
            ).mappings()
        )

    # dashboard -----------------------------------------------------------------------------------
    def memo_status_counts(self, company_id: str, at_most: int | None = None) -> list[Row]:
        """Memos by kind and status (kind, status, n; only those with some). With ``at_most``, each count stops
        at ``at_most + 1`` (n above ``at_most`` means "more than that"): one query counting each kind and status
        in its range of the (company_id, kind, status, id) index, at most that many entries each, instead of
        reading every memo of the company (issue 16 item 8: 150,016 memos, a seq scan on every dashboard view)."""
        if at_most is None:
            return list(
                self.conn.execute(
                    select(memos.c.kind, memos.c.status, func.count().label("n"))
                    .where(memos.c.company_id == company_id)
                    .group_by(memos.c.kind, memos.c.status)
                ).mappings()
            )
        pairs = [(kind, str(status)) for kind in _KINDS for status in Status]
        counts = [
            select(func.count())
            .select_from(
                select(memos.c.id)
                .where(memos.c.company_id == company_id, memos.c.kind == kind, memos.c.status == status)
                .limit(at_most + 1)
                .subquery()
            )
            .scalar_subquery()
            .label(f"n{i}")
            for i, (kind, status) in enumerate(pairs)
        ]
        row = self.conn.execute(select(*counts)).one()
        return [
            {"kind": kind, "status": status, "n": int(n)} for (kind, status), n in zip(pairs, row, strict=True) if n
        ]

    def posted_credit_by_day(self, company_id: str, since: date) -> list[Row]:
        """Posted credit memo totals by (issue date, reason, currency, rate): few rows, summed by month later."""
        return list(
            self.conn.execute(
                select(
                    memos.c.issue_date,
                    memos.c.reason_code,
                    memos.c.currency,
                    memos.c.exchange_rate,
                    func.sum(memos.c.total_minor).label("total_minor"),
                )
                .where(
                    memos.c.company_id == company_id,
                    memos.c.kind == "credit",
                    memos.c.status == "posted",
                    memos.c.issue_date >= since,
                )
                .group_by(memos.c.issue_date, memos.c.reason_code, memos.c.currency, memos.c.exchange_rate)
            ).mappings()
        )

    def totals_in_status(self, company_id: str, status: str) -> list[Row]:
        return list(
            self.conn.execute(
                select(
                    memos.c.currency,
                    memos.c.exchange_rate,
                    func.sum(memos.c.total_minor).label("total_minor"),
                    func.count().label("n"),
                )
                .where(memos.c.company_id == company_id, memos.c.kind.in_(_KINDS), memos.c.status == status)
                .group_by(memos.c.currency, memos.c.exchange_rate)
            ).mappings()
        )

    def oldest_drafts(self, company_id: str, limit: int = 5) -> list[Row]:
        return list(
            self.conn.execute(
                select(
                    memos.c.id,
                    memos.c.kind,
                    memos.c.number,
                    memos.c.total_minor,
                    memos.c.currency,
                    memos.c.created_at,
                    customers.c.name.label("customer"),
                )
                .join(customers, _MEMO_CUSTOMER)
                .where(memos.c.company_id == company_id, memos.c.kind.in_(_KINDS), memos.c.status == "draft")
                .order_by(memos.c.created_at, memos.c.id)
                .limit(limit)
            ).mappings()
        )

    # approvals -----------------------------------------------------------------------------------
    def pending_approval(self, company_id: str, limit: int = 500) -> list[Row]:
        return list(
            self.conn.execute(
                select(
                    memos.c.id,
                    memos.c.kind,
                    memos.c.number,
                    memos.c.total_minor,
                    memos.c.currency,
                    memos.c.exchange_rate,
                    memos.c.created_by,
                    memos.c.updated_at,
                    memos.c.created_at,
                    memos.c.reason_code,
                    customers.c.name.label("customer"),
                    users.c.name.label("creator"),
                )
                .join(customers, _MEMO_CUSTOMER)
                .outerjoin(users, and_(users.c.id == memos.c.created_by, users.c.company_id == company_id))
                .where(memos.c.company_id == company_id, memos.c.kind.in_(_KINDS), memos.c.status == "pending_approval")
                .order_by(memos.c.updated_at, memos.c.id)
                .limit(limit)
            ).mappings()
        )

    # settlement helpers ----------------------------------------------------------------------------
    def open_targets(self, company_id: str, customer_id: str, currency: str, limit: int = 200) -> list[Row]:
        """Open invoices and posted debit memos of one customer and currency, oldest first."""
        inv = list(
            self.conn.execute(
                select(
                    invoices.c.id,
                    invoices.c.number,
                    invoices.c.issue_date,
                    invoices.c.due_date,
                    invoices.c.total_minor,
                    _invoice_due.label("due_minor"),
                )
                .where(
                    invoices.c.company_id == company_id,
                    invoices.c.customer_id == customer_id,
                    invoices.c.currency == currency,
                    invoices.c.status == "issued",
                    _invoice_due > 0,
                )
                .order_by(invoices.c.due_date, invoices.c.issue_date, invoices.c.number)
                .limit(limit)
            ).mappings()
        )
        dm_due = memos.c.total_minor - memos.c.amount_applied_minor
        dms = list(
            self.conn.execute(
                select(
                    memos.c.id,
                    memos.c.number,
                    memos.c.issue_date,
                    memos.c.issue_date.label("due_date"),
                    memos.c.total_minor,
                    dm_due.label("due_minor"),
                )
                .where(
                    memos.c.company_id == company_id,
                    memos.c.customer_id == customer_id,
                    memos.c.kind == "debit",
                    memos.c.currency == currency,
                    memos.c.status == "posted",
                    dm_due > 0,
                )
                .order_by(memos.c.issue_date, memos.c.number)
                .limit(limit)
            ).mappings()
        )
        rows: list[Row] = [{**r, "target_type": "invoice"} for r in inv]
        rows += [{**r, "target_type": "debit_memo"} for r in dms]
        rows.sort(key=lambda r: (r["due_date"], r["issue_date"], r["number"]))
        return rows

    def numbers(self, company_id: str, ids: Sequence[str]) -> dict[str, str]:
        """Document numbers (invoices and memos) by id, for tables of applications."""
        if not ids:
            return {}
        found = {
            r[0]: r[1]
            for r in self.conn.execute(
                select(invoices.c.id, invoices.c.number).where(
                    invoices.c.company_id == company_id, invoices.c.id.in_(ids)
                )
            )
        }
        found.update(
            {
                r[0]: r[1]
                for r in self.conn.execute(
                    select(memos.c.id, memos.c.number).where(memos.c.company_id == company_id, memos.c.id.in_(ids))
                )
            }
        )
        return found

    def user_names(self, company_id: str, ids: Sequence[str | None]) -> dict[str, str]:
        wanted = [i for i in ids if i]
        if not wanted:
            return {}
        return {
            r[0]: r[1]
            for r in self.conn.execute(
                select(users.c.id, users.c.name).where(users.c.company_id == company_id, users.c.id.in_(wanted))
            )
        }

    def memos_of_invoice(self, company_id: str, invoice_id: str) -> list[Row]:
        return list(
            self.conn.execute(
                select(
                    memos.c.id,
                    memos.c.number,
                    memos.c.status,
                    memos.c.total_minor,
                    memos.c.currency,
                    memos.c.reason_code,
                    memos.c.issue_date,
                )
                .where(memos.c.company_id == company_id, memos.c.invoice_id == invoice_id)
                .order_by(memos.c.number)
            ).mappings()
        )
