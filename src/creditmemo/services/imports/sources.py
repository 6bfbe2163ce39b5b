"""Reading an invoice import file (issue 13 item 1) into invoices with the rows they came from: CSV (one row per
invoice line, grouped by ``external_id``) or JSON (an array of invoices with ``lines``). Structural problems of a
row (an invoice whose rows disagree on its customer, an external id used twice) are collected, not raised; a
file that cannot be read at all (not UTF-8, no header, missing columns, not a JSON array) raises one
``ValidationFailedError`` naming ``file``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from creditmemo.domain.errors import FieldError, ValidationFailedError
from creditmemo.domain.inputs import InvoiceLineInput

HEADER_FIELDS: Final = (
    "customer_id",
    "customer_external_id",
    "customer_name",
    "currency",
    "issue_date",
    "due_date",
    "exchange_rate",
    "memo",
)
LINE_FIELDS: Final = (
    "description",
    "quantity",
    "unit_price",
    "discount",
    "tax_rate",
    "unit_cost",
    "item",
    "revenue_account",
    "service_start",
    "service_end",
)
REQUIRED_COLUMNS: Final = ("external_id", "currency", "issue_date", "description", "quantity", "unit_price")
COLUMNS: Final = ("external_id", *HEADER_FIELDS, *LINE_FIELDS)


@dataclass(frozen=True, slots=True)
class RowError:
    """``row``: CSV, the data row (1 = the first row under the header); JSON, the invoice's place in the
    array (1 = the first). ``field``: the CSV column, or the JSON path (``lines[2].unit_price``)."""

    row: int
    field: str | None
    code: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", field {self.field}" if self.field else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class SourceLine:
    row: int
    prefix: str  # what a line field is named under in errors: "" (CSV, the column) or "lines[2]." (JSON)
    values: InvoiceLineInput


@dataclass
class SourceInvoice:
    row: int  # the invoice's first row
    external_id: str
    header: dict[str, Any]
    lines: list[SourceLine] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # every row it came from (CSV: one per line)
    errors: list[RowError] = field(default_factory=list)

    @property
    def line_count(self) -> int:
        return max(1, len(self.lines))

    def locate(self, error: FieldError) -> RowError:
        """A domain error about this invoice (``lines[1].unit_price``, ``currency``) as the row it came from."""
        name = error.field or ""
        if name.startswith("lines["):
            index_text, _, rest = name[len("lines[") :].partition("]")
            if index_text.isdigit() and int(index_text) < len(self.lines):
                line = self.lines[int(index_text)]
                rest = rest.lstrip(".")
                if line.prefix:
                    return RowError(line.row, name, error.code, error.message)
                return RowError(line.row, rest or "quantity", error.code, error.message)
        return RowError(self.row, name or None, error.code, error.message)


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip() if isinstance(value, str) else value
    return None if text == "" else text  # type: ignore[return-value]  # JSON numbers pass through for the parsers


def _line(values: Mapping[str, Any]) -> InvoiceLineInput:
    return InvoiceLineInput(**{name: _text(values.get(name)) for name in LINE_FIELDS})


def decode(data: bytes) -> str:
    """UTF-8 text (a byte-order mark is dropped); anything else is a clear error, not a garbled import."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValidationFailedError.single(
            "file",
            f"The file is not UTF-8 (byte {e.start + 1} is {data[e.start : e.start + 1]!r}); save it as UTF-8.",
            "encoding",
        ) from None


