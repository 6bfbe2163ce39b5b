"""The Reports menu (issue 16 item 2): AR aging (a bucket opens its documents), the credit memo register, the
customer statement (with a print view and a PDF from one template, as the memo document), the trial balance and
the reconciliation. The same services as the API, as of any date (services/reports.py). Tables sort by a query
parameter on the server; every page links its CSV export at the same path with ``.csv`` (the export routes are
their own module)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from creditmemo.domain.errors import DomainError
from creditmemo.domain.money import Money
from creditmemo.domain.settlement import BUCKETS
from creditmemo.presentation.documents import pdf_of, policy_for, statement_document, statement_totals
from creditmemo.services import reports
from creditmemo.web.core import Viewer, ViewerDep, WebRoute, db_of, field_errors, render

router = APIRouter(route_class=WebRoute)

BUCKET_TITLES = {
    "current": "Current",
    "days_1_30": "1-30",
    "days_31_60": "31-60",
    "days_61_90": "61-90",
    "days_over_90": "Over 90",
}
REGISTER_STATUSES = ("draft", "pending_approval", "approved", "ready_to_post", "posted", "void", "discarded")


def _q(request: Request, name: str) -> str | None:
    value = request.query_params.get(name, "").strip()
    return value or None


def csv_link(request: Request) -> str:
    """The page's CSV export: the same path with ``.csv`` and the same query string."""
    query = request.url.query
    return f"{request.url.path}.csv" + (f"?{query}" if query else "")


def _sort_value(value: Any) -> Any:
    if isinstance(value, Money):
        return value.amount
    if value is None:
        return ""
    if isinstance(value, str):
        return value.casefold()
    return value


def sort_rows(
    request: Request, rows: Sequence[Any], columns: dict[str, Callable[[Any], Any]], default: str
) -> tuple[list[Any], str, bool]:
    """Rows sorted by the ``sort`` query parameter (a key of ``columns``; else ``default``), ``dir=desc`` for
    descending; returns the rows, the key used and whether descending."""
    key = request.query_params.get("sort", default)
    if key not in columns:
        key = default
    descending = request.query_params.get("dir") == "desc"
    get = columns[key]
    return sorted(rows, key=lambda r: _sort_value(get(r)), reverse=descending), key, descending


def sort_url(request: Request) -> Callable[[str, str, bool], str]:
    """The page's URL sorted by a column: ascending first, the other way when it is already sorted so."""

    def url(column: str, current: str, descending: bool) -> str:
        params = dict(request.query_params)
        params["sort"] = column
        params["dir"] = "asc" if column == current and descending else ("desc" if column == current else "asc")
        return f"{request.url.path}?{urlencode(params)}"

    return url


def _page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    return render(request, template, status, csv_link=csv_link(request), sort_url=sort_url(request), **context)


def _today(request: Request) -> date:
    return db_of(request).clock().date()


# index ----------------------------------------------------------------------------------------
@router.get("/reports", include_in_schema=False)
def reports_index(request: Request, v: ViewerDep) -> Response:
    return render(request, "reports/index.html")


# AR aging -------------------------------------------------------------------------------------
def _attribute(name: str) -> Callable[[Any], Any]:
    return lambda r: getattr(r, name)


AGING_COLUMNS: dict[str, Callable[[Any], Any]] = {
    "customer": lambda r: r.customer_name,
    **{b: _attribute(b) for b in BUCKETS},
    "total_due": lambda r: r.total_due,
    "unapplied_credit": lambda r: r.unapplied_credit,
    "net": lambda r: r.net,
}
DOCUMENT_COLUMNS: dict[str, Callable[[Any], Any]] = {
    "number": lambda d: d.number,
    "customer": lambda d: d.customer_name,
    "issue_date": lambda d: d.issue_date,
    "due_date": lambda d: d.due_date,
    "bucket": lambda d: BUCKETS.index(d.bucket),
    "total": lambda d: d.total,
    "amount_due": lambda d: d.amount_due,
}


DOCUMENTS_SHOWN = 200  # the aging's documents on the page; the CSV export has up to AGING_DETAIL_LIMIT
CUSTOMERS_SHOWN = 100  # the aging's customer rows on a page


