"""Credit terms and settlement discounts (issue 15 items 6-8, seed 004). Pure.

Terms such as "2 % 10, net 30": the document is due ``net_days`` after its date, and a payment on or before
``discount_days`` after its date may settle it for its total less ``discount_percent``. A company has terms,
a customer may have its own (they win). At posting, a document stores its *potential* discount (document and
company currency) and its discount date; cash matching then offers what is left of it:

- a credit memo from the invoice takes its share of the potential off (proportional to the credit: the
  offer is the potential less round(potential x credited / total), so it stays within 0..potential);
- never more than the amount due (so taking it never leaves a negative amount due);
- nothing once a discount was taken, nothing after the discount date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from creditmemo.domain.errors import DomainError, FieldError, ValidationFailedError
from creditmemo.domain.money import Money

MAX_DAYS: Final = 3650
HUNDRED: Final = Decimal(100)


class DiscountExpiredError(DomainError):
    """A settlement discount asked for after its date (422, names the field and the date)."""

    code = "discount_expired"


@dataclass(frozen=True, slots=True)
class CreditTerms:
    net_days: int
    discount_percent: Decimal = Decimal(0)
    discount_days: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "net_days": self.net_days,
            "discount_percent": format(self.discount_percent.quantize(Decimal("0.01")), "f"),
            "discount_days": self.discount_days,
        }

    @property
    def label(self) -> str:
        """ "2 % 10, net 30" (or "net 30" without a discount)."""
        if not self.discount_percent:
            return f"net {self.net_days}"
        pct = format(self.discount_percent.normalize(), "f")
        return f"{pct} % {self.discount_days}, net {self.net_days}"

    @classmethod
    def parse(cls, value: object, field: str = "credit_terms") -> CreditTerms:
        """Validate terms sent by a client, collecting every field's error: days whole and >= 0, the
        percent 0-100 with at most 2 decimals, the discount days not after the net days."""
        if not isinstance(value, Mapping):
            raise ValidationFailedError.single(field, "An object {net_days, discount_percent, discount_days}.")
        errors: list[FieldError] = []
        unknown = sorted(set(value) - {"net_days", "discount_percent", "discount_days"})
        for name in unknown:
            errors.append(FieldError(f"{field}.{name}", "unknown", "Not a credit terms field."))
        days: dict[str, int] = {}
        for name, required in (("net_days", True), ("discount_days", False)):
            raw = value.get(name, None if required else 0)
            if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_DAYS:
                errors.append(FieldError(f"{field}.{name}", "out_of_range", f"Whole days from 0 to {MAX_DAYS}."))
            else:
                days[name] = raw
        percent = Decimal(0)
        raw_pct = value.get("discount_percent", "0")
        try:
            if isinstance(raw_pct, bool) or not isinstance(raw_pct, (str, int, Decimal)):
                raise InvalidOperation
            percent = Decimal(str(raw_pct).strip())
            if not percent.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors.append(FieldError(f"{field}.discount_percent", "invalid", 'A decimal string such as "2.00".'))
        else:
            if not Decimal(0) <= percent <= HUNDRED:
                errors.append(FieldError(f"{field}.discount_percent", "out_of_range", "From 0 to 100."))
            elif percent != percent.quantize(Decimal("0.01")):
                errors.append(FieldError(f"{field}.discount_percent", "too_precise", "At most 2 decimals."))
        if len(days) == 2 and days["discount_days"] > days["net_days"]:
            errors.append(
                FieldError(f"{field}.discount_days", "out_of_range", "The discount days cannot exceed the net days.")
            )
        if errors:
            raise ValidationFailedError(errors)
        return cls(days["net_days"], percent.quantize(Decimal("0.01")), days["discount_days"])

    @classmethod
    def stored(cls, value: object) -> CreditTerms | None:
        """Terms as stored (validated when saved), or None."""
        if value is None:
            return None
        return cls.parse(value)


@dataclass(frozen=True, slots=True)
class SettlementDiscount:
    """What a document stores at posting: the potential discount in its currency and (in minor units) in the
    company's, and the last day a payment earns it."""

    amount: Money
    functional_minor: int
    until: date

    def functional(self, functional_currency: str) -> Money:
        return Money.from_minor(self.functional_minor, functional_currency)


def potential_discount(
    total: Money, terms: CreditTerms | None, document_date: date, rate: Decimal, functional_currency: str
) -> SettlementDiscount | None:
    """``total`` x percent, rounded half-up once; dated ``document_date`` + discount days. None when the
    terms give no discount (or there are none)."""
    if terms is None or not terms.discount_percent or not total.is_positive():
        return None
    amount = Money.rounded(total.amount * terms.discount_percent / HUNDRED, total.currency)
    if not amount.is_positive():
        return None
    functional = Money.rounded(amount.amount * rate, functional_currency)
    return SettlementDiscount(amount, functional.to_minor(), document_date + timedelta(days=terms.discount_days))


def share(potential: Money, part: Money, whole: Money) -> Money:
    """``potential`` x part / whole, rounded half-up: a credit memo's share of its invoice's discount."""
    if not whole.is_positive() or not part.is_positive():
        return Money.zero(potential.currency)
    return Money.rounded(potential.amount * part.amount / whole.amount, potential.currency)


def discount_left(potential: Money, total: Money, credited: Money) -> Money:
    """The potential discount less the share of the credit memos from the invoice (``credited``, at most the
    total): never negative, never more than the potential."""
    credited = credited.min(total)
    return potential - share(potential, credited, total)


def discount_offer(*, potential: Money | None, total: Money, credited: Money, taken: Money, due: Money) -> Money:
    """What a payment in time may still take: what is left of the potential, none once one was taken,
    never more than the amount due."""
    zero = Money.zero(total.currency)
    if potential is None or taken.is_positive() or not due.is_positive():
        return zero
    return discount_left(potential, total, credited).min(due)


def discount_to_take(
    *,
    amount: Money,
    due: Money,
    offer: Money,
    until: date | None,
    paid_on: date,
    take: bool | None,
    where: str,
    number: str,
) -> Money:
    """The discount an allocation of ``amount`` to a document takes. ``take`` True asks for it (refused when
    there is none, when late, or when the amount is not exactly what settles the document with it); None
    takes it when ``amount`` is exactly the amount due less the discount, on or before its date; False never."""
    zero = Money.zero(amount.currency)
    if take is False:
        return zero
    if until is None or not offer.is_positive():
        if take:
            raise ValidationFailedError.single(
                f"{where}.take_discount", f"{number} has no settlement discount to take.", "no_discount"
            )
        return zero
    if paid_on > until:
        if take:
            raise DiscountExpiredError(
                f"The settlement discount on {number} ended on {until.isoformat()}; "
                f"the payment is dated {paid_on.isoformat()}.",
                field=f"{where}.take_discount",
                discount_date=until.isoformat(),
                paid_on=paid_on.isoformat(),
            )
        return zero
    settles_for = due - offer
    if amount == settles_for and settles_for.is_positive():
        return offer
    if take:
        raise ValidationFailedError.single(
            f"{where}.amount",
            f"With its settlement discount of {offer}, {number} is settled by exactly {settles_for}.",
            "discount_amount",
        )
    return zero
