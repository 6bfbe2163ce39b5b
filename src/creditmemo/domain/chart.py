"""The default chart of accounts and reason codes a new company starts with (DESIGN §2)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class AccountRole(StrEnum):
    """What the posting rules need an account for; a company maps each role to one of its codes."""

    CASH = "cash"
    AR = "accounts_receivable"
    TEMPORARY_CREDIT = "temporary_credit_clearing"
    INVENTORY = "inventory"
    TAX_PAYABLE = "tax_payable"
    REVENUE = "revenue"
    DEFERRED_REVENUE = "deferred_revenue"  # a line with a service period is issued here (issue 12)
    SALES_RETURNS = "sales_returns_allowances"
    COGS = "cogs"
    GOODWILL = "goodwill_expense"
    PROMOTION = "promotion_expense"
    FX_GAIN = "realized_fx_gain"
    FX_LOSS = "realized_fx_loss"
    SETTLEMENT_DISCOUNT = "settlement_discounts_allowed"


@dataclass(frozen=True, slots=True)
class Account:
    code: str
    name: str
    kind: str  # asset | liability | equity | revenue | expense
    role: AccountRole | None = None


DEFAULT_ACCOUNTS: Final[tuple[Account, ...]] = (
    Account("1100", "Cash", "asset", AccountRole.CASH),
    Account("1150", "Temporary credit clearing", "asset", AccountRole.TEMPORARY_CREDIT),
    Account("1200", "Accounts receivable", "asset", AccountRole.AR),
    Account("1300", "Inventory", "asset", AccountRole.INVENTORY),
    Account("2200", "Sales tax payable", "liability", AccountRole.TAX_PAYABLE),
    Account("2400", "Deferred revenue", "liability", AccountRole.DEFERRED_REVENUE),
    Account("4000", "Revenue", "revenue", AccountRole.REVENUE),
    Account("4900", "Sales returns and allowances", "revenue", AccountRole.SALES_RETURNS),
    Account("4950", "Settlement discounts allowed", "revenue", AccountRole.SETTLEMENT_DISCOUNT),
    Account("5000", "Cost of goods sold", "expense", AccountRole.COGS),
    Account("6100", "Goodwill expense", "expense", AccountRole.GOODWILL),
    Account("6200", "Promotion expense", "expense", AccountRole.PROMOTION),
    Account("7100", "Realized exchange gain", "revenue", AccountRole.FX_GAIN),
    Account("7200", "Realized exchange loss", "expense", AccountRole.FX_LOSS),
)


@dataclass(frozen=True, slots=True)
class ReasonCode:
    code: str
    label: str
    account_code: str
    applies_to: str = "both"  # credit | debit | both


_SRA, _REV = "4900", "4000"
DEFAULT_REASON_CODES: Final[tuple[ReasonCode, ...]] = (
    ReasonCode("refund", "Refund", _SRA, "credit"),
    ReasonCode("billing_error", "Billing error", _SRA),
    ReasonCode("price_correction", "Price correction", _SRA),
    ReasonCode("return", "Return", _SRA, "credit"),
    ReasonCode("damaged_goods", "Damaged goods", _SRA, "credit"),
    ReasonCode("incorrect_shipment", "Incorrect shipment", _SRA, "credit"),
    ReasonCode("goodwill", "Goodwill", "6100", "credit"),
    ReasonCode("promotion", "Promotion", "6200"),
    ReasonCode("sla_credit", "SLA credit", _SRA, "credit"),
    ReasonCode("downgrade_proration", "Downgrade proration", _SRA, "credit"),
    ReasonCode("temporary_credit", "Temporary credit", "1150"),
    ReasonCode("chargeback", "Charge-back", _REV, "debit"),
    ReasonCode("underbilling", "Under-billing", _REV, "debit"),
    ReasonCode("other", "Other", _SRA),
)
