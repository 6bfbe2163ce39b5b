"""Realized exchange differences (domain/fx.py): a document settled by any sequence of partial applications
and unapplications leaves exactly zero functional AR, and every entry balances in both currencies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditmemo.domain.fx import BookedSide, FxAccounts, realized_entry, relief
from creditmemo.domain.ledger import JournalEntry
from creditmemo.domain.money import Money

ACCOUNTS = FxAccounts(ar="1200", gain="7100", loss="7200")
rates = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("500"), places=6)


def eur(minor: int) -> Money:
    return Money.from_minor(minor, "EUR")


def entry(amount: Money, source: Money, target: Money, *, reverse: bool = False) -> JournalEntry | None:
    return realized_entry(
        entry_id="je_1",
        company_id="co_1",
        on=date(2026, 3, 1),
        application_id="app_1",
        customer_id="cus_1",
        amount=amount,
        source_relief=source,
        target_relief=target,
        accounts=ACCOUNTS,
        rate=Decimal("1.10"),
        reverse=reverse,
    )


def test_worked_example_payment_below_the_invoice_rate_is_a_loss() -> None:
    """Issue 15 (a): EUR invoice 1,000.00 at 1.10, EUR payment 1,000.00 at 1.05: AR 1,100.00 USD relieved for
    the invoice, 1,050.00 for the payment, an exchange loss of 50.00 USD."""
    amount = eur(100_000)
    invoice = BookedSide(Decimal("1.10"), amount, functional_open=Money(Decimal("1100.00"), "USD"))
    payment = BookedSide(Decimal("1.05"), amount, functional_open=Money(Decimal("1050.00"), "USD"))
    target, source = relief(amount, invoice, "USD"), relief(amount, payment, "USD")
    e = entry(amount, source, target)
    assert e is not None
    assert [(ln.account, str(ln.functional_debit.amount), str(ln.functional_credit.amount)) for ln in e.lines] == [
        ("1200", "1050.00", "0.00"),
        ("1200", "0.00", "1100.00"),
        ("7200", "50.00", "0.00"),
    ]
    assert [(str(ln.debit.amount), str(ln.credit.amount)) for ln in e.lines] == [
        ("1000.00", "0.00"),
        ("0.00", "1000.00"),
        ("0.00", "0.00"),
    ]
    back = entry(amount, source, target, reverse=True)
    assert back is not None
    assert back.kind == "unapply"
    assert [(ln.account, ln.functional_debit, ln.functional_credit) for ln in back.lines] == [
        (ln.account, ln.functional_credit, ln.functional_debit) for ln in e.lines
    ]


def test_a_source_worth_more_is_a_gain_and_equal_reliefs_book_nothing() -> None:
    amount = eur(50_000)
    e = entry(amount, Money(Decimal("600.00"), "USD"), Money(Decimal("550.00"), "USD"))
    assert e is not None
    assert [(ln.account, str(ln.functional_credit.amount)) for ln in e.lines][-1] == ("7100", "50.00")
    assert entry(amount, Money(Decimal("550.00"), "USD"), Money(Decimal("550.00"), "USD")) is None


def test_settling_needs_the_remainder() -> None:
    with pytest.raises(ValueError, match="functional remainder"):
        relief(eur(100), BookedSide(Decimal("1.1"), eur(100)), "USD")


@settings(max_examples=300, deadline=None)
@given(
    total=st.integers(min_value=1, max_value=10**9),
    rate=rates,
    cuts=st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=12),
    undo=st.lists(st.booleans(), max_size=12),
)
def test_any_partial_sequence_with_unapplications_leaves_zero_functional_ar(
    total: int, rate: Decimal, cuts: list[int], undo: list[bool]
) -> None:
    """Apply a document in parts (some unapplied again, restoring what they took), then settle the rest: the
    reliefs of the active applications add up to exactly the document's booked functional amount."""
    booked = Money.rounded(eur(total).amount * rate, "USD")
    open_minor, functional_open = total, booked
    active: list[tuple[int, Money]] = []
    for i, cut in enumerate(cuts):
        part = min(cut, open_minor)
        if part == 0:
            break
        side = BookedSide(rate, eur(open_minor), functional_open)
        taken = relief(eur(part), side, "USD")
        active.append((part, taken))
        open_minor, functional_open = open_minor - part, functional_open - taken
        if i < len(undo) and undo[i]:  # unapplied: both come back exactly
            part, taken = active.pop()
            open_minor, functional_open = open_minor + part, functional_open + taken
    if open_minor:
        taken = relief(eur(open_minor), BookedSide(rate, eur(open_minor), functional_open), "USD")
        active.append((open_minor, taken))
        functional_open = functional_open - taken
    assert sum(p for p, _ in active) == total
    assert functional_open == Money.zero("USD")
    assert sum((t for _, t in active), Money.zero("USD")) == booked


@settings(max_examples=200, deadline=None)
@given(amount=st.integers(min_value=1, max_value=10**9), a=rates, b=rates)
def test_every_entry_balances_in_both_currencies(amount: int, a: Decimal, b: Decimal) -> None:
    doc = eur(amount)
    source, target = Money.rounded(doc.amount * a, "USD"), Money.rounded(doc.amount * b, "USD")
    for reverse in (False, True):
        e = entry(doc, source, target, reverse=reverse)  # JournalEntry itself refuses an unbalanced entry
        if e is None:
            assert source == target
            continue
        ar = sum(ln.functional_debit.amount - ln.functional_credit.amount for ln in e.lines if ln.account == "1200")
        assert ar == (target.amount - source.amount) * (1 if reverse else -1)
