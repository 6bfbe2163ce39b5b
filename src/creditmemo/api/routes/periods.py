"""/v1/periods: a company closes a month (controller or admin), and nothing can be dated in it until it is
reopened with a reason (issue 17 item 2). Closing and reopening are audited events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import Field

from creditmemo.api.deps import Call
from creditmemo.api.problems import problems
from creditmemo.api.schemas.common import In, Out
from creditmemo.services import periods as svc

router = APIRouter(prefix="/periods", tags=["periods"])
PeriodPath = Annotated[str, Path(max_length=7, examples=["2026-03"], description="The month, YYYY-MM.")]


class PeriodOut(Out):
    object: str = "period"
    period: str = Field(examples=["2026-03"])
    status: str = Field(description="open | closed")
    closed_at: datetime | None
    closed_by: str | None
    reopened_at: datetime | None
    reopened_by: str | None
    reopen_reason: str | None

    @classmethod
    def of(cls, p: svc.PeriodView) -> PeriodOut:
        return cls(
            period=p.period,
            status=p.status,
            closed_at=p.closed_at,
            closed_by=p.closed_by,
            reopened_at=p.reopened_at,
            reopened_by=p.reopened_by,
            reopen_reason=p.reopen_reason,
        )


class PeriodList(Out):
    object: str = "list"
    data: list[PeriodOut]


class PeriodReopen(In):
    model_config = In.model_config | {"json_schema_extra": {"examples": [{"reason": "Late supplier credit."}]}}
    reason: Annotated[str | None, Field(max_length=2000, description="Required: why the month is reopened.")] = None


@router.get("", response_model=PeriodList, responses=problems(403), summary="Months with their status")
def list_periods(ctx: Call) -> Response:
    """The last twelve months and every month ever closed, newest first, with who closed (or reopened) each."""
    return ctx.read(lambda uow: PeriodList(data=[PeriodOut.of(p) for p in svc.list_periods(uow, ctx.actor)]))


@router.post(
    "/{period}/close",
    response_model=PeriodOut,
    responses=problems(403, 409),
    summary="Close a month: nothing can be dated in it any more",
)
def close_period(period: PeriodPath, ctx: Call) -> Response:
    """Controller or admin. Waits for the dated writes in flight; `409 invalid_transition` if already closed."""
    return ctx.write(lambda uow: PeriodOut.of(svc.close_period(uow, ctx.actor, period)), idempotent=False)


@router.post(
    "/{period}/reopen",
    response_model=PeriodOut,
    responses=problems(403, 409, 413),
    summary="Reopen a closed month (a reason is required)",
)
def reopen_period(period: PeriodPath, body: PeriodReopen, ctx: Call) -> Response:
    """Controller or admin; `422` naming `reason` without one; `409 invalid_transition` if it is open."""
    return ctx.write(
        lambda uow: PeriodOut.of(svc.reopen_period(uow, ctx.actor, period, reason=body.reason)), idempotent=False
    )
