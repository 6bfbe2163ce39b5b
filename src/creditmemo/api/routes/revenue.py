"""Revenue schedules (issue 12): /v1/revenue/recognize (the recognition run, a controller's action), and the
reports /v1/reports/deferred-revenue and /v1/reports/revenue-waterfall (anyone who reads)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import Field

from creditmemo.api.deps import Call, IdempotentCall
from creditmemo.api.problems import problems
from creditmemo.api.schemas.common import In, MoneyStr, Out, money
from creditmemo.services import revenue as svc
from creditmemo.services import revenue_reports as reports
from creditmemo.store.uow import UnitOfWork

router = APIRouter(tags=["revenue"])
DateQ = Annotated[str, Query(max_length=10, examples=["2026-03-31"])]


class RecognizeIn(In):
    through: Annotated[str, Field(max_length=10, examples=["2026-01-31"])] = Field(
        description="Recognize every scheduled month due on or before this date and not yet recognized."
    )


class RecognizedEntryOut(Out):
    journal_entry_id: str
    date: date
    month: str
    currency: str
    amount: MoneyStr


class RecognitionOut(Out):
    object: str = "revenue_recognition"
    run_id: str | None = Field(description="None when nothing was due: a repeated run, or through an earlier date.")
    through: date
    entries: list[RecognizedEntryOut]

    @classmethod
    def of(cls, run: svc.RecognitionRun) -> RecognitionOut:
        return cls(
            run_id=run.run_id,
            through=run.through,
            entries=[
                RecognizedEntryOut(
                    journal_entry_id=e.entry_id,
                    date=e.on,
                    month=f"{e.month:%Y-%m}",
                    currency=e.amount.currency,
                    amount=money(e.amount),
                )
                for e in run.entries
            ],
        )


@router.post(
    "/revenue/recognize",
    response_model=RecognitionOut,
    responses=problems(403, 409, 413),
    summary="Recognize deferred revenue due through a date (controller); idempotent",
)
def recognize(body: RecognizeIn, ctx: IdempotentCall) -> Response:
    """One journal entry per month (Dr deferred revenue, Cr each line's revenue account). Running it again, or
    through a date before the last run, posts nothing. Two runs at once: one posts, the other finds nothing
    left. 409: the Idempotency-Key was used with a different body."""
    return ctx.write(lambda uow: RecognitionOut.of(svc.recognize(uow, ctx.actor, through=body.through)), body=body)


class DeferredRowOut(Out):
    customer_id: str
    customer_name: str
    account: str
    currency: str
    amount: MoneyStr


class DeferredTotalOut(Out):
    account: str
    currency: str
    schedules: MoneyStr
    ledger: MoneyStr


class DeferredRevenueOut(Out):
    object: str = "deferred_revenue"
    as_of: date
    recognized_through: date | None = Field(description="The latest recognition run's date.")
    rows: list[DeferredRowOut]
    totals: list[DeferredTotalOut]
    reconciled: bool = Field(description="Each account's total equals its ledger balance as of the date.")

    @classmethod
    def of(cls, r: reports.DeferredRevenueReport) -> DeferredRevenueOut:
        return cls(
            as_of=r.as_of,
            recognized_through=r.recognized_through,
            rows=[
                DeferredRowOut(
                    customer_id=x.customer_id,
                    customer_name=x.customer_name,
                    account=x.account,
                    currency=x.amount.currency,
                    amount=money(x.amount),
                )
                for x in r.rows
            ],
            totals=[
                DeferredTotalOut(
                    account=t.account, currency=t.ledger.currency, schedules=money(t.schedules), ledger=money(t.ledger)
                )
                for t in r.totals
            ],
            reconciled=r.reconciled,
        )


@router.get(
    "/reports/deferred-revenue",
    response_model=DeferredRevenueOut,
    responses=problems(403),
    summary="Deferred revenue as of a date, per customer and account, beside the ledger",
)
def deferred_revenue(ctx: Call, as_of: DateQ) -> Response:
    return ctx.read(lambda uow: DeferredRevenueOut.of(reports.deferred_revenue(uow, ctx.actor, as_of=as_of)))


class WaterfallRowOut(Out):
    month: str
    currency: str
    recognized: MoneyStr
    credits: MoneyStr
    net: MoneyStr
    credits_deferred: MoneyStr
    deferred_end: MoneyStr


class WaterfallOut(Out):
    object: str = "revenue_waterfall"
    start: date = Field(description="The range asked for (from).")
    end: date = Field(description="... and to.")
    rows: list[WaterfallRowOut]

    @classmethod
    def of(cls, w: reports.Waterfall) -> WaterfallOut:
        return cls.model_validate(
            {
                "start": w.start,
                "end": w.end,
                "rows": [
                    WaterfallRowOut(
                        month=r.month,
                        currency=r.recognized.currency,
                        recognized=money(r.recognized),
                        credits=money(r.credits),
                        net=money(r.net),
                        credits_deferred=money(r.credits_deferred),
                        deferred_end=money(r.deferred_end),
                    )
                    for r in w.rows
                ],
            }
        )


@router.get(
    "/reports/revenue-waterfall",
    response_model=WaterfallOut,
    responses=problems(403),
    summary="Revenue recognized per month, the credits' effect as its own column, deferred revenue at month end",
)
def revenue_waterfall(
    ctx: Call,
    start: Annotated[str, Query(alias="from", max_length=10, examples=["2026-01-01"])],
    end: Annotated[str, Query(alias="to", max_length=10, examples=["2026-12-31"])],
) -> Response:
    return ctx.read(lambda uow: WaterfallOut.of(reports.revenue_waterfall(uow, ctx.actor, start=start, end=end)))


class ScheduleMonthOut(Out):
    month: str
    due_on: date
    amount: MoneyStr
    credited: MoneyStr
    recognized: MoneyStr
    deferred: MoneyStr


class LineScheduleOut(Out):
    invoice_line_id: str
    line_no: int
    description: str
    deferred_account: str
    currency: str
    net_amount: MoneyStr
    recognized: MoneyStr
    deferred: MoneyStr
    credited: MoneyStr
    months: list[ScheduleMonthOut]


class InvoiceScheduleOut(Out):
    object: str = "revenue_schedule"
    invoice_id: str
    lines: list[LineScheduleOut]


@router.get(
    "/invoices/{invoice_id}/revenue-schedule",
    response_model=InvoiceScheduleOut,
    responses=problems(403, 404),
    summary="Each scheduled line by month: recognized, deferred and credited to date",
)
def invoice_revenue_schedule(invoice_id: Annotated[str, Path(max_length=40)], ctx: Call) -> Response:
    def run(uow: UnitOfWork) -> InvoiceScheduleOut:
        lines = reports.invoice_schedule(uow, ctx.actor, invoice_id)
        return InvoiceScheduleOut(
            invoice_id=invoice_id,
            lines=[
                LineScheduleOut(
                    invoice_line_id=s.invoice_line_id,
                    line_no=s.line_no,
                    description=s.description,
                    deferred_account=s.deferred_account,
                    currency=s.net.currency,
                    net_amount=money(s.net),
                    recognized=money(s.recognized),
                    deferred=money(s.deferred),
                    credited=money(s.credited),
                    months=[
                        ScheduleMonthOut(
                            month=m.month,
                            due_on=m.due_on,
                            amount=money(m.amount),
                            credited=money(m.credited),
                            recognized=money(m.recognized),
                            deferred=money(m.deferred),
                        )
                        for m in s.months
                    ],
                )
                for s in lines
            ],
        )

    return ctx.read(run)
