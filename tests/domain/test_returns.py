"""Return authorizations (issue 10) as pure rules: the transition table against the issue's edges, what
may still be returned of an invoice line, receipts (partial, never more than authorized), what a credit
takes, and properties of receiving and crediting in pieces."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditmemo.domain.crediting import build_invoice_lines, credited_after, price_credit
from creditmemo.domain.documents import Invoice, MemoLine
from creditmemo.domain.errors import InvalidTransitionError, OverReturnError, ValidationFailedError
from creditmemo.domain.inputs import InvoiceLineInput
from creditmemo.domain.money import Money
from creditmemo.domain.returns import (
    RETURN_TRANSITIONS,
    ReceiptInput,
    ReturnAction,
    ReturnAuthorization,
    ReturnLineInput,
    ReturnStatus,
    allowed_return_actions,
    build_return_lines,
    credited,
    ensure_return_action,
    receive_lines,
    returnable,
    status_after,
    to_credit,
)

D = Decimal
_n = iter(range(10**9))


def ids(prefix: str) -> str:
    return f"{prefix}_{next(_n)}"


def invoice(*lines: tuple[str, str, str | None]) -> Invoice:
    built = build_invoice_lines(
        [InvoiceLineInput(f"Item {i}", q, p, unit_cost=c) for i, (q, p, c) in enumerate(lines)], "USD", "4000", ids
    )
    zero = Money.zero("USD")
    return Invoice(
        id="inv_1",
        company_id="co",
        customer_id="cus",
        number="INV-000001",
        status="issued",
        currency="USD",
        exchange_rate=D(1),
        issue_date=date(2026, 1, 1),
        due_date=date(2026, 1, 31),
        lines=built,
        subtotal=zero,
        tax_total=zero,
        total=zero,
        amount_credited=zero,
        amount_paid=zero,
    )


def rma(inv: Invoice, *quantities: str, status: ReturnStatus = ReturnStatus.AUTHORIZED) -> ReturnAuthorization:
    available = {line.id: line.quantity for line in inv.lines}
    lines = build_return_lines(
        inv, [ReturnLineInput(inv.lines[i].id, q) for i, q in enumerate(quantities)], available, ids
    )
    return ReturnAuthorization("rma_1", "co", "RMA-000001", "cus", inv.id, status, "return", lines)


class TestTransitionTable:
    def test_edges_are_the_issues(self) -> None:
        S, A = ReturnStatus, ReturnAction
        assert dict(RETURN_TRANSITIONS) == {
            (S.AUTHORIZED, A.EDIT): S.AUTHORIZED,
            (S.AUTHORIZED, A.RECEIVE): S.RECEIVED,
            (S.AUTHORIZED, A.CANCEL): S.CANCELLED,
            (S.RECEIVED, A.RECEIVE): S.RECEIVED,
            (S.RECEIVED, A.CREDIT): S.CREDITED,
        }

    def test_terminal_states_allow_nothing(self) -> None:
        inv = invoice(("1", "100.00", "60.00"))
        for status in (ReturnStatus.CREDITED, ReturnStatus.CANCELLED):
            assert allowed_return_actions(rma(inv, "1", status=status)) == ()

    def test_cancelling_a_received_return_names_what_is_allowed(self) -> None:
        inv = invoice(("2", "100.00", "60.00"))
        ret = rma(inv, "2")
        ret = replace(ret, status=ReturnStatus.RECEIVED, lines=receive_lines(ret, [ReceiptInput(ret.lines[0].id, "1")]))
        with pytest.raises(InvalidTransitionError) as err:
            ensure_return_action(ret, ReturnAction.CANCEL)
        assert err.value.context["allowed_actions"] == ["receive", "credit"]

    def test_crediting_an_unreceived_return_is_refused(self) -> None:
        inv = invoice(("1", "100.00", "60.00"))
        with pytest.raises(InvalidTransitionError) as err:
            to_credit(rma(inv, "1"))
        assert err.value.context["allowed_actions"] == ["edit", "receive", "cancel"]

    def test_nothing_left_to_credit_is_refused(self) -> None:
        inv = invoice(("1", "100.00", "60.00"))
        ret = rma(inv, "1")
        ret = replace(ret, status=ReturnStatus.RECEIVED, lines=receive_lines(ret, None))
        ret = replace(ret, lines=credited(ret, {inv.lines[0].id: D(1)}))
        assert status_after(ret.lines) is ReturnStatus.CREDITED
        with pytest.raises(InvalidTransitionError):
            to_credit(ret)


class TestAuthorize:
    def test_more_than_invoiced_is_over_return(self) -> None:
        inv = invoice(("3", "10.00", None))
        with pytest.raises(OverReturnError) as err:
            rma(inv, "4")
        assert err.value.field == "lines[0].quantity"
        assert err.value.context["returnable_quantity"] == "3"

    def test_earlier_returns_and_quantity_credits_reduce_what_is_left(self) -> None:
        line = invoice(("10", "10.00", None)).lines[0]
        credited_line = replace(line, credited_quantity=D(3))
        # 2 held by another return, 3 credited by quantity outside returns: 5 left
        assert returnable(credited_line, held_by_returns=D(2), credited_through_returns=D(0)) == D(5)
        # of the 3 credited, 2 came through that return (its own posted credit): 10 - 1 - 2
        assert returnable(credited_line, held_by_returns=D(2), credited_through_returns=D(2)) == D(7)

    def test_a_line_of_another_invoice_and_a_duplicate_are_validation_errors(self) -> None:
        inv = invoice(("1", "10.00", None))
        available = {inv.lines[0].id: D(1)}
        with pytest.raises(ValidationFailedError) as err:
            build_return_lines(
                inv,
                [
                    ReturnLineInput("il_elsewhere", "1"),
                    ReturnLineInput(inv.lines[0].id, "1"),
                    ReturnLineInput(inv.lines[0].id, "1"),
                ],
                available,
                ids,
            )
        assert [(e.field, e.code) for e in err.value.errors] == [
            ("lines[0].invoice_line_id", "not_on_invoice"),
            ("lines[2].invoice_line_id", "duplicate"),
        ]

    def test_quantity_defaults_to_everything_left(self) -> None:
        inv = invoice(("5", "10.00", None))
        lines = build_return_lines(inv, [ReturnLineInput(inv.lines[0].id)], {inv.lines[0].id: D(2)}, ids)
        assert lines[0].quantity == D(2)
        assert lines[0].restock is False  # no unit cost: not stock

    def test_goods_go_back_to_stock_by_default_and_a_line_without_cost_cannot(self) -> None:
        inv = invoice(("5", "10.00", "4.00"), ("1", "99.00", None))
        available = {line.id: line.quantity for line in inv.lines}
        goods, service = build_return_lines(
            inv, [ReturnLineInput(inv.lines[0].id), ReturnLineInput(inv.lines[1].id)], available, ids
        )
        assert (goods.restock, service.restock) == (True, False)
        with pytest.raises(ValidationFailedError) as err:
            build_return_lines(inv, [ReturnLineInput(inv.lines[1].id, "1", restock=True)], available, ids)
        assert (err.value.errors[0].field, err.value.errors[0].code) == ("lines[0].restock", "no_unit_cost")
        ret = ReturnAuthorization("r", "co", "RMA-1", "cus", inv.id, ReturnStatus.AUTHORIZED, "return", (service,))
        with pytest.raises(ValidationFailedError):
            receive_lines(ret, [ReceiptInput(service.id, restock=True)], stockable=frozenset({inv.lines[0].id}))


class TestReceive:
    def test_no_body_receives_everything(self) -> None:
        ret = rma(invoice(("2", "10.00", None), ("1", "5.00", None)), "2", "1")
        assert [line.quantity_received for line in receive_lines(ret, None)] == [D(2), D(1)]

    def test_more_than_authorized_is_over_return(self) -> None:
        ret = rma(invoice(("2", "10.00", None)), "2")
        with pytest.raises(OverReturnError) as err:
            receive_lines(ret, [ReceiptInput(ret.lines[0].id, "3")])
        assert err.value.field == "lines[0].quantity_received"

    def test_restock_and_condition_change_with_the_receipt(self) -> None:
        ret = rma(invoice(("2", "10.00", "4.00")), "2")
        (line,) = receive_lines(ret, [ReceiptInput(ret.lines[0].id, "1", restock=False, condition="crushed box")])
        assert (line.quantity_received, line.restock, line.condition) == (D(1), False, "crushed box")

    def test_cancelling_the_rest_frees_what_will_not_come(self) -> None:
        ret = rma(invoice(("3", "10.00", None)), "3")
        (line,) = receive_lines(ret, [ReceiptInput(ret.lines[0].id, "1")], cancel_rest=True)
        assert (line.quantity_received, line.quantity_cancelled, line.to_receive, line.held) == (D(1), D(2), D(0), D(1))
        ret = replace(ret, status=ReturnStatus.RECEIVED, lines=(line,))
        assert allowed_return_actions(ret) == (ReturnAction.CREDIT,)
        ret = replace(ret, lines=credited(ret, {line.invoice_line_id: D(1)}))
        assert status_after(ret.lines) is ReturnStatus.CREDITED

    def test_cancelling_the_rest_with_nothing_received_is_refused(self) -> None:
        ret = rma(invoice(("3", "10.00", None)), "3")
        with pytest.raises(ValidationFailedError) as err:
            receive_lines(ret, None, cancel_rest=True)
        assert err.value.field == "cancel_rest"

    def test_a_line_of_another_return_is_a_validation_error(self) -> None:
        ret = rma(invoice(("2", "10.00", None)), "2")
        with pytest.raises(ValidationFailedError) as err:
            receive_lines(ret, [ReceiptInput("rmal_other", "1")])
        assert err.value.errors[0].code == "not_on_return"


@given(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=8), st.integers(1, 30))
def test_receiving_and_crediting_in_pieces_never_exceeds_what_is_authorized(pieces: list[int], authorized: int) -> None:
    """Receipts in any pieces: each accepted only while it fits; the accepted ones sum to at most the
    authorized quantity, and once all is received and credited the return is credited."""
    inv = invoice((str(authorized), "9.99", "3.33"))
    ret = replace(rma(inv, str(authorized)), status=ReturnStatus.RECEIVED)
    received = 0
    for piece in pieces:
        line = ret.lines[0]
        if piece > line.to_receive:
            with pytest.raises(OverReturnError):
                receive_lines(ret, [ReceiptInput(line.id, str(piece))])
            continue
        ret = replace(ret, lines=receive_lines(ret, [ReceiptInput(line.id, str(piece))]))
        received += piece
        # credit what is received so far
        taken = to_credit(ret)
        ret = replace(ret, lines=credited(ret, {taken[0].invoice_line_id: taken[0].to_credit}))
    assert ret.lines[0].quantity_received == ret.lines[0].quantity_credited == received <= authorized
    if received < authorized:
        assert status_after(ret.lines) is ReturnStatus.RECEIVED
        ret = replace(ret, lines=receive_lines(ret, None))
        ret = replace(ret, lines=credited(ret, {inv.lines[0].id: to_credit(ret)[0].to_credit}))
    assert status_after(ret.lines) is ReturnStatus.CREDITED


@given(st.integers(2, 12), st.integers(0, 5), st.integers(1, 10))
def test_credit_by_returns_in_pieces_nets_tax_to_zero(qty: int, taken_by_amount_cents: int, split: int) -> None:
    """Rule 2 through returns: a line credited partly by amount and the rest by returned quantity in
    pieces is credited exactly, net and tax (the completing return credit takes what is left)."""
    (line,) = build_invoice_lines([InvoiceLineInput("Widget", str(qty), "19.99", tax_rate="8.25")], "USD", "4000", ids)
    if taken_by_amount_cents:
        amount = Money(D(taken_by_amount_cents) / 100, "USD")
        _, by, net, tax = price_credit(line, quantity=None, amount=amount, field="l")
        line = credited_after(line, MemoLine("m", 1, "x", None, None, net, line.tax_rate, tax, credit_by=by))
    first = D(min(split, qty - 1))
    for piece in (first, line.quantity - first):
        q, by, net, tax = price_credit(line, quantity=piece, amount=None, field="l")
        line = credited_after(line, MemoLine("m", 1, "x", q, line.unit_price, net, line.tax_rate, tax, credit_by=by))
    assert line.remaining_net.amount == 0
    assert line.remaining_tax.amount == 0


@given(
    st.integers(1, 20),
    st.lists(st.tuples(st.sampled_from(["return", "credit", "cancel"]), st.integers(1, 8)), min_size=1, max_size=12),
)
def test_returns_and_quantity_credits_never_take_more_than_was_invoiced(
    invoiced: int, steps: list[tuple[str, int]]
) -> None:
    """Any sequence of return authorizations, credits by quantity outside returns and cancelled returns: each
    accepted only while it fits what is left, so returned (held) plus credited never exceeds what was invoiced."""
    inv = invoice((str(invoiced), "10.00", "4.00"))
    line = inv.lines[0]
    held: list[Decimal] = []  # authorized quantities of the returns not cancelled
    for action, qty in steps:
        left = returnable(line, sum(held, D(0)), D(0))
        if action == "return":
            if D(qty) > left:
                with pytest.raises(OverReturnError):
                    build_return_lines(inv, [ReturnLineInput(line.id, str(qty))], {line.id: left}, ids)
                continue
            (built,) = build_return_lines(inv, [ReturnLineInput(line.id, str(qty))], {line.id: left}, ids)
            held.append(built.quantity)
        elif action == "credit" and D(qty) <= left:
            line = replace(line, credited_quantity=line.credited_quantity + qty)
        elif action == "cancel" and held:
            held.pop(0)
        assert sum(held, D(0)) + line.credited_quantity <= line.quantity
