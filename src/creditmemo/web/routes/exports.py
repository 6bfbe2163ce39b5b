"""The reports as CSV files (issue 16 item 3): ``/reports/ar-aging.csv``, ``/reports/credit-memo-register.csv``,
``/reports/trial-balance.csv`` and ``/customers/{id}/statement.csv``, each the report's service as the report
page shows it (same query parameters), written by ``presentation/csv_export``. The lists' own ``.csv`` routes are in
``lists.py``. Every role that may read the report may export it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from creditmemo.presentation import csv_export
from creditmemo.services import reports
from creditmemo.web.core import ViewerDep, WebRoute, db_of

router = APIRouter(route_class=WebRoute)


def _param(request: Request, name: str) -> str | None:
    return (request.query_params.get(name) or "")[:40] or None


@router.get("/reports/ar-aging.csv", include_in_schema=False)
def ar_aging_csv(request: Request, v: ViewerDep) -> Response:
    """The aging by customer; with ``customer_id`` or ``bucket`` (a bucket opened on the page), its documents."""
    customer_id, bucket = _param(request, "customer_id"), _param(request, "bucket")
    with db_of(request).uow(readonly=True) as uow:
        aging = reports.ar_aging(uow, v.actor, as_of=_param(request, "as_of"))
        if customer_id is None and bucket is None:
            return csv_export.aging_csv(aging)
        docs, truncated = reports.aging_documents(
            uow, v.actor, as_of=aging.as_of, customer_id=customer_id, bucket=bucket
        )
    return csv_export.aging_documents_csv(docs, truncated, aging.as_of, bucket)


@router.get("/reports/credit-memo-register.csv", include_in_schema=False)
def credit_memo_register_csv(request: Request, v: ViewerDep) -> Response:
    with db_of(request).uow(readonly=True) as uow:
        register = reports.credit_memo_register(
            uow,
            v.actor,
            start=_param(request, "start"),
            end=_param(request, "end"),
            period=_param(request, "period"),
            reason_code=_param(request, "reason_code") or _param(request, "reason"),
            status=_param(request, "status"),
            customer_id=_param(request, "customer_id") or _param(request, "customer"),
            limit=csv_export.REGISTER_CSV_LIMIT,
        )
    return csv_export.register_csv(register)


@router.get("/reports/trial-balance.csv", include_in_schema=False)
def trial_balance_csv(request: Request, v: ViewerDep) -> Response:
    with db_of(request).uow(readonly=True) as uow:
        tb = reports.trial_balance(uow, v.actor, as_of=_param(request, "as_of"), period=_param(request, "period"))
    return csv_export.trial_balance_csv(tb)


@router.get("/customers/{customer_id}/statement.csv", include_in_schema=False)
def statement_csv(request: Request, customer_id: str, v: ViewerDep) -> Response:
    with db_of(request).uow(readonly=True) as uow:
        st = reports.customer_statement(
            uow, v.actor, customer_id, start=_param(request, "start"), end=_param(request, "end")
        )
    return csv_export.statement_csv(st)
