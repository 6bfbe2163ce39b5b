"""Raw line inputs as the edges receive them; the domain parses them so every error names its field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InvoiceLineInput:
    description: object
    quantity: object
    unit_price: object
    discount: object = None
    tax_rate: object = None
    unit_cost: object = None
    item: object = None
    revenue_account: object = None
    deferred_revenue_account: object = None  # default: the company's deferred revenue account (issue 12)
    service_start: object = None  # the period a subscription line bills for, inclusive: both or neither
    service_end: object = None


@dataclass(frozen=True, slots=True)
class CreditLineInput:
    """A line of a memo from an invoice: the whole remaining line, or narrowed by quantity or amount."""

    invoice_line_id: object
    quantity: object = None
    amount: object = None
    restock: bool = False


@dataclass(frozen=True, slots=True)
class FreeLineInput:
    """A line of a standalone credit memo or of a debit memo."""

    description: object
    quantity: object
    unit_price: object
    tax_rate: object = None
    account_code: object = None
