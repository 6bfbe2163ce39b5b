"""Issuing invoices (immutable once issued) and reading them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from creditmemo.domain.chart import AccountRole
from creditmemo.domain.crediting import build_invoice_lines
from creditmemo.domain.documents import Invoice, InvoiceLine, line_totals
from creditmemo.domain.errors import CurrencyMismatchError, ValidationFailedError
from creditmemo.domain.inputs import InvoiceLineInput
from creditmemo.domain.metadata import parse_metadata
from creditmemo.domain.money import Money, parse_currency
from creditmemo.domain.parsing import parse_date
from creditmemo.domain.posting_rules import invoice_entry
from creditmemo.domain.terms import potential_discount
from creditmemo.ids import new_id
from creditmemo.services import audit, periods, revenue
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.companies import rate_for
from creditmemo.services.lists import MemoSummary, typed_row
from creditmemo.services.settlement import account_credit, discounts
from creditmemo.store import numbering
from creditmemo.store.uow import UnitOfWork


def issue_invoice(
    uow: UnitOfWork,
    actor: Actor,
    *,
    customer_id: str,
    currency: object,
    issue_date: object,
    lines: Sequence[InvoiceLineInput],
    exchange_rate: object = None,
    due_date: object = None,
    memo: str | None = None,
    metadata: object = None,
) -> Invoice:
    """Issue an invoice: numbered, journalised (Dr AR, Cr revenue and tax; a line with a service period Cr
    deferred revenue, with its revenue schedule), on the customer's balance."""
    authorize(actor, Permission.ISSUE_INVOICE)
    company = uow.companies.get(actor.company_id)
    customer = uow.customers.get(actor.company_id, customer_id)
    cur = parse_currency(currency)
    if cur != customer.currency:
        raise CurrencyMismatchError(
            f"Customer {customer.name} is billed in {customer.currency}, not {cur}.",
            field="currency",
            expected=customer.currency,
        )
    issued = parse_date(issue_date, "issue_date")
    terms = discounts.terms_for(uow, actor.company_id, customer)  # credit terms: the net days set the due date
    meta = parse_metadata(metadata)
    due = (
        parse_date(due_date, "due_date")
        if due_date is not None
        else issued + timedelta(days=customer.payment_terms_days if terms is None else terms.net_days)
    )
    if due < issued:
        raise ValidationFailedError.single("due_date", "The due date is before the issue date.", "out_of_range")
    rate = rate_for(cur, company, exchange_rate, uow=uow, on=issued)
    built = build_invoice_lines(
        lines, cur, company.account(AccountRole.REVENUE), new_id, company.accounts.get(AccountRole.DEFERRED_REVENUE)
    )
    revenue.check_deferred_accounts(uow, actor.company_id, lines, built)
    # Account credit that goes to this invoice on its own (issue 11), locked before the number (step 1).
    credit = account_credit.lock_for_new_invoice(uow, actor, customer.id, customer.auto_apply_credit, cur, issued)
    periods.check(uow, actor.company_id, "issue_date", issued, what="issue date")  # step 4b, after the memos
    subtotal, tax_total, _ = line_totals(built, cur)
    invoice = Invoice(
        id=new_id("inv"),
        company_id=actor.company_id,
        customer_id=customer.id,
        number=numbering.next_number(uow.conn, actor.company_id, "invoice"),
        status="issued",
        currency=cur,
        exchange_rate=rate,
        issue_date=issued,
        due_date=due,
        lines=built,
        subtotal=subtotal,
        tax_total=tax_total,
        total=subtotal + tax_total,
        amount_credited=Money.zero(cur),
        amount_paid=Money.zero(cur),
        memo=memo,
        created_at=uow.now(),
        settlement_discount=potential_discount(subtotal + tax_total, terms, issued, rate, company.functional_currency),
        metadata=meta,
    )
    uow.invoices.add(invoice, actor.user_id)
    uow.journal.add(invoice_entry(invoice, company, new_id), uow.now())
    revenue.schedule_invoice(uow, invoice)  # lines with a service period: deferred, recognized by month
    uow.customers.adjust(actor.company_id, customer.id, balance=invoice.total.to_minor())
    applied = account_credit.apply_to_new_invoice(uow, actor, invoice, credit)
    audit.record(
        uow,
        actor,
        "invoice.issued",
        "invoice",
        invoice.id,
        {
            "number": [None, invoice.number],
            "total": [None, str(invoice.total.amount)],
            "currency": [None, cur],
            "customer_id": [None, customer.id],
        },
    )
    if applied:
        credited = sum((a.amount for a in applied), Money.zero(cur))
        invoice = replace(invoice, amount_credited=invoice.amount_credited + credited)
    return invoice


@dataclass(frozen=True, slots=True)
class InvoicePreview:
    lines: tuple[InvoiceLine, ...]
    subtotal: Money
    tax_total: Money

    @property
    def total(self) -> Money:
        return self.subtotal + self.tax_total


def preview_invoice(
    uow: UnitOfWork, actor: Actor, *, customer_id: str, currency: object, lines: Sequence[InvoiceLineInput]
) -> InvoicePreview:
    """The lines and totals ``issue_invoice`` would issue (the same builder and checks), writing nothing: the
    invoice form's live preview."""
    authorize(actor, Permission.ISSUE_INVOICE)
    company = uow.companies.get(actor.company_id)
    customer = uow.customers.get(actor.company_id, customer_id)
    cur = parse_currency(currency)
    if cur != customer.currency:
        raise CurrencyMismatchError(
            f"Customer {customer.name} is billed in {customer.currency}, not {cur}.",
            field="currency",
            expected=customer.currency,
        )
    built = build_invoice_lines(
        lines, cur, company.account(AccountRole.REVENUE), new_id, company.accounts.get(AccountRole.DEFERRED_REVENUE)
    )
    revenue.check_deferred_accounts(uow, actor.company_id, lines, built)
    subtotal, tax_total, _ = line_totals(built, cur)
    return InvoicePreview(built, subtotal, tax_total)


def get_invoice(uow: UnitOfWork, actor: Actor, invoice_id: str) -> Invoice:
    authorize(actor, Permission.READ)
    return uow.invoices.get(actor.company_id, invoice_id)


def memos_of_invoice(uow: UnitOfWork, actor: Actor, invoice_id: str) -> list[MemoSummary]:
    """The credit memos raised from the invoice, by number (id, number, status, total, reason, issue date)."""
    authorize(actor, Permission.READ)
    return [typed_row(MemoSummary, r) for r in uow.overviews.memos_of_invoice(actor.company_id, invoice_id)]
