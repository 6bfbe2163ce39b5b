"""/v1/imports/invoices: invoices in bulk from a billing system (issue 13 item 1), JSON or CSV. Validated row by
row (every error, with its row and field, in the 200 answer), written a few hundred invoices per transaction,
idempotent by external_id (a re-sent file creates nothing twice), so it takes no Idempotency-Key. A file that
cannot be read at all (not UTF-8, missing columns, not a JSON array) is a 422."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from creditmemo.api.deps import JSON, Call
from creditmemo.api.problems import problems
from creditmemo.api.schemas.imports import IMPORT_BODY, InvoiceImportOut
from creditmemo.domain.errors import ValidationFailedError
from creditmemo.services.imports.invoices import import_invoices
from creditmemo.services.imports.sources import read_file

router = APIRouter(prefix="/imports", tags=["imports"])


@router.post(
    "/invoices",
    response_model=InvoiceImportOut,
    responses=problems(403, 413),
    openapi_extra={"requestBody": IMPORT_BODY},
)
async def import_invoices_route(
    request: Request,
    ctx: Call,
    dry_run: Annotated[bool, Query(description="Check everything, keep nothing.")] = False,
) -> Response:
    """Import invoices: `created`, `already_present` (by external_id, from an earlier import) and `rejected`
    counts, every row error (`row`: the CSV data row, 1 = the first under the header, or the invoice's place
    in the JSON array), and the invoices created with their numbers."""
    data = await request.body()
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("application/json", "text/csv", ""):
        raise ValidationFailedError.single(
            "content-type", "Send application/json (an array of invoices) or text/csv.", "unsupported_media_type"
        )
    kind = "csv" if media == "text/csv" else "json"
    if kind == "json" and not data.strip():
        raise ValidationFailedError.single("body", "Send a JSON array of invoices.", "required")

    def run() -> InvoiceImportOut:
        with ctx.uow(readonly=True):  # the key's freshness (api/deps.py); the import opens its own units of work
            pass
        return InvoiceImportOut.of(import_invoices(ctx.db, ctx.actor, read_file(data, kind), dry_run=dry_run))

    report = await run_in_threadpool(run)
    return Response(report.model_dump_json(), media_type=JSON)
