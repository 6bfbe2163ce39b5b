"""/v1/exchange-rates (issue 15): the company's rate table. A controller or an admin sets the rate of a day;
everyone reads. Invoices, standalone memos, debit memos and payments without a given rate take the rate of
their date (the latest on or before it); none is `422 rate_missing`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from creditmemo.api.deps import Call
from creditmemo.api.problems import problems
from creditmemo.api.schemas.common import Currency, DecimalStr, In, Out, dec
from creditmemo.domain.fx import ExchangeRate
from creditmemo.services import exchange_rates as svc

router = APIRouter(prefix="/exchange-rates", tags=["exchange rates"])
DateQ = Annotated[str | None, Query(max_length=10, examples=["2026-03-01"])]


class RateIn(In):
    rate: DecimalStr


class RateOut(Out):
    object: str = "exchange_rate"
    currency: str
    date: str
    rate: str
    updated_at: str | None
    updated_by: str | None

    @classmethod
    def of(cls, r: ExchangeRate) -> RateOut:
        return cls(
            currency=r.currency,
            date=r.day.isoformat(),
            rate=dec(r.rate) or "0",
            updated_at=None if r.updated_at is None else r.updated_at.isoformat(),
            updated_by=r.updated_by,
        )


class RateList(Out):
    object: str = "list"
    data: list[RateOut]


@router.put(
    "/{currency}/{day}",
    response_model=RateOut,
    responses=problems(403, 413),
    summary="Set the rate of a currency on a day (units of the company currency for one unit)",
)
def put_rate(
    currency: Annotated[str, Path(max_length=3)], day: Annotated[str, Path(max_length=10)], body: RateIn, ctx: Call
) -> Response:
    return ctx.write(lambda uow: RateOut.of(svc.set_rate(uow, ctx.actor, currency, day, body.rate)), idempotent=False)


@router.get("", response_model=RateList, responses=problems(403), summary="The rate table, by currency and date")
def list_rates(
    ctx: Call,
    currency: Annotated[Currency | None, Query()] = None,
    start: Annotated[DateQ, Query(alias="from")] = None,
    end: Annotated[DateQ, Query(alias="to")] = None,
) -> Response:
    return ctx.read(
        lambda uow: RateList(
            data=[RateOut.of(r) for r in svc.list_rates(uow, ctx.actor, currency=currency, start=start, end=end)]
        )
    )
