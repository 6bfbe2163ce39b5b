"""Building memo lines: from an invoice (narrowed by quantity or amount) or free, and the
over-credit rule (rule 1) applied when a draft is saved and again when it is posted."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import ParamSpec, TypeVar

from creditmemo.domain.documents import CreditBy, Invoice, InvoiceLine, MemoLine
from creditmemo.domain.errors import FieldError, OverCreditError, ValidationFailedError
from creditmemo.domain.inputs import CreditLineInput, FreeLineInput, InvoiceLineInput
from creditmemo.domain.money import MAX_AMOUNT, MINOR_UNITS, Money, parse_amount, parse_decimal
from creditmemo.domain.parsing import parse_date
from creditmemo.domain.tax import credit_tax, line_tax

IdFactory = Callable[[str], str]

QUANTITY_PLACES = 6
PRICE_PLACES = 6
P = ParamSpec("P")
T = TypeVar("T")
RATE_PLACES = 4
MAX_LINES = 100_000
MAX_DESCRIPTION = 500


def parse_quantity(value: object, field: str) -> Decimal:
    return parse_decimal(value, field, max_places=QUANTITY_PLACES, minimum=Decimal(0), exclusive_minimum=True)


def parse_tax_rate(value: object, field: str) -> Decimal:
    if value is None:
        return Decimal(0)
    return parse_decimal(value, field, max_places=RATE_PLACES, minimum=Decimal(0), maximum=Decimal(100))


def parse_description(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailedError.single(field, "A description is required.", "required")
    if len(value) > MAX_DESCRIPTION:
        raise ValidationFailedError.single(field, f"At most {MAX_DESCRIPTION} characters.", "too_long")
    return value.strip()


class _Collector:
    """Accumulates field errors so one request reports all of them (STYLE B7)."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
        """``fn(*args, **kwargs)``, or None with its field errors collected."""
        try:
            return fn(*args, **kwargs)
        except ValidationFailedError as err:
            self.errors.extend(err.errors)
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailedError(self.errors)


def _check_line_count(count: int, field: str = "lines") -> None:
    if count == 0:
        raise ValidationFailedError.single(field, "At least one line is required.", "required")
    if count > MAX_LINES:
        raise ValidationFailedError.single(field, f"At most {MAX_LINES} lines.", "too_many")


# invoices ------------------------------------------------------------------------------------
def parse_service_period(start: object, end: object, prefix: str) -> tuple[date | None, date | None]:
    """Both ends or neither; the end on or after the start (inclusive days)."""
    if start is None and end is None:
        return None, None
    if start is None or end is None:
        missing = "service_start" if start is None else "service_end"
        raise ValidationFailedError.single(f"{prefix}.{missing}", "A service period needs both ends.", "required")
    first, last = parse_date(start, f"{prefix}.service_start"), parse_date(end, f"{prefix}.service_end")
    if last < first:
        raise ValidationFailedError.single(f"{prefix}.service_end", "The period ends before it starts.", "out_of_range")
    return first, last


def build_invoice_lines(
    inputs: Sequence[InvoiceLineInput],
    currency: str,
    default_revenue_account: str,
    ids: IdFactory,
    default_deferred_account: str | None = None,
) -> tuple[InvoiceLine, ...]:
    """A line with a service period is deferred (issue 12): it carries its deferred revenue account, the
    company's unless given."""
    _check_line_count(len(inputs))
    errors = _Collector()
    lines: list[InvoiceLine] = []
    for i, raw in enumerate(inputs):
        p = f"lines[{i}]"
        description = errors.run(parse_description, raw.description, f"{p}.description")
        quantity = errors.run(parse_quantity, raw.quantity, f"{p}.quantity")
        unit_price = errors.run(
            parse_decimal, raw.unit_price, f"{p}.unit_price", max_places=PRICE_PLACES, minimum=Decimal(0)
        )
        discount = errors.run(parse_amount, "0" if raw.discount is None else raw.discount, currency, f"{p}.discount")
        rate = errors.run(parse_tax_rate, raw.tax_rate, f"{p}.tax_rate")
        unit_cost = (
            None
            if raw.unit_cost is None
            else errors.run(parse_decimal, raw.unit_cost, f"{p}.unit_cost", max_places=PRICE_PLACES, minimum=Decimal(0))
        )
        period = errors.run(parse_service_period, raw.service_start, raw.service_end, p)
        if None in (description, quantity, unit_price, discount, rate, period):
            continue
        assert isinstance(quantity, Decimal)
        assert isinstance(unit_price, Decimal)
        assert isinstance(discount, Money)
        assert isinstance(rate, Decimal)
        gross = Money.rounded(quantity * unit_price, currency)
        if gross.amount > MAX_AMOUNT:  # quantity x price must still fit the integer minor-unit columns
            errors.errors.append(FieldError(p, "too_large", f"The line amount must be at most {MAX_AMOUNT}."))
            continue
        if discount.is_negative() or discount > gross:
            errors.errors.append(FieldError(f"{p}.discount", "out_of_range", "Must be between 0 and the line amount."))
            continue
        net = gross - discount
        lines.append(
            InvoiceLine(
                id=ids("il"),
                line_no=i + 1,
                description=str(description),
                quantity=quantity,
                unit_price=unit_price,
                discount=discount,
                net=net,
                tax_rate=rate,
                tax=line_tax(net, rate),
                revenue_account=str(raw.revenue_account or default_revenue_account),
                item=None if raw.item is None else str(raw.item)[:200],
                unit_cost=unit_cost if isinstance(unit_cost, Decimal) else None,
                credited_net=Money.zero(currency),
                credited_tax=Money.zero(currency),
                service_start=period[0],  # type: ignore[index]  # checked for None above
                service_end=period[1],  # type: ignore[index]  # checked for None above
                deferred_revenue_account=_deferred_account(raw, period, default_deferred_account),
            )
        )
    errors.raise_if_any()
    return tuple(lines)


