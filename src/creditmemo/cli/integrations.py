"""`creditmemo import invoices FILE` (invoices in bulk from a billing system, with a progress bar) and
`creditmemo export journal` (the general journal as a file an ERP loads), issue 13 items 1 and 2."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from creditmemo.cli.common import DbUrl, Json, database, emit_json, err, fail, out
from creditmemo.cli.settlement import writer
from creditmemo.cli.show import reader
from creditmemo.domain.errors import DomainError, ValidationFailedError
from creditmemo.services import journal
from creditmemo.services.imports.invoices import CHUNK, ImportInterruptedError, ImportReport, import_invoices
from creditmemo.services.imports.sources import read_file

Company = Annotated[str, typer.Option("--company", help="Company slug.")]


def register(app: typer.Typer) -> None:
    import_app = typer.Typer(help="Import documents from other systems.", no_args_is_help=True)
    export_app = typer.Typer(help="Export for other systems.", no_args_is_help=True)
    app.add_typer(import_app, name="import")
    app.add_typer(export_app, name="export")

    @import_app.command("invoices")
    def import_invoices_cmd(
        file: Annotated[Path, typer.Argument(help="FILE.csv (one row per invoice line) or FILE.json (an array).")],
        company: Company = "demo",
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row; keep nothing.")] = False,
        chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, max=5000, help="Invoices per transaction.")] = (
            CHUNK
        ),
        jobs: Annotated[
            int,
            typer.Option(
                "--jobs",
                min=1,
                max=16,
                help="Processes (PostgreSQL): each takes whole customers; numbers then follow no single file order.",
            ),
        ] = 1,
        database_url: DbUrl = None,
        as_json: Json = False,
    ) -> None:
        """Import invoices, each with an external_id: re-running a file creates nothing twice (already present
        ones are counted and skipped), so a run that stopped half-way is finished by running it again. Every
        bad row is reported (row, field, message); the good invoices are kept. Exit 1 when a row was rejected,
        2 when the database failed mid-file."""
        kind = "json" if file.suffix.lower() == ".json" else "csv"
        try:
            invoices = read_file(file.read_bytes(), kind)
        except OSError as e:
            fail(ValidationFailedError.single("file", str(e), "unreadable"))
        except ValidationFailedError as e:
            fail(e)
        db = database(database_url, sealing="background")  # one seal per burst of chunks
        total = sum(len(i.rows) for i in invoices)
        try:
            with db.uow(readonly=True) as uow:
                actor = writer(uow, company)
            columns = (TextColumn("importing rows"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
            with Progress(*columns, console=err, transient=as_json) as bar:
                task = bar.add_task("rows", total=total)
                report = import_invoices(
                    db,
                    actor,
                    invoices,
                    dry_run=dry_run,
                    chunk_size=chunk_size,
                    jobs=jobs,
                    progress=lambda done: bar.update(task, completed=done),
                )
        except DomainError as e:
            fail(e)
        except ImportInterruptedError as e:
            _print(e.report, as_json=as_json)
            err.print(f"[red]error[/red] {e}", highlight=False)
            raise typer.Exit(2) from None
        finally:
            db.dispose()
        _print(report, as_json=as_json)
        if report.errors:
            raise typer.Exit(1)

    @export_app.command("journal")
    def export_journal_cmd(
        date_from: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (inclusive).")],
        date_to: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (inclusive).")],
        fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
        summary: Annotated[bool, typer.Option("--summary", help="Totals per account and currency instead.")] = False,
        output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
        company: Company = "demo",
        database_url: DbUrl = None,
    ) -> None:
        """The journal lines of entries dated in the period, one row per line (entry id, posting sequence, date,
        source document number, account, debit, credit, currency, functional amounts), in posting order; or,
        with --summary, the period's debits and credits per account."""
        if fmt not in ("csv", "json"):
            fail(ValidationFailedError.single("format", "csv or json.", "invalid"))
        db = database(database_url)
        try:
            db.seal()  # entries committed but not yet in the posting order get their place first
            with db.uow(readonly=True) as uow:
                actor = reader(uow, company)
                rows = journal.export_journal(uow, actor, date_from=date_from, date_to=date_to)
        except DomainError as e:
            fail(e)
        finally:
            db.dispose()
        data = journal.summarize(rows) if summary else rows
        columns = journal.SUMMARY_COLUMNS if summary else journal.EXPORT_COLUMNS
        text = json.dumps(data, indent=2) + "\n" if fmt == "json" else _csv(data, columns)
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
            err.print(f"{len(data)} rows written to {output}", highlight=False)


def _csv(rows: list[dict[str, str]], columns: tuple[str, ...]) -> str:
    buffer = io.StringIO(newline="")
    w = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buffer.getvalue()


def _print(report: ImportReport, *, as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "dry_run": report.dry_run,
                "created": report.created,
                "already_present": report.already_present,
                "rejected": report.rejected,
                "lines": report.lines,
                "customers_created": report.customers_created,
                "errors": [
                    {"row": e.row, "field": e.field, "code": e.code, "message": e.message} for e in report.errors
                ],
            }
        )
        return
    out.print(report.summary(), highlight=False, soft_wrap=True)
    if report.errors:
        table = Table("row", "field", "code", "message", title="Rejected rows (their invoices were not imported)")
        for e in report.errors:
            table.add_row(str(e.row), e.field or "", e.code, e.message)
        err.print(table)
