"""The web UI's queries at scale (issue 16 item 8), asserted by their results on SQLite and PostgreSQL: the money
sort key (a function with expression indexes on PostgreSQL, a CASE inline elsewhere) agrees with the minor units of
every currency and sorts amounts in different currencies by face value; a search page read in the list's order
first (the probe) is the page that reading every match gives; the dashboard's figures count both kinds of memo."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import BigInteger, String, literal, select

from creditmemo.domain.inputs import FreeLineInput
from creditmemo.domain.money import MINOR_UNITS
from creditmemo.domain.settlement import AllocationInput
from creditmemo.services.actors import Actor
from creditmemo.services.memos.create import create_debit_memo
from creditmemo.services.settlement.applications import apply_credit
from creditmemo.services.settlement.payments import record_payment
from creditmemo.store.repositories.overviews import ListQuery, MajorMilli, Overviews
from creditmemo.store.uow import Database
from tests.builders import customer, invoice, line, post, standalone


def test_the_money_sort_key_is_thousandths_of_the_major_unit_for_every_currency(db: Database) -> None:
    with db.uow(readonly=True) as uow:
        for currency, digits in {**MINOR_UNITS, "XXX": 3}.items():
            got = uow.conn.execute(
                select(MajorMilli(literal(-12345, BigInteger()), literal(currency, String(3))))
            ).scalar_one()
            assert got == -12345 * 10 ** (3 - digits), currency


def _walk(wq: Overviews, name: str, company_id: str, sort: str, descending: bool, **filters: object) -> list[str]:
    """Every row of a list, page after page of 2 (keyset)."""
    ids: list[str] = []
    after = None
    while True:
        page = wq.page(
            name,
            company_id,
            ListQuery(sort=sort, descending=descending, keyset=True, page_size=2, after=after, **filters),  # type: ignore[arg-type]
        )
        ids += [str(r["id"]) for r in page.rows]
        if not page.has_next:
            return ids
        after = page.last_id


def test_money_sorts_order_amounts_of_different_currencies_by_face_value(db: Database, controller: Actor) -> None:
    cid = controller.company_id
    # face values: 1,000 JPY = 1000; 12.34 USD; 5.000 KWD = 5; 990.00 EUR; 7.5 USD
    made = {}
    for currency, price in (("JPY", "1000"), ("USD", "12.34"), ("KWD", "5.000"), ("EUR", "990.00"), ("USD", "7.50")):
        inv = invoice(db, controller, [line(price=price)], currency=currency, rate="1")
        made[inv.id] = (Decimal(price), currency, inv)
    usd = next(v[2] for v in made.values() if v[1] == "USD" and v[0] == Decimal("12.34"))
    others = {currency: customer(db, controller, currency).id for currency in ("JPY", "KWD", "EUR")}
    with db.uow() as uow:  # 12.34 USD paid 10.00: 2.34 due, below 5 KWD
        pay = record_payment(
            uow,
            controller,
            customer_id=usd.customer_id,
            amount="10.00",
            currency="USD",
            received_on=usd.issue_date,
            method="check",
        )
        apply_credit(
            uow,
            controller,
            source_type="payment",
            source_id=pay.id,
            allocations=[AllocationInput("invoice", usd.id, "10.00")],
            on=usd.issue_date,
        )
        for currency, amount in (("JPY", "500"), ("KWD", "0.750"), ("EUR", "0.80")):
            record_payment(
                uow,
                controller,
                customer_id=others[currency],
                amount=amount,
                currency=currency,
                received_on=usd.issue_date,
                method="check",
                exchange_rate="1",
            )
    by_total = [i for i, _ in sorted(made.items(), key=lambda kv: (kv[1][0], kv[0]))]
    due = {i: v[0] - (Decimal("10.00") if i == usd.id else 0) for i, v in made.items()}
    by_due = [i for i, _ in sorted(due.items(), key=lambda kv: (kv[1], kv[0]))]
    with db.uow(readonly=True) as uow:
        q = Overviews(uow.conn)
        for descending in (False, True):
            mine = [i for i in _walk(q, "invoices", cid, "total", descending) if i in made]
            assert mine == (by_total[::-1] if descending else by_total)
            mine = [i for i in _walk(q, "invoices", cid, "due", descending) if i in made]
            assert mine == (by_due[::-1] if descending else by_due)
        for low, high in (
            (Decimal("5"), Decimal("12.34")),
            (Decimal("7.51"), Decimal("1000")),
            (None, Decimal("4.999")),
        ):
            inside = [i for i in by_total if (low is None or made[i][0] >= low) and made[i][0] <= high]
            got = _walk(q, "invoices", cid, "total", False, amount_min=low, amount_max=high)
            assert [i for i in got if i in made] == inside, (low, high)
        rows = {r["id"]: r for r in q.page("payments", cid, ListQuery(page_size=100)).rows}
        face = {i: Decimal(r["amount_minor"]).scaleb(-MINOR_UNITS[r["currency"]]) for i, r in rows.items()}
        expected = [i for i, _ in sorted(face.items(), key=lambda kv: (kv[1], kv[0]))]
        assert [i for i in _walk(q, "payments", cid, "amount", False) if i in face] == expected
        left = {i: Decimal(r["available_minor"]).scaleb(-MINOR_UNITS[r["currency"]]) for i, r in rows.items()}
        expected = [i for i, _ in sorted(left.items(), key=lambda kv: (kv[1], kv[0]))]
        assert [i for i in _walk(q, "payments", cid, "available", False) if i in left] == expected


@pytest.fixture
def numbered(db: Database, controller: Actor) -> dict[str, str]:
    """Twelve invoices of Zeta Corp, four of Omega Ltd: id -> number."""
    zeta = customer(db, controller, name="Zeta Corp")
    omega = customer(db, controller, name="Omega Ltd")
    made = {}
    for i in range(16):
        inv = invoice(
            db, controller, [line(price=f"{10 + (i * 7) % 13}.00")], customer_id=(omega if i % 4 == 3 else zeta).id
        )
        made[inv.id] = inv.number
    return made


@pytest.mark.parametrize("probe_rows", [3, 2000])
def test_a_search_page_read_in_order_first_is_the_page_every_match_gives(
    db: Database, controller: Actor, numbered: dict[str, str], probe_rows: int
) -> None:
    cid = controller.company_id
    some_number = sorted(numbered.values())[5]
    with db.uow(readonly=True) as uow:
        q = Overviews(uow.conn)
        q.PROBE_ROWS = probe_rows
        for text in ("INV", some_number[-4:], "zeta", "omega", "nothing like it"):
            for sort in ("number", "total", "issue_date", "customer"):
                for descending in (True, False):
                    every = q.page("invoices", cid, ListQuery(q=text, sort=sort, descending=descending, page_size=1000))
                    expected = [str(r["id"]) for r in every.rows]
                    assert _walk(q, "invoices", cid, sort, descending, q=text) == expected, (text, sort, descending)
        # the probe answered where a page and one more row match among the rows it read, not elsewhere
        common = ListQuery(q="INV", keyset=True, page_size=2)
        rare = ListQuery(q=some_number, keyset=True, page_size=2)
        assert q._probe("invoices", cid, common, q.listing("invoices", cid, common)) is not None
        assert q._probe("invoices", cid, rare, q.listing("invoices", cid, rare)) is None


def test_dashboard_figures_count_both_kinds_of_memo(db: Database, controller: Actor) -> None:
    cid = controller.company_id
    acme = customer(db, controller)
    draft_credit = standalone(db, controller, acme.id, price="40.00")
    post(db, controller, standalone(db, controller, acme.id, price="25.00"))
    with db.uow() as uow:
        draft_debit = create_debit_memo(
            uow,
            controller,
            customer_id=acme.id,
            currency="USD",
            reason_code="other",
            lines=[FreeLineInput("Fee", "1", "15.00")],
        )
    with db.uow(readonly=True) as uow:
        q = Overviews(uow.conn)
        drafts = q.totals_in_status(cid, "draft")
        assert [(r["currency"], r["total_minor"], r["n"]) for r in drafts] == [("USD", 5500, 2)]
        assert {r["id"] for r in q.oldest_drafts(cid)} == {draft_credit.id, draft_debit.id}
        counts = {(r["kind"], r["status"]): r["n"] for r in q.memo_status_counts(cid)}
        assert counts == {("credit", "draft"): 1, ("credit", "posted"): 1, ("debit", "draft"): 1}
        posted = q.posted_credit_by_day(cid, draft_credit.issue_date)
        assert [(r["reason_code"], r["total_minor"]) for r in posted] == [("goodwill", 2500)]
