"""The dashboard: memos by status, credits by reason per month (a server-drawn SVG chart), the amount
awaiting approval and the oldest open drafts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from creditmemo.domain.lifecycle import Status
from creditmemo.domain.money import Money
from creditmemo.presentation.locale import format_number
from creditmemo.services.dashboard import COUNT_CAP, PostedCredit, dashboard_figures
from creditmemo.web.core import ViewerDep, WebRoute, db_of, render, today

router = APIRouter(route_class=WebRoute)

MONTHS = 6
COLOURS = [
    "#1f5fbf",
    "#e07b00",
    "#2e9d5b",
    "#b3261e",
    "#7b4bc4",
    "#00838f",
    "#8d6e63",
    "#c2185b",
    "#546e7a",
    "#9e9d24",
    "#5d4037",
    "#3949ab",
]


def _month_starts(end: date, count: int) -> list[date]:
    months = []
    y, m = end.year, end.month
    for _ in range(count):
        months.append(date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return list(reversed(months))


def chart(rows: list[PostedCredit], months: list[date], currency: str) -> dict[str, Any]:
    """Stacked bars: one per month, one segment per reason, in company currency."""
    sums: dict[tuple[date, str], Money] = {}
    for r in rows:
        key = (date(r.issue_date.year, r.issue_date.month, 1), r.reason_code)
        sums[key] = sums.get(key, Money.zero(currency)) + r.amount
    reasons = sorted({reason for _, reason in sums})
    totals = [sum((sums.get((m, r), Money.zero(currency)).amount for r in reasons), Decimal(0)) for m in months]
    peak = max([*totals, Decimal(1)])
    width, height, left, bottom = 640, 240, 70, 30
    bar_w = (width - left - 10) / len(months) * 0.6
    bars = []
    for i, month in enumerate(months):
        x = left + (i + 0.2) * (width - left - 10) / len(months)
        y = float(height - bottom)
        segments = []
        for j, reason in enumerate(reasons):
            value = sums.get((month, reason))
            if value is None or not value.amount:
                continue
            h = float(value.amount / peak) * (height - bottom - 20)
            y -= h
            segments.append(
                {
                    "x": round(x, 1),
                    "y": round(y, 1),
                    "h": round(h, 1),
                    "colour": COLOURS[j % len(COLOURS)],
                    "title": f"{month:%b %Y} · {reason}: {value}",
                }
            )
        bars.append({"x": round(x, 1), "label": f"{month:%b %Y}", "segments": segments, "total": totals[i]})
    ticks = [
        {"y": round(height - bottom - float(f) * (height - bottom - 20), 1), "value": f"{peak * f:,.0f}"}
        for f in (Decimal(0), Decimal("0.5"), Decimal(1))
    ]
    reason_totals = {
        r: sum((sums.get((m, r), Money.zero(currency)) for m in months), Money.zero(currency)) for r in reasons
    }
    table = [{"reason": r, "values": [sums.get((m, r)) for m in months], "total": reason_totals[r]} for r in reasons]
    by_reason = sorted(reasons, key=lambda r: (-reason_totals[r].amount, r))
    return {
        "width": width,
        "height": height,
        "left": left,
        "bar_w": round(bar_w, 1),
        "bars": bars,
        "ticks": ticks,
        "legend": [(r, COLOURS[j % len(COLOURS)]) for j, r in enumerate(reasons)],
        "months": months,
        "table": table,
        "by_reason": [{"reason": r, "total": reason_totals[r]} for r in by_reason],
        "grand_total": sum(reason_totals.values(), Money.zero(currency)),
        "currency": currency,
        "baseline": height - bottom,
    }


@router.get("/", include_in_schema=False)
def dashboard(request: Request, v: ViewerDep) -> Response:
    now = today(request)
    months = _month_starts(now, MONTHS)
    with db_of(request).uow(readonly=True) as uow:
        figures = dashboard_figures(uow, v.actor, since=months[0])
    statuses = [str(s) for s in Status]
    table: dict[str, dict[str, int | str]] = {kind: {s: 0 for s in statuses} for kind in ("credit", "debit")}
    for c in figures.counts:
        table[c.kind][c.status] = c.n if c.n <= COUNT_CAP else f"{format_number(Decimal(COUNT_CAP), 0)}+"
    return render(
        request,
        "dashboard.html",
        statuses=statuses,
        counts=table,
        chart=chart(figures.posted_credit_by_day, months, figures.currency),
        awaiting=figures.awaiting_approval,
        awaiting_count=figures.awaiting_count,
        drafts=figures.oldest_drafts,
        today=now,
    )
