"""`creditmemo periods list|close|reopen`: the months a company has closed (issue 17 item 2;
services/periods.py). Nothing can be dated in a closed month until it is reopened with a reason."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from creditmemo.cli.common import DbUrl, Json, database, emit_json, fail, in_uow, out
from creditmemo.cli.settlement import writer
from creditmemo.cli.show import Company, reader
from creditmemo.domain.errors import DomainError
from creditmemo.services.periods import PeriodView, close_period, list_periods, reopen_period

Period = Annotated[str, typer.Argument(help="The month, YYYY-MM (e.g. 2026-03).")]


def _json(p: PeriodView) -> dict[str, object]:
    return {
        "period": p.period,
        "status": p.status,
        "closed_at": p.closed_at.isoformat() if p.closed_at else None,
        "closed_by": p.closed_by,
        "reopened_at": p.reopened_at.isoformat() if p.reopened_at else None,
        "reopened_by": p.reopened_by,
        "reopen_reason": p.reopen_reason,
    }


def register(app: typer.Typer) -> None:
    periods_app = typer.Typer(
        help="Accounting periods (months): list them, close one, reopen one with a reason.", no_args_is_help=True
    )
    app.add_typer(periods_app, name="periods")

    @periods_app.command("list")
    def list_cmd(company: Company = "demo", database_url: DbUrl = None, as_json: Json = False) -> None:
        """The last twelve months and every month ever closed, newest first, with who closed each and when."""
        rows = in_uow(database_url, lambda uow: list_periods(uow, reader(uow, company)), readonly=True)
        if as_json:
            emit_json([_json(p) for p in rows])
            return
        table = Table("period", "status", "closed at", "closed by", "reopened at", "reason", title="Periods")
        for p in rows:
            table.add_row(
                p.period,
                p.status,
                p.closed_at.isoformat(timespec="seconds") if p.closed_at else "",
                p.closed_by or ("cli/system" if p.closed_at else ""),
                p.reopened_at.isoformat(timespec="seconds") if p.reopened_at else "",
                p.reopen_reason or "",
            )
        out.print(table)

    @periods_app.command("close")
    def close_cmd(period: Period, company: Company = "demo", database_url: DbUrl = None, as_json: Json = False) -> None:
        """Close a month: from now on nothing (invoice, memo, posting, void, application, refund, payment,
        return receipt) can be dated in it. Waits for the writes in flight. Audited."""
        try:
            p = database(database_url).transact(lambda uow: close_period(uow, writer(uow, company), period))
        except DomainError as e:
            fail(e)
        if as_json:
            emit_json(_json(p))
        else:
            out.print(f"{p.period} closed")

    @periods_app.command("reopen")
    def reopen_cmd(
        period: Period,
        reason: Annotated[str, typer.Option("--reason", help="Why the month is reopened (required; audited).")],
        company: Company = "demo",
        database_url: DbUrl = None,
        as_json: Json = False,
    ) -> None:
        """Reopen a closed month, with the reason recorded in the audit trail."""
        try:
            p = database(database_url).transact(
                lambda uow: reopen_period(uow, writer(uow, company), period, reason=reason)
            )
        except DomainError as e:
            fail(e)
        if as_json:
            emit_json(_json(p))
        else:
            out.print(f"{p.period} reopened")
