"""List views (seed 004): credit memos, debit memos, invoices and customers — sort by any column,
filter, search by number, page, and save the current filter as a named view per user."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from creditmemo.domain.documents import MemoKind
from creditmemo.domain.errors import DomainError, ValidationFailedError
from creditmemo.domain.lifecycle import Status
from creditmemo.domain.money import parse_decimal
from creditmemo.domain.parsing import parse_date
from creditmemo.presentation import csv_export
from creditmemo.presentation.locale import read_number
from creditmemo.services.actors import Permission
from creditmemo.services.chart import list_reason_codes
from creditmemo.services.lists import PAYMENT_STATUSES, ListQuery, ListRow, Page, customer_choices, list_page
from creditmemo.services.memos.bulk import bulk_post
from creditmemo.services.memos.read import get_memo
from creditmemo.services.references import document_numbers
from creditmemo.services.saved_views import delete_view, list_views, save_view
from creditmemo.store.uow import UnitOfWork
from creditmemo.web.core import (
    FormDep,
    ViewerDep,
    WebRoute,
    WriterDep,
    db_of,
    field_errors,
    redirect,
    render,
)
from creditmemo.web.once import submit_once

router = APIRouter(route_class=WebRoute)


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # sort key (the list engine's *_SORTS) and row field
    title: str
    kind: str = "text"  # text | money | date | badge | link | num


@dataclass(frozen=True, slots=True)
class ListPage:
    page: str  # saved-view page name
    path: str
    title: str
    columns: tuple[Column, ...]
    filters: tuple[str, ...]
    statuses: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)  # this page's own names for shared filters


MEMO_COLUMNS: Final = (
    Column("number", "Number", "link"),
    Column("customer", "Customer"),
    Column("status", "Status", "badge"),
    Column("reason", "Reason"),
    Column("issue_date", "Issue date", "date"),
    Column("total", "Total", "money"),
    Column("applied", "Applied", "money"),
    Column("print_status", "Print status"),
)
PAGES: Final = {
    "credit_memos": ListPage(
        "credit_memos",
        "/credit-memos",
        "Credit memos",
        MEMO_COLUMNS,
        ("q", "status", "customer", "reason", "from", "to", "min", "max"),
        tuple(str(s) for s in Status),
    ),
    "debit_memos": ListPage(
        "debit_memos",
        "/debit-memos",
        "Debit memos",
        MEMO_COLUMNS,
        ("q", "status", "customer", "reason", "from", "to", "min", "max"),
        tuple(str(s) for s in Status),
    ),
    "invoices": ListPage(
        "invoices",
        "/invoices",
        "Invoices",
        (
            Column("number", "Number", "link"),
            Column("customer", "Customer"),
            Column("issue_date", "Issue date", "date"),
            Column("due_date", "Due date", "date"),
            Column("total", "Total", "money"),
            Column("credited", "Credited", "money"),
            Column("due", "Amount due", "money"),
            Column("payment_status", "Payment status", "badge"),
        ),
        ("q", "status", "customer", "from", "to", "min", "max"),
        ("unpaid", "part_paid", "paid"),
    ),
    "payments": ListPage(
        "payments",
        "/payments",
        "Payments",
        (
            Column("number", "Number", "link"),
            Column("customer", "Customer"),
            Column("received_on", "Received", "date"),
            Column("method", "Method"),
            Column("reference", "Reference"),
            Column("amount", "Amount", "money"),
            Column("applied", "Applied", "money"),
            Column("refunded", "Refunded", "money"),
            Column("available", "Available", "money"),
            Column("settlement_status", "Status", "badge"),
        ),
        ("q", "status", "customer", "from", "to", "min", "max"),
        PAYMENT_STATUSES,
        labels={"from": "Received from", "to": "Received to"},
    ),
    "customers": ListPage(
        "customers",
        "/customers",
        "Customers",
        (
            Column("name", "Name", "link"),
            Column("currency", "Currency"),
            Column("terms", "Terms (days)", "num"),
            Column("balance", "Balance", "money"),
            Column("available_credit", "Available credit", "money"),
        ),
        ("q", "currency", "min", "max"),
        labels={"q": "Name", "min": "Balance from", "max": "Balance to"},
    ),
}
FILTER_LABELS: Final = {
    "q": "Number or customer",
    "status": "Status",
    "customer": "Customer",
    "reason": "Reason",
    "from": "Issued from",
    "to": "Issued to",
    "min": "Amount from",
    "max": "Amount to",
    "currency": "Currency",
}


def parse_list_query(params: dict[str, str]) -> tuple[ListQuery, dict[str, str]]:
    """The list request from the query string; a bad value is dropped and reported next to its field."""
    errors: dict[str, str] = {}

    def safe(key: str, fn: Any) -> Any:
        raw = params.get(key)
        if not raw:
            return None
        try:
            return fn(raw)
        except DomainError as e:
            errors[key] = e.detail if not isinstance(e, ValidationFailedError) else e.errors[0].message
            return None

    def amount(raw: str) -> Decimal:
        return parse_decimal(read_number(raw), "amount", max_places=3)

    def day(raw: str) -> date:
        return parse_date(raw, "date")

    def cursor(key: str) -> str | None:
        return (params.get(key) or "")[:40] or None

    q = ListQuery(
        sort=params.get("sort", ""),
        descending=params.get("dir", "desc") != "asc",
        keyset=True,
        after=cursor("after"),
        before=None if cursor("after") else cursor("before"),
        status=params.get("status") or None,
        customer_id=params.get("customer") or None,
        reason=params.get("reason") or None,
        date_from=safe("from", day),
        date_to=safe("to", day),
        amount_min=safe("min", amount),
        amount_max=safe("max", amount),
        q=(params.get("q") or "")[:100] or None,
        currency=(params.get("currency") or "")[:3] or None,
    )
    if q.date_from and q.date_to and q.date_from > q.date_to:
        errors["to"] = f"“Issued to” ({q.date_to}) is before “Issued from” ({q.date_from}): swap the dates."
    if q.amount_min is not None and q.amount_max is not None and q.amount_min > q.amount_max:
        errors["max"] = f"“Amount to” ({q.amount_max}) is below “Amount from” ({q.amount_min}): swap the amounts."
    return q, errors


# A money column's sort key -> the list row's amount (services/lists.py).
MONEY_FIELDS: Final = {
    "total": "total",
    "amount": "amount",
    "refunded": "amount_refunded",
    "available": "amount_available",
    "applied": "amount_applied",
    "credited": "amount_credited",
    "due": "amount_due",
    "balance": "balance",
    "available_credit": "available_credit",
}


def cell(row: ListRow, col: Column, page: str) -> dict[str, Any]:
    """Display value and link of one cell."""
    key = col.key
    if col.kind == "money":
        return {"money": getattr(row, MONEY_FIELDS[key])}
    value = getattr(row, {"reason": "reason_code", "terms": "payment_terms_days"}.get(key, key), None)
    if page == "payments" and key in ("method", "reference"):  # free text; a method code reads as words
        value = str(value or "").replace("_", " ") if key == "method" else value or ""
    href = None
    if col.kind == "link":
        prefix = {"customers": "/customers", "invoices": "/invoices", "payments": "/payments"}.get(page, "/memos")
        href = f"{prefix}/{row.id}"
    return {"value": value, "href": href}


def _render_list(request: Request, v: Any, name: str, extra_errors: dict[str, str] | None = None) -> Response:
    spec = PAGES[name]
    actor = v.actor
    params = {k: val for k, val in request.query_params.items() if val}
    q, errors = parse_list_query(params)
    with db_of(request).uow(readonly=True) as uow:
        result: Page = list_page(uow, actor, name, q)
        customers = customer_choices(uow, actor) if "customer" in spec.filters else []
        reasons = list_reason_codes(uow, actor) if "reason" in spec.filters else []
        views = list_views(uow, actor, name)
    base = {k: val for k, val in params.items() if k not in PAGING}
    rows = [
        {
            "cells": [cell(r, c, name) for c in spec.columns],
            "id": r.id,
            "number": getattr(r, "number", None),
            "status": getattr(r, "status", None),
            "total": getattr(r, "total", None),  # the bulk post's running total (app.js) sums memos' totals
        }
        for r in result.rows
    ]
    bulk = name in MEMO_PAGES and actor.can(Permission.POST_MEMO)

    def url(**changes: Any) -> str:
        merged = {**base, **{k: str(val) for k, val in changes.items() if val is not None}}
        return f"{spec.path}?{urlencode(merged)}"

    return render(
        request,
        "list.html",
        spec=spec,
        rows=rows,
        result=result,
        params=params,
        errors={**errors, **(extra_errors or {})},
        customers=customers,
        reasons=reasons,
        views=views,
        url=url,
        labels={**FILTER_LABELS, **PAGES[name].labels},
        query=urlencode(base),
        csv_url=f"{spec.path}.csv?{urlencode(base)}" if base else f"{spec.path}.csv",
        bulk=bulk,
        postable=POSTABLE,
        queued=params.get("queued"),
    )


PAGING: Final = ("page", "queued", "after", "before")  # where the reader is, not what the list shows


def _list_route(name: str) -> None:
    spec = PAGES[name]

    def handler(request: Request, v: ViewerDep) -> Response:
        return _render_list(request, v, name)

    def export(request: Request, v: ViewerDep) -> Response:
        """The whole list as CSV, with the page's filters and sort (issue 16 item 3), streamed. A filter
        the page would drop as malformed sends the reader back to the page, which says why."""
        params = {k: val for k, val in request.query_params.items() if val and k not in PAGING}
        q, errors = parse_list_query(params)
        if errors:
            return redirect(f"{spec.path}?{urlencode(params)}", request)
        return csv_export.list_csv(db_of(request), v.actor, name, q)

    handler.__name__ = f"list_{name}"
    export.__name__ = f"export_{name}"
    router.add_api_route(f"{spec.path}.csv", export, methods=["GET"], include_in_schema=False)
    router.add_api_route(spec.path, handler, methods=["GET"], include_in_schema=False)


for _name in PAGES:
    _list_route(_name)


MEMO_PAGES: Final = {"credit_memos": MemoKind.CREDIT, "debit_memos": MemoKind.DEBIT}
POSTABLE: Final = ("draft", "approved")  # what "Post selected" offers; the server checks each memo again


def _bulk_route(name: str) -> None:
    """Post selected (issue 17 item 8): the ticked memos are queued in one transaction (all or nothing, the
    API's bulk post) and the worker posts them; the list comes back with their statuses polled until posted."""
    spec = PAGES[name]

    def handler(request: Request, v: WriterDep, form: FormDep) -> Response:
        ids = [str(i) for i in form.getlist("memo_id")]
        back = {k: val for k, val in parse_qsl(str(form.get("query") or "")) if k not in ("status", *PAGING)}

        def run(uow: UnitOfWork) -> Response:
            if not ids:
                raise ValidationFailedError.single("memo_ids", "Tick the memos to post first.", "required")
            queued = bulk_post(uow, v.actor, ids, MEMO_PAGES[name])
            return redirect(f"{spec.path}?{urlencode({**back, 'queued': str(len(queued))})}", request)

        try:
            return submit_once(request, v, form, run)
        except ValidationFailedError as e:
            return _render_list(request, v, name, {"bulk": e.errors[0].message})
        except DomainError as e:
            with db_of(request).uow(readonly=True) as uow:
                numbers = document_numbers(uow, v.actor, ids)
            return _render_list(request, v, name, {"bulk": _bulk_refusal(e, ids, numbers)})

    handler.__name__ = f"bulk_post_{name}"
    router.add_api_route(f"{spec.path}/bulk-post", handler, methods=["POST"], include_in_schema=False)


def _bulk_refusal(error: DomainError, ids: list[str], numbers: Mapping[str, str]) -> str:
    """The refusal of the first memo that cannot be posted, said with its number (nothing was queued)."""
    m = re.match(r"^memo_ids\[(\d+)\]$", error.field or "")
    memo_id = ids[int(m.group(1))] if m and int(m.group(1)) < len(ids) else None
    name = numbers.get(memo_id, memo_id) if memo_id else None
    prefix = f"Nothing was queued: {name} cannot be posted. " if name else "Nothing was queued. "
    return prefix + error.detail


for _name in MEMO_PAGES:
    _bulk_route(_name)


@router.get("/memos/{memo_id}/status-cell", include_in_schema=False)
def status_cell(request: Request, memo_id: str, v: ViewerDep) -> Response:
    """The status cell of a list row (htmx): polled while the memo waits for the worker."""
    with db_of(request).uow(readonly=True) as uow:
        memo = get_memo(uow, v.actor, memo_id)
    return render(request, "_status_cell.html", row={"id": memo.id, "number": memo.number, "status": str(memo.status)})


@router.post("/views", include_in_schema=False)
def create_view(request: Request, v: WriterDep, form: FormDep) -> Response:
    page = str(form.get("page") or "")

    def run(uow: UnitOfWork) -> Response:
        save_view(uow, v.actor, page=page, name=form.get("name"), query=str(form.get("query") or ""))
        return redirect(f"{PAGES[page].path}?{form.get('query') or ''}")

    try:
        return submit_once(request, v, form, run)
    except ValidationFailedError as e:
        if page in PAGES:
            return _render_list(request, v, page, {f"view_{k}": m for k, m in field_errors(e).items()})
        raise


@router.post("/views/{view_id}/delete", include_in_schema=False)
def remove_view(request: Request, view_id: str, v: WriterDep, form: FormDep) -> Response:
    page = str(form.get("page") or "")

    def run(uow: UnitOfWork) -> Response:
        delete_view(uow, v.actor, view_id)
        return redirect(PAGES[page].path if page in PAGES else "/")

    return submit_once(request, v, form, run)
