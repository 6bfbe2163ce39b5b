"""Amounts, numbers and dates as a reader sees them, on the web's pages and the printable documents alike: the
reader's number conventions (locale.py), the amounts themselves exact."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from creditmemo.domain.money import MINOR_UNITS, Money
from creditmemo.presentation.locale import format_number


def fmt_money(value: Money | None, with_currency: bool = True) -> str:
    """1234.5 USD -> '1,234.50 USD' ('1.234,50 USD' for a German reader: presentation/locale.py); grouping for reading,
    the amount itself is exact."""
    if value is None:
        return ""
    text = format_number(value.amount, MINOR_UNITS.get(value.currency, 2))
    return f"{text} {value.currency}" if with_currency else text


def fmt_decimal(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text


def fmt_price(value: Decimal | None, currency: str) -> str:
    """A unit price: grouped, with at least the currency's decimals and any finer ones it has (12,000.00; 0.0125)."""
    if value is None:
        return ""
    places = max(MINOR_UNITS.get(currency, 2), -int(value.normalize().as_tuple().exponent))
    return format_number(value, places)


def fmt_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def label(value: object) -> str:
    return str(value).replace("_", " ")