def _deferred_account(raw: InvoiceLineInput, period: object, default: str | None) -> str | None:
    """Issue 12: a line with a service period is deferred, to its own account or the company's."""
    has_period = isinstance(period, tuple) and period[0] is not None
    account = raw.deferred_revenue_account or default
    return str(account) if has_period and account else None


# credit from an invoice ------------------------------------------------------------------------
def price_credit(
    line: InvoiceLine, *, quantity: Decimal | None, amount: Money | None, field: str
) -> tuple[Decimal | None, CreditBy, Money, Money]:
    """(quantity, credit_by, net, tax) of a credit on ``line`` against its posted credit so far.

    Raises OverCreditError naming ``field`` when the credit exceeds what is left on the line."""
    remaining = line.remaining_net
    if amount is not None:
        if amount > remaining:
            raise OverCreditError(
                f"{field}: {amount} exceeds the {remaining} left to credit on invoice line {line.line_no}.",
                field=f"{field}.amount",
                invoice_line_id=line.id,
                remaining=str(remaining.amount),
            )
        return None, CreditBy.AMOUNT, amount, credit_tax(line, amount)
    qty = line.remaining_quantity if quantity is None else quantity
    if not remaining.is_positive():
        # Credits by amount can use up a line's net while units remain uncredited.
        raise OverCreditError(
            f"{field}: invoice line {line.line_no} has no amount left to credit.",
            field=f"{field}.quantity",
            invoice_line_id=line.id,
            remaining=str(remaining.amount),
        )
    if qty > line.remaining_quantity or qty <= 0:
        raise OverCreditError(
            f"{field}: quantity {qty} exceeds the {max(line.remaining_quantity, Decimal(0))} left to credit "
            f"on invoice line {line.line_no}.",
            field=f"{field}.quantity",
            invoice_line_id=line.id,
            remaining_quantity=str(line.remaining_quantity),
        )
    if qty == line.remaining_quantity:
        net = remaining  # the completing quantity takes exactly what is left
    else:
        net = Money.rounded(line.net.amount * qty / line.quantity, line.net.currency).min(remaining)
    return qty, CreditBy.QUANTITY, net, credit_tax(line, net)


def build_credit_lines(
    invoice: Invoice,
    inputs: Sequence[CreditLineInput] | None,
    ids: IdFactory,
    *,
    restock_default: bool = False,
) -> tuple[MemoLine, ...]:
    """Memo lines from an invoice: every line with credit left when ``inputs`` is None (the
    pre-populated draft), else the chosen lines, each whole or narrowed by quantity or amount."""
    if inputs is None:
        inputs = [
            CreditLineInput(line.id, restock=restock_default)
            for line in invoice.lines
            if line.remaining_net.is_positive()
        ]
        if not inputs:
            raise OverCreditError(f"Invoice {invoice.number} is already fully credited.", field="invoice_id")
    _check_line_count(len(inputs))
    errors = _Collector()
    seen: set[str] = set()
    lines: list[MemoLine] = []
    for i, raw in enumerate(inputs):
        p = f"lines[{i}]"
        line = invoice.line(raw.invoice_line_id) if isinstance(raw.invoice_line_id, str) else None
        if line is None:
            errors.errors.append(
                FieldError(
                    f"{p}.invoice_line_id",
                    "not_on_invoice",
                    f"{raw.invoice_line_id!r} is not a line of invoice {invoice.number}.",
                )
            )
            continue
        if line.id in seen:
            errors.errors.append(
                FieldError(f"{p}.invoice_line_id", "duplicate", "This invoice line is already on the memo.")
            )
            continue
        seen.add(line.id)
        if raw.quantity is not None and raw.amount is not None:
            errors.errors.append(FieldError(p, "quantity_or_amount", "Give a quantity or an amount, not both."))
            continue
        quantity = None if raw.quantity is None else errors.run(parse_quantity, raw.quantity, f"{p}.quantity")
        amount = (
            None
            if raw.amount is None
            else errors.run(parse_amount, raw.amount, invoice.currency, f"{p}.amount", positive=True)
        )
        if (raw.quantity is not None and quantity is None) or (raw.amount is not None and amount is None):
            continue
        assert quantity is None or isinstance(quantity, Decimal)
        assert amount is None or isinstance(amount, Money)
        qty, credit_by, net, tax = price_credit(line, quantity=quantity, amount=amount, field=p)
        if not net.is_positive():  # a quantity so small its credit rounds to nothing
            errors.errors.append(
                FieldError(f"{p}.quantity", "zero_amount", f"The line rounds to zero {invoice.currency}.")
            )
            continue
        lines.append(
            MemoLine(
                id=ids("cml"),
                line_no=i + 1,
                description=line.description,
                quantity=qty,
                unit_price=line.unit_price,
                net=net,
                tax_rate=line.tax_rate,
                tax=tax,
                invoice_line_id=line.id,
                credit_by=credit_by,
                unit_cost=line.unit_cost,
                restock=bool(raw.restock) and credit_by is CreditBy.QUANTITY and line.unit_cost is not None,
                service_start=line.service_start,
                service_end=line.service_end,
            )
        )
    errors.raise_if_any()
    return tuple(lines)


