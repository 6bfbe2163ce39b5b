"""SLA credits in bulk (issue 11: Prism Telecom's monitoring exports): one credit per row, each row its own
transaction (a bad row never costs the good ones, and a re-run skips what is already credited), several rows
at a time on PostgreSQL. Every row's error is collected with its row number and field."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from threading import Lock

from creditmemo.domain.documents import Memo
from creditmemo.domain.errors import DomainError, ValidationFailedError
from creditmemo.domain.lifecycle import Status
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.memos.automatic import DuplicateIncidentError, create_sla_credit
from creditmemo.store.uow import Database

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
    done so far. ``jobs`` rows run at once (each in its own transaction; PostgreSQL only)."""
    authorize(actor, Permission.CREATE_MEMO)
    if post:
        authorize(actor, Permission.POST_MEMO)
    report = ImportReport()
    lock = Lock()
    done = 0

    def one(numbered: tuple[int, Mapping[str, str | None]]) -> None:
        nonlocal done
        index, row = numbered
        memo: Memo | None = None
        error: RowError | None = None
        try:
            memo = db.transact(
                lambda uow: create_sla_credit(
                    uow,
                    actor,
                    (row.get("customer_id") or "").strip(),
                    invoice_line_id=(row.get("invoice_line_id") or "").strip() or None,
                    outage_minutes=_minutes(row.get("outage_minutes")),
                    incident_reference=(row.get("incident_reference") or "").strip() or None,
                    apply_to_next_invoice=apply_to_next_invoice,
                    post=post,
                )
            )
        except DuplicateIncidentError:
            pass  # credited by an earlier run: skipped
        except ValidationFailedError as e:
            first = e.errors[0]
            error = RowError(index, first.field, first.code, first.message)
        except DomainError as e:
            error = RowError(index, e.field, e.code, e.detail)
        with lock:
            if memo is not None:
                report.created += 1
                report.posted += memo.status is Status.POSTED
                report.submitted += memo.status is Status.PENDING_APPROVAL
                report.numbers.append(memo.number)
            elif error is not None:
                report.errors.append(error)
            else:
                report.skipped += 1
            done += 1
            progress(done)

    numbered = list(enumerate(rows, start=1))
    workers = max(1, jobs if db.postgres else 1)
    if workers == 1:
        for item in numbered:
            one(item)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(one, numbered))
    report.errors.sort(key=lambda e: e.row)
    return report
