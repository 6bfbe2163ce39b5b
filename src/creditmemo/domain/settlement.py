"""Settlement rules, pure: applications (source → target), refund limits, aging buckets and
statement arithmetic (DESIGN §2 Applications, Refunds, Payments; issue 3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Final

from creditmemo.domain.documents import settlement_status
from creditmemo.domain.errors import (
    CurrencyMismatchError,
    CustomerMismatchError,
    FieldError,
    InsufficientAvailableError,
    OverRefundError,
    RefundLimitError,
    ValidationFailedError,
)
from creditmemo.domain.money import Money, parse_amount


class SourceType(StrEnum):
    CREDIT_MEMO = "credit_memo"
    PAYMENT = "payment"


class TargetType(StrEnum):
    INVOICE = "invoice"
    DEBIT_MEMO = "debit_memo"


class ApplicationStatus(StrEnum):
    ACTIVE = "active"
    REVERSED = "reversed"


MAX_ALLOCATIONS: Final = 1000


@dataclass(frozen=True, slots=True)
class AllocationInput:
    """One part of an application request, as the edges receive it (amount parsed later)."""

    target_type: object
    target_id: object
    amount: object
    take_discount: object = None  # True: take the settlement discount; None: when the amount is exact


@dataclass(frozen=True, slots=True)
class Application:
    id: str
    company_id: str
    source_type: SourceType
    source_id: str
    target_type: TargetType
    target_id: str
    customer_id: str
    amount: Money
    status: ApplicationStatus
    applied_on: date
    created_by: str | None = None
    created_at: datetime | None = None
    reversed_at: datetime | None = None
    reversed_by: str | None = None
    reversed_on: date | None = None  # the unapplication's date
    # The functional AR each side relieved (domain/fx.py), in minor units of the company currency; None
    # before realized exchange differences existed (read as the amount at the document's rate).
    functional_source_minor: int | None = None
    functional_target_minor: int | None = None
    # The settlement discount this application took (issue 15 item 8): the target is settled by amount +
    # discount; the functional discount is at the target's booked rate (None before discounts existed).
    discount: Money | None = None
    functional_discount_minor: int | None = None

    @property
    def currency(self) -> str:
        return self.amount.currency

    @property
    def discount_taken(self) -> Money:
        return self.discount or Money.zero(self.amount.currency)

    @property
    def settles(self) -> Money:
        """What the application takes off its target: the amount and any discount taken."""
        return self.amount + self.discount_taken


@dataclass(frozen=True, slots=True)
class Payment:
    id: str
    company_id: str
    number: str
    customer_id: str
    currency: str
    exchange_rate: Decimal
    amount: Money
    amount_applied: Money
    amount_refunded: Money
    received_on: date
    method: str
    reference: str | None
    status: str = "received"
    created_by: str | None = None
    created_at: datetime | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)  # the caller's key-value map (domain/metadata.py)
    # The latest date an amount of it was freed again (an unapplication, a refund reversal; None: never), as stored
    # on its row (Party.released_on).
    released_on: date | None = None

    @property
    def amount_available(self) -> Money:
        return self.amount - self.amount_applied - self.amount_refunded

    @property
    def settlement_status(self) -> str:
        return settlement_status(self.amount_applied + self.amount_refunded, self.amount)


@dataclass(frozen=True, slots=True)
class Refund:
    id: str
    company_id: str
    number: str
    source_type: SourceType
    source_id: str
    customer_id: str
    amount: Money
    method: str
    reference: str | None
    refunded_on: date
    override_reason: str | None = None
    created_by: str | None = None
    created_at: datetime | None = None
    status: str = "completed"  # completed | reversed (the money came back: issue 17)
    reversed_on: date | None = None
    reversal_reason: str | None = None
    reversed_by: str | None = None


UNREAD: Final = date.max  # Party.released_on not read: as if an amount may have been freed after any day


@dataclass(frozen=True, slots=True)
class Party:
    """Either side of an application reduced to what the rules need: whose, which currency, how much."""

    type: str
    id: str
    number: str
    customer_id: str
    currency: str
    open_amount: Money  # source: available to apply; target: amount due
    exchange_rate: Decimal = Decimal(1)  # the document's booked rate to the company currency
    # Its issue (or receipt) date: what an application may not be dated before; a payment's also decides
    # whether it earns a settlement discount (issue 15).
    dated: date | None = None
    # The latest date an amount of it was freed again: the latest unapplication date of the applications from or to
    # it and, for a credit source, the latest reversal date of its refunds; None: never. Read from its row under its
    # lock (the row keeps it, migration 0027): a use dated on or after it cannot find its amount not yet free, so
    # the settlement date check reads no application (domain/dating.py check_free_as_of). UNREAD: not known here;
    # the check then reads the applications and refunds to find out.
    released_on: date | None = UNREAD


@dataclass(frozen=True, slots=True)
class ParsedAllocation:
    target_type: TargetType
    target_id: str
    amount: Money
    take_discount: bool | None = None


def parse_allocations(allocations: Sequence[AllocationInput], currency: str) -> list[ParsedAllocation]:
    """Parse every allocation, collecting all field errors (amounts > 0 in the source's currency)."""
    if not allocations:
        raise ValidationFailedError.single("allocations", "At least one allocation is required.", "required")
    if len(allocations) > MAX_ALLOCATIONS:
        raise ValidationFailedError.single("allocations", f"At most {MAX_ALLOCATIONS} allocations.", "too_many")
    errors: list[FieldError] = []
    parsed: list[ParsedAllocation] = []
    for i, alloc in enumerate(allocations):
        where = f"allocations[{i}]"
        if alloc.target_type not in (TargetType.INVOICE, TargetType.DEBIT_MEMO):
            errors.append(FieldError(f"{where}.target_type", "invalid", "One of invoice, debit_memo."))
        if not isinstance(alloc.target_id, str) or not alloc.target_id:
            errors.append(FieldError(f"{where}.target_id", "required", "A target id is required."))
        if alloc.take_discount is not None and not isinstance(alloc.take_discount, bool):
            errors.append(FieldError(f"{where}.take_discount", "invalid", "true, false or null."))
        try:
            amount = parse_amount(alloc.amount, currency, f"{where}.amount", positive=True)
        except ValidationFailedError as err:
            errors.extend(err.errors)
            continue
        if not errors:
            take = alloc.take_discount if isinstance(alloc.take_discount, bool) else None
            parsed.append(ParsedAllocation(TargetType(str(alloc.target_type)), str(alloc.target_id), amount, take))
    if errors:
        raise ValidationFailedError(errors)
    return parsed


def check_allocations(source: Party, allocations: Sequence[ParsedAllocation], targets: Mapping[str, Party]) -> None:
    """Same customer and currency; each target's own amount due covers what this request puts on it
    (allocations to one target add up); the source's available amount covers the whole request."""
    put_on: dict[str, Money] = {}
    for i, alloc in enumerate(allocations):
        where = f"allocations[{i}]"
        target = targets[alloc.target_id]
        if target.customer_id != source.customer_id:
            raise CustomerMismatchError(
                f"{target.number} belongs to another customer than {source.number}.", field=f"{where}.target_id"
            )
        if target.currency != source.currency:
            raise CurrencyMismatchError(
                f"{target.number} is in {target.currency}; {source.number} is in {source.currency}.",
                field=f"{where}.target_id",
                currency=source.currency,
                other_currency=target.currency,
            )
        so_far = put_on.get(target.id, Money.zero(source.currency)) + alloc.amount
        if so_far > target.open_amount:
            raise InsufficientAvailableError(
                f"{so_far} exceeds the {target.open_amount} due on {target.number}.",
                field=f"{where}.amount",
                limit="amount_due",
                amount_due=str(target.open_amount.amount),
                requested=str(so_far.amount),
            )
        put_on[target.id] = so_far
    requested = sum((a.amount.amount for a in allocations), Decimal(0))
    if requested > source.open_amount.amount:
        raise InsufficientAvailableError(
            f"{requested} {source.currency} exceeds the {source.open_amount} available on {source.number}.",
            field="allocations",
            limit="available",
            available=str(source.open_amount.amount),
            requested=str(requested),
        )


@dataclass(frozen=True, slots=True)
class RefundLimits:
    """What bounds a refund: the source's available amount (hard), the customer's net credit and, for
    a memo from an invoice, what was paid on that invoice less what was already refunded (overridable)."""

    available: Money
    customer_net_credit: Money
    invoice_paid_left: Money | None = None


def check_refund(amount: Money, source_number: str, limits: RefundLimits, *, override: bool) -> list[str]:
    """Raise when the refund breaks a limit; return the limits an override let through."""
    if amount > limits.available:
        raise OverRefundError(
            f"{amount} exceeds the {limits.available} available on {source_number}.",
            field="amount",
            available=str(limits.available.amount),
        )
    broken: list[str] = []
    if amount > limits.customer_net_credit:
        broken.append("customer_net_credit")
    if limits.invoice_paid_left is not None and amount > limits.invoice_paid_left:
        broken.append("invoice_paid")
    if broken and not override:
        detail = {
            "customer_net_credit": f"the customer's net credit is {limits.customer_net_credit}",
            "invoice_paid": f"only {limits.invoice_paid_left} paid on the invoice is left to refund",
        }
        raise RefundLimitError(
            f"Money goes back only where it came in: {'; '.join(detail[b] for b in broken)}. "
            "A controller may override with a reason.",
            field="amount",
            limits=broken,
            customer_net_credit=str(limits.customer_net_credit.amount),
            invoice_paid_left=None if limits.invoice_paid_left is None else str(limits.invoice_paid_left.amount),
        )
    return broken


# aging --------------------------------------------------------------------------------------
BUCKETS: Final = ("current", "days_1_30", "days_31_60", "days_61_90", "days_over_90")


def bucket_bounds(as_of: date) -> tuple[date, date, date, date]:
    """Due-date boundaries for the buckets, so SQL can bucket with plain date comparisons on both
    engines: due >= b0 current; >= b1 1-30; >= b2 31-60; >= b3 61-90; else 90+ (days past due)."""
    return as_of, as_of - timedelta(days=30), as_of - timedelta(days=60), as_of - timedelta(days=90)


def bucket_for(due: date, as_of: date) -> str:
    days = (as_of - due).days
    if days <= 0:
        return BUCKETS[0]
    if days <= 30:
        return BUCKETS[1]
    if days <= 60:
        return BUCKETS[2]
    if days <= 90:
        return BUCKETS[3]
    return BUCKETS[4]


def running_balances(opening: Money, movements: Sequence[tuple[Money, Money]]) -> list[Money]:
    """A statement's balance after each (debit, credit) movement, starting from the opening balance."""
    balance = opening
    result = []
    for debit, credit in movements:
        balance = balance + debit - credit
        result.append(balance)
    return result


def oldest_first(sources: Sequence[Party], targets: Sequence[Party]) -> list[tuple[Party, Party, Money]]:
    """Account credit used automatically: each source (oldest first) pays the targets (oldest first) as far as
    both go, like a clerk working down two lists. Returns (source, target, amount) with amount > 0; never more
    than a source has available or a target has due. Sources and targets share the customer and currency."""
    left = {p.id: p.open_amount for p in (*sources, *targets)}
    result = []
    for source in sources:
        for target in targets:
            amount = left[source.id].min(left[target.id])
            if amount.is_positive():
                result.append((source, target, amount))
                left[source.id] = left[source.id] - amount
                left[target.id] = left[target.id] - amount
            if not left[source.id].is_positive():
                break
    return result


def spread(available: Money, dues: Sequence[Money]) -> list[Money]:
    """``available`` over ``dues`` in their order: each gets what it is due while money is left (the apply
    forms' proposal, oldest due first; the user edits the amounts)."""
    left, result = available, []
    for due in dues:
        take = left.min(due) if left.is_positive() else Money.zero(available.currency)
        left = left - take
        result.append(take)
    return result
