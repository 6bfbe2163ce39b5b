"""Realized exchange differences (issue 15): when an application settles a credit source and a debit document
booked at different rates, each side's AR is relieved at its own functional amount and the difference is a
realized gain or loss, in the same balanced entry. Pure: the service supplies the amounts it read.

The functional amount an application takes off one document is the amount times the document's booked rate,
rounded once; the application that settles what is left of the document takes exactly the document's
functional remainder instead, so a document settled by any sequence of partial applications leaves zero
functional AR behind (the cents rounding would otherwise strand)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from creditmemo.domain.ledger import JournalEntry, JournalLine
from creditmemo.domain.money import Money


@dataclass(frozen=True, slots=True)
class ExchangeRate:
    """One row of a company's rate table: units of the company currency for one unit of ``currency``, from
    ``day`` until the next row of that currency."""

    currency: str
    day: date
    rate: Decimal
    updated_at: datetime | None = None
    updated_by: str | None = None


@dataclass(frozen=True, slots=True)
class BookedSide:
    """One document of an application as the rule needs it: its booked rate, what is open on it in its own
    currency before this application, and (only needed when this application settles it) the functional AR
    still open on it."""

    rate: Decimal
    open_amount: Money
    functional_open: Money | None = None

    def settled_by(self, amount: Money) -> bool:
        return amount == self.open_amount


def relief(amount: Money, side: BookedSide, functional_currency: str) -> Money:
    """The functional AR ``amount`` takes off the document: its remainder when this settles it, else
    ``amount`` at the document's rate (rounded half-up once)."""
    if side.settled_by(amount):
        if side.functional_open is None:
            raise ValueError("settling a document needs its functional remainder")
        return side.functional_open
    return Money.rounded(amount.amount * side.rate, functional_currency)


@dataclass(frozen=True, slots=True)
class FxAccounts:
    ar: str
    gain: str
    loss: str
    discount: str | None = None  # settlement discounts allowed (issue 15 item 8)


def realized_entry(
    *,
    entry_id: str,
    company_id: str,
    on: date,
    application_id: str,
    customer_id: str,
    amount: Money,
    source_relief: Money,
    target_relief: Money,
    accounts: FxAccounts,
    rate: Decimal,
    reverse: bool = False,
    description: str = "",
    discount: Money | None = None,
    discount_functional: Money | None = None,
    foreign: bool = True,
) -> JournalEntry | None:
    """The application's entry when the two reliefs differ or a settlement discount was taken (None when
    neither: nothing to book). AR is debited for the source's relief (its credit balance goes) and credited
    for the target's (its debit balance goes): ``amount`` each side in the document currency, which nets to
    zero. A settlement discount (issue 15 item 8) is part of the target's relief: the target's AR line is
    amount + discount, and the discount is debited to settlement discounts allowed (at the target's booked
    rate). The functional difference left is a loss (target relieved for more than the source and the
    discount were worth) or a gain. In the company currency (``foreign`` False) only the discount is booked:
    Dr discounts allowed, Cr AR. ``reverse`` books the mirror, for an unapplication."""
    currency, functional = amount.currency, source_relief.currency
    zero, f_zero = Money.zero(currency), Money.zero(functional)
    disc = discount if discount is not None and discount.is_positive() else zero
    disc_f = discount_functional if disc.is_positive() and discount_functional is not None else f_zero
    if source_relief == target_relief and not disc.is_positive():
        return None
    if disc.is_positive() and accounts.discount is None:
        raise ValueError("a settlement discount needs the settlement discounts allowed account")
    lines: list[tuple[str, Money, Money, bool, str | None]]
    if not foreign:
        lines = [(str(accounts.discount), disc, disc_f, True, None), (accounts.ar, disc, disc_f, False, customer_id)]
    else:
        difference = target_relief - source_relief - disc_f
        lines = [
            (accounts.ar, amount, source_relief, True, customer_id),
            (accounts.ar, amount + disc, target_relief, False, customer_id),
        ]
        if disc.is_positive():
            lines.append((str(accounts.discount), disc, disc_f, True, None))
        if difference.is_positive():
            lines.append((accounts.loss, zero, difference, True, None))
        elif difference:
            lines.append((accounts.gain, zero, -difference, False, None))
    journal_lines = []
    for account, doc_amount, functional_amount, debit, customer in lines:
        debit = debit != reverse
        journal_lines.append(
            JournalLine(
                account,
                doc_amount if debit else zero,
                zero if debit else doc_amount,
                functional_amount if debit else f_zero,
                f_zero if debit else functional_amount,
                customer,
            )
        )
    return JournalEntry(
        id=entry_id,
        company_id=company_id,
        date=on,
        source_type="application",
        source_id=application_id,
        kind="unapply" if reverse else "apply",
        currency=currency,
        functional_currency=functional,
        exchange_rate=rate,  # the target's booked rate, for the reader; the functional amounts are exact
        lines=tuple(journal_lines),
        description=description,
    )


def clearing_entry(
    *,
    entry_id: str,
    company_id: str,
    on: date,
    source_type: str,
    source_id: str,
    customer_id: str,
    currency: str,
    credit_left: Money,
    accounts: FxAccounts,
    rate: Decimal,
    description: str = "",
) -> JournalEntry | None:
    """A credit source used up in its own currency (a refund took the rest of it) that still holds functional AR:
    ``credit_left`` (positive: a credit balance remains, negative: more was paid out than booked) is cleared
    against the realized gain or loss; nothing in the document currency."""
    if not credit_left:
        return None
    zero, f_zero = Money.zero(currency), Money.zero(credit_left.currency)
    size = credit_left if credit_left.is_positive() else -credit_left
    if credit_left.is_positive():  # AR keeps a credit: debit it away, a gain
        lines = (
            JournalLine(accounts.ar, zero, zero, size, f_zero, customer_id),
            JournalLine(accounts.gain, zero, zero, f_zero, size),
        )
    else:  # AR keeps a debit: credit it away, a loss
        lines = (
            JournalLine(accounts.ar, zero, zero, f_zero, size, customer_id),
            JournalLine(accounts.loss, zero, zero, size, f_zero),
        )
    return JournalEntry(
        id=entry_id,
        company_id=company_id,
        date=on,
        source_type=source_type,
        source_id=source_id,
        kind="fx",
        currency=currency,
        functional_currency=credit_left.currency,
        exchange_rate=rate,
        lines=lines,
        description=description,
    )
