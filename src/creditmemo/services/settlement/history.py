"""How a document was settled: its applications, each with the document on the other side by number, for the
invoice and payment pages (issue 18 item 9); and what is still open to settle, for the apply forms. Reads only."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from creditmemo.domain.money import Money
from creditmemo.domain.settlement import Application, spread
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.lists import typed_row
from creditmemo.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Settlement:
    application: Application
    other_type: str  # credit_memo | payment (of a target's settlement); invoice | debit_memo (of a source's)
    other_id: str
    other_number: str


def settlements_of_target(uow: UnitOfWork, actor: Actor, target_id: str) -> list[Settlement]:
    """The credits and payments applied to an invoice or debit memo, oldest first, reversed ones included."""
    authorize(actor, Permission.READ)
    found = uow.applications.list(actor.company_id, target_id=target_id)
    numbers = uow.reports.document_numbers(actor.company_id, [a.source_id for a in found])
    return [Settlement(a, str(a.source_type), a.source_id, numbers.get(a.source_id, a.source_id)) for a in found]


def settlements_of_source(uow: UnitOfWork, actor: Actor, source_id: str) -> list[Settlement]:
    """The invoices and debit memos a credit memo or payment was applied to, oldest first."""
    authorize(actor, Permission.READ)
    found = uow.applications.list(actor.company_id, source_id=source_id)
    numbers = uow.reports.document_numbers(actor.company_id, [a.target_id for a in found])
    return [Settlement(a, str(a.target_type), a.target_id, numbers.get(a.target_id, a.target_id)) for a in found]


@dataclass(frozen=True, slots=True)
class OpenTarget:
    """An open invoice or posted debit memo: what a credit or a payment may be applied to, and what it owes.
    ``suggested`` is the part of the available amount the apply form proposes (``apply_proposal``)."""

    id: str
    target_type: str  # invoice | debit_memo
    number: str
    issue_date: date
    due_date: date
    total: Money
    due: Money
    suggested: Money | None = None


def open_targets(uow: UnitOfWork, actor: Actor, customer_id: str, currency: str) -> list[OpenTarget]:
    """The customer's open invoices and posted debit memos in ``currency``, oldest due first."""
    authorize(actor, Permission.READ)
    rows = uow.overviews.open_targets(actor.company_id, customer_id, currency)
    return [typed_row(OpenTarget, r, currency=currency) for r in rows]


def apply_proposal(uow: UnitOfWork, actor: Actor, customer_id: str, available: Money) -> list[OpenTarget]:
    """``open_targets`` in ``available``'s currency, each with the ``suggested`` part of ``available`` spread over
    them oldest due first: the apply form of a credit memo or a payment."""
    rows = open_targets(uow, actor, customer_id, available.currency)
    suggested = spread(available, [r.due for r in rows])
    return [replace(r, suggested=s) for r, s in zip(rows, suggested, strict=True)]