def read_csv(text: str) -> list[SourceInvoice]:
    """Rows grouped into invoices by ``external_id``: an invoice's rows are consecutive and repeat its header
    columns (each row may also leave them empty after the first). A quoted field may hold newlines."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        columns = [c.strip() for c in reader.fieldnames or ()]
    except csv.Error as e:
        raise ValidationFailedError.single("file", f"Not a CSV file: {e}.", "csv") from None
    if not columns:
        raise ValidationFailedError.single("file", "The file is empty: a header row is required.", "header")
    reader.fieldnames = columns
    problems = [FieldError("file", "header", f"Missing column {c}.") for c in REQUIRED_COLUMNS if c not in columns] + [
        FieldError("file", "header", f"Unknown column {c!r}.") for c in columns if c and c not in COLUMNS
    ]
    if "customer_id" not in columns and "customer_external_id" not in columns:
        problems.append(FieldError("file", "header", "A customer_id or customer_external_id column is required."))
    if problems:
        raise ValidationFailedError(problems)
    invoices: list[SourceInvoice] = []
    try:
        for number, raw in enumerate(reader, start=1):
            if None in raw:  # more fields than the header has
                extra = SourceInvoice(number, "", {}, rows=[number])
                extra.errors.append(RowError(number, None, "columns", "The row has more fields than the header."))
                invoices.append(extra)
                continue
            _add_csv_row(invoices, number, raw)
    except csv.Error as e:
        raise ValidationFailedError.single("file", f"Malformed CSV at row {reader.line_num}: {e}.", "csv") from None
    return _flag_duplicates(invoices)


def _add_csv_row(invoices: list[SourceInvoice], number: int, raw: Mapping[str, str | None]) -> None:
    external_id = (raw.get("external_id") or "").strip()
    current = invoices[-1] if invoices else None
    header = {name: _text(raw.get(name)) for name in HEADER_FIELDS}
    if current is None or not external_id or current.external_id != external_id:
        current = SourceInvoice(number, external_id, header)
        invoices.append(current)
    else:  # a further line of the same invoice: its header columns are empty or the same
        for name, value in header.items():
            if value is None:
                continue
            if current.header.get(name) is None:
                current.header[name] = value
            elif current.header[name] != value:
                current.errors.append(
                    RowError(number, name, "conflict", f"Differs from row {current.row} of the same invoice.")
                )
    current.rows.append(number)
    current.lines.append(SourceLine(number, "", _line(raw)))


def read_json(data: object) -> list[SourceInvoice]:
    """A JSON array of invoices: ``{external_id, customer_id | customer_external_id, customer_name?, currency,
    issue_date, due_date?, exchange_rate?, memo?, lines: [{description, quantity, unit_price, ...}]}``."""
    if not isinstance(data, list):
        raise ValidationFailedError.single("body", "Send a JSON array of invoices.", "invalid")
    invoices: list[SourceInvoice] = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            bad = SourceInvoice(number, "", {}, rows=[number])
            bad.errors.append(RowError(number, None, "invalid", "Each invoice is a JSON object."))
            invoices.append(bad)
            continue
        external_id = item.get("external_id")
        invoice = SourceInvoice(
            number,
            external_id.strip() if isinstance(external_id, str) else "",
            {name: _text(item.get(name)) for name in HEADER_FIELDS},
            rows=[number],
        )
        if external_id is not None and not isinstance(external_id, str):
            invoice.errors.append(RowError(number, "external_id", "invalid", "Must be a string."))
        unknown = sorted(set(item) - {"external_id", "lines", *HEADER_FIELDS})
        for name in unknown:
            invoice.errors.append(RowError(number, name, "unknown_field", f"Unknown field {name!r}."))
        lines = item.get("lines")
        if not isinstance(lines, list) or not lines:
            invoice.errors.append(RowError(number, "lines", "required", "At least one line is required."))
            lines = []
        for i, line in enumerate(lines):
            if not isinstance(line, dict):
                invoice.errors.append(RowError(number, f"lines[{i}]", "invalid", "Each line is a JSON object."))
                continue
            for name in sorted(set(line) - set(LINE_FIELDS)):
                message = f"Unknown field {name!r}."
                invoice.errors.append(RowError(number, f"lines[{i}].{name}", "unknown_field", message))
            invoice.lines.append(SourceLine(number, f"lines[{i}].", _line(line)))
        invoices.append(invoice)
    return _flag_duplicates(invoices)


def read_file(data: bytes, kind: str) -> list[SourceInvoice]:
    """``kind``: "csv" or "json"."""
    text = decode(data)
    if kind == "csv":
        return read_csv(text)
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValidationFailedError.single("file", f"Not JSON: {e.msg} at line {e.lineno}.", "json") from None
    return read_json(parsed)


def _flag_duplicates(invoices: Sequence[SourceInvoice]) -> list[SourceInvoice]:
    """An external id used by two invoices of one file (in a CSV: two runs of rows apart) rejects both: the
    file cannot say which one is right."""
    first: dict[str, SourceInvoice] = {}
    for invoice in invoices:
        if not invoice.external_id:
            continue
        seen = first.get(invoice.external_id)
        if seen is None:
            first[invoice.external_id] = invoice
            continue
        for one, other in ((seen, invoice), (invoice, seen)):
            if not any(e.code == "duplicate" for e in one.errors):
                one.errors.append(
                    RowError(
                        one.row,
                        "external_id",
                        "duplicate",
                        f"{invoice.external_id!r} is also used on row {other.row}: both are rejected.",
                    )
                )
    return list(invoices)
