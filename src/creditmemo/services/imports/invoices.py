"""Importing invoices in bulk (issue 13 item 1): every row validated with all its errors, then a few hundred
invoices per transaction (a chunk), so a bad invoice costs only itself and a crash costs at most the chunk in
flight; a re-run skips what an earlier run created (``external_id``, unique per company).

The rules are issue_invoice's (services/invoices.py): the domain builds the lines (tax, rounding, totals),
``invoice_entry`` journalises, the customer's balance moves by the total, an ``invoice.issued`` event is
audited. Only the writing is done in bulk: one multi-row statement per table per chunk, one number range per
chunk. Lock order (docs/CONCURRENCY.md): a chunk locks no document; it reads, writes the invoices, lines and
journal entries with placeholder numbers, then takes the invoice counter (step 5a) for the whole range and
writes the numbers in, then locks and moves the customers' balances (step 5b) and commits: the hot rows are
held for the last few statements only, not while the bulk of the rows is written. Unlike a single
issue, an imported invoice takes no account credit automatically (the import is history from another system,
and applying credit would lock memos, step 1, in a bulk path)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError

from creditmemo.domain.chart import AccountRole
from creditmemo.domain.crediting import build_invoice_lines
from creditmemo.domain.documents import Company, Customer, Invoice, InvoiceLine, line_totals
from creditmemo.domain.errors import DomainError, FieldError, ValidationFailedError
from creditmemo.domain.money import Money, parse_currency, parse_decimal
from creditmemo.domain.parsing import parse_date
from creditmemo.domain.posting_rules import invoice_entry
from creditmemo.ids import new_id
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.companies import rate_for
from creditmemo.services.imports.sources import RowError, SourceInvoice
from creditmemo.store import numbering
from creditmemo.store.uow import Database, UnitOfWork

CHUNK = 500  # invoices per transaction
MAX_ID = 200


@dataclass(frozen=True, slots=True)
class Imported:
    row: int
    external_id: str
    id: str
    number: str


@dataclass
class ImportReport:
    created: int = 0
    already_present: int = 0
    rejected: int = 0
    lines: int = 0  # lines of the invoices created
    customers_created: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    invoices: list[Imported] = field(default_factory=list)

    def add(self, chunk: ChunkResult) -> None:
        self.created += len(chunk.created)
        self.invoices += chunk.created
        self.lines += chunk.lines
        self.already_present += chunk.already_present
        self.customers_created += chunk.customers_created
        self.rejected += chunk.rejected
        self.errors += chunk.errors

    def summary(self) -> str:
        verb = "would be created" if self.dry_run else "created"
        return (
            f"{self.created} invoices {verb} ({self.lines} lines, {self.customers_created} new customers), "
            f"{self.already_present} already present, {self.rejected} rejected"
        )


class ImportInterruptedError(Exception):
    """The database failed mid-file (not a row's fault). Every chunk before it is committed; running the same
    file again resumes (what is there is skipped by external id)."""

    def __init__(self, report: ImportReport, cause: BaseException | str) -> None:
        self.report = report
        super().__init__(
            f"The import stopped after {report.created} invoices were committed: {cause}. "
            "Run the same file again to import the rest (nothing is created twice)."
        )


@dataclass
class _Checked:
    """An invoice that passed every check that needs no database, with its lines built."""

    source: SourceInvoice
    currency: str
    issued: date
    due: date | None
    rate: Decimal | None
    lines: tuple[InvoiceLine, ...]


@dataclass
class ChunkResult:
    rows: int = 0  # the file's rows the chunk covered
    created: list[Imported] = field(default_factory=list)
    lines: int = 0
    already_present: int = 0
    customers_created: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)

    def merge(self, other: ChunkResult) -> None:
        self.created += other.created
        self.lines += other.lines
        self.already_present += other.already_present
        self.customers_created += other.customers_created
        self.rejected += other.rejected
        self.errors += other.errors


def import_invoices(
    db: Database,
    actor: Actor,
    invoices: Sequence[SourceInvoice],
    *,
    dry_run: bool = False,
    chunk_size: int = CHUNK,
    jobs: int = 1,
    progress: Callable[[int], None] = lambda rows: None,
) -> ImportReport:
    """Import ``invoices`` (services/imports/sources.py reads them from a file). ``progress`` gets the number of
    rows done so far after each chunk. ``dry_run``: every check, including the database's, and nothing kept
    (each chunk is rolled back). ``jobs`` > 1 on PostgreSQL: that many processes share the invoices, all of one
    customer in one process (services/imports/parallel.py). Raises ImportInterruptedError when the database
    fails mid-file."""
    authorize(actor, Permission.ISSUE_INVOICE)
    authorize(actor, Permission.CREATE_CUSTOMER)
    report = ImportReport(dry_run=dry_run)
    rows_done = 0

    def done(result: ChunkResult) -> None:
        nonlocal rows_done
        report.add(result)
        rows_done += result.rows
        progress(rows_done)

    try:
        if jobs > 1 and db.postgres and len(invoices) > chunk_size:
            from creditmemo.services.imports.parallel import import_in_processes

            import_in_processes(db, actor, invoices, dry_run=dry_run, chunk_size=chunk_size, jobs=jobs, done=done)
        else:
            import_share(db, actor, invoices, dry_run=dry_run, chunk_size=chunk_size, done=done)
    except ChunkFailedError as e:
        raise ImportInterruptedError(report, e.cause) from e
    report.errors.sort(key=lambda e: (e.row, e.field or ""))
    return report


class ChunkFailedError(Exception):
    def __init__(self, cause: BaseException | str) -> None:
        super().__init__(str(cause))
        self.cause = cause


def import_share(
    db: Database,
    actor: Actor,
    invoices: Sequence[SourceInvoice],
    *,
    dry_run: bool,
    chunk_size: int,
    done: Callable[[ChunkResult], None],
) -> None:
    """Import ``invoices`` chunk by chunk in this process; ``done`` gets each chunk's result."""
    with db.uow(readonly=True) as uow:
        company = uow.companies.get(actor.company_id)
        chart = {str(a["code"]) for a in uow.companies.accounts(actor.company_id)}
    for chunk in _chunks(invoices, max(1, chunk_size)):
        result = ChunkResult(rows=sum(len(s.rows) for s in chunk))
        # What an earlier run created is skipped before any parsing: a re-run costs one read per chunk.
        with db.uow(readonly=True) as uow:
            present = uow.invoices.external_ids_present(
                actor.company_id, (s.external_id for s in chunk if "\x00" not in s.external_id)
            )
        checked: list[_Checked] = []
        for source in chunk:
            if source.external_id in present and not source.errors:
                result.already_present += 1
                continue
            item = _check(source, company, chart)
            if isinstance(item, _Checked):
                checked.append(item)
            else:
                result.rejected += 1
                result.errors.extend(item)
        if checked:
            _write_chunk(db, actor, company, checked, dry_run=dry_run, result=result)
            if result.created:
                db.refresh_statistics()  # tables an import fills outgrow their statistics: see store/bulk.py
        done(result)


def _chunks(items: Sequence[SourceInvoice], size: int) -> Iterator[Sequence[SourceInvoice]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write_chunk(
    db: Database, actor: Actor, company: Company, checked: list[_Checked], *, dry_run: bool, result: ChunkResult
) -> None:
    """One transaction (retried on a deadlock by ``transact``). A unique violation means a concurrent import
    created some of these first: the chunk runs once more and finds them present."""
    run = partial(_chunk, actor=actor, company=company, checked=checked, dry_run=dry_run)
    for attempt in (1, 2):
        try:
            result.merge(db.transact(run))
            return
        except IntegrityError as e:
            if attempt == 2:
                raise ChunkFailedError(e.orig or e) from e
        except DBAPIError as e:
            raise ChunkFailedError(e.orig or e) from e


def _fail(source: SourceInvoice, name: str, code: str, message: str) -> list[RowError]:
    return [source.locate(FieldError(name, code, message))]


def _nul_characters(source: SourceInvoice) -> list[RowError]:
    """A NUL character is refused here, per field: PostgreSQL refuses it in text, and a database error would stop
    the whole import instead of rejecting one invoice."""
    found: list[tuple[str, object]] = [("external_id", source.external_id), *source.header.items()]
    for i, line in enumerate(source.lines):
        found += [(f"lines[{i}].{name}", getattr(line.values, name)) for name in line.values.__slots__]
    return [
        source.locate(FieldError(name, "invalid", "Contains a NUL character."))
        for name, value in found
        if isinstance(value, str) and "\x00" in value
    ]


def _check(source: SourceInvoice, company: Company, chart: set[str]) -> _Checked | list[RowError]:
    """Everything that needs no database, every error collected."""
    errors: list[RowError] = list(source.errors)
    header = source.header

    def run(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except ValidationFailedError as e:
            errors.extend(source.locate(fe) for fe in e.errors)
        except DomainError as e:
            errors.extend(_fail(source, e.field or "", e.code, e.detail))
        return None

    errors.extend(_nul_characters(source))
    if not source.external_id:
        errors.extend(_fail(source, "external_id", "required", "The invoice's id in your system is required."))
    elif len(source.external_id) > MAX_ID:
        errors.extend(_fail(source, "external_id", "too_long", f"At most {MAX_ID} characters."))
    if header.get("customer_id") is None and header.get("customer_external_id") is None:
        errors.extend(_fail(source, "customer_external_id", "required", "A customer_external_id or customer_id."))
    for name in ("customer_id", "customer_external_id", "customer_name"):
        value = header.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > MAX_ID):
            errors.extend(_fail(source, name, "invalid", f"Text of at most {MAX_ID} characters."))
    memo = header.get("memo")
    if memo is not None and (not isinstance(memo, str) or len(memo) > 2000):
        errors.extend(_fail(source, "memo", "invalid", "Text of at most 2000 characters."))
    currency = run(lambda: parse_currency(header.get("currency")))
    issued = run(lambda: parse_date(header.get("issue_date"), "issue_date"))
    due = None if header.get("due_date") is None else run(lambda: parse_date(header.get("due_date"), "due_date"))
    if isinstance(issued, date) and isinstance(due, date) and due < issued:
        errors.extend(_fail(source, "due_date", "out_of_range", "The due date is before the issue date."))
    rate = None
    if header.get("exchange_rate") is not None:
        rate = run(
            lambda: parse_decimal(
                header.get("exchange_rate"), "exchange_rate", max_places=10, minimum=Decimal(0), exclusive_minimum=True
            )
        )
    for i, line in enumerate(source.lines):
        account = line.values.revenue_account
        if account is not None and str(account) not in chart:
            errors.extend(_fail(source, f"lines[{i}].revenue_account", "unknown_account", f"No account {account}."))
    lines = run(
        lambda: build_invoice_lines(
            [line.values for line in source.lines],
            currency or company.functional_currency,
            company.account(AccountRole.REVENUE),
            new_id,
        )
    )
    if errors:
        return errors
    return _Checked(source, currency, issued, due, rate, lines)


def _chunk(uow: UnitOfWork, *, actor: Actor, company: Company, checked: list[_Checked], dry_run: bool) -> ChunkResult:
    result = ChunkResult()
    present = uow.invoices.external_ids_present(company.id, (c.source.external_id for c in checked))
    todo = [c for c in checked if c.source.external_id not in present]
    result.already_present = len(checked) - len(todo)
    accepted, new_customers = _resolve(uow, actor, company, todo, result)
    if not accepted:
        if dry_run:
            uow.rollback()
        return result
    now = uow.now()
    used = {customer.id for _, customer, _, _ in accepted}
    fresh = [(c, ext) for c, ext in new_customers if c.id in used]
    uow.customers.add_many(fresh)
    result.customers_created = len(fresh)
    invoices: list[tuple[Invoice, str | None]] = []
    for item, customer, rate, due in accepted:
        subtotal, tax_total, total = line_totals(item.lines, item.currency)
        invoice_id = new_id("inv")
        invoice = Invoice(
            id=invoice_id,
            company_id=company.id,
            customer_id=customer.id,
            number=f"#{invoice_id}",  # a placeholder, unique like the number it becomes below
            status="issued",
            currency=item.currency,
            exchange_rate=rate,
            issue_date=item.issued,
            due_date=due,
            lines=item.lines,
            subtotal=subtotal,
            tax_total=tax_total,
            total=total,
            amount_credited=Money.zero(item.currency),
            amount_paid=Money.zero(item.currency),
            memo=item.source.header.get("memo"),
            created_at=now,
        )
        invoices.append((invoice, item.source.external_id))
    entries = [invoice_entry(inv, company, new_id) for inv, _ in invoices]
    uow.invoices.add_many(invoices, actor.user_id)
    uow.journal.add_many(entries, now)
    # Step 5a, after every read and the bulk of the writes: the chunk's whole number range in one statement,
    # then the numbers into the few texts that carry them. The counter is held from here to the commit.
    numbers = numbering.reserve(uow.conn, company.id, "invoice", len(invoices))
    invoices = [(replace(inv, number=number), ext) for (inv, ext), number in zip(invoices, numbers, strict=True)]
    uow.invoices.set_numbers(company.id, {inv.id: inv.number for inv, _ in invoices})
    uow.journal.set_descriptions(
        company.id, {e.id: f"Invoice {inv.number}" for e, (inv, _) in zip(entries, invoices, strict=True)}
    )
    for (inv, ext), (item, _, _, _) in zip(invoices, accepted, strict=True):
        result.created.append(Imported(item.source.row, str(ext), inv.id, inv.number))
        result.lines += len(inv.lines)
    for customer, ext in fresh:
        audit.record(
            uow,
            actor,
            "customer.created",
            "customer",
            customer.id,
            {"name": [None, customer.name], "currency": [None, customer.currency], "external_id": [None, ext]},
        )
    balances: dict[str, int] = {}
    for inv, external_id in invoices:
        balances[inv.customer_id] = balances.get(inv.customer_id, 0) + inv.total.to_minor()
        audit.record(
            uow,
            actor,
            "invoice.issued",
            "invoice",
            inv.id,
            {
                "number": [None, inv.number],
                "total": [None, str(inv.total.amount)],
                "currency": [None, inv.currency],
                "customer_id": [None, inv.customer_id],
                "external_id": [None, external_id],
                "source": [None, "import"],
            },
        )
    uow.customers.add_balances(company.id, balances)  # step 5b: the last write before the commit
    if dry_run:
        uow.rollback()
    return result


_Accepted = tuple[_Checked, Customer, Decimal, date]


def _resolve(
    uow: UnitOfWork, actor: Actor, company: Company, todo: list[_Checked], result: ChunkResult
) -> tuple[list[_Accepted], list[tuple[Customer, str]]]:
    """Each invoice's customer (found by id or external id, or new), rate and due date; the checks that need
    the database. Rejected invoices go to ``result``."""
    header = [c.source.header for c in todo]
    by_id = uow.customers.by_ids(company.id, (h["customer_id"] for h in header if h.get("customer_id")))
    by_ext = uow.customers.by_external_ids(
        company.id, (h["customer_external_id"] for h in header if h.get("customer_external_id"))
    )
    new_customers: list[tuple[Customer, str]] = []
    rates: dict[tuple[str, date, Decimal | None], Decimal | DomainError] = {}
    accepted: list[_Accepted] = []
    for item in todo:
        errors: list[RowError] = []
        h, src = item.source.header, item.source
        customer_id, ext = h.get("customer_id"), h.get("customer_external_id")
        customer = None
        if customer_id is not None:
            customer = by_id.get(customer_id)
            if customer is None:
                errors += _fail(src, "customer_id", "not_found", f"No customer {customer_id}.")
            elif ext is not None and by_ext.get(ext) not in (None, customer):
                errors += _fail(src, "customer_external_id", "conflict", "Names another customer than customer_id.")
        elif ext is not None:
            customer = by_ext.get(ext)
            if customer is None:
                name = h.get("customer_name")
                if name is None:
                    errors += _fail(src, "customer_name", "required", f"Customer {ext!r} is new: give its name.")
                else:
                    customer = Customer(
                        id=new_id("cus"),
                        company_id=company.id,
                        name=str(name),
                        currency=item.currency,
                        payment_terms_days=30,
                        balance=Money.zero(item.currency),
                        available_credit=Money.zero(item.currency),
                        created_at=uow.now(),
                    )
                    by_ext[ext] = customer
                    new_customers.append((customer, ext))
        if customer is not None and customer.currency != item.currency:
            errors += _fail(
                src,
                "currency",
                "currency_mismatch",
                f"Customer {customer.name} is billed in {customer.currency}, not {item.currency}.",
            )
        key = (item.currency, item.issued, item.rate)
        if key not in rates:
            try:
                rates[key] = rate_for(item.currency, company, item.rate, uow=uow, on=item.issued)
            except DomainError as e:
                rates[key] = e
        rate = rates[key]
        if isinstance(rate, DomainError):
            detail = rate.errors[0].message if isinstance(rate, ValidationFailedError) else rate.detail
            errors += _fail(src, "exchange_rate", rate.code, detail)
        if errors or customer is None or not isinstance(rate, Decimal):
            result.rejected += 1
            result.errors.extend(errors)
            continue
        due = item.due or item.issued + timedelta(days=customer.payment_terms_days)
        if due < item.issued:
            result.rejected += 1
            result.errors += _fail(src, "due_date", "out_of_range", "The due date is before the issue date.")
            continue
        accepted.append((item, customer, rate, due))
    return accepted, new_customers
