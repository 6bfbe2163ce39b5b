"""CSV exports (issue 16 item 3), shared by the web UI (``/credit-memos.csv``, ``/reports/ar-aging.csv``, …)
and the API (``?format=csv``): a header row, UTF-8, amounts as plain decimal strings with their currency in a
column of its own, ISO dates, and no cell a spreadsheet would run as a formula.

A list is streamed: the rows are read in keyset chunks (``services.lists.list_chunks``) inside one read-only unit of
work the response's generator opens, and each chunk is written out before the next is read, so an export
of any size holds one chunk in memory. Reports are computed by their services (bounded) and written out the
same way."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Final, Literal

from fastapi import Query
from fastapi.responses import StreamingResponse

from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.money import Money
from creditmemo.domain.parsing import parse_date
from creditmemo.services import reports
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.lists import ListQuery, ListRow, list_chunks
from creditmemo.store.uow import Database

CHUNK: Final = 2000  # rows per query and per write
MEDIA_TYPE: Final = "text/csv; charset=utf-8"
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
REGISTER_CSV_LIMIT: Final = 100_000  # the register's service keeps its rows in memory; more is refused


def cell(value: Any) -> str:
    """One CSV cell: dates ISO, decimals plain (never locale-formatted or in exponent form), booleans
    true/false, None empty; a text that a spreadsheet would read as a formula (= + - @, tab, CR) starts with
    a quote, unless it is a plain number."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Money):
        return format(value.amount, "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def encode(header: Sequence[str], chunks: Iterable[Iterable[Sequence[Any]]]) -> Iterator[bytes]:
    """The header, then each chunk of rows as one piece of UTF-8 (one write per chunk)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    yield buf.getvalue().encode()
    for rows in chunks:
        buf.seek(0)
        buf.truncate()
        writer.writerows([cell(v) for v in row] for row in rows)
        yield buf.getvalue().encode()


def response(body: Iterator[bytes], filename: str) -> StreamingResponse:
    safe = re.sub(r"[^A-Za-z0-9._-]", "-", filename)
    return StreamingResponse(
        body,
        media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{safe}"', "Cache-Control": "no-store"},
    )


# lists ------------------------------------------------------------------------------------------
Format = Annotated[
    Literal["json", "csv"],
    Query(
        alias="format",
        description="`csv`: every row matching the filters (limit and starting_after are ignored), "
        "streamed as text/csv with a header row.",
    ),
]

# The OpenAPI document names both answers of a route with ``format``: JSON (its response model) and this.
CSV_RESPONSE: Final[dict[int | str, dict[str, Any]]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "JSON, or CSV with format=csv"}
}

ReportFormat = Annotated[
    Literal["json", "csv"],
    Query(alias="format", description="`csv`: the report as text/csv with a header row (a file to download)."),
]


def api_list_query(
    sort: str,
    *,
    status: str | None = None,
    customer_id: str | None = None,
    invoice_id: str | None = None,
    reason_code: str | None = None,
    number: str | None = None,
    issued_from: str | None = None,
    issued_to: str | None = None,
    date_fields: tuple[str, str] = ("issued_from", "issued_to"),
) -> ListQuery:
    """The API list's filters and sort (``-id``, ``number``, …) as the list engine's query; ``date_fields``
    name the date range's parameters in errors."""
    return ListQuery(
        sort=sort.lstrip("-"),
        descending=sort.startswith("-"),
        status=status,
        customer_id=customer_id,
        invoice_id=invoice_id,
        reason=reason_code,
        number=number,
        date_from=None if issued_from is None else parse_date(issued_from, date_fields[0]),
        date_to=None if issued_to is None else parse_date(issued_to, date_fields[1]),
    )


Getter = Callable[[ListRow], Any]


def _field(name: str) -> Getter:
    """A list row's field; an amount (``Money``) is written as its plain decimal (``cell``)."""
    return lambda row: getattr(row, name)


_MEMO: Final[tuple[tuple[str, Getter], ...]] = (
    ("number", _field("number")),
    ("customer", _field("customer")),
    ("customer_id", _field("customer_id")),
    ("status", _field("status")),
    ("reason_code", _field("reason_code")),
    ("issue_date", _field("issue_date")),
    ("currency", _field("currency")),
    ("total", _field("total")),
    ("amount_applied", _field("amount_applied")),
    ("amount_refunded", _field("amount_refunded")),
    ("print_status", _field("print_status")),
    ("source", _field("source")),
    ("id", _field("id")),
)
LIST_COLUMNS: Final[dict[str, tuple[tuple[str, Getter], ...]]] = {
    "credit_memos": _MEMO,
    "debit_memos": _MEMO,
    "invoices": (
        ("number", _field("number")),
        ("customer", _field("customer")),
        ("customer_id", _field("customer_id")),
        ("issue_date", _field("issue_date")),
        ("due_date", _field("due_date")),
        ("currency", _field("currency")),
        ("total", _field("total")),
        ("amount_credited", _field("amount_credited")),
        ("amount_paid", _field("amount_paid")),
        ("amount_due", _field("amount_due")),
        ("payment_status", _field("payment_status")),
        ("status", _field("status")),
        ("id", _field("id")),
    ),
    "customers": (
        ("name", _field("name")),
        ("currency", _field("currency")),
        ("payment_terms_days", _field("payment_terms_days")),
        ("balance", _field("balance")),
        ("available_credit", _field("available_credit")),
        ("email", _field("email")),
        ("created_at", _field("created_at")),
        ("id", _field("id")),
    ),
    "payments": (
        ("number", _field("number")),
        ("customer", _field("customer")),
        ("customer_id", _field("customer_id")),
        ("received_on", _field("received_on")),
        ("method", _field("method")),
        ("reference", _field("reference")),
        ("status", _field("status")),
        ("currency", _field("currency")),
        ("amount", _field("amount")),
        ("amount_applied", _field("amount_applied")),
        ("amount_refunded", _field("amount_refunded")),
        ("amount_available", _field("amount_available")),  # left to apply or refund, as the list shows
        ("settlement_status", _field("settlement_status")),  # unapplied | part_applied | applied
        ("id", _field("id")),
    ),
}
FILE_NAMES: Final = {
    "credit_memos": "credit-memos",
    "debit_memos": "debit-memos",
    "invoices": "invoices",
    "customers": "customers",
    "payments": "payments",
}


def list_csv(
    db: Database,
    actor: Actor,
    name: str,
    q: ListQuery,
    *,
    request_id: str | None = None,
    chunk: int = CHUNK,
) -> StreamingResponse:
    """The whole list ``name`` with the filters and sort of ``q`` (its paging ignored), streamed. The actor
    is authorized before the answer starts; the rows are read as the client takes them."""
    authorize(actor, Permission.READ)
    columns = LIST_COLUMNS[name]

    def chunks() -> Iterator[list[list[Any]]]:
        with db.uow(readonly=True, request_id=request_id) as uow:
            for rows in list_chunks(uow, actor, name, q, chunk):
                yield [[get(r) for _, get in columns] for r in rows]

    return response(encode([h for h, _ in columns], chunks()), f"{FILE_NAMES[name]}-{date.today().isoformat()}.csv")


# reports ----------------------------------------------------------------------------------------
def _rows(header: Sequence[str], rows: Iterable[Sequence[Any]], filename: str) -> StreamingResponse:
    def chunks() -> Iterator[list[Sequence[Any]]]:
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == CHUNK:
                yield batch
                batch = []
        if batch:
            yield batch

    return response(encode(header, chunks()), filename)


AGING_HEADER: Final = (
    "customer_id",
    "customer",
    "currency",
    "current",
    "days_1_30",
    "days_31_60",
    "days_61_90",
    "days_over_90",
    "total_due",
    "unapplied_credit",
    "net",
    "open_documents",
)


def aging_csv(aging: reports.Aging) -> StreamingResponse:
    """One row per customer and currency, then a Total row per currency (its customer_id empty)."""
    rows = (
        (r.customer_id, r.customer_name, r.currency, *r.amounts, r.open_documents) for r in (*aging.rows, *aging.totals)
    )
    return _rows(AGING_HEADER, rows, f"ar-aging-{aging.as_of.isoformat()}.csv")


AGING_DOCUMENTS_HEADER: Final = (
    "kind",
    "number",
    "customer",
    "customer_id",
    "currency",
    "issue_date",
    "due_date",
    "bucket",
    "total",
    "amount_due",
    "document_id",
)


def aging_documents_csv(
    docs: Sequence[reports.AgingDocument], truncated: bool, as_of: date, bucket: str | None
) -> StreamingResponse:
    """The open documents behind an aging amount (a customer's, a bucket's, or both), as the page lists them
    under the aging: what each owed on the as-of date. A list cut short is refused, never half-sent."""
    if truncated:
        raise ValidationFailedError.single(
            "customer_id", f"More than {len(docs)} documents match: export one customer or one bucket.", "too_many"
        )
    rows = (
        (
            d.kind,
            d.number,
            d.customer_name,
            d.customer_id,
            d.currency,
            d.issue_date,
            d.due_date,
            d.bucket,
            d.total,
            d.amount_due,
            d.document_id,
        )
        for d in docs
    )
    name = f"ar-aging-{as_of.isoformat()}-documents" + (f"-{bucket}" if bucket else "")
    return _rows(AGING_DOCUMENTS_HEADER, rows, f"{name}.csv")


REGISTER_HEADER: Final = (
    "number",
    "issue_date",
    "customer",
    "customer_id",
    "reason_code",
    "status",
    "currency",
    "subtotal",
    "tax_total",
    "total",
    "amount_applied",
    "amount_refunded",
    "amount_available",
    "memo_id",
)


def register_csv(register: reports.Register, filename: str = "credit-memo-register.csv") -> StreamingResponse:
    """Every memo of the register (the service's rows; a register cut short is refused, never half-sent)."""
    if register.truncated:
        raise ValidationFailedError.single(
            "end", f"More than {len(register.rows)} memos match: export a shorter period.", "too_many"
        )
    rows = (
        (
            r.number,
            r.issue_date,
            r.customer_name,
            r.customer_id,
            r.reason_code,
            r.status,
            r.total.currency,
            r.subtotal,
            r.tax_total,
            r.total,
            r.amount_applied,
            r.amount_refunded,
            r.amount_available,
            r.memo_id,
        )
        for r in register.rows
    )
    return _rows(REGISTER_HEADER, rows, filename)


TRIAL_BALANCE_HEADER: Final = ("account", "name", "kind", "currency", "debit", "credit", "balance")


def trial_balance_csv(tb: reports.TrialBalance) -> StreamingResponse:
    """Every account, then a Total row (account empty)."""
    rows: list[Sequence[Any]] = [
        (r.account, r.name, r.kind, tb.currency, r.debit, r.credit, r.balance) for r in tb.rows
    ]
    rows.append(("", "Total", "", tb.currency, tb.total_debit, tb.total_credit, tb.total_debit - tb.total_credit))
    day = tb.as_of.isoformat() if tb.as_of else date.today().isoformat()
    return _rows(TRIAL_BALANCE_HEADER, rows, f"trial-balance-{day}.csv")


STATEMENT_HEADER: Final = (
    "date",
    "kind",
    "number",
    "description",
    "currency",
    "debit",
    "credit",
    "balance",
    "status",
    "document_id",
)


def statement_csv(st: reports.Statement) -> StreamingResponse:
    """An opening-balance row, every line of the period, a closing-balance row."""
    cur = st.currency
    rows: list[Sequence[Any]] = [
        (st.start, "opening_balance", "", "Opening balance", cur, None, None, st.opening_balance, "", "")
    ]
    rows += [
        (ln.date, ln.kind, ln.number, ln.description, cur, ln.debit, ln.credit, ln.balance, ln.status, ln.document_id)
        for ln in st.lines
    ]
    rows.append((st.end, "closing_balance", "", "Closing balance", cur, None, None, st.closing_balance, "", ""))
    return _rows(STATEMENT_HEADER, rows, f"statement-{st.customer_id}-{st.start.isoformat()}-{st.end.isoformat()}.csv")
