"""What the payment pages read, on SQLite and PostgreSQL: the payments list (status, customer, receipt dates,
amounts across currencies, company scope) and the row checks of the apply form; the oldest-first proposal as a
property (issue 16 item 5)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from creditmemo.domain.money import Money
from creditmemo.domain.settlement import AllocationInput, Payment, spread
from creditmemo.services.actors import Actor
from creditmemo.services.settlement.applications import apply_credit
from creditmemo.services.settlement.history import open_targets
from creditmemo.services.settlement.payments import get_payment, record_payment
from creditmemo.services.settlement.refunds import refund
from creditmemo.store.repositories.overviews import ListQuery, Overviews
from creditmemo.store.uow import Database
from creditmemo.web.routes.payments import check_rows
from tests.builders import DAY, customer, invoice, line


def _pay(
    db: Database,
    actor: Actor,
    customer_id: str,
    amount: str,
    currency: str = "USD",
    on: date = DAY,
    rate: str | None = None,
) -> Payment:
    with db.uow() as uow:
        return record_payment(
            uow,
            actor,
            customer_id=customer_id,
            amount=amount,
            currency=currency,
            received_on=on,
            method="bank_transfer",
            reference=f"REF-{amount}",
            exchange_rate=rate,
        )


class TestPaymentList:
    def test_status_customer_dates_amounts_and_scope(self, db: Database, controller: Actor) -> None:
        usd = customer(db, controller, "USD", name="Payer Usd")
        jpy = customer(db, controller, "JPY", name="Payer Yen")
        inv = invoice(db, controller, [line(price="100.00")], customer_id=usd.id)
        untouched = _pay(db, controller, usd.id, "50.00")
        part = _pay(db, controller, usd.id, "80.00", on=DAY + timedelta(days=1))
        full = _pay(db, controller, usd.id, "20.00", on=DAY + timedelta(days=2))
        refunded = _pay(db, controller, usd.id, "30.00", on=DAY + timedelta(days=3))
        yen = _pay(db, controller, jpy.id, "9000", currency="JPY", rate="0.0067")
        with db.uow() as uow:
            apply_credit(
                uow,
                controller,
                source_type="payment",
                source_id=part.id,
                allocations=[AllocationInput("invoice", inv.id, "30.00")],
                on=DAY + timedelta(days=3),
            )
            apply_credit(
                uow,
                controller,
                source_type="payment",
                source_id=full.id,
                allocations=[AllocationInput("invoice", inv.id, "20.00")],
                on=DAY + timedelta(days=3),
            )
        with db.uow() as uow:  # 180.00 received on 100.00 invoiced: the customer is owed 80.00
            refund(
                uow,
                controller,
                source_type="payment",
                source_id=refunded.id,
                amount="30.00",
                method="bank_transfer",
                refunded_on=DAY + timedelta(days=4),
            )
        cid = controller.company_id
        with db.uow(readonly=True) as uow:
            q = Overviews(uow.conn)

            def numbers(**kw: Any) -> list[str]:
                return [
                    r["number"] for r in q.page("payments", cid, ListQuery(sort="number", descending=False, **kw)).rows
                ]

            everything = q.page("payments", cid, ListQuery(sort="number", descending=False))
            assert [(r["number"], r["settlement_status"], r["available_minor"]) for r in everything.rows] == [
                (untouched.number, "unapplied", 5000),
                (part.number, "part_applied", 5000),
                (full.number, "applied", 0),
                (refunded.number, "applied", 0),  # refunded in full: nothing left
                (yen.number, "unapplied", 9000),
            ]
            assert numbers(status="unapplied") == [untouched.number, yen.number]
            assert numbers(status="part_applied") == [part.number]
            assert numbers(status="applied") == [full.number, refunded.number]
            assert numbers(status="available") == [untouched.number, part.number, yen.number]
            assert numbers(customer_id=jpy.id) == [yen.number]
            assert numbers(date_from=DAY + timedelta(days=1), date_to=DAY + timedelta(days=2)) == [
                part.number,
                full.number,
            ]
            # 9000 JPY is more than 100 in face value; 80.00 USD is not
            assert numbers(amount_min=Decimal("60")) == [part.number, yen.number]
            by_amount = q.page("payments", cid, ListQuery(sort="amount", descending=True)).rows
            assert [r["number"] for r in by_amount][:2] == [yen.number, part.number]
            assert numbers(q="payer yen") == [yen.number]
            row = next(r for r in everything.rows if r["number"] == refunded.number)
            assert (row["amount_refunded_minor"], row["customer"], row["method"]) == (
                3000,
                "Payer Usd",
                "bank_transfer",
            )
            assert q.page("payments", cid, ListQuery(sort="nonsense")).sort == "number"
            assert q.page("payments", "co_nobody", ListQuery()).total == 0


class TestApplyRowChecks:
    def test_every_row_and_the_total_are_named_at_once(self, db: Database, controller: Actor) -> None:
        cus = customer(db, controller, name="Row Checks")
        older = invoice(db, controller, [line(price="70.00")], customer_id=cus.id, issued=DAY - timedelta(days=30))
        newer = invoice(db, controller, [line(price="50.00")], customer_id=cus.id)
        paid = _pay(db, controller, cus.id, "100.00")
        with db.uow(readonly=True) as uow:
            payment = get_payment(uow, controller, paid.id)
            rows = open_targets(uow, controller, cus.id, "USD")
        rows_in = [(0, "invoice", older.id, "80.00"), (1, "invoice", newer.id, "1.234")]
        errors = check_rows(payment, rows, rows_in)
        assert errors["alloc_0"] == f"80.00 USD is more than the 70.00 USD due on {older.number}."
        assert "alloc_1" in errors
        assert "apply" not in errors
        over = check_rows(payment, rows, [(0, "invoice", older.id, "70.00"), (1, "invoice", newer.id, "50.00")])
        assert over == {
            "apply": f"The amounts add up to 120.00 USD, more than the 100.00 USD available on {payment.number}."
        }
        assert check_rows(payment, rows, [(0, "invoice", older.id, "70.00"), (1, "invoice", newer.id, "30.00")]) == {}
        assert check_rows(payment, rows, [(3, "invoice", "inv_gone", "1.00")]) == {
            "alloc_3": "Nothing is due on this document any more: set 0."
        }
        assert check_rows(payment, rows, []) == {"apply": "Enter an amount for at least one document."}


cents = st.integers(min_value=0, max_value=10**9)


@given(available=cents, dues=st.lists(st.integers(min_value=1, max_value=10**9), max_size=12))
def test_the_proposal_pays_the_oldest_first_and_never_more_than_due_or_available(
    available: int, dues: list[int]
) -> None:
    proposed = spread(Money.from_minor(available, "USD"), [Money.from_minor(d, "USD") for d in dues])
    taken = [p.to_minor() for p in proposed]
    assert all(0 <= t <= d for t, d in zip(taken, dues, strict=True))
    assert sum(taken) == min(available, sum(dues))
    # oldest first: a document gets less than its due only when nothing is left for any later one
    for i, (t, d) in enumerate(zip(taken, dues, strict=True)):
        if t < d:
            assert all(x == 0 for x in taken[i + 1 :])
