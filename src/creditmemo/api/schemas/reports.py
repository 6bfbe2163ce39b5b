"""Reports: customer statement, AR aging, credit memo register, trial balance."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import Field

from creditmemo.api.schemas.common import MoneyStr, Out, dec, money
from creditmemo.domain.money import Money


def plain(value: Any) -> Any:
    """A report dataclass as JSON-ready data: Money and Decimal as strings."""
    if isinstance(value, Money):
        return money(value)
    if isinstance(value, Decimal):
        return dec(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


class StatementLineOut(Out):
    date: date
    kind: str
    document_id: str
    number: str
    description: str
    debit: MoneyStr
    credit: MoneyStr
    balance: MoneyStr
    status: str


class StatementOut(Out):
    object: str = "customer_statement"
    customer_id: str
    customer_name: str
    currency: str
    start: date
    end: date
    opening_balance: MoneyStr
    lines: list[StatementLineOut]
    closing_balance: MoneyStr
    balance_now: MoneyStr
    available_credit_now: MoneyStr


class AgingRowOut(Out):
    customer_id: str | None
    customer_name: str
    currency: str
    current: MoneyStr
    days_1_30: MoneyStr
    days_31_60: MoneyStr
    days_61_90: MoneyStr
    days_over_90: MoneyStr
    total_due: MoneyStr
    unapplied_credit: MoneyStr
    net: MoneyStr
    open_documents: int


class AgingInvoiceOut(Out):
    invoice_id: str
    number: str
    customer_id: str
    customer_name: str
    currency: str
    issue_date: date
    due_date: date
    bucket: str
    amount_due: MoneyStr
    discount_available: MoneyStr
    discount_date: date | None


class AgingOut(Out):
    object: str = "ar_aging"
    as_of: date
    rows: list[AgingRowOut]
    totals: list[AgingRowOut]
    invoices: list[AgingInvoiceOut] | None = Field(
        None,
        description="With detail=true: each open invoice, with the settlement discount a payment on the as-of "
        "date may still take and its last day.",
    )
    invoices_truncated: bool | None = None


class DiscountTotalOut(Out):
    currency: str
    count: int
    discount: MoneyStr
    functional_discount: MoneyStr


class DiscountTakenOut(Out):
    application_id: str
    applied_on: date
    customer_id: str
    customer_name: str
    invoice_id: str
    invoice_number: str
    payment_id: str
    payment_number: str
    currency: str
    amount: MoneyStr
    discount: MoneyStr
    functional_discount: MoneyStr


class DiscountsTakenOut(Out):
    object: str = "settlement_discounts"
    data: list[DiscountTakenOut]
    totals: list[DiscountTotalOut]
    truncated: bool


class RegisterRowOut(Out):
    memo_id: str
    number: str
    issue_date: date
    customer_id: str
    customer_name: str
    reason_code: str
    status: str
    subtotal: MoneyStr
    tax_total: MoneyStr
    total: MoneyStr
    amount_applied: MoneyStr
    amount_refunded: MoneyStr
    amount_available: MoneyStr


class RegisterTotalOut(Out):
    currency: str
    count: int
    subtotal: MoneyStr
    tax_total: MoneyStr
    total: MoneyStr
    amount_applied: MoneyStr
    amount_refunded: MoneyStr


class RegisterReasonTotalOut(Out):
    reason_code: str
    description: str
    currency: str
    count: int
    total: MoneyStr
    amount_applied: MoneyStr
    amount_refunded: MoneyStr


class RegisterMonthTotalOut(Out):
    month: str
    currency: str
    count: int
    total: MoneyStr
    amount_applied: MoneyStr
    amount_refunded: MoneyStr


class RegisterOut(Out):
    object: str = "credit_memo_register"
    rows: list[RegisterRowOut]
    totals: list[RegisterTotalOut]
    truncated: bool
    discounts_taken: list[DiscountTotalOut] = Field(
        default_factory=list, description="Settlement discounts payments took in the same dates, per currency."
    )
    by_reason: list[RegisterReasonTotalOut] = Field(
        default_factory=list, description="Totals per reason code and currency over every matching memo."
    )
    by_month: list[RegisterMonthTotalOut] = Field(
        default_factory=list, description="Totals per month of issue (YYYY-MM) and currency over every matching memo."
    )


class TrialBalanceRowOut(Out):
    account: str
    name: str
    kind: str
    debit: MoneyStr
    credit: MoneyStr
    balance: MoneyStr


class TrialBalanceOut(Out):
    object: str = "trial_balance"
    as_of: date | None
    currency: str
    rows: list[TrialBalanceRowOut]
    total_debit: MoneyStr
    total_credit: MoneyStr
    balanced: bool
