"""Documents as frozen values: companies, customers, invoices, memos (DESIGN §2)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final

from creditmemo.domain.chart import AccountRole
from creditmemo.domain.legal import LegalDetails
from creditmemo.domain.lifecycle import Status
from creditmemo.domain.money import Money, total
from creditmemo.domain.terms import CreditTerms, SettlementDiscount


class MemoKind(StrEnum):
    CREDIT = "credit"
    DEBIT = "debit"


class MemoSource(StrEnum):
    INVOICE = "invoice"
    RETURN = "return"
    STANDALONE = "standalone"


class CreditBy(StrEnum):
    QUANTITY = "quantity"
    AMOUNT = "amount"


# Memos with more lines than this are posted by the background worker (DESIGN §2); a company setting
# (background_line_limit) overrides it. The one place for the default.
DEFAULT_BACKGROUND_LINE_LIMIT: Final = 250


@dataclass(frozen=True, slots=True)
class Company:
    id: str
    slug: str
    name: str
    functional_currency: str
    accounts: Mapping[AccountRole, str]
    reason_accounts: Mapping[str, str]
    background_line_limit: int = DEFAULT_BACKGROUND_LINE_LIMIT

    def account(self, role: AccountRole) -> str:
        return self.accounts[role]


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    company_id: str
    name: str
    currency: str
    payment_terms_days: int
    balance: Money
    available_credit: Money
    email: str | None = None
    created_at: datetime | None = None
    auto_apply_credit: bool | None = None  # None: the company's setting decides
    legal: LegalDetails = field(default_factory=LegalDetails)  # for its documents (issue 18 item 5)
    credit_terms: CreditTerms | None = None  # None: the company's terms apply (issue 15)


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    id: str
    line_no: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount: Money
    net: Money
    tax_rate: Decimal
    tax: Money
    revenue_account: str
    item: str | None = None
    unit_cost: Decimal | None = None
    # Posted credit so far (rule 1): kept in the same transaction as every post and void.
    credited_quantity: Decimal = Decimal(0)
    credited_net: Money | None = None
    credited_tax: Money | None = None
    # The period a subscription line bills for (inclusive), when it has one: prorations and SLA credits.
    service_start: date | None = None
    service_end: date | None = None
    # Where the line's net waits until recognized (issue 12): set on a line issued with a service period.
    # None: recognized at once (no period, or issued before revenue schedules existed).
    deferred_revenue_account: str | None = None

    @property
    def total(self) -> Money:
        return self.net + self.tax

    @property
    def scheduled(self) -> bool:
        """Recognized ratably over its service period from a revenue schedule (issue 12)."""
        return self.deferred_revenue_account is not None and self.service_start is not None

    @property
    def remaining_net(self) -> Money:
        return self.net - (self.credited_net or Money.zero(self.net.currency))

    @property
    def remaining_tax(self) -> Money:
        return self.tax - (self.credited_tax or Money.zero(self.tax.currency))

    @property
    def remaining_quantity(self) -> Decimal:
        return self.quantity - self.credited_quantity


@dataclass(frozen=True, slots=True)
class Invoice:
    id: str
    company_id: str
    customer_id: str
    number: str
    status: str
    currency: str
    exchange_rate: Decimal
    issue_date: date
    due_date: date
    lines: tuple[InvoiceLine, ...]
    subtotal: Money
    tax_total: Money
    total: Money
    amount_credited: Money
    amount_paid: Money
    memo: str | None = None
    created_at: datetime | None = None
    # The potential settlement discount stored at issue (domain/terms.py), and what payments took of it.
    settlement_discount: SettlementDiscount | None = None
    discount_taken: Money | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)  # the caller's key-value map (domain/metadata.py)
    # The latest date an amount of it was freed again (an unapplication of an application to it; None: never), as
    # stored on its row (domain/settlement.py Party.released_on).
    released_on: date | None = None

    @property
    def amount_due(self) -> Money:
        return self.total - self.amount_credited - self.amount_paid - self.taken

    @property
    def taken(self) -> Money:
        return self.discount_taken or Money.zero(self.currency)

    @property
    def credited_by_memos(self) -> Money:
        """Posted credit of the memos from this invoice (its lines' credited totals)."""
        zero = Money.zero(self.currency)
        return total(((line.credited_net or zero) + (line.credited_tax or zero) for line in self.lines), self.currency)

    @property
    def payment_status(self) -> str:
        settled = self.amount_credited + self.amount_paid + self.taken
        if settled.amount == 0:
            return "unpaid"
        return "paid" if self.amount_due.amount == 0 else "part_paid"

    def line(self, line_id: str) -> InvoiceLine | None:
        return next((line for line in self.lines if line.id == line_id), None)


@dataclass(frozen=True, slots=True)
class MemoLine:
    id: str
    line_no: int
    description: str
    quantity: Decimal | None
    unit_price: Decimal | None
    net: Money
    tax_rate: Decimal
    tax: Money
    account_code: str | None = None
    invoice_line_id: str | None = None
    credit_by: CreditBy = CreditBy.QUANTITY
    unit_cost: Decimal | None = None
    restock: bool = False
    # The part of the invoice line's service period this line credits (a proration, an SLA credit).
    service_start: date | None = None
    service_end: date | None = None

    @property
    def total(self) -> Money:
        return self.net + self.tax


@dataclass(frozen=True, slots=True)
class Memo:
    """A credit or debit memo; both share one lifecycle, numbering rule, audit and journal."""

    id: str
    company_id: str
    kind: MemoKind
    number: str
    customer_id: str
    source: MemoSource
    reason_code: str
    currency: str
    exchange_rate: Decimal
    issue_date: date
    status: Status
    lines: tuple[MemoLine, ...]
    subtotal: Money
    tax_total: Money
    total: Money
    amount_applied: Money
    amount_refunded: Money
    invoice_id: str | None = None
    memo_text: str | None = None
    print_status: str = "not_printed"
    auto_apply: bool = True
    reference: str | None = None
    discard_reason: str | None = None
    void_date: date | None = None
    post_error: str | None = None
    created_by: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    posted_at: datetime | None = None
    posted_by: str | None = None
    voided_at: datetime | None = None
    voided_by: str | None = None
    version: int = 1
    incident_reference: str | None = None  # the SLA incident this credit answers
    apply_to_next_invoice: bool = False  # applied to the customer's next invoice, not to its own
    computation: Mapping[str, object] | None = None  # how an automatic credit was computed
    replaces_id: str | None = None  # void and reissue (seed 001): the voided memo this draft replaces
    replaced_by_id: str | None = None  # ... and, on the voided memo, the draft that replaces it
    return_id: str | None = None  # the return authorization a credit memo from a return credits (issue 10)
    settlement_discount: SettlementDiscount | None = None  # computed at posting (issue 15 item 7)
    metadata: Mapping[str, str] = field(default_factory=dict)  # the caller's key-value map (domain/metadata.py)
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def amount_available(self) -> Money:
        """Credit left to apply or refund; zero unless posted (a draft holds no money)."""
        if self.status is not Status.POSTED:
            return Money.zero(self.currency)
        return self.total - self.amount_applied - self.amount_refunded

    @property
    def amount_due(self) -> Money:
        """For a debit memo: what is still owed on it."""
        if self.status is not Status.POSTED:
            return Money.zero(self.currency)
        return self.total - self.amount_applied

    @property
    def settlement_status(self) -> str:
        return settlement_status(self.amount_applied + self.amount_refunded, self.total)


def settlement_status(used: Money, total: Money) -> str:
    """unapplied | part_applied | applied, from what of ``total`` is applied or refunded (memos, payments)."""
    if used.amount == 0:
        return "unapplied"
    return "applied" if used == total else "part_applied"


def line_totals(lines: Sequence[InvoiceLine] | Sequence[MemoLine], currency: str) -> tuple[Money, Money, Money]:
    """(subtotal, tax_total, total) of an invoice's or a memo's lines: sums of rounded lines, never
    re-rounded (the one place for that rule)."""
    subtotal = total((line.net for line in lines), currency)
    tax_total = total((line.tax for line in lines), currency)
    return subtotal, tax_total, subtotal + tax_total


def memo_totals(lines: tuple[MemoLine, ...], currency: str) -> tuple[Money, Money, Money]:
    """(subtotal, tax_total, total) of a memo's lines (``line_totals``)."""
    return line_totals(lines, currency)
