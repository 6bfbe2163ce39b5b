"""SLA credits in bulk (issue 11: Prism Telecom's monitoring exports): one credit per row, each row its own
transaction (a bad row never costs the good ones, and a re-run skips what is already credited), several rows
at a time on PostgreSQL. Every row's error is collected with its row number and field."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from creditmemo.domain.documents import Memo
from creditmemo.domain.errors import DomainError, ValidationFailedError
from creditmemo.domain.lifecycle import Status
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.memos.automatic import DuplicateIncidentError, create_sla_credit
from creditmemo.store.numbering import Numbers, resolve
from creditmemo.store.uow import Database, UnitOfWork

COLUMNS = ("customer_id", "invoice_line_id", "outage_minutes", "incident_reference")


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # 1 = the first data row (the header is row 0)
    field: str | None
    code: str
    message: str


@dataclass
class ImportReport:
    created: int = 0
    posted: int = 0
    submitted: int = 0  # the approval policy applied: waiting in the approval queue
    skipped: int = 0  # the incident is already credited
    errors: list[RowError] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)


def check_header(columns: Iterable[str] | None) -> list[str]:
    """The columns a file lacks (empty when it has them all)."""
    present = set(columns or ())
    return [c for c in COLUMNS if c not in present]


def _minutes(value: str | None) -> object:
    text = (value or "").strip()
    return int(text) if text.isdigit() else text  # not a whole number: the service names the field


def _create_row(
    uow: UnitOfWork, *, actor: Actor, row: Mapping[str, str | None], post: bool, next_invoice: bool
) -> tuple[Memo, Numbers]:
    # The number is taken in the commit's flight (store/numbering.py): the company's counter is held for
    # that flight only, so the processes of a --jobs import do not queue behind it for a whole row.
    uow.defer_numbers()
    return create_sla_credit(
        uow,
        actor,
        (row.get("customer_id") or "").strip(),
        invoice_line_id=(row.get("invoice_line_id") or "").strip() or None,
        outage_minutes=_minutes(row.get("outage_minutes")),
        incident_reference=(row.get("incident_reference") or "").strip() or None,
        apply_to_next_invoice=next_invoice,
        post=post,
    ), uow.numbers


def _import_rows(
    db: Database,
    actor: Actor,
    rows: Iterable[tuple[int, Mapping[str, str | None]]],
    *,
    post: bool,
    apply_to_next_invoice: bool,
    done: Callable[[tuple[str, str | RowError | None]], None],
) -> None:
    """Each row in its own transaction; ``done`` gets ("created", status, number) / ("skipped", None) /
    ("error", RowError) per row."""
    for index, row in rows:
        try:
            memo, numbers = db.transact(
                partial(_create_row, actor=actor, row=row, post=post, next_invoice=apply_to_next_invoice)
            )
        except DuplicateIncidentError:
            done(("skipped", None))  # credited by an earlier run
            continue
        except ValidationFailedError as e:
            first = e.errors[0]
            done(("error", RowError(index, first.field, first.code, first.message)))
            continue
        except DomainError as e:
            done(("error", RowError(index, e.field, e.code, e.detail)))
            continue
        done((str(memo.status), resolve(memo.number or "", numbers.taken)))


def _worker(
    url: str,
    actor: Actor,
    rows: list[tuple[int, dict[str, str | None]]],
    post: bool,
    apply_to_next_invoice: bool,
    results: Any,
) -> None:
    """One process of a ``jobs`` import: its own engine and sealer; results go back on the queue."""
    db = Database(url, sealing="background")
    try:
        _import_rows(db, actor, rows, post=post, apply_to_next_invoice=apply_to_next_invoice, done=results.put)
    finally:
        db.dispose()
        results.put(("finished", None))


def _incident(row: Mapping[str, str | None]) -> tuple[str, str]:
    return ((row.get("customer_id") or "").strip(), (row.get("incident_reference") or "").strip())


def _credited_already(
    db: Database, actor: Actor, numbered: list[tuple[int, dict[str, str | None]]]
) -> set[tuple[str, str]]:
    """The rows whose incident is already credited (a re-run of a file): skipped in one read, not a
    transaction per row."""
    pairs = [pair for pair in (_incident(row) for _, row in numbered) if pair[0] and pair[1]]
    with db.uow(readonly=True) as uow:
        return uow.memos.credited_incidents(actor.company_id, pairs)


def _shares(
    numbered: list[tuple[int, dict[str, str | None]]], workers: int
) -> list[list[tuple[int, dict[str, str | None]]]]:
    """One customer's rows all go to one process, in file order: its rows lock the same invoices and customer
    balance, so spreading them would make the processes queue behind each other's row locks."""
    shares: list[list[tuple[int, dict[str, str | None]]]] = [[] for _ in range(workers)]
    owner: dict[str, int] = {}
    for item in numbered:
        customer = (item[1].get("customer_id") or "").strip()
        k = owner.setdefault(customer, min(range(workers), key=lambda w: len(shares[w])))
        shares[k].append(item)
    return shares


def import_sla_credits(
    db: Database,
    actor: Actor,
    rows: Iterable[Mapping[str, str | None]],
    *,
    post: bool = True,
    apply_to_next_invoice: bool = False,
    jobs: int = 1,
    progress: Callable[[int], None] = lambda done: None,
) -> ImportReport:
    """Create (and by default post) an SLA credit for each row. ``progress`` is called with the number of rows
    done so far. On PostgreSQL ``jobs`` processes share the rows (each row still its own transaction); the
    Python work of a row is what limits one process, so more cores take more rows."""
    authorize(actor, Permission.CREATE_MEMO)
    if post:
        authorize(actor, Permission.POST_MEMO)
    report = ImportReport()
    numbered = [(i, dict(row)) for i, row in enumerate(rows, start=1)]
    count = 0
    credited = _credited_already(db, actor, numbered)

    def record(outcome: tuple[str, str | RowError | None]) -> None:
        nonlocal count
        kind, value = outcome
        if kind == "skipped":
            report.skipped += 1
        elif kind == "error":
            assert isinstance(value, RowError)
            report.errors.append(value)
        else:
            report.created += 1
            report.posted += kind == Status.POSTED
            report.submitted += kind == Status.PENDING_APPROVAL
            report.numbers.append(str(value))
        count += 1
        progress(count)

    fresh = [item for item in numbered if _incident(item[1]) not in credited]
    for _ in range(len(numbered) - len(fresh)):
        record(("skipped", None))
    numbered = fresh
    workers = min(max(1, jobs), len(numbered)) if db.postgres else 1
    if workers <= 1:
        _import_rows(db, actor, numbered, post=post, apply_to_next_invoice=apply_to_next_invoice, done=record)
    else:
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        url = db.engine.url.render_as_string(hide_password=False)
        procs = [
            context.Process(target=_worker, args=(url, actor, share, post, apply_to_next_invoice, results))
            for share in _shares(numbered, workers)
        ]
        for proc in procs:
            proc.start()
        finished = 0
        while finished < workers:
            outcome = results.get()
            if outcome[0] == "finished":
                finished += 1
            else:
                record(outcome)
        for proc in procs:
            proc.join()
    report.errors.sort(key=lambda e: e.row)
    return report
