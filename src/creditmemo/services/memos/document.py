"""What the document a customer receives says (seed 004; issue 18 item 5): both parties with their legal name,
address and tax ID, the reference invoice with its date, and where the money went (applications, refunds,
payments) with what is left. presentation/documents.py lays it out (templates/document.html); this gathers the
facts in the caller's unit of work, so the document agrees with the print event recorded beside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from creditmemo.domain.documents import Customer, Invoice, Memo, MemoKind
from creditmemo.domain.legal import LegalDetails
from creditmemo.domain.lifecycle import Status
from creditmemo.domain.money import Money
from creditmemo.domain.settlement import ApplicationStatus, SourceType
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store.uow import UnitOfWork

MAX_SETTLEMENT_ITEMS = 100  # a memo applied to more documents lists the first ones and says how many more


@dataclass(frozen=True, slots=True)
class SettlementItem:
    """One movement of the memo's money: ``applied`` to a debit document or ``refunded`` (a credit memo);
    ``paid`` by a payment or ``credited`` by a credit memo (a debit memo)."""

    kind: str
    amount: Money
    number: str
    on: date


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    legal: LegalDetails

    @property
    def legal_name(self) -> str:
        return self.legal.legal_name or self.name


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    memo: Memo
    company: Party
    customer: Party
    customer_email: str | None
    invoice: Invoice | None
    settlement: tuple[SettlementItem, ...]
    more_settlement: int  # items beyond MAX_SETTLEMENT_ITEMS, not listed
    open_amount: Money | None  # what is left: available (credit memo) or due (debit memo); None unless posted
    settlement_status: str | None  # unapplied | part_applied | applied, or for a debit memo unpaid | part_paid | paid


def _debit_status(memo: Memo) -> str:
    if memo.amount_applied.amount == 0:
        return "unpaid"
    return "paid" if memo.amount_applied == memo.total else "part_paid"


def _settlement(uow: UnitOfWork, actor: Actor, memo: Memo) -> list[SettlementItem]:
    if memo.status not in (Status.POSTED, Status.VOID):
        return []
    company = actor.company_id
    if memo.kind is MemoKind.CREDIT:
        apps = [a for a in uow.applications.list(company, source_id=memo.id) if a.status is ApplicationStatus.ACTIVE]
        numbers = uow.reports.document_numbers(company, [a.target_id for a in apps])
        items = [SettlementItem("applied", a.amount, numbers.get(a.target_id, ""), a.applied_on) for a in apps]
        items += [
            SettlementItem("refunded", r.amount, r.number, r.refunded_on)
            for r in uow.refunds.for_source(company, memo.id)
            if r.status == "completed"
        ]
    else:
        apps = [a for a in uow.applications.list(company, target_id=memo.id) if a.status is ApplicationStatus.ACTIVE]
        numbers = uow.reports.document_numbers(company, [a.source_id for a in apps])
        items = []
        for a in apps:
            if a.source_type is SourceType.PAYMENT:
                items.append(
                    SettlementItem("paid", a.amount, uow.payments.get(company, a.source_id).number, a.applied_on)
                )
            else:
                items.append(SettlementItem("credited", a.amount, numbers.get(a.source_id, ""), a.applied_on))
    items.sort(key=lambda i: (i.on, i.number))
    return items


def document_facts(uow: UnitOfWork, actor: Actor, memo: Memo) -> DocumentFacts:
    """The facts of ``memo``'s document, read in the caller's unit of work (company-scoped: ``memo`` was read
    for ``actor``'s company)."""
    authorize(actor, Permission.READ)
    company = uow.companies.get(actor.company_id)
    customer: Customer = uow.customers.get(actor.company_id, memo.customer_id)
    invoice = uow.invoices.get(actor.company_id, memo.invoice_id) if memo.invoice_id else None
    items = _settlement(uow, actor, memo)
    posted = memo.status is Status.POSTED
    if memo.kind is MemoKind.CREDIT:
        open_amount, status = memo.amount_available, memo.settlement_status
    else:
        open_amount, status = memo.amount_due, _debit_status(memo)
    return DocumentFacts(
        memo=memo,
        company=Party(company.name, uow.companies.legal_details(actor.company_id)),
        customer=Party(customer.name, customer.legal),
        customer_email=customer.email,
        invoice=invoice,
        settlement=tuple(items[:MAX_SETTLEMENT_ITEMS]),
        more_settlement=max(0, len(items) - MAX_SETTLEMENT_ITEMS),
        open_amount=open_amount if posted else None,
        settlement_status=status if posted else None,
    )
