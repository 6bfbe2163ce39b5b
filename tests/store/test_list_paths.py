"""The list paths rewritten for a million invoices (issue 16 item 8, migration 0026), asserted by their results on
SQLite and PostgreSQL: the computed statuses (a function with an expression index on PostgreSQL, the CASE inline
elsewhere) agree with what each document is, and the lists sorted and filtered by them give every row once in
order; the payments with money left (a partial index) are exactly those; the dashboard's bounded counts; the
customer page's credit plan read from the oldest open items only is the plan read from all of them; every journal
line carries its entry's date (the customer statement's index), written with it and filled by the migration."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import BigInteger, Engine, and_, inspect, literal, select

from creditmemo.domain.settlement import AllocationInput
from creditmemo.services.actors import Actor
from creditmemo.services.demo import load_demo
from creditmemo.services.settlement import oldest_first
from creditmemo.services.settlement.applications import apply_credit
from creditmemo.services.settlement.payments import record_payment
from creditmemo.store import migrate
from creditmemo.store import tables as t
from creditmemo.store.engine import make_engine
from creditmemo.store.repositories.list_keys import InvoicePaymentStatus, ReceiptStatus
from creditmemo.store.repositories.overviews import ListQuery, Overviews
from creditmemo.store.uow import Database
from tests.builders import DAY, customer, invoice, line, post, standalone
from tests.store.test_migrations import empty_url  # noqa: F401 (a fixture: a brand-new database per engine)


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


def _value(db: Database, expression: object) -> str:
    with db.uow(readonly=True) as uow:
        return str(uow.conn.execute(select(expression)).scalar_one())  # type: ignore[call-overload]


def _n(value: int) -> object:
    return literal(value, BigInteger())


@pytest.mark.parametrize(
    ("total", "credited", "paid", "discount", "expected"),
    [
        (1000, 0, 0, 0, "unpaid"),
        (1000, 0, 400, 0, "part_paid"),
        (1000, 300, 0, 0, "part_paid"),
        (1000, 0, 980, 20, "paid"),
        (1000, 500, 500, 0, "paid"),
        (0, 0, 0, 0, "unpaid"),
    ],
)
def test_the_payment_status_function_is_the_lists_case(
    db: Database, total: int, credited: int, paid: int, discount: int, expected: str
) -> None:
    assert _value(db, InvoicePaymentStatus(_n(total), _n(credited), _n(paid), _n(discount))) == expected


@pytest.mark.parametrize(
    ("amount", "applied", "refunded", "expected"),
    [
        (500, 0, 0, "unapplied"),
        (500, 200, 0, "part_applied"),
        (500, 0, 100, "part_applied"),
        (500, 300, 200, "applied"),
    ],
)
def test_the_settlement_status_function_is_the_lists_case(
    db: Database, amount: int, applied: int, refunded: int, expected: str
) -> None:
    assert _value(db, ReceiptStatus(_n(amount), _n(applied), _n(refunded))) == expected


def _pay(db: Database, actor: Actor, customer_id: str, amount: str, to: dict[str, str] | None = None) -> str:
    with db.uow() as uow:
        p = record_payment(
            uow, actor, customer_id=customer_id, amount=amount, currency="USD", received_on=DAY, method="ach"
        )
        if to:
            apply_credit(
                uow,
                actor,
                source_type="payment",
                source_id=p.id,
                allocations=[AllocationInput("invoice", i, a) for i, a in to.items()],
                on=DAY,
            )
        return p.id


def test_lists_sorted_and_filtered_by_computed_status_give_every_row_in_order(db: Database, controller: Actor) -> None:
    cid = controller.company_id
    acme = customer(db, controller)
    invoices = [invoice(db, controller, [line(price="100.00")], customer_id=acme.id) for _ in range(7)]
    first = {invoices[0].id: "100.00", invoices[1].id: "100.00", invoices[2].id: "40.00"}
    payments = {
        _pay(db, controller, acme.id, "250.00", first): "part_applied",  # 10.00 left
        _pay(db, controller, acme.id, "1.00", {invoices[3].id: "1.00"}): "applied",
        _pay(db, controller, acme.id, "30.00"): "unapplied",
        _pay(db, controller, acme.id, "12.00"): "unapplied",
    }
    status = {i.id: "unpaid" for i in invoices}
    status.update({invoices[0].id: "paid", invoices[1].id: "paid"})
    status.update({invoices[2].id: "part_paid", invoices[3].id: "part_paid"})
    with db.uow(readonly=True) as uow:
        q = Overviews(uow.conn)
        rows = q.page("invoices", cid, ListQuery(customer_id=acme.id, page_size=100)).rows
        assert {r["id"]: r["payment_status"] for r in rows} == status
        for descending in (False, True):
            expected = [i for i, _ in sorted(status.items(), key=lambda kv: (kv[1], kv[0]), reverse=descending)]
            got = _walk(q, "invoices", cid, "payment_status", descending, customer_id=acme.id)
            assert got == expected
            for wanted in ("paid", "part_paid", "unpaid"):
                mine = [i for i in expected if status[i] == wanted]
                assert _walk(q, "invoices", cid, "number", descending, customer_id=acme.id, status=wanted) == sorted(
                    mine, key=lambda i: next(x.number for x in invoices if x.id == i), reverse=descending
                )
        rows = q.page("payments", cid, ListQuery(customer_id=acme.id, page_size=100)).rows
        assert {r["id"]: r["settlement_status"] for r in rows} == payments
        number = {r["id"]: r["number"] for r in rows}
        left = {r["id"]: Decimal(r["available_minor"]) for r in rows}
        for descending in (False, True):
            expected = [i for i, _ in sorted(payments.items(), key=lambda kv: (kv[1], kv[0]), reverse=descending)]
            assert _walk(q, "payments", cid, "settlement_status", descending, customer_id=acme.id) == expected
            with_money = sorted((i for i in left if left[i] > 0), key=lambda i: (number[i], i), reverse=descending)
            assert len(with_money) == 3
            assert (
                _walk(q, "payments", cid, "number", descending, customer_id=acme.id, status="available") == with_money
            )
            by_left = sorted((i for i in left if left[i] > 0), key=lambda i: (left[i], i), reverse=descending)
            assert (
                _walk(q, "payments", cid, "available", descending, customer_id=acme.id, status="available") == by_left
            )
            for wanted in ("unapplied", "part_applied", "applied"):
                mine = sorted((i for i in payments if payments[i] == wanted), key=lambda i: (number[i], i))
                got = _walk(q, "payments", cid, "number", descending, customer_id=acme.id, status=wanted)
                assert got == (mine[::-1] if descending else mine)


def test_the_dashboards_counts_stop_past_the_cap(db: Database, controller: Actor) -> None:
    cid = controller.company_id
    acme = customer(db, controller)
    for _ in range(4):
        standalone(db, controller, acme.id)
    post(db, controller, standalone(db, controller, acme.id))
    with db.uow(readonly=True) as uow:
        q = Overviews(uow.conn)
        exact = {(r["kind"], r["status"]): r["n"] for r in q.memo_status_counts(cid)}
        assert exact[("credit", "draft")] >= 4
        assert exact[("credit", "posted")] >= 1
        for cap in (2, 3, 1000):
            capped = {(r["kind"], r["status"]): r["n"] for r in q.memo_status_counts(cid, at_most=cap)}
            assert capped == {k: min(n, cap + 1) for k, n in exact.items()}, cap


@pytest.mark.parametrize("paid_in", ["30.00", "950.00"])  # less credit than is due (a prefix of the items), more
def test_the_customer_pages_plan_read_from_the_oldest_items_is_the_whole_plan(
    db: Database, controller: Actor, monkeypatch: pytest.MonkeyPatch, paid_in: str
) -> None:
    acme = customer(db, controller)
    for days in (9, 3, 7, 1, 5, 8, 2, 6, 4):  # due in this order of issue dates, not in the order made
        invoice(db, controller, [line(price="100.00")], customer_id=acme.id, issued=DAY - timedelta(days=days))
    post(db, controller, standalone(db, controller, acme.id, price="12.00"))
    for amount in ("7.00", paid_in, "11.00"):
        _pay(db, controller, acme.id, amount)
    monkeypatch.setattr(oldest_first, "FIRST_READ", 2)
    with db.uow(readonly=True) as uow:
        whole = oldest_first.plan(uow, controller, acme.id)
        oldest = oldest_first.plan(uow, controller, acme.id, every_item=False)
    assert len(whole.targets) == 9
    assert whole.applications
    assert oldest.fingerprint == whole.fingerprint
    assert oldest.applications == whole.applications
    assert oldest.total == whole.total
    assert oldest.sources == whole.sources
    assert oldest.targets == whole.targets[: len(oldest.targets)]
    assert oldest.open_item_count == whole.open_item_count == 9
    if paid_in == "30.00":  # 60.00 of credit: the oldest item takes it all, so the first read (two) was enough
        assert len(oldest.targets) == 2
        assert {p.target.id for p in whole.applications} <= {t.id for t in oldest.targets}


def _line_dates(engine: Engine) -> list[tuple[object, object]]:
    jl, je = t.journal_lines, t.journal_entries
    with engine.connect() as conn:
        return [
            (r[0], r[1])
            for r in conn.execute(
                select(jl.c.entry_date, je.c.date).join(
                    je, and_(je.c.company_id == jl.c.company_id, je.c.id == jl.c.entry_id)
                )
            )
        ]


def test_every_journal_line_carries_its_entrys_date_written_and_filled_by_the_migration(
    empty_url: str,  # noqa: F811 (the fixture imported above)
) -> None:
    engine = make_engine(empty_url)
    try:
        migrate.upgrade(engine)
        db = Database(empty_url)
        try:
            assert load_demo(db).created
        finally:
            db.dispose()
        written = _line_dates(engine)
        assert len(written) > 10
        assert all(line == entry for line, entry in written)
        script = ScriptDirectory.from_config(migrate.alembic_config(engine))
        before = script.get_revision("0026_list_paths_1m").down_revision  # the lead chains it after others
        migrate.downgrade(engine, str(before))  # the column goes, and comes back filled from the entries
        assert "entry_date" not in {c["name"] for c in inspect(engine).get_columns("journal_lines")}
        migrate.upgrade(engine)
        assert sorted(_line_dates(engine)) == sorted(written)
    finally:
        engine.dispose()
