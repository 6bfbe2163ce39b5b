"""`creditmemo sla-credits import FILE.csv`: SLA outage credits in bulk, with a progress bar and every bad row
reported (services/memos/sla_import.py)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from creditmemo.cli.common import DbUrl, Json, database, emit_json, err, fail, out
from creditmemo.cli.settlement import writer
from creditmemo.domain.errors import DomainError, ValidationFailedError
from creditmemo.services.memos.sla_import import COLUMNS, check_header, import_sla_credits


def register(app: typer.Typer) -> None:
    sla_app = typer.Typer(help="SLA outage credits.", no_args_is_help=True)
    app.add_typer(sla_app, name="sla-credits")

    @sla_app.command("import")
    def import_cmd(
        file: Annotated[Path, typer.Argument(help=f"CSV with a header row: {', '.join(COLUMNS)}.")],
        company: Annotated[str, typer.Option("--company", help="Company slug.")] = "demo",
        post: Annotated[
            bool, typer.Option("--post/--no-post", help="Post each credit (default) or leave drafts.")
        ] = True,
        apply_to_next_invoice: Annotated[
            bool, typer.Option("--apply-to-next-invoice", help="Apply each credit to the customer's next invoice.")
        ] = False,
        jobs: Annotated[int, typer.Option("--jobs", min=1, max=16, help="Rows at once (PostgreSQL).")] = 4,
        database_url: DbUrl = None,
        as_json: Json = False,
    ) -> None:
        """One SLA credit per row (customer_id, invoice_line_id, outage_minutes, incident_reference): posted, or
        submitted when the approval policy applies; rows whose incident is already credited are skipped (so a
        re-run after a failure creates nothing twice). Exit 1 when a row failed; the others are kept."""
        try:
            with file.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                missing = check_header(reader.fieldnames)
                if missing:
                    raise ValidationFailedError.single("file", f"Missing columns: {', '.join(missing)}.", "header")
                rows = list(reader)
        except OSError as e:
            fail(ValidationFailedError.single("file", str(e), "unreadable"))
        except (ValidationFailedError, csv.Error, UnicodeDecodeError) as e:
            fail(e if isinstance(e, ValidationFailedError) else ValidationFailedError.single("file", str(e), "csv"))
        db = database(database_url, sealing="background")  # one seal per burst of rows, not one per row
        try:
            with db.uow(readonly=True) as uow:
                actor = writer(uow, company)
            columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
            with Progress(*columns, console=err, transient=as_json) as bar:
                task = bar.add_task("rows", total=len(rows))
                report = import_sla_credits(
                    db,
                    actor,
                    rows,
                    post=post,
                    apply_to_next_invoice=apply_to_next_invoice,
                    jobs=jobs,
                    progress=lambda done: bar.update(task, completed=done),
                )
        except DomainError as e:
            fail(e)
        finally:
            db.dispose()
        if as_json:
            emit_json(
                {
                    "created": report.created,
                    "posted": report.posted,
                    "submitted": report.submitted,
                    "skipped": report.skipped,
                    "numbers": report.numbers,
                    "errors": [
                        {"row": r.row, "field": r.field, "code": r.code, "message": r.message} for r in report.errors
                    ],
                }
            )
        else:
            out.print(
                f"{report.created} credits created ({report.posted} posted, {report.submitted} waiting for "
                f"approval), {report.skipped} already credited, {len(report.errors)} rows refused"
            )
            if report.errors:
                table = Table("row", "field", "code", "message", title="Refused rows (nothing written for them)")
                for row_error in report.errors:
                    table.add_row(str(row_error.row), row_error.field or "", row_error.code, row_error.message)
                err.print(table)
        if report.errors:
            raise typer.Exit(1)
