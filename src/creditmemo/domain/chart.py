"""The default chart of accounts and reason codes a new company starts with (DESIGN §2)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from creditmemo.domain.errors import FieldError


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
    BAD_DEBT = "bad_debt_expense"


@dataclass(frozen=True, slots=True)
class Account:
    code: str
    name: str
    kind: str  # asset | liability | equity | revenue | expense
    role: AccountRole | None = None
    active: bool = True


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
    Account("6300", "Bad debt expense", "expense", AccountRole.BAD_DEBT),
    Account("7100", "Realized exchange gain", "revenue", AccountRole.FX_GAIN),
    Account("7200", "Realized exchange loss", "expense", AccountRole.FX_LOSS),
)


@dataclass(frozen=True, slots=True)
class ReasonCode:
    code: str
    label: str
    account_code: str
    applies_to: str = "both"  # credit | debit | both
    active: bool = True


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
    ReasonCode("write_off", "Write-off of an uncollectible balance", "6300", "credit"),
    ReasonCode("other", "Other", _SRA),
)


ACCOUNT_KINDS: Final = ("asset", "liability", "equity", "revenue", "expense")
REASON_APPLIES_TO: Final = ("credit", "debit", "both")
REASON_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
ACCOUNT_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,19}$")
MAX_NAME = 200


def check_reason_code(code: object) -> list[FieldError]:
    if not isinstance(code, str) or not REASON_CODE.match(code):
        return [FieldError("code", "invalid", "snake_case, 2 to 40 characters.")]
    return []


def check_account_number(number: object) -> list[FieldError]:
    if not isinstance(number, str) or not ACCOUNT_NUMBER.match(number):
        return [FieldError("number", "invalid", "Letters, digits, dots and dashes, 1 to 20 characters.")]
    return []


def check_name(value: object, field: str, *, required: bool = True) -> list[FieldError]:
    if value is None and not required:
        return []
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        return [FieldError(field, "invalid", f"Text of 1 to {MAX_NAME} characters.")]
    return []


def check_reason_account(
    account: Mapping[str, object] | None, number: object, field: str = "account"
) -> list[FieldError]:
    """A reason code maps to an existing, active account (issue 17: an inactive account takes no new mapping)."""
    if account is None:
        return [FieldError(field, "unknown_account", f"No account {number!r}.")]
    if not account.get("active", True):
        return [FieldError(field, "inactive_account", f"Account {number} is inactive; a reason code cannot map to it.")]
    return []


def account_uses(number: str, role: str | None, reasons: Sequence[Mapping[str, object]]) -> list[str]:
    """Why an account cannot be deactivated: the posting role it plays, the reason codes (active or not) mapped
    to it. Remap those first; an empty list means it may go."""
    uses = [f"posting role {role}"] if role else []
    uses += [f"reason code {r['code']}" for r in reasons if r.get("account_code") == number]
    return uses
