"""/v1/payments: record a receipt, read it, apply it, refund from it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from creditmemo.api.deps import Call, IdempotentCall
from creditmemo.api.problems import problems
from creditmemo.api.routes.memos import _list
from creditmemo.api.schemas.common import MetadataUpdate, Page, page
from creditmemo.api.schemas.settlement import (
    ApplicationCreate,
    ApplicationId,
    ApplicationOut,
    PaymentCreate,
    PaymentOut,
    RefundCreate,
    RefundOut,
    UnappliedOn,
)
from creditmemo.presentation import csv_export
from creditmemo.services import lists, metadata
from creditmemo.services.lists import MAX_LIMIT
from creditmemo.services.settlement import applications, payments
from creditmemo.store.uow import UnitOfWork

router = APIRouter(prefix="/payments", tags=["payments"])
PaymentId = Annotated[str, Path(max_length=40)]
write = problems(403, 404, 409, 413)


@router.post("", status_code=201, response_model=PaymentOut, responses=write)
def record_payment(body: PaymentCreate, ctx: IdempotentCall) -> Response:
    return ctx.write(
        lambda uow: PaymentOut.of(
            payments.record_payment(
                uow,
                ctx.actor,
                customer_id=body.customer_id,
                amount=body.amount,
                currency=body.currency,
                received_on=body.received_on,
                method=body.method,
                reference=body.reference,
                exchange_rate=body.exchange_rate,
                metadata=body.metadata,
            )
        ),
        status=201,
        body=body,
    )


@router.get(
    "",
    response_model=Page[PaymentOut],
    responses={**problems(403), **csv_export.CSV_RESPONSE},
    summary="Payments, newest first",
)
def list_payments(
    ctx: Call,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    starting_after: Annotated[str | None, Query(max_length=40)] = None,
    customer_id: Annotated[str | None, Query(max_length=40)] = None,
    number: Annotated[str | None, Query(max_length=40)] = None,
    received_from: Annotated[str | None, Query(max_length=10, examples=["2026-03-01"])] = None,
    received_to: Annotated[str | None, Query(max_length=10, examples=["2026-03-31"])] = None,
    sort: Literal["id", "-id", "number", "-number", "received_on", "-received_on", "amount", "-amount"] = "-id",
    fmt: csv_export.Format = "json",
) -> Response:
    if fmt == "csv":
        q = csv_export.api_list_query(
            sort,
            customer_id=customer_id,
            number=number,
            issued_from=received_from,
            issued_to=received_to,
            date_fields=("received_from", "received_to"),
        )
        return csv_export.list_csv(ctx.db, ctx.actor, "payments", q, request_id=ctx.request_id)

    def run(uow: UnitOfWork) -> Any:
        rows, more = lists.list_payments(
            uow,
            ctx.actor,
            customer_id=customer_id,
            number=number,
            received_from=received_from,
            received_to=received_to,
            sort=sort,
            starting_after=starting_after,
            limit=limit,
        )
        return page(PaymentOut, [PaymentOut.of(p) for p in rows], more)

    return ctx.read(run)


@router.get("/{payment_id}", response_model=PaymentOut, responses=problems(403, 404))
def get_payment(payment_id: PaymentId, ctx: Call) -> Response:
    return ctx.read(lambda uow: PaymentOut.of(payments.get_payment(uow, ctx.actor, payment_id)))


@router.post("/{payment_id}/applications", status_code=201, response_model=list[ApplicationOut], responses=write)
def apply_payment(payment_id: PaymentId, body: ApplicationCreate, ctx: IdempotentCall) -> Response:
    body.check()
    return ctx.write(
        lambda uow: _list(ApplicationOut, body.apply(uow, ctx.actor, "payment", payment_id)), status=201, body=body
    )


@router.get("/{payment_id}/applications", response_model=list[ApplicationOut], responses=problems(403, 404))
def list_payment_applications(payment_id: PaymentId, ctx: Call) -> Response:
    def run(uow: UnitOfWork) -> Any:
        payments.get_payment(uow, ctx.actor, payment_id)
        return _list(
            ApplicationOut,
            [ApplicationOut.of(a) for a in applications.list_applications(uow, ctx.actor, source_id=payment_id)],
        )

    return ctx.read(run)


@router.delete("/{payment_id}/applications/{application_id}", response_model=ApplicationOut, responses=write)
def unapply_payment(
    payment_id: PaymentId,
    application_id: ApplicationId,
    ctx: Call,
    unapplied_on: UnappliedOn = None,
) -> Response:
    def run(uow: UnitOfWork) -> ApplicationOut:
        return ApplicationOut.of(applications.unapply(uow, ctx.actor, application_id, on=unapplied_on, of=payment_id))

    return ctx.write(run, idempotent=False)


@router.post("/{payment_id}/refunds", status_code=201, response_model=RefundOut, responses=write)
def refund_payment(payment_id: PaymentId, body: RefundCreate, ctx: IdempotentCall) -> Response:
    return ctx.write(lambda uow: body.refund(uow, ctx.actor, "payment", payment_id), status=201, body=body)


@router.patch(
    "/{payment_id}",
    response_model=PaymentOut,
    responses=write,
    summary="Change a payment's metadata (the only part that changes); audited",
)
def update_payment_metadata(payment_id: PaymentId, body: MetadataUpdate, ctx: Call) -> Response:
    return ctx.write(
        lambda uow: PaymentOut.of(metadata.update_payment_metadata(uow, ctx.actor, payment_id, body.metadata)),
        idempotent=False,
    )
