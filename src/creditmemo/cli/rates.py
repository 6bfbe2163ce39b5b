"""`creditmemo rates import FILE.csv` and `creditmemo rates list`: the company's exchange-rate table
(services/exchange_rates.py)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from creditmemo.cli.common import DbUrl, Json, database, emit_json, err, fail, out
from creditmemo.cli.settlement import writer
from creditmemo.domain.errors import DomainError, ValidationFailedError
from creditmemo.services.exchange_rates import import_rates, list_rates

COLUMNS = ("currency", "date", "rate")


def register(app: typer.Typer) -> None:
    rates_app = typer.Typer(help="Exchange rates to the company currency.", no_args_is_help=True)
    app.add_typer(rates_app, name="rates")

    @rates_app.command("import")
    def import_cmd(
        file: Annotated[Path, typer.Argument(help="CSV with a header row: currency, date (YYYY-MM-DD), rate.")],
        company: Annotated[str, typer.Option("--company", help="Company slug.")] = "demo",
        database_url: DbUrl = None,
        as_json: Json = False,
    ) -> None:
        """Set one rate per row (a rate already set for that currency and date is replaced). Bad rows are
        listed with their row number and field; the good ones are kept. Exit 1 when a row was refused."""
        try:
            with file.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
                if missing:
                    raise ValidationFailedError.single("file", f"Missing columns: {', '.join(missing)}.", "header")
                rows = [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
        except OSError as e:
            fail(ValidationFailedError.single("file", str(e), "unreadable"))
        except (ValidationFailedError, csv.Error, UnicodeDecodeError) as e:
            fail(e if isinstance(e, ValidationFailedError) else ValidationFailedError.single("file", str(e), "csv"))
        db = database(database_url)
        try:
            columns = (TextColumn("rates"), BarColumn(), MofNCompleteColumn())
            with Progress(*columns, console=err, transient=as_json) as bar, db.uow() as uow:
                task = bar.add_task("rows", total=len(rows))
                done, errors = import_rates(
                    uow, writer(uow, company), rows, progress=lambda n: bar.update(task, completed=n)
                )
        except DomainError as e:
            fail(e)
        finally:
            db.dispose()
        if as_json:
            emit_json(
                {
                    "set": done,
                    "errors": [{"row": n, "field": p.field, "code": p.code, "message": p.message} for n, p in errors],
                }
            )
        else:
            out.print(f"{done} rates set, {len({n for n, _ in errors})} rows refused")
            if errors:
                table = Table("row", "field", "code", "message", title="Refused rows (nothing written for them)")
                for n, problem in errors:
                    table.add_row(str(n), problem.field, problem.code, problem.message)
                err.print(table)
        if errors:
            raise typer.Exit(1)

    @rates_app.command("list")
    def list_cmd(
        company: Annotated[str, typer.Option("--company", help="Company slug.")] = "demo",
        currency: Annotated[str | None, typer.Option("--currency", help="Only this currency.")] = None,
        database_url: DbUrl = None,
        as_json: Json = False,
    ) -> None:
        """The rate table: a document of a day takes the latest rate on or before it."""
        db = database(database_url)
        try:
            with db.uow(readonly=True) as uow:
                found = list_rates(uow, writer(uow, company), currency=currency)
        except DomainError as e:
            fail(e)
        finally:
            db.dispose()
        if as_json:
            emit_json([{"currency": r.currency, "date": str(r.day), "rate": format(r.rate, "f")} for r in found])
            return
        table = Table("currency", "date", "rate")
        for r in found:
            table.add_row(r.currency, str(r.day), format(r.rate, "f"))
        out.print(table)