@router.get("/reports/ar-aging", include_in_schema=False)
def aging_page(request: Request, v: ViewerDep) -> Response:
    as_of = _q(request, "as_of") or _today(request).isoformat()
    customer_id, bucket = _q(request, "customer_id"), _q(request, "bucket")
    try:
        with db_of(request).uow(readonly=True) as uow:
            aging = reports.ar_aging(uow, v.actor, as_of=as_of)
            docs: list[reports.AgingDocument] | None = None
            truncated = False
            # The same ?sort= (the two tables' keys differ but for customer); the database sorts the documents
            # and gives the first DOCUMENTS_SHOWN (a customer may have thousands open).
            doc_sort = request.query_params.get("sort", "due_date")
            doc_sort = doc_sort if doc_sort in DOCUMENT_COLUMNS else "due_date"
            doc_desc = request.query_params.get("dir") == "desc"
            if customer_id is not None or bucket is not None:
                docs, truncated = reports.aging_documents(
                    uow,
                    v.actor,
                    as_of=as_of,
                    customer_id=customer_id,
                    bucket=bucket,
                    limit=DOCUMENTS_SHOWN,
                    order=doc_sort,
                    descending=doc_desc,
                )
    except DomainError as e:
        return _page(request, "reports/aging.html", 422, as_of=as_of, errors=field_errors(e), aging=None)
    rows, sort, desc = sort_rows(request, aging.rows, AGING_COLUMNS, "customer")
    # A page of customers at a time (5,000 rows were 7 MB of HTML); the totals are over all of them, the CSV
    # export has every row.
    pages = max(1, -(-len(rows) // CUSTOMERS_SHOWN))
    raw_page = request.query_params.get("page", "1")
    page = min(pages, max(1, int(raw_page))) if raw_page.isdigit() else 1
    rows = rows[(page - 1) * CUSTOMERS_SHOWN : page * CUSTOMERS_SHOWN]
    chosen = next((r.customer_name for r in aging.rows if r.customer_id == customer_id), None)
    return _page(
        request,
        "reports/aging.html",
        as_of=as_of,
        errors={},
        aging=aging,
        rows=rows,
        sort=sort,
        desc=desc,
        buckets=BUCKET_TITLES,
        docs=docs,
        doc_sort=doc_sort,
        doc_desc=doc_desc,
        docs_truncated=truncated,
        docs_shown=DOCUMENTS_SHOWN,
        page=page,
        pages=pages,
        customers=len(aging.rows),
        page_url=lambda n: f"{request.url.path}?{urlencode({**request.query_params, 'page': n})}",
        customer_id=customer_id,
        customer_name=chosen,
        bucket=bucket,
    )


# credit memo register -------------------------------------------------------------------------
REGISTER_COLUMNS: dict[str, Callable[[Any], Any]] = {
    "number": lambda r: r.number,
    "issue_date": lambda r: (r.issue_date, r.number),
    "customer": lambda r: r.customer_name,
    "reason": lambda r: r.reason_code,
    "status": lambda r: r.status,
    "total": lambda r: r.total,
    "applied": lambda r: r.amount_applied,
    "refunded": lambda r: r.amount_refunded,
    "available": lambda r: r.amount_available,
}


@router.get("/reports/credit-memo-register", include_in_schema=False)
def register_page(request: Request, v: ViewerDep) -> Response:
    today = _today(request)
    params: dict[str, Any] = {
        "start": _q(request, "start") or today.replace(day=1).isoformat(),
        "end": _q(request, "end") or today.isoformat(),
        "reason_code": _q(request, "reason_code"),
        "status": _q(request, "status"),
        "customer_id": _q(request, "customer_id"),
    }
    with db_of(request).uow(readonly=True) as uow:
        choices = reports.register_choices(uow, v.actor)
        try:
            register = reports.credit_memo_register(uow, v.actor, **params)
            errors: dict[str, str] = {}
        except DomainError as e:
            register, errors = None, field_errors(e)
    rows: list[Any] = []
    sort, desc = "issue_date", False
    if register is not None:
        rows, sort, desc = sort_rows(request, register.rows, REGISTER_COLUMNS, "issue_date")
    return _page(
        request,
        "reports/register.html",
        422 if errors else 200,
        params=params,
        errors=errors,
        register=register,
        rows=rows,
        sort=sort,
        desc=desc,
        reasons=choices.reasons,
        statuses=REGISTER_STATUSES,
        customers=choices.customers,
    )


# trial balance --------------------------------------------------------------------------------
TB_COLUMNS: dict[str, Callable[[Any], Any]] = {
    "account": lambda r: r.account,
    "name": lambda r: r.name,
    "kind": lambda r: r.kind,
    "debit": lambda r: r.debit,
    "credit": lambda r: r.credit,
    "balance": lambda r: r.balance,
}


@router.get("/reports/trial-balance", include_in_schema=False)
def trial_balance_page(request: Request, v: ViewerDep) -> Response:
    as_of = _q(request, "as_of") or _today(request).isoformat()
    try:
        with db_of(request).uow(readonly=True) as uow:
            tb = reports.trial_balance(uow, v.actor, as_of=as_of)
    except DomainError as e:
        return _page(request, "reports/trial_balance.html", 422, as_of=as_of, errors=field_errors(e), tb=None)
    rows, sort, desc = sort_rows(request, tb.rows, TB_COLUMNS, "account")
    return _page(request, "reports/trial_balance.html", as_of=as_of, errors={}, tb=tb, rows=rows, sort=sort, desc=desc)


# reconciliation -------------------------------------------------------------------------------
@router.get("/reports/reconciliation", include_in_schema=False)
def reconciliation_page(request: Request, v: ViewerDep) -> Response:
    with db_of(request).uow(readonly=True) as uow:
        result = reports.reconcile(uow, v.actor)
    return render(request, "reports/reconciliation.html", result=result)


# customer statement ---------------------------------------------------------------------------
def _statement(request: Request, v: Viewer, customer_id: str) -> tuple[reports.Statement, reports.StatementParties]:
    with db_of(request).uow(readonly=True) as uow:
        st = reports.customer_statement(uow, v.actor, customer_id, start=_q(request, "start"), end=_q(request, "end"))
        return st, reports.statement_parties(uow, v.actor, customer_id)


@router.get("/customers/{customer_id}/statement", include_in_schema=False)
def statement_page(request: Request, customer_id: str, v: ViewerDep) -> Response:
    try:
        st, _ = _statement(request, v, customer_id)
    except DomainError as e:
        if e.code == "not_found":
            raise
        errors = field_errors(e)
        return _page(request, "reports/statement.html", 422, st=None, errors=errors, customer_id=customer_id)
    debits, credits = statement_totals(st)
    query = request.url.query
    return _page(
        request,
        "reports/statement.html",
        st=st,
        errors={},
        customer_id=customer_id,
        debits=debits,
        credits=credits,
        print_link=f"/customers/{customer_id}/statement/print" + (f"?{query}" if query else ""),
        pdf_link=f"/customers/{customer_id}/statement/pdf" + (f"?{query}" if query else ""),
    )


def _statement_document(request: Request, v: Viewer, customer_id: str, fmt: str) -> tuple[reports.Statement, str]:
    """The printable statement (presentation/documents.py), for the browser's print view and WeasyPrint alike."""
    st, parties = _statement(request, v, customer_id)
    return st, statement_document(st, parties, fmt)


@router.get("/customers/{customer_id}/statement/print", include_in_schema=False)
def statement_print(request: Request, customer_id: str, v: ViewerDep) -> Response:
    _, html = _statement_document(request, v, customer_id, "html")
    return HTMLResponse(html, headers={"Content-Security-Policy": policy_for(html)})


@router.get("/customers/{customer_id}/statement/pdf", include_in_schema=False)
def statement_pdf(request: Request, customer_id: str, v: ViewerDep) -> Response:
    st, html = _statement_document(request, v, customer_id, "pdf")
    pdf = pdf_of(html)
    name = f"statement-{st.start}-{st.end}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
