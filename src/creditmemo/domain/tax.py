"""Tax on lines: round(net × rate) per line, and the completing credit takes the remainder (rule 2)."""

from __future__ import annotations

from decimal import Decimal

from creditmemo.domain.documents import InvoiceLine
from creditmemo.domain.money import Money

_HUNDRED = Decimal(100)


def line_tax(net: Money, rate_percent: Decimal) -> Money:
    """Tax of one line, rounded half-up once at line level. ``rate_percent`` is "8.25" for 8.25 %."""
    return Money.rounded(net.amount * rate_percent / _HUNDRED, net.currency)


def credit_tax(invoice_line: InvoiceLine, net: Money) -> Money:
    """Rule 2: tax follows the invoice line's rate, and the credit that completes the line's net
    takes exactly the tax still uncredited, so any number of pieces nets the line's tax to zero.
    A piece never takes more tax than remains (rounding of many small pieces could otherwise)."""
    remaining = invoice_line.remaining_tax
    if net == invoice_line.remaining_net:
        return remaining
    return line_tax(net, invoice_line.tax_rate).min(remaining)
