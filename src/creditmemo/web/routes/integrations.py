"""Integrations in the browser (issue 13 item 6): the Imports page (upload a CSV of invoices, see the counts and
every row error, download the rejected rows as CSV) and the journal page with its "Export journal" download
(a CSV of the journal lines of a date range). Same services as the API and the CLI."""

from __future__ import annotations

import csv
import io
import logging
import queue
import threading
from collections.abc import Iterator, Sequence
from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.datastructures import UploadFile

from creditmemo.domain.errors import DomainError, ValidationFailedError
from creditmemo.services import journal
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.chart import list_accounts
from creditmemo.services.imports.invoices import ImportInterruptedError, ImportReport, import_invoices
from creditmemo.services.imports.sources import COLUMNS, RowError, SourceInvoice, read_file
from creditmemo.store.uow import Database
from creditmemo.web.core import FormDep, ViewerDep, WebRoute, WriterDep, db_of, env, field_errors, render
from creditmemo.web.once import token_is_valid

router = APIRouter(route_class=WebRoute)
log = logging.getLogger("creditmemo.web")
ERRORS_COLUMN = "import_errors"


# imports --------------------------------------------------------------------------------------------------------
@router.get("/imports", include_in_schema=False)
def imports_page(request: Request, v: ViewerDep) -> Response:
    authorize(v.actor, Permission.ISSUE_INVOICE)
    return render(request, "imports.html", report=None, errors={}, columns=COLUMNS, rejected_csv="")


@router.post("/imports", include_in_schema=False)
async def imports_upload(request: Request, v: WriterDep, form: FormDep) -> Response:
    """Run the import (many transactions, a few hundred invoices each). The form carries a one-time form_token
    like every writing form; the import itself is idempotent by external_id, so a second submit of the same
    file creates nothing and says so ("already present")."""
    authorize(v.actor, Permission.ISSUE_INVOICE)
    if not token_is_valid(v, form):
        message = "This form has no valid one-time token. Reload the page and send the file again."
        return render(request, "error.html", 400, title="Form expired", message=message)
    upload = form.get("file")
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    dry_run = form.get("dry_run") is not None
    if not data:
        return _page(request, None, {"file": "Choose a CSV file to import."}, "", 422)
    try:
        invoices = read_file(data, "csv")
    except ValidationFailedError as e:
        return _page(request, None, {"file": "; ".join(fe.message for fe in e.errors) or e.detail}, "", 422)
    run = ImportRun(db_of(request), v.actor, invoices, data, dry_run)
    run.start()
    viewer = getattr(request.state, "viewer", None)
    page = env.get_template("imports.html").generate(
        request=request, viewer=viewer, path=request.url.path, report=None, errors={}, columns=COLUMNS, run=run
    )
    # Streamed: the page, then a progress line after each chunk of a few hundred invoices (the browser shows the
    # last one), then the result; an upload of 100,000 lines shows it is moving instead of a blank wait.
    return StreamingResponse(page, media_type="text/html; charset=utf-8")


class ImportRun:
    """One upload's import, run in a thread of its own; ``progress()`` yields the rows done after each chunk
    until it ends, then ``report``, ``failure`` and ``rejected_csv`` say how it went."""

    def __init__(self, db: Database, actor: Actor, invoices: Sequence[SourceInvoice], data: bytes, dry_run: bool):
        self.db, self.actor, self.invoices, self.data, self.dry_run = db, actor, invoices, data, dry_run
        self.rows = sum(len(i.lines) for i in invoices)
        self.report: ImportReport | None = None
        self.failure = ""
        self.rejected_csv = ""
        self._steps: queue.Queue[int | None] = queue.Queue()

    def start(self) -> None:
        threading.Thread(target=self._run, name="web-import", daemon=True).start()

    def _run(self) -> None:
        try:
            self.report = import_invoices(
                self.db, self.actor, self.invoices, dry_run=self.dry_run, progress=self._steps.put
            )
        except ImportInterruptedError as e:
            self.report, self.failure = e.report, str(e)
        except DomainError as e:
            self.failure = e.detail
        except Exception:  # the page must end with words, never a stack trace; the log has the details
            log.exception("web import failed")
            self.failure = "The import stopped on an unexpected error; invoices of completed chunks are kept."
        finally:
            if self.report is not None:
                self.rejected_csv = _rejected_rows(self.data, self.report.errors)
            self._steps.put(None)

    def progress(self) -> Iterator[int]:
        while (rows := self._steps.get()) is not None:
            yield rows


