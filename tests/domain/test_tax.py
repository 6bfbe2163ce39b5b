"""Rule 2: tax follows the invoice line, and crediting a line in any number of pieces nets its tax to
exactly the line's tax, never more on the way (DESIGN §2)."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditmemo.domain.crediting import build_invoice_lines, credited_after, price_credit
from creditmemo.domain.documents import CreditBy, InvoiceLine, MemoLine
from creditmemo.domain.errors import OverCreditError
from creditmemo.domain.inputs import InvoiceLineInput
from creditmemo.domain.money import Money, quantum
from creditmemo.domain.tax import credit_tax, line_tax

D = Decimal
_n = iter(range(10**9))


def ids(prefix: str) -> str:
    return f"{prefix}_{next(_n)}"


def invoice_line(qty: str, price: str, rate: str, currency: str = "USD", discount: str | None = None) -> InvoiceLine:
    (line,) = build_invoice_lines(
        [InvoiceLineInput("Item", qty, price, discount=discount, tax_rate=rate)], currency, "4000", ids
    )
    return line


def credit(
    line: InvoiceLine, *, quantity: Decimal | None = None, amount: Money | None = None
) -> tuple[InvoiceLine, MemoLine]:
    qty, by, net, tax = price_credit(line, quantity=quantity, amount=amount, field="lines[0]")
    memo_line = MemoLine(
        ids("cml"),
        1,
        line.description,
        qty,
        line.unit_price,
        net,
        line.tax_rate,
        tax,
        invoice_line_id=line.id,
        credit_by=by,
    )
    return credited_after(line, memo_line), memo_line


class TestLineTax:
    @pytest.mark.parametrize(
        ("net", "rate", "currency", "expected"),
        [
            ("30.00", "8.25", "USD", "2.48"),  # 2.475 -> half up
            ("10.00", "8.25", "USD", "0.83"),
            ("100", "10", "JPY", "10"),
            ("105", "10", "JPY", "11"),  # 10.5 -> 11
            ("1.000", "0.05", "KWD", "0.001"),  # 0.0005 -> 0.001
            ("5.00", "0", "USD", "0.00"),
            ("5.00", "100", "USD", "5.00"),
        ],
    )
    def test_rounds_half_up_once_at_line_level(self, net, rate, currency, expected):
        assert line_tax(Money(D(net), currency), D(rate)) == Money(D(expected), currency)

    def test_three_thirds_take_the_remainder_on_the_last(self):
        line = invoice_line("3", "10.00", "8.25")
        assert line.tax == Money(D("2.48"), "USD")
        taxes = []
        for _ in range(3):
            line, piece = credit(line, quantity=D(1))
            taxes.append(str(piece.tax.amount))
        assert taxes == ["0.83", "0.83", "0.82"]
        assert line.remaining_tax == Money.zero("USD")
        assert line.remaining_net == Money.zero("USD")

    def test_a_piece_never_takes_more_tax_than_remains(self):
        line = invoice_line("1", "0.06", "8.25")  # tax 0.00495 -> 0.00
        assert line.tax == Money(D("0.00"), "USD")
        line, piece = credit(line, amount=Money(D("0.03"), "USD"))
        assert piece.tax == Money.zero("USD")

    def test_credit_takes_the_invoice_lines_rate(self):
        line = invoice_line("2", "50.00", "19")
        _, piece = credit(line, amount=Money(D("10.00"), "USD"))
        assert piece.tax_rate == D("19")
        assert piece.tax == Money(D("1.90"), "USD")
        assert credit_tax(line, line.remaining_net) == line.tax


def test_a_credit_line_that_rounds_to_zero_is_refused():
    from datetime import date

    from creditmemo.domain.crediting import build_credit_lines
    from creditmemo.domain.documents import Invoice
    from creditmemo.domain.errors import ValidationFailedError
    from creditmemo.domain.inputs import CreditLineInput

    line = invoice_line("1", "1.00", "0")
    inv = Invoice(
        "inv_1",
        "co",
        "cus",
        "INV-000001",
        "issued",
        "USD",
        D(1),
        date(2026, 1, 1),
        date(2026, 1, 31),
        (line,),
        line.net,
        line.tax,
        line.total,
        Money.zero("USD"),
        Money.zero("USD"),
    )
    with pytest.raises(ValidationFailedError) as err:
        build_credit_lines(inv, [CreditLineInput(line.id, quantity="0.001")], ids)
    assert [(e.field, e.code) for e in err.value.errors] == [("lines[0].quantity", "zero_amount")]


class TestOverCreditOnALine:
    def test_amount_beyond_what_is_left_names_the_amount_field(self):
        line = invoice_line("2", "50.00", "0")
        line, _ = credit(line, amount=Money(D("60.00"), "USD"))
        with pytest.raises(OverCreditError) as err:
            credit(line, amount=Money(D("40.01"), "USD"))
        assert (err.value.code, err.value.field) == ("over_credit", "lines[0].amount")

    def test_quantity_beyond_what_is_left_names_the_quantity_field(self):
        line = invoice_line("2", "50.00", "0")
        line, _ = credit(line, quantity=D("1.5"))
        with pytest.raises(OverCreditError) as err:
            credit(line, quantity=D("0.500001"))
        assert (err.value.code, err.value.field) == ("over_credit", "lines[0].quantity")


CURRENCIES = ["USD", "JPY", "KWD", "EUR"]


@st.composite
def lines(draw):
    currency = draw(st.sampled_from(CURRENCIES))
    qty = draw(st.decimals(min_value=D("0.001"), max_value=D(5000), places=3, allow_nan=False, allow_infinity=False))
    price = draw(st.decimals(min_value=D("0.01"), max_value=D(100000), places=2, allow_nan=False, allow_infinity=False))
    rate = draw(st.decimals(min_value=D(0), max_value=D(100), places=4, allow_nan=False, allow_infinity=False))
    line = invoice_line(str(qty), str(price), str(rate), currency)
    if not line.net.is_positive():
        line = invoice_line("1", "1", str(rate), currency)
    return line


fractions = st.decimals(min_value=D("0.0001"), max_value=D(1), places=4, allow_nan=False, allow_infinity=False)
steps = st.lists(st.tuples(st.sampled_from([CreditBy.AMOUNT, CreditBy.QUANTITY]), fractions), max_size=12)


@settings(max_examples=200, deadline=None)
@given(lines(), steps)
def test_any_number_of_pieces_nets_the_tax_exactly_and_never_exceeds_it(line, pieces):
    original = line
    currency = line.net.currency
    q = quantum(currency)
    zero = Money.zero(currency)
    for by, fraction in pieces:
        if not line.remaining_net.is_positive():
            break
        if by is CreditBy.AMOUNT:
            amount = max((line.remaining_net.amount * fraction).quantize(q, ROUND_DOWN), q)
            line, piece = credit(line, amount=Money(amount, currency))
        else:
            qty = (line.remaining_quantity * fraction).quantize(D("0.000001"), ROUND_DOWN)
            if qty <= 0:
                continue
            after, piece = credit(line, quantity=qty)
            if piece.net == zero:  # rounds to nothing: build_credit_lines refuses it (zero_amount)
                continue
            line = after
        assert piece.net.is_positive()
        assert zero <= piece.tax <= original.tax
        assert piece.tax_rate == original.tax_rate
        assert zero <= line.credited_net <= original.net
        assert zero <= line.credited_tax <= original.tax
        assert line.credited_quantity <= original.quantity
        if line.remaining_net == zero:
            assert line.credited_tax == original.tax
    if line.remaining_net.is_positive():
        line, _ = credit(line, amount=line.remaining_net)
    assert line.credited_net == original.net
    assert line.credited_tax == original.tax
    assert line.remaining_tax == zero
    with pytest.raises(OverCreditError):
        credit(line, amount=Money(q, currency))


@settings(max_examples=100, deadline=None)
@given(lines(), st.integers(1, 20))
def test_equal_quantity_pieces_net_the_tax_exactly(line, n):
    """Splitting by quantity only, in n equal pieces (the last takes what is left)."""
    original = line
    piece_qty = (line.quantity / n).quantize(D("0.000001"), ROUND_DOWN)
    taxes = []
    for i in range(n):
        qty = None if i == n - 1 else piece_qty
        if qty is not None and qty <= 0:
            continue
        if not line.remaining_net.is_positive():
            break
        after, piece = credit(line, quantity=qty)
        if piece.net.is_positive():
            line = after
            taxes.append(piece.tax)
    if line.remaining_net.is_positive():
        line, piece = credit(line)  # the rest of the quantity
        taxes.append(piece.tax)
    assert line.credited_net == original.net
    assert sum((t.amount for t in taxes), D(0)) == original.tax.amount
    assert line.credited_tax == original.tax


def test_a_line_used_up_by_amount_refuses_a_quantity_credit_saying_no_amount_is_left():
    D = Decimal
    usd = lambda s: Money(D(s), "USD")  # noqa: E731
    inv_line = InvoiceLine(
        "il_1",
        1,
        "Item",
        D("2"),
        D("50"),
        usd("0"),
        usd("100.00"),
        D("10"),
        usd("10.00"),
        "4000",
        credited_net=usd("0"),
        credited_tax=usd("0"),
    )
    _, _, net, tax = price_credit(inv_line, quantity=None, amount=usd("100.00"), field="lines[0]")
    used = credited_after(inv_line, MemoLine("l", 1, "Item", None, None, net, D("10"), tax, credit_by=CreditBy.AMOUNT))
    assert used.remaining_quantity == D("2")
    with pytest.raises(OverCreditError) as err:
        price_credit(used, quantity=D("1"), amount=None, field="lines[0]")
    assert err.value.field == "lines[0].quantity"
    assert "no amount left" in err.value.detail
