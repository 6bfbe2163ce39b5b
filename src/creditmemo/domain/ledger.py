"""Journal entries, balanced by construction in document and functional currency (rule 5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from creditmemo.domain.errors import UnbalancedEntryError, ValidationFailedError
from creditmemo.domain.money import MAX_AMOUNT, Money


@dataclass(frozen=True, slots=True)
class JournalLine:
    account: str
    debit: Money
    credit: Money
    functional_debit: Money
    functional_credit: Money
    customer_id: str | None = None  # set on AR lines: the customer sub-ledger


@dataclass(frozen=True, slots=True)
class JournalEntry:
    id: str
    company_id: str
    date: date
    source_type: str  # invoice | credit_memo | debit_memo | payment | refund
    source_id: str
    kind: str  # post | void | ...
    currency: str
    functional_currency: str
    exchange_rate: Decimal
    lines: tuple[JournalLine, ...]
    description: str = ""

    def __post_init__(self) -> None:
        if not self.lines:
            raise UnbalancedEntryError("A journal entry needs lines.", source_id=self.source_id)
        debit = sum((line.debit.amount for line in self.lines), Decimal(0))
        credit = sum((line.credit.amount for line in self.lines), Decimal(0))
        f_debit = sum((line.functional_debit.amount for line in self.lines), Decimal(0))
        f_credit = sum((line.functional_credit.amount for line in self.lines), Decimal(0))
        if debit != credit or f_debit != f_credit:
            raise UnbalancedEntryError(
                f"Entry for {self.source_type} {self.source_id} does not balance: "
                f"{debit}/{credit} {self.currency}, {f_debit}/{f_credit} {self.functional_currency}.",
                source_id=self.source_id,
            )

    @property
    def total_debit(self) -> Money:
        return Money(sum((line.debit.amount for line in self.lines), Decimal(0)), self.currency)


@dataclass(frozen=True, slots=True)
class Leg:
    """One side of a posting before conversion: positive amounts, ``debit`` says the side."""

    account: str
    amount: Money
    debit: bool
    customer_id: str | None = None


def build_entry(
    *,
    entry_id: str,
    company_id: str,
    on: date,
    source_type: str,
    source_id: str,
    kind: str,
    functional_currency: str,
    exchange_rate: Decimal,
    legs: Sequence[Leg],
    balancing: Leg,
    description: str = "",
) -> JournalEntry:
    """Turn legs into a journal entry. Each leg is converted to the functional currency and
    rounded once; the ``balancing`` leg (the AR line) takes the functional amount that balances
    the others, so an entry balances in both currencies by construction. Legs on the same
    account and side are merged; zero legs are dropped."""
    merged: dict[tuple[str, bool, str | None], Money] = {}
    for leg in legs:
        if leg.amount.amount == 0:
            continue
        key = (leg.account, leg.debit, leg.customer_id)
        merged[key] = merged[key] + leg.amount if key in merged else leg.amount
    currency = balancing.amount.currency
    zero, f_zero = Money.zero(currency), Money.zero(functional_currency)
    lines: list[JournalLine] = []
    f_net = Decimal(0)  # functional debits minus credits of the detail lines
    for (account, is_debit, customer_id), amount in merged.items():
        functional = Money.rounded(amount.amount * exchange_rate, functional_currency)
        f_net += functional.amount if is_debit else -functional.amount
        lines.append(
            JournalLine(
                account,
                amount if is_debit else zero,
                zero if is_debit else amount,
                functional if is_debit else f_zero,
                f_zero if is_debit else functional,
                customer_id,
            )
        )
    f_balance = Money(abs(f_net), functional_currency)
    if (
        max([f_balance.amount, *(line.functional_debit.amount + line.functional_credit.amount for line in lines)])
        > MAX_AMOUNT
    ):
        # the integer minor-unit columns would overflow: a client's absurd rate is an input error, not a crash
        raise ValidationFailedError.single(
            "exchange_rate",
            f"At this exchange rate the amount exceeds {MAX_AMOUNT} {functional_currency}.",
            "too_large",
        )
    amount = balancing.amount
    lines.append(
        JournalLine(
            balancing.account,
            amount if balancing.debit else zero,
            zero if balancing.debit else amount,
            # The side follows the sign of the functional difference, not the leg's document side: when
            # rounding of mixed-side legs tips the other way, the entry must still balance.
            f_balance if f_net < 0 else f_zero,
            f_zero if f_net < 0 else f_balance,
            balancing.customer_id,
        )
    )
    return JournalEntry(
        entry_id,
        company_id,
        on,
        source_type,
        source_id,
        kind,
        currency,
        functional_currency,
        exchange_rate,
        tuple(lines),
        description,
    )


def reverse(entry: JournalEntry, *, entry_id: str, on: date, kind: str = "void") -> JournalEntry:
    """Void = a mirror entry dated ``on`` (rule 4); the original is never touched."""
    lines = tuple(
        JournalLine(
            line.account, line.credit, line.debit, line.functional_credit, line.functional_debit, line.customer_id
        )
        for line in entry.lines
    )
    return JournalEntry(
        entry_id,
        entry.company_id,
        on,
        entry.source_type,
        entry.source_id,
        kind,
        entry.currency,
        entry.functional_currency,
        entry.exchange_rate,
        lines,
        f"Reversal of {entry.id}",
    )
