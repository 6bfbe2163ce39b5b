"""Money: an immutable Decimal amount at its currency's ISO 4217 minor unit, currency-checked.

Rounding happens in one place, ``Money.rounded`` (half-up, DESIGN §2). No float gets in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final

from creditmemo.domain.errors import CurrencyMismatchError, FieldError, ValidationFailedError

# ISO 4217 minor units, pinned: CLDR (Babel) digits differ from ISO for a few currencies,
# and amounts stored as integer minor units must never change meaning.
MINOR_UNITS: Final[dict[str, int]] = {
    "AUD": 2,
    "BHD": 3,
    "BRL": 2,
    "CAD": 2,
    "CHF": 2,
    "CLP": 0,
    "CNY": 2,
    "CZK": 2,
    "DKK": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "HUF": 2,
    "IDR": 2,
    "ILS": 2,
    "INR": 2,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KRW": 0,
    "KWD": 3,
    "MXN": 2,
    "MYR": 2,
    "NOK": 2,
    "NZD": 2,
    "OMR": 3,
    "PHP": 2,
    "PLN": 2,
    "SAR": 2,
    "SEK": 2,
    "SGD": 2,
    "THB": 2,
    "TND": 3,
    "TRY": 2,
    "TWD": 2,
    "USD": 2,
    "VND": 0,
    "ZAR": 2,
}
_QUANTA: Final[dict[str, Decimal]] = {c: Decimal(1).scaleb(-d) for c, d in MINOR_UNITS.items()}
# Largest amount accepted anywhere (fits a signed 64-bit count of minor units with room to sum).
MAX_AMOUNT: Final = Decimal("999999999999.999")


def is_currency(code: object) -> bool:
    return isinstance(code, str) and code in MINOR_UNITS


def quantum(currency: str) -> Decimal:
    try:
        return _QUANTA[currency]
    except KeyError:
        raise ValidationFailedError.single(
            "currency", f"Unknown or unsupported currency {currency!r}.", "unknown_currency"
        ) from None


def minor_units(currency: str) -> int:
    quantum(currency)
    return MINOR_UNITS[currency]


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal) or isinstance(self.amount, bool):
            raise TypeError(f"Money amount must be Decimal, got {type(self.amount).__name__}")
        if not self.amount.is_finite():
            raise ValueError("Money amount must be finite")
        q = quantum(self.currency)
        exact = self.amount.quantize(q)
        if exact != self.amount:
            raise ValueError(f"{self.amount} has more places than {self.currency} allows")
        object.__setattr__(self, "amount", exact)

    # construction -------------------------------------------------------------------------
    @classmethod
    def rounded(cls, value: Decimal, currency: str) -> Money:
        """Round half-up to the minor unit: the one place rounding happens (DESIGN §2)."""
        return cls(value.quantize(quantum(currency), ROUND_HALF_UP), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        cached = _ZEROS.get(currency)
        if cached is None:
            cached = _ZEROS[currency] = cls(Decimal(0), currency)
        return cached

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        """From stored integer minor units (read on every row): exact by construction, so the checks
        of ``__init__`` are skipped for known currencies."""
        places = MINOR_UNITS.get(currency)
        if places is None or type(minor) is not int:
            return cls(Decimal(minor).scaleb(-minor_units(currency)), currency)
        money = object.__new__(cls)
        object.__setattr__(money, "amount", Decimal(minor).scaleb(-places))
        object.__setattr__(money, "currency", currency)
        return money

    def to_minor(self) -> int:
        return int(self.amount.scaleb(MINOR_UNITS[self.currency]))

    # arithmetic ---------------------------------------------------------------------------
    def _check(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"Cannot combine {self.currency} with {other.currency}.",
                currency=self.currency,
                other_currency=other.currency,
            )

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._check(other)
        return self.amount >= other.amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    def min(self, other: Money) -> Money:
        return self if self <= other else other

    def is_negative(self) -> bool:
        return self.amount < 0

    def is_positive(self) -> bool:
        return self.amount > 0

    def times(self, factor: Decimal) -> Money:
        """Multiply by an exact factor and round once (half-up)."""
        return Money.rounded(self.amount * factor, self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


_ZEROS: dict[str, Money] = {}


def total(items: Iterable[Money], currency: str) -> Money:
    """Sum of already-rounded amounts: totals are sums, never re-rounded."""
    result = Money.zero(currency)
    for item in items:
        result = result + item
    return result


def allocate(amount: Money, weights: Sequence[Decimal]) -> list[Money]:
    """Split ``amount`` in proportion to ``weights`` by largest remainder.

    The parts sum exactly to ``amount`` and each is within one minor unit of its exact share.
    """
    if not weights:
        raise ValueError("allocate needs at least one weight")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights, Decimal(0))
    if weight_sum == 0:
        raise ValueError("weights must not all be zero")
    q = quantum(amount.currency)
    sign = -1 if amount.amount < 0 else 1
    magnitude = abs(amount.amount)
    exact = [magnitude * w / weight_sum for w in weights]
    floors = [e.quantize(q, ROUND_DOWN) for e in exact]
    leftover_units = int(((magnitude - sum(floors, Decimal(0))) / q).to_integral_value())
    order = sorted(range(len(weights)), key=lambda i: (floors[i] - exact[i], i))
    for i in order[:leftover_units]:
        floors[i] += q
    return [Money(sign * f, amount.currency) for f in floors]


# parsing -----------------------------------------------------------------------------------
def parse_decimal(
    value: object,
    field: str,
    *,
    max_places: int | None = None,
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
    exclusive_minimum: bool = False,
) -> Decimal:
    """Parse a decimal from text, int or Decimal (never float), naming ``field`` on failure."""
    if isinstance(value, (bool, float)):
        raise ValidationFailedError.single(
            field, 'Send decimal numbers as strings, e.g. "12.50".', "not_a_decimal_string"
        )
    try:
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, str) and 0 < len(value.strip()) <= 40:
            number = Decimal(value.strip())
        else:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise ValidationFailedError.single(field, f"{value!r} is not a decimal number.", "invalid_decimal") from None
    if not number.is_finite():
        raise ValidationFailedError.single(field, "Must be a finite number.", "invalid_decimal")
    if abs(number) > MAX_AMOUNT:
        raise ValidationFailedError.single(field, f"Must be at most {MAX_AMOUNT}.", "too_large")
    if max_places is not None and number != number.quantize(Decimal(1).scaleb(-max_places), ROUND_DOWN):
        raise ValidationFailedError.single(field, f"Has more than {max_places} decimal places.", "too_many_decimals")
    if minimum is not None and (number <= minimum if exclusive_minimum else number < minimum):
        bound = "greater than" if exclusive_minimum else "at least"
        raise ValidationFailedError.single(field, f"Must be {bound} {minimum}.", "out_of_range")
    if maximum is not None and number > maximum:
        raise ValidationFailedError.single(field, f"Must be at most {maximum}.", "out_of_range")
    return number


def parse_amount(value: object, currency: str, field: str, *, positive: bool = False) -> Money:
    """Parse a money amount in ``currency``; more decimals than the currency allows is an error."""
    if not is_currency(currency):
        raise ValidationFailedError.single(
            "currency", f"Unknown or unsupported currency {currency!r}.", "unknown_currency"
        )
    number = parse_decimal(
        value,
        field,
        max_places=MINOR_UNITS[currency],
        minimum=Decimal(0) if positive else None,
        exclusive_minimum=positive,
    )
    return Money(number.quantize(_QUANTA[currency]), currency)


def parse_currency(value: object, field: str = "currency") -> str:
    if not is_currency(value):
        raise ValidationFailedError(
            [FieldError(field, "unknown_currency", f"Unknown or unsupported currency {value!r}.")]
        )
    return str(value)
