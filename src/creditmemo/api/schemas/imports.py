"""Invoice import (issue 13 item 1): the result of POST /v1/imports/invoices, and the request body's schema."""

from __future__ import annotations

from typing import Any, Final

from creditmemo.api.schemas.common import Out
from creditmemo.services.imports.invoices import ImportReport
from creditmemo.services.imports.sources import HEADER_FIELDS, LINE_FIELDS


class ImportRowErrorOut(Out):
    row: int
    field: str | None
    code: str
    message: str


class ImportedInvoiceOut(Out):
    row: int
    external_id: str
    id: str
    number: str


class InvoiceImportOut(Out):
    object: str = "invoice_import"
    dry_run: bool
    created: int
    already_present: int
    rejected: int
    lines: int
    customers_created: int
    errors: list[ImportRowErrorOut]
    invoices: list[ImportedInvoiceOut]

    @classmethod
    def of(cls, r: ImportReport) -> InvoiceImportOut:
        return cls(
            dry_run=r.dry_run,
            created=r.created,
            already_present=r.already_present,
            rejected=r.rejected,
            lines=r.lines,
            customers_created=r.customers_created,
            errors=[ImportRowErrorOut(row=e.row, field=e.field, code=e.code, message=e.message) for e in r.errors],
            invoices=[
                ImportedInvoiceOut(row=i.row, external_id=i.external_id, id=i.id, number=i.number) for i in r.invoices
            ],
        )


_TEXT: Final = {"type": "string", "maxLength": 500}
IMPORT_BODY: Final[dict[str, Any]] = {
    "required": True,
    "description": (
        "A JSON array of invoices, or CSV (`Content-Type: text/csv`, UTF-8, one row per invoice line, grouped by "
        "external_id; columns in the README)."
    ),
    "content": {
        "application/json": {
            "schema": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["external_id", "currency", "issue_date", "lines"],
                    "properties": {
                        "external_id": _TEXT,
                        **{name: _TEXT for name in HEADER_FIELDS},
                        "lines": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["description", "quantity", "unit_price"],
                                "properties": {name: _TEXT for name in LINE_FIELDS},
                            },
                        },
                    },
                },
            },
            "example": [
                {
                    "external_id": "BILL-1001",
                    "customer_external_id": "ACME",
                    "customer_name": "Acme Corp",
                    "currency": "USD",
                    "issue_date": "2026-03-01",
                    "lines": [{"description": "Widget", "quantity": "2", "unit_price": "50.00", "tax_rate": "8.25"}],
                }
            ],
        },
        "text/csv": {
            "schema": {"type": "string"},
            "example": (
                "external_id,customer_external_id,customer_name,currency,issue_date,description,quantity,unit_price\n"
                "BILL-1001,ACME,Acme Corp,USD,2026-03-01,Widget,2,50.00\n"
            ),
        },
    },
}