def _page(
    request: Request, report: ImportReport | None, errors: dict[str, str], rejected: str, status: int
) -> Response:
    return render(request, "imports.html", status, report=report, errors=errors, columns=COLUMNS, rejected_csv=rejected)


def _rejected_rows(data: bytes, errors: list[RowError]) -> str:
    """The rows of the rejected invoices as CSV (the file's own columns plus the errors of each row): fix them
    and upload this file again."""
    if not errors:
        return ""
    text = data.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    by_row: dict[int, list[str]] = {}
    for e in errors:
        by_row.setdefault(e.row, []).append(str(e))
    rows = list(enumerate(reader, start=1))
    rejected_ids = {(row.get("external_id") or "").strip() for n, row in rows if n in by_row}
    rejected_ids.discard("")
    out = io.StringIO(newline="")
    columns = [c.strip() for c in reader.fieldnames or ()]
    w = csv.writer(out, lineterminator="\n")
    w.writerow([*columns, ERRORS_COLUMN])
    for n, row in rows:
        if n in by_row or (row.get("external_id") or "").strip() in rejected_ids:
            w.writerow([*(row.get(c) or "" for c in (reader.fieldnames or ())), " | ".join(by_row.get(n, []))])
    return out.getvalue()


@router.post("/imports/rejected.csv", include_in_schema=False)
def imports_rejected_download(request: Request, v: WriterDep, form: FormDep) -> Response:
    """Hands back the rejected rows the result page holds, as a file (nothing is written)."""
    text = str(form.get("rows") or "")
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="rejected-invoice-rows.csv"'},
    )


# the journal and its export -------------------------------------------------------------------------------------
@router.get("/journal", include_in_schema=False)
def journal_page(request: Request, v: ViewerDep) -> Response:
    with db_of(request).uow(readonly=True) as uow:
        entries, _ = journal.list_journal_entries(uow, v.actor, sort="-created_at", limit=30)
        accounts = {str(a["code"]): str(a["name"]) for a in list_accounts(uow, v.actor)}
    today = date.today()
    return render(
        request,
        "journal.html",
        entries=entries,
        accounts=accounts,
        date_from=(today.replace(day=1) - timedelta(days=1)).replace(day=1).isoformat(),
        date_to=today.isoformat(),
        errors={},
    )


@router.get("/journal/export.csv", include_in_schema=False)
def journal_export(request: Request, v: ViewerDep) -> Response:
    """The journal lines of the entries dated from ``from`` to ``to`` (both included), one row per line: the
    same file as `creditmemo export journal --format csv` (``summary=1``: totals per account)."""
    q = request.query_params
    date_from, date_to = q.get("from") or "", q.get("to") or ""
    with db_of(request).uow(readonly=True) as uow:
        try:
            rows = journal.export_journal(uow, v.actor, date_from=date_from, date_to=date_to)
        except ValidationFailedError as e:
            entries, _ = journal.list_journal_entries(uow, v.actor, sort="-created_at", limit=30)
            accounts = {str(a["code"]): str(a["name"]) for a in list_accounts(uow, v.actor)}
            errors = {("from" if k == "from" else "to"): m for k, m in field_errors(e).items()}
            return render(
                request,
                "journal.html",
                422,
                entries=entries,
                accounts=accounts,
                date_from=date_from,
                date_to=date_to,
                errors=errors,
            )
    summary = q.get("summary") == "1"
    data = journal.summarize(rows) if summary else rows
    columns = journal.SUMMARY_COLUMNS if summary else journal.EXPORT_COLUMNS
    out = io.StringIO(newline="")
    w = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    w.writerows(data)
    name = f"journal-{'summary-' if summary else ''}{date_from}-{date_to}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
