"""The command line: `creditmemo db upgrade`, `creditmemo demo`, and commands that show memos,
journal entries and balances (``--json`` for machines)."""

import typer
from rich.table import Table

from creditmemo.cli.common import DbUrl, Json, database, emit_json, fail, out
from creditmemo.domain.errors import DomainError

app = typer.Typer(help="creditmemo: credit and debit memos on a double-entry ledger.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(database_url: DbUrl = None, revision: str = "head") -> None:
    """Create or upgrade the schema to the latest migration (safe on a database with data)."""
    from creditmemo.store import migrate  # Alembic: imported by the commands that migrate, not at every start

    db = database(database_url)
    before = migrate.current_revision(db.engine)
    migrate.upgrade(db.engine, revision)
    after = migrate.current_revision(db.engine)
    out.print(f"database at revision {after} (was {before or 'empty'})")


@app.command()
def demo(database_url: DbUrl = None, as_json: Json = False) -> None:
    """Load the demo company (migrating first) and print its memos and returns; on a database that already has
    it, change nothing and print them as they stand (--json: the same as JSON, with "created": false)."""
    from creditmemo.services.demo import load_demo, summarize_demo
    from creditmemo.store import migrate

    db = database(database_url)
    migrate.upgrade(db.engine)
    try:
        summary = load_demo(db)
    except DomainError as e:
        fail(e)
    if not summary.created:
        summary = summarize_demo(db, summary.company_id, created=False)
    if as_json:
        emit_json(
            {
                "company_id": summary.company_id,
                "created": summary.created,
                "memos": [{"number": n, "status": s, "total": t, "customer": c} for n, s, t, c in summary.memos],
                "returns": [{"number": n, "status": s, "invoice": i, "customer": c} for n, s, i, c in summary.returns],
            }
        )
        return
    table = Table(title="Demo company: memos")
    for col in ("number", "status", "total", "customer"):
        table.add_column(col, justify="right" if col == "total" else "left")
    for row in summary.memos:
        table.add_row(*row)
    out.print(table)
    returns = Table(title="Demo company: returns")
    for col in ("number", "status", "invoice", "customer"):
        returns.add_column(col)
    for row in summary.returns:
        returns.add_row(*row)
    out.print(returns)
    if not summary.created:
        out.print("The demo company already exists; nothing changed (above: its memos and returns as they stand).")


from creditmemo.cli.show import register as _register_show  # noqa: E402

_register_show(app)

from creditmemo.cli.reports import register as _register_reports  # noqa: E402
from creditmemo.cli.settlement import register as _register_settlement  # noqa: E402

_register_settlement(app)
_register_reports(app)

from creditmemo.cli.audit import register as _register_audit  # noqa: E402
from creditmemo.cli.policy import register as _register_policy  # noqa: E402
from creditmemo.cli.webhooks import register as _register_webhooks  # noqa: E402
from creditmemo.cli.worker import register as _register_worker  # noqa: E402

_register_worker(app)
_register_webhooks(app)
_register_audit(app)
_register_policy(app)

from creditmemo.cli.chart import register as _register_chart  # noqa: E402

_register_chart(app)

from creditmemo.cli.periods import register as _register_periods  # noqa: E402
from creditmemo.cli.rates import register as _register_rates  # noqa: E402
from creditmemo.cli.returns import register as _register_returns  # noqa: E402
from creditmemo.cli.revenue import register as _register_revenue  # noqa: E402
from creditmemo.cli.serve import register as _register_serve  # noqa: E402
from creditmemo.cli.sla import register as _register_sla  # noqa: E402
from creditmemo.cli.terms import register as _register_terms  # noqa: E402

_register_sla(app)
_register_terms(app)

from creditmemo.cli.integrations import register as _register_integrations  # noqa: E402

_register_integrations(app)
_register_rates(app)
_register_periods(app)
_register_returns(app)
_register_revenue(app)

_register_serve(app)


def main() -> None:
    try:
        app()
    except DomainError as e:  # last resort: a domain error never becomes a stack trace
        fail(e)


if __name__ == "__main__":
    main()
