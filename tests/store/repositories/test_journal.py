"""The journal's readers (store/repositories/journal.py), on both engines: an entry reads back as written;
``for_source`` and ``list`` find a company's entries and no one else's; the GL feed hands out sequenced entries
only, in export order, from a cursor; ``export_lines`` gives a date range's lines in posting order with account
names and document numbers; ``functional_ar_open`` is what a document's entries put on AR less what its
applications relieved."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update

from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.ledger import JournalEntry, JournalLine
from creditmemo.domain.money import Money
from creditmemo.domain.settlement import AllocationInput
from creditmemo.ids import new_id
from creditmemo.services.actors import Actor, system_actor
from creditmemo.services.companies import create_company
from creditmemo.services.settlement.applications import apply_credit, unapply
from creditmemo.services.settlement.payments import record_payment
from creditmemo.store.repositories.listing import MAX_LIMIT
from creditmemo.store.tables import applications
from creditmemo.store.uow import Database
from tests.builders import customer, invoice, line

DAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def company(db: Database, name: str = "Journal Co") -> Actor:
    with db.uow() as uow:
        made = create_company(uow, slug=new_id("j").lower().replace("_", "-")[:40], name=name)
    return system_actor(made.id, "test")


def entry(
    company_id: str, source_id: str, amount: str, *, on: date = DAY, kind: str = "post", source_type: str = "invoice"
) -> JournalEntry:
    """Dr AR (with the customer), Cr revenue: a plain balanced entry in USD."""
    money = usd(amount)
    zero = usd("0")
    return JournalEntry(
        new_id("je"),
        company_id,
        on,
        source_type,
        source_id,
        kind,
        "USD",
        "USD",
        Decimal(1),
        (
            JournalLine("1200", money, zero, money, zero, "cus_1"),
            JournalLine("4000", zero, money, zero, money),
        ),
        f"{kind} {source_id}",
    )


def write(db: Database, *entries: JournalEntry, at: datetime = T0) -> None:
    """Each entry written at its own instant (one second apart, in the order given)."""
    with db.uow() as uow:
        for i, e in enumerate(entries):
            uow.journal.add(e, at + timedelta(seconds=i))


def sequence(db: Database, company_id: str) -> None:
    with db.uow() as uow:
        uow.journal.sequence_pending(company_id)


class TestReadBack:
    def test_an_entry_reads_back_as_written(self, db: Database):
        co = company(db).company_id
        written = entry(co, "inv_a", "12.34")
        write(db, written)
        with db.uow(readonly=True) as uow:
            assert uow.journal.for_source(co, "inv_a") == [written]

    def test_for_source_in_the_order_written_and_only_that_source(self, db: Database):
        co = company(db).company_id
        first, void = entry(co, "inv_a", "10.00"), entry(co, "inv_a", "10.00", kind="void")
        write(db, first, entry(co, "inv_b", "5.00"), void)
        other = company(db, "Other").company_id
        write(db, entry(other, "inv_a", "99.00"))  # same source id in another company
        with db.uow(readonly=True) as uow:
            assert [e.id for e in uow.journal.for_source(co, "inv_a")] == [first.id, void.id]
            assert uow.journal.for_source(co, "inv_none") == []


class TestList:
    def test_pages_by_date_with_ties_give_every_entry_once(self, db: Database):
        co = company(db).company_id
        made = [entry(co, f"inv_{i}", "1.00", on=DAY + timedelta(days=i % 2)) for i in range(7)]
        write(db, *made)
        with db.uow(readonly=True) as uow:
            for sort in ("date", "-date", "created_at", "-created_at", "id", "-id"):
                whole, more = uow.journal.list(co, filters={}, sort=sort, limit=MAX_LIMIT)
                assert not more
                assert sorted(e.id for e in whole) == sorted(e.id for e in made)
                ids: list[str] = []
                after = None
                while True:
                    page, more = uow.journal.list(co, filters={}, sort=sort, limit=2, starting_after=after)
                    ids += [e.id for e in page]
                    if not more:
                        break
                    after = page[-1].id
                assert ids == [e.id for e in whole], sort
            by_date, _ = uow.journal.list(co, filters={}, sort="date", limit=MAX_LIMIT)
            assert [(e.date, e.id) for e in by_date] == sorted((e.date, e.id) for e in made)
            assert all(len(e.lines) == 2 for e in by_date)

    @pytest.mark.parametrize(
        ("filters", "expected"),
        [
            ({"source_type": "payment"}, ["p1"]),
            ({"source_id": "i1"}, ["i1", "i1v"]),
            ({"kind": "void"}, ["i1v"]),
            ({"date_from": DAY + timedelta(days=1)}, ["i2", "p1"]),
            ({"date_to": DAY}, ["i1", "i1v"]),
            ({"date_from": DAY + timedelta(days=1), "date_to": DAY + timedelta(days=1)}, ["i2"]),
            ({"source_type": "invoice", "kind": "post"}, ["i1", "i2"]),
            ({"source_type": None}, ["i1", "i1v", "i2", "p1"]),
        ],
    )
    def test_filters(self, db: Database, filters: dict[str, Any], expected: list[str]):
        co = company(db).company_id
        made = {
            "i1": entry(co, "i1", "1.00"),
            "i1v": entry(co, "i1", "1.00", kind="void"),
            "i2": entry(co, "i2", "2.00", on=DAY + timedelta(days=1)),
            "p1": entry(co, "p1", "3.00", on=DAY + timedelta(days=2), source_type="payment"),
        }
        write(db, *made.values())
        names = {e.id: name for name, e in made.items()}
        with db.uow(readonly=True) as uow:
            found, more = uow.journal.list(co, filters=filters, limit=MAX_LIMIT)
        assert (sorted(names[e.id] for e in found), more) == (expected, False)

    def test_another_companys_entries_and_cursors(self, db: Database):
        mine, theirs = company(db).company_id, company(db, "Other").company_id
        write(db, entry(mine, "inv_1", "1.00"))
        foreign = entry(theirs, "inv_1", "1.00")
        write(db, foreign)
        with db.uow(readonly=True) as uow:
            found, _ = uow.journal.list(mine, filters={}, limit=MAX_LIMIT)
            assert [e.company_id for e in found] == [mine]
            with pytest.raises(ValidationFailedError, match="Unknown cursor"):
                uow.journal.list(mine, filters={}, starting_after=foreign.id, limit=5)


class TestFeed:
    def test_only_sequenced_entries_in_the_order_written(self, db: Database):
        co = company(db).company_id
        made = [entry(co, f"inv_{i}", "1.00") for i in range(4)]
        write(db, *made)
        with db.uow(readonly=True) as uow:
            assert uow.journal.feed(co, after=0, limit=10, filters={}) == []
            assert co in uow.journal.companies_unsequenced()
        sequence(db, co)
        with db.uow(readonly=True) as uow:
            got = uow.journal.feed(co, after=0, limit=10, filters={})
            assert co not in uow.journal.companies_unsequenced()
        assert [(e.id, n) for e, n in got] == [(e.id, i + 1) for i, e in enumerate(made)]
        assert got[0][0] == made[0]

    def test_the_cursor_goes_on_from_a_number_and_later_entries_come_after(self, db: Database):
        co = company(db).company_id
        first = [entry(co, f"inv_{i}", "1.00") for i in range(5)]
        write(db, *first)
        sequence(db, co)
        late = entry(co, "inv_late", "1.00")
        write(db, late, at=T0 - timedelta(days=1))  # written with an earlier clock, committed later
        with db.uow(readonly=True) as uow:
            page = uow.journal.feed(co, after=2, limit=2, filters={})
            assert [n for _, n in page] == [3, 4]
            assert [n for _, n in uow.journal.feed(co, after=4, limit=10, filters={})] == [5]
        sequence(db, co)
        with db.uow(readonly=True) as uow:
            rest = uow.journal.feed(co, after=5, limit=10, filters={})
        assert [(e.id, n) for e, n in rest] == [(late.id, 6)]

    def test_filters_and_numbers_per_company(self, db: Database):
        co, other = company(db).company_id, company(db, "Other").company_id
        write(db, entry(co, "inv_1", "1.00"), entry(co, "pay_1", "1.00", source_type="payment"))
        write(db, entry(other, "inv_9", "1.00"))
        sequence(db, co)
        sequence(db, other)
        with db.uow(readonly=True) as uow:
            payments = uow.journal.feed(co, after=0, limit=10, filters={"source_type": "payment"})
            assert [(e.source_id, n) for e, n in payments] == [("pay_1", 2)]
            assert [(e.source_id, n) for e, n in uow.journal.feed(other, after=0, limit=10, filters={})] == [
                ("inv_9", 1)
            ]
            assert uow.journal.feed(co, after=0, limit=10, filters={"date_from": DAY + timedelta(days=1)}) == []


class TestExportLines:
    def test_a_date_range_in_posting_order_with_names_and_numbers(self, db: Database):
        actor = company(db)
        co = actor.company_id
        inv = invoice(db, actor, [line("1", "80.00")], issued=DAY)  # its own entry, with its number
        outside = entry(co, "inv_x", "7.00", on=DAY + timedelta(days=5))
        unsequenced = entry(co, "inv_y", "3.00", on=DAY + timedelta(days=1))
        odd = JournalEntry(
            new_id("je"), co, DAY, "invoice", "inv_z", "post", "USD", "USD", Decimal(1),
            (
                JournalLine("1200", usd("1"), usd("0"), usd("1"), usd("0")),
                JournalLine("9999", usd("0"), usd("1"), usd("0"), usd("1")),  # no such account in the chart
            ),
        )  # fmt: skip
        write(db, odd, outside)
        sequence(db, co)
        write(db, unsequenced, at=T0 - timedelta(days=30))
        with db.uow(readonly=True) as uow:
            rows: list[Mapping[str, Any]] = uow.journal.export_lines(co, DAY, DAY + timedelta(days=1))
        got = [(r["source_id"], r["line_no"], r["account_code"], r["account_name"], r["source_number"]) for r in rows]
        inv_lines = [g for g in got if g[0] == inv.id]
        assert {g[4] for g in inv_lines} == {inv.number}
        assert [g[1] for g in inv_lines] == list(range(1, len(inv_lines) + 1))
        assert ("1200", "Accounts receivable") in {(g[2], g[3]) for g in inv_lines}
        assert [g[0] for g in got if g[0] != inv.id] == ["inv_z", "inv_z", "inv_y", "inv_y"]
        assert [g[1:4] for g in got if g[0] == "inv_z"] == [(1, "1200", "Accounts receivable"), (2, "9999", "")]
        assert {g[4] for g in got if g[0] != inv.id} == {""}
        seqs = [r["export_seq"] for r in rows]
        assert seqs[-2:] == [None, None]  # not sequenced yet: last
        assert seqs[:-2] == sorted(seqs[:-2])
        assert "inv_x" not in {g[0] for g in got}
        assert {r["debit_minor"] - r["credit_minor"] for r in rows if r["source_id"] == "inv_y"} == {300, -300}


class TestFunctionalArOpen:
    @staticmethod
    def eur_invoice_part_paid(db: Database) -> tuple[Actor, str, str, str]:
        """A 100.00 EUR invoice at 1.10 (110.00 USD of AR) and 40.00 EUR of a payment at 1.20 applied to it."""
        actor = company(db)
        cus = customer(db, actor, "EUR", name="Ironclad GmbH").id
        inv = invoice(db, actor, [line("1", "100.00")], currency="EUR", customer_id=cus, rate="1.10")
        with db.uow() as uow:
            pay = record_payment(
                uow, actor, customer_id=cus, amount="40.00", currency="EUR", received_on=DAY, method="wire",
                exchange_rate="1.20",
            )  # fmt: skip
            [app] = apply_credit(
                uow, actor, source_type="payment", source_id=pay.id,
                allocations=[AllocationInput("invoice", inv.id, "40.00")], on=DAY,
            )  # fmt: skip
        return actor, inv.id, pay.id, app.id

    @staticmethod
    def open_on(db: Database, company_id: str, document_id: str, side: str, rate: str) -> Money:
        with db.uow(readonly=True) as uow:
            return uow.journal.functional_ar_open(
                company_id, document_id, side=side, ar_account="1200", rate=Decimal(rate), currency="EUR",
                functional_currency="USD",
            )  # fmt: skip

    def test_booked_less_what_applications_relieved(self, db: Database):
        """40.00 EUR of the payment relieves 44.00 USD of the invoice (at its rate) and 48.00 of the payment (at
        its own): 66.00 and 0.00 are left open."""
        actor, inv, pay, _ = self.eur_invoice_part_paid(db)
        co = actor.company_id
        assert self.open_on(db, co, inv, "target", "1.10") == usd("66.00")
        assert self.open_on(db, co, pay, "source", "1.20") == usd("0.00")
        assert self.open_on(db, co, inv, "source", "1.10") == usd("110.00")  # the invoice is no application's source
        # an application from before realized differences (no functional relief recorded) counts at ``rate``
        with db.uow() as uow:
            uow.conn.execute(
                update(applications)
                .where(applications.c.company_id == co, applications.c.target_id == inv)
                .values(functional_target_minor=None)
            )
        assert self.open_on(db, co, inv, "target", "1.10") == usd("66.00")
        assert self.open_on(db, co, inv, "target", "1.30") == usd("58.00")

    def test_a_reversed_application_relieves_nothing(self, db: Database):
        actor, inv, _, app = self.eur_invoice_part_paid(db)
        with db.uow() as uow:
            unapply(uow, actor, app, on=DAY)
        assert self.open_on(db, actor.company_id, inv, "target", "1.10") == usd("110.00")