def reprice_for_post(lines: Sequence[MemoLine], invoice_lines: dict[str, InvoiceLine]) -> tuple[MemoLine, ...]:
    """Rule 1 at post: re-derive each line against the posted credit as it is now (under lock).

    A line whose credit no longer fits raises OverCreditError; a line that now completes its
    invoice line takes exactly the remaining tax (rule 2)."""
    repriced = []
    for i, line in enumerate(lines):
        if line.invoice_line_id is None:
            repriced.append(line)
            continue
        inv_line = invoice_lines[line.invoice_line_id]
        if line.credit_by is CreditBy.AMOUNT:
            _, _, net, tax = price_credit(inv_line, quantity=None, amount=line.net, field=f"lines[{i}]")
        else:
            _, _, net, tax = price_credit(inv_line, quantity=line.quantity, amount=None, field=f"lines[{i}]")
        repriced.append(line if (net, tax) == (line.net, line.tax) else replace(line, net=net, tax=tax))
    return tuple(repriced)


def credited_after(inv_line: InvoiceLine, line: MemoLine, sign: int = 1) -> InvoiceLine:
    """The invoice line with ``line``'s credit added (sign=1, post) or taken back (sign=-1, void)."""
    zero = Money.zero(inv_line.net.currency)
    quantity = line.quantity if line.credit_by is CreditBy.QUANTITY and line.quantity is not None else Decimal(0)
    net = line.net if sign > 0 else -line.net
    tax = line.tax if sign > 0 else -line.tax
    return replace(
        inv_line,
        credited_quantity=inv_line.credited_quantity + sign * quantity,
        credited_net=(inv_line.credited_net or zero) + net,
        credited_tax=(inv_line.credited_tax or zero) + tax,
    )


# free lines (standalone credit memos, debit memos) ------------------------------------------------
def build_free_lines(
    inputs: Sequence[FreeLineInput],
    currency: str,
    ids: IdFactory,
    *,
    id_prefix: str = "cml",
    known_accounts: frozenset[str] | None = None,
) -> tuple[MemoLine, ...]:
    _check_line_count(len(inputs))
    errors = _Collector()
    lines: list[MemoLine] = []
    for i, raw in enumerate(inputs):
        p = f"lines[{i}]"
        description = errors.run(parse_description, raw.description, f"{p}.description")
        quantity = errors.run(parse_quantity, raw.quantity, f"{p}.quantity")
        unit_price = errors.run(
            parse_decimal,
            raw.unit_price,
            f"{p}.unit_price",
            max_places=PRICE_PLACES,
            minimum=Decimal(0),
            exclusive_minimum=True,
        )
        rate = errors.run(parse_tax_rate, raw.tax_rate, f"{p}.tax_rate")
        account = raw.account_code
        if account is not None and (
            not isinstance(account, str) or (known_accounts is not None and account not in known_accounts)
        ):
            errors.errors.append(FieldError(f"{p}.account_code", "unknown_account", f"No account {account!r}."))
            continue
        if None in (description, quantity, unit_price, rate):
            continue
        assert isinstance(quantity, Decimal)
        assert isinstance(unit_price, Decimal)
        assert isinstance(rate, Decimal)
        net = Money.rounded(quantity * unit_price, currency)
        if net.amount > MAX_AMOUNT:
            errors.errors.append(FieldError(p, "too_large", f"The line amount must be at most {MAX_AMOUNT}."))
            continue
        if not net.is_positive():
            errors.errors.append(FieldError(p, "zero_amount", f"The line rounds to zero {currency}."))
            continue
        lines.append(
            MemoLine(
                id=ids(id_prefix),
                line_no=i + 1,
                description=str(description),
                quantity=quantity,
                unit_price=unit_price,
                net=net,
                tax_rate=rate,
                tax=line_tax(net, rate),
                account_code=account,
                credit_by=CreditBy.QUANTITY,
            )
        )
    errors.raise_if_any()
    return tuple(lines)


__all__ = [
    "MINOR_UNITS",
    "build_credit_lines",
    "build_free_lines",
    "build_invoice_lines",
    "credited_after",
    "price_credit",
    "reprice_for_post",
]
