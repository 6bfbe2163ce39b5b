"""/v1/reports: trial balance, AR aging, credit memo register."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import Field

from creditmemo.api.deps import Call
from creditmemo.api.problems import problems
from creditmemo.api.schemas.common import Out, dec, money
from creditmemo.api.schemas.reports import (
    AgingOut,
    DiscountsTakenOut,
    DiscountTakenOut,
    DiscountTotalOut,
    RegisterOut,
    TrialBalanceOut,
    plain,
)
from creditmemo.domain.money import Money
from creditmemo.presentation import csv_export
from creditmemo.services import reports
from creditmemo.store.uow import UnitOfWork

router = APIRouter(prefix="/reports", tags=["reports"])
DateQ = Annotated[str | None, Query(max_length=10, examples=["2026-03-31"])]
Q = Annotated[str | None, Query(max_length=40)]
PeriodQ = Annotated[str | None, Query(max_length=7, examples=["2026-03"], description="A month, YYYY-MM.")]


@router.get("/trial-balance", response_model=TrialBalanceOut, responses={**problems(403), **csv_export.CSV_RESPONSE})
def trial_balance(
    ctx: Call, as_of: DateQ = None, period: PeriodQ = None, fmt: csv_export.ReportFormat = "json"
) -> Response:
    """`period` (YYYY-MM): the balances at the period's close (as of its last day); not with `as_of`."""
    if fmt == "csv":
        with ctx.db.uow(readonly=True, request_id=ctx.request_id) as uow:
            tb = reports.trial_balance(uow, ctx.actor, as_of=as_of, period=period)
        return csv_export.trial_balance_csv(tb)

    def run(uow: UnitOfWork) -> TrialBalanceOut:
        tb = reports.trial_balance(uow, ctx.actor, as_of=as_of, period=period)
        return TrialBalanceOut.model_validate({**plain(tb), "balanced": tb.balanced})

    return ctx.read(run)


@router.get("/ar-aging", response_model=AgingOut, responses={**problems(403), **csv_export.CSV_RESPONSE})
def ar_aging(
    ctx: Call,
    as_of: Annotated[str, Query(max_length=10, examples=["2026-03-31"])],
    detail: bool = False,
    fmt: csv_export.ReportFormat = "json",
) -> Response:
    """Per customer and currency; ``detail=true`` adds each open invoice with the settlement discount
    still available on the as-of date."""
    if fmt == "csv":
        with ctx.db.uow(readonly=True, request_id=ctx.request_id) as uow:
            aging = reports.ar_aging(uow, ctx.actor, as_of=as_of)
        return csv_export.aging_csv(aging)

    def run(uow: UnitOfWork) -> AgingOut:
        body = plain(reports.ar_aging(uow, ctx.actor, as_of=as_of))
        if detail:
            invoices, truncated = reports.aging_detail(uow, ctx.actor, as_of=as_of)
            body |= {"invoices": plain(invoices), "invoices_truncated": truncated}
        return AgingOut.model_validate(body)

    return ctx.read(run)


@router.get("/settlement-discounts", response_model=DiscountsTakenOut, responses=problems(403))
def settlement_discounts(ctx: Call, start: DateQ = None, end: DateQ = None, customer_id: Q = None) -> Response:
    """Settlement discounts taken by payments (active applications), by application date, with totals per
    currency in the document and the company currency."""

    def run(uow: UnitOfWork) -> DiscountsTakenOut:
        report = reports.settlement_discounts(uow, ctx.actor, start=start, end=end, customer_id=customer_id)
        functional = report.functional_currency
        return DiscountsTakenOut(
            data=[
                DiscountTakenOut.model_validate(
                    {
                        **{k: v for k, v in plain(r).items() if k != "functional_discount_minor"},
                        "functional_discount": money(Money.from_minor(r.functional_discount_minor, functional)),
                    }
                )
                for r in report.rows
            ],
            totals=[DiscountTotalOut.model_validate(plain(t)) for t in report.totals],
            truncated=report.truncated,
        )

    return ctx.read(run)


@router.get("/credit-memo-register", response_model=RegisterOut, responses={**problems(403), **csv_export.CSV_RESPONSE})
def credit_memo_register(
    ctx: Call,
    start: DateQ = None,
    end: DateQ = None,
    reason_code: Q = None,
    customer_id: Q = None,
    period: PeriodQ = None,
    status: Literal["draft", "pending_approval", "approved", "ready_to_post", "posted", "void", "discarded"]
    | None = None,
    fmt: csv_export.ReportFormat = "json",
) -> Response:
    if fmt == "csv":
        with ctx.db.uow(readonly=True, request_id=ctx.request_id) as uow:
            register = reports.credit_memo_register(
                uow,
                ctx.actor,
                start=start,
                end=end,
                reason_code=reason_code,
                status=status,
                customer_id=customer_id,
                period=period,
                limit=csv_export.REGISTER_CSV_LIMIT,
            )
        return csv_export.register_csv(register)
    return ctx.read(
        lambda uow: RegisterOut.model_validate(
            plain(
                reports.credit_memo_register(
                    uow,
                    ctx.actor,
                    start=start,
                    end=end,
                    reason_code=reason_code,
                    status=status,
                    customer_id=customer_id,
                    period=period,
                )
            )
        )
    )


class CheckResultOut(Out):
    name: str
    ok: bool
    problems: list[str]


class ReconciliationOut(Out):
    object: str = "reconciliation"
    ok: bool
    problems: list[str]
    checks: list[str]
    results: list[CheckResultOut] = Field(default_factory=list, description="Each check with its own problems.")

    @classmethod
    def of(cls, r: reports.Reconciliation) -> ReconciliationOut:
        return cls(
            ok=r.ok,
            problems=list(r.problems),
            checks=list(r.checks),
            results=[CheckResultOut(name=c.name, ok=c.ok, problems=list(c.problems)) for c in r.results],
        )


@router.get(
    "/reconciliation",
    response_model=ReconciliationOut,
    responses=problems(403),
    summary="Entries balance; AR control = customer balances; running totals = their records",
)
def reconciliation(ctx: Call) -> Response:
    """Each check with its own problems in `results` (`problems` lists them all)."""
    return ctx.read(lambda uow: ReconciliationOut.of(reports.reconcile(uow, ctx.actor)))


class FxExposureRowOut(Out):
    currency: str
    open: str
    booked: str
    rate: str | None
    revalued: str | None
    unrealized: str | None


class FxExposureOut(Out):
    object: str = "fx_exposure"
    as_of: str
    functional_currency: str
    currencies: list[FxExposureRowOut]

    @classmethod
    def of(cls, r: reports.FxExposure) -> FxExposureOut:
        def amount(m: Money | None) -> str | None:
            return None if m is None else money(m)

        return cls(
            as_of=r.as_of.isoformat(),
            functional_currency=r.functional_currency,
            currencies=[
                FxExposureRowOut(
                    currency=c.currency,
                    open=money(c.open),
                    booked=money(c.booked),
                    rate=dec(c.rate),
                    revalued=amount(c.revalued),
                    unrealized=amount(c.unrealized),
                )
                for c in r.currencies
            ],
        )


@router.get(
    "/fx-exposure",
    response_model=FxExposureOut,
    responses=problems(403),
    summary="Open foreign-currency AR at booked rates and at the rate of as_of: the unrealized difference",
)
def fx_exposure(ctx: Call, as_of: Annotated[str, Query(max_length=10, examples=["2026-03-31"])]) -> Response:
    return ctx.read(lambda uow: FxExposureOut.of(reports.fx_exposure(uow, ctx.actor, as_of=as_of)))
