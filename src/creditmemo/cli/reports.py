"""Report commands: statement, aging, register, trial balance (``--json`` for machines), and
``reconcile``, which exits 1 when the ledger and the sub-ledgers disagree."""

import dataclasses
from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from creditmemo.cli.common import DbUrl, Json, database, emit_json, err, fail, out
from creditmemo.cli.show import Company, reader
from creditmemo.domain.errors import DomainError
from creditmemo.domain.money import Money
from creditmemo.services import references
from creditmemo.services.reports import ar_aging, credit_memo_register, customer_statement, reconcile, trial_balance

Opt = typer.Option


def plain(value: Any) -> Any:
    """Frozen report values as JSON-ready data: Money as a decimal string, dates as ISO text."""
    if isinstance(value, Money):
        return str(value.amount)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    t = Table(title=title)
    for i, col in enumerate(columns):
        t.add_column(col, justify="left" if i < 2 else "right")
    for row in rows:
        t.add_row(*[str(plain(v)) if v is not None else "" for v in row])
    out.print(t)


def register(app: typer.Typer) -> None:
    report_app = typer.Typer(help="AR reports.", no_args_is_help=True)
    app.add_typer(report_app, name="report")

    @report_app.command("statement")
    def statement(
        customer: str,
        start: Annotated[str | None, Opt(help="First day (default: the first of the month --end is in).")] = None,
        end: Annotated[str | None, Opt(help="Last day (default: today).")] = None,
        company: Company = "demo",
        database_url: DbUrl = None,
        as_json: Json = False,
    ) -> None:
        """A customer's statement: opening balance, documents and settlements, closing balance."""
        try:
            with database(database_url).uow(readonly=True) as uow:
                actor = reader(uow, company)
                st = customer_statement(uow, actor, references.customer_id(uow, actor, customer), start=start, end=end)
        except DomainError as e:
            fail(e)
        if as_json:
            emit_json(plain(st))
            return
        rows = [
            [
                line.date,
                line.kind,
                line.number,
                line.description,
                line.debit.amount or "",
                line.credit.amount or "",
                line.balance,
            ]
            for line in st.lines
        ]
        out.print(f"{st.customer_name} ({st.currency}) {st.start} to {st.end}: opening {st.opening_balance.amount}")
        table("Statement", ["date", "kind", "number", "description", "debit", "credit", "balance"], rows)
        out.print(f"closing {st.closing_balance.amount} {st.currency}")

    @report_app.command("aging")
    def aging(
        as_of: Annotated[str, Opt(help="YYYY-MM-DD")] = date.today().isoformat(),
        company: Company = "demo",
        database_url: DbUrl = None,
        as_json: Json = False,
    ) -> None:
        """AR aging: amount due by days past due, per customer and total; unapplied credit beside it."""
        try:
            with database(database_url).uow(readonly=True) as uow:
                result = ar_aging(uow, reader(uow, company), as_of=as_of)
        except DomainError as e:
            fail(e)
        if as_json:
            emit_json(plain(result))
            return
        cols = ["customer", "currency", "current", "1-30", "31-60", "61-90", "90+", "total due", "unapplied", "net"]
        table(
            f"AR aging as of {result.as_of}",
            cols,
            [[r.customer_name, r.currency, *r.amounts] for r in (*result.rows, *result.totals)],
        )

    @report_app.command("register")
    def register_cmd(
        start: Annotated[str | None, Opt()] = None,
        end: Annotated[str | None, Opt()] = None,
        reason: Annotated[str | None, Opt()] = None,
        status: Annotated[str | None, Opt()] = None,
        customer: Annotated[str | None, Opt()] = None,
        period: Annotated[str | None, Opt(help="A month, YYYY-MM, instead of --start/--end.")] = None,
        company: Company = "demo",
        database_url: DbUrl = None,
        as_json: Json = False,
    ) -> None:
        """Credit memo register by dates or period, reason, status and customer, with totals."""
        try:
            with database(database_url).uow(readonly=True) as uow:
                actor = reader(uow, company)
                cid = references.customer_id(uow, actor, customer) if customer else None
                result = credit_memo_register(
                    uow,
                    actor,
                    start=start,
                    end=end,
                    reason_code=reason,
                    status=status,
                    customer_id=cid,
                    period=period,
                )
        except DomainError as e:
            fail(e)
        if as_json:
            emit_json(plain(result))
            return
        table(
            "Credit memo register",
            ["number", "date", "customer", "reason", "status", "total", "applied", "refunded", "available"],
            [
                [
                    r.number,
                    r.issue_date,
                    r.customer_name,
                    r.reason_code,
                    r.status,
                    r.total,
                    r.amount_applied,
                    r.amount_refunded,
                    r.amount_available,
                ]
                for r in result.rows
            ],
        )
        for t in result.totals:
            out.print(f"{t.count} memos: total {t.total}, applied {t.amount_applied}, refunded {t.amount_refunded}")
        table(
            "By reason",
            ["reason", "description", "memos", "total", "applied", "refunded"],
            [
                [t.reason_code, t.description, t.count, t.total, t.amount_applied, t.amount_refunded]
                for t in result.by_reason
            ],
        )

    @report_app.command("trial-balance")
    def trial_balance_cmd(
        as_of: Annotated[str | None, Opt()] = None,
        period: Annotated[str | None, Opt(help="A month, YYYY-MM: the balances at its close.")] = None,
        company: Company = "demo",
        database_url: DbUrl = None,
        as_json: Json = False,
    ) -> None:
        """Debits and credits per account in the company currency, from the journal."""
        try:
            with database(database_url).uow(readonly=True) as uow:
                tb = trial_balance(uow, reader(uow, company), as_of=as_of, period=period)
        except DomainError as e:
            fail(e)
        if as_json:
            emit_json({**plain(tb), "balanced": tb.balanced})
            return
        table(
            f"Trial balance ({tb.currency})",
            ["account", "name", "debit", "credit", "balance"],
            [[r.account, r.name, r.debit, r.credit, r.balance] for r in tb.rows],
        )
        out.print(
            f"totals {tb.total_debit.amount} / {tb.total_credit.amount}: "
            f"{'balanced' if tb.balanced else 'NOT BALANCED'}"
        )

    @app.command("reconcile")
    def reconcile_cmd(company: Company = "demo", database_url: DbUrl = None, as_json: Json = False) -> None:
        """Check that every entry balances, AR equals the customer balances, and running totals match
        their records. Exits 1 when any check fails."""
        try:
            with database(database_url).uow(readonly=True) as uow:
                result = reconcile(uow, reader(uow, company))
        except DomainError as e:
            fail(e)
        if as_json:
            emit_json(plain(result))
        elif result.ok:
            out.print("reconciled: " + "; ".join(result.checks))
        else:
            for p in result.problems:
                err.print(f"[red]problem[/red] {p}", highlight=False)
        if not result.ok:
            raise typer.Exit(1)
