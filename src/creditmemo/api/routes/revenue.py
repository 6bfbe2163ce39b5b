"""/v1/revenue (issue 12): the recognition run, a controller's action. Revenue reports are under /v1/reports."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import Field

from creditmemo.api.deps import Writer
from creditmemo.api.problems import problems
from creditmemo.api.schemas.common import In, MoneyStr, Out, money
from creditmemo.services import revenue as svc

router = APIRouter(prefix="/revenue", tags=["revenue"])


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
    "/recognize",
    response_model=RecognitionOut,
    responses=problems(403, 409, 413),
    summary="Recognize deferred revenue due through a date (controller); idempotent",
)
def recognize(body: RecognizeIn, ctx: Writer) -> Response:
    """One journal entry per month (Dr deferred revenue, Cr each line's revenue account). Running it again, or
    through a date before the last run, posts nothing. Two runs at once: one posts, the other finds nothing
    left. 409: the Idempotency-Key was used with a different body."""
    return ctx.write(lambda uow: RecognitionOut.of(svc.recognize(uow, ctx.actor, through=body.through)), body=body)
