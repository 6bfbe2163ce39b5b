"""/v1/invoices: issue, read, list."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from creditmemo.api.deps import Call, Ctx, IdempotentCall
from creditmemo.api.problems import problems
from creditmemo.api.schemas.common import MetadataUpdate, Page, page
from creditmemo.api.schemas.invoices import InvoiceCreate, InvoiceOut
from creditmemo.domain.inputs import InvoiceLineInput
from creditmemo.presentation import csv_export
from creditmemo.services import invoices as svc
from creditmemo.services import lists, metadata
from creditmemo.services.companies import functional_currency
from creditmemo.services.lists import MAX_LIMIT
from creditmemo.store.uow import UnitOfWork

router = APIRouter(prefix="/invoices", tags=["invoices"])
InvoiceId = Annotated[str, Path(max_length=40)]
Q = Annotated[str | None, Query(max_length=40)]
DateQ = Annotated[str | None, Query(max_length=10)]
Sort = Literal[
    "id", "-id", "number", "-number", "issue_date", "-issue_date", "due_date", "-due_date", "total", "-total"
]


def _functional(uow: UnitOfWork, ctx: Ctx) -> str:
    """The company currency (a settlement discount's functional amount is shown in it)."""
    return functional_currency(uow, ctx.actor)


@router.post("", status_code=201, response_model=InvoiceOut, responses=problems(403, 404, 409, 413))
def issue_invoice(body: InvoiceCreate, ctx: IdempotentCall) -> Response:
    lines = [
        InvoiceLineInput(
            line.description,
            line.quantity,
            line.unit_price,
            discount=line.discount,
            tax_rate=line.tax_rate,
            unit_cost=line.unit_cost,
            item=line.item,
            revenue_account=line.revenue_account,
            deferred_revenue_account=line.deferred_revenue_account,
            service_start=line.service_start,
            service_end=line.service_end,
        )
        for line in body.lines
    ]
    return ctx.write(
        lambda uow: InvoiceOut.of(
            svc.issue_invoice(
                uow,
                ctx.actor,
                customer_id=body.customer_id,
                currency=body.currency,
                issue_date=body.issue_date,
                due_date=body.due_date,
                exchange_rate=body.exchange_rate,
                memo=body.memo,
                lines=lines,
                metadata=body.metadata,
            ),
            functional_currency=_functional(uow, ctx),
        ),
        status=201,
        body=body,
    )


@router.get("", response_model=Page[InvoiceOut], responses={**problems(403), **csv_export.CSV_RESPONSE})
def list_invoices(
    ctx: Call,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    starting_after: Q = None,
    customer_id: Q = None,
    number: Q = None,
    issued_from: DateQ = None,
    issued_to: DateQ = None,
    sort: Sort = "-id",
    fmt: csv_export.Format = "json",
) -> Response:
    if fmt == "csv":
        q = csv_export.api_list_query(
            sort, customer_id=customer_id, number=number, issued_from=issued_from, issued_to=issued_to
        )
        return csv_export.list_csv(ctx.db, ctx.actor, "invoices", q, request_id=ctx.request_id)

    def run(uow: UnitOfWork) -> Page[InvoiceOut]:
        rows, more = lists.list_invoices(
            uow,
            ctx.actor,
            customer_id=customer_id,
            number=number,
            issued_from=issued_from,
            issued_to=issued_to,
            sort=sort,
            starting_after=starting_after,
            limit=limit,
        )
        return page(InvoiceOut, [InvoiceOut.of(i, functional_currency=_functional(uow, ctx)) for i in rows], more)

    return ctx.read(run)


@router.get("/{invoice_id}", response_model=InvoiceOut, responses=problems(403, 404))
def get_invoice(invoice_id: InvoiceId, ctx: Call) -> Response:
    return ctx.read(
        lambda uow: InvoiceOut.of(
            svc.get_invoice(uow, ctx.actor, invoice_id), functional_currency=_functional(uow, ctx)
        )
    )


@router.patch(
    "/{invoice_id}",
    response_model=InvoiceOut,
    responses=problems(403, 404, 409, 413),
    summary="Change an issued invoice's metadata (the only part that changes); audited",
)
def update_invoice_metadata(
    invoice_id: Annotated[str, Path(max_length=40)], body: MetadataUpdate, ctx: Call
) -> Response:
    return ctx.write(
        lambda uow: InvoiceOut.of(
            metadata.update_invoice_metadata(uow, ctx.actor, invoice_id, body.metadata),
            functional_currency=_functional(uow, ctx),
        ),
        idempotent=False,
    )
