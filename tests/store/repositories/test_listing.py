"""Keyset pages (store/repositories/listing.py) through the invoice and memo repositories, on both engines:
walking the pages of any sort gives every row exactly once in the one order, even with many ties on the sort
key; filters narrow the walk; limits and sorts are bounded; companies never see each other's rows or cursors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from creditmemo.domain.documents import Invoice, MemoKind
from creditmemo.domain.errors import ValidationFailedError
from creditmemo.ids import new_id
from creditmemo.services.actors import Actor, system_actor
from creditmemo.services.companies import create_company
from creditmemo.store.repositories.listing import MAX_LIMIT
from creditmemo.store.uow import Database
from tests.builders import credit, customer, invoice, line, post

DAY = date(2026, 3, 2)
# 14 invoices on 3 issue dates and 3 totals: every sort key but id and number has ties across pages.
DATES = [DAY + timedelta(days=i % 3) for i in range(14)]
PRICES = ["10.00", "20.00", "10.00", "30.00", "20.00", "10.00", "20.00"] * 2
SORTS = ["id", "-id", "number", "-number", "issue_date", "-issue_date", "due_date", "-due_date", "total", "-total"]


@dataclass
class Books:
    company_id: str
    actor: Actor
    invoices: list[Invoice]
    customers: tuple[str, str]


def _company(db: Database, name: str) -> Actor:
    with db.uow() as uow:
        company = create_company(uow, slug=new_id("l").lower().replace("_", "-")[:40], name=name)
    return system_actor(company.id, "test")


@pytest.fixture(scope="module")
def books(db: Database) -> Books:
    """One company's invoices, made once per engine (the tests only read them)."""
    actor = _company(db, "Listing Co")
    a, b = customer(db, actor, name="Alpha").id, customer(db, actor, name="Beta").id
    made = [
        invoice(db, actor, [line("1", price), line("2", "0.50")], customer_id=(a, b)[i % 2], issued=issued)
        for i, (issued, price) in enumerate(zip(DATES, PRICES, strict=True))
    ]
    return Books(actor.company_id, actor, made, (a, b))


@pytest.fixture(scope="module")
def other(db: Database) -> Books:
    """Another company with invoices of its own, on the same dates."""
    actor = _company(db, "Other Co")
    cid = customer(db, actor, name="Alpha").id
    return Books(actor.company_id, actor, [invoice(db, actor, issued=DAY) for _ in range(3)], (cid, cid))


Page = Callable[..., tuple[list[Any], bool]]


def invoice_pages(db: Database, company_id: str) -> Page:
    def page(**kw: Any) -> tuple[list[Any], bool]:
        with db.uow(readonly=True) as uow:
            return uow.invoices.list(company_id, **{"filters": {}, **kw})

    return page


def walk(page: Page, limit: int, **kw: Any) -> Iterator[list[Any]]:
    """Follow the cursor from the first page to the last; each page's ``more`` must be true but the last's."""
    after = None
    for _ in range(100):
        rows, more = page(limit=limit, starting_after=after, **kw)
        assert len(rows) <= limit
        if more:
            assert len(rows) == limit
        yield rows
        if not more:
            return
        after = rows[-1].id
    raise AssertionError("more than 100 pages")


SORT_KEY: dict[str, Callable[[Invoice], Any]] = {
    "id": lambda i: i.id,
    "number": lambda i: i.number,
    "issue_date": lambda i: i.issue_date,
    "due_date": lambda i: i.due_date,
    "total": lambda i: i.total.amount,
}


class TestPagesWalkEveryRowOnce:
    @pytest.mark.parametrize("sort", SORTS)
    def test_every_page_size_gives_the_one_order(self, db: Database, books: Books, sort: str):
        page = invoice_pages(db, books.company_id)
        name, desc = sort.lstrip("-"), sort.startswith("-")
        whole, more = page(sort=sort, limit=MAX_LIMIT)
        assert not more
        assert {i.id for i in whole} == {i.id for i in books.invoices}
        # the order is the sort key, ties broken by id, both in the asked direction
        keys = [(SORT_KEY[name](i), i.id) for i in whole]
        assert keys == sorted(keys, reverse=desc)
        for limit in (1, 2, 3, 4, 5, 13, 14, 15):
            pages = list(walk(page, limit, sort=sort))
            ids = [i.id for p in pages for i in p]
            assert ids == [i.id for i in whole], (sort, limit)
            assert len(pages) == max(1, -(-len(whole) // limit))

    def test_the_ties_are_real(self, books: Books):
        """The data the walk runs on: pages of 2 cut through runs of equal dates and totals."""
        assert len({i.issue_date for i in books.invoices}) == 3
        assert len({i.total for i in books.invoices}) == 3

    def test_a_row_added_before_the_cursor_does_not_shift_the_next_page(self, db: Database):
        """Unlike an offset, a cursor is a place in the order: a row that arrives ahead of it (newest first,
        a new invoice sorts first) neither repeats a row on the next page nor pushes one off it."""
        actor = _company(db, "Growing Co")
        cid = customer(db, actor).id
        for _ in range(5):
            invoice(db, actor, customer_id=cid)
        page = invoice_pages(db, actor.company_id)
        before, _ = page(sort="-id", limit=MAX_LIMIT)
        first, more = page(sort="-id", limit=2)
        assert more
        newest = invoice(db, actor, customer_id=cid)
        second, _ = page(sort="-id", limit=2, starting_after=first[-1].id)
        assert [i.id for i in second] == [i.id for i in before[2:4]]
        assert page(sort="-id", limit=1)[0][0].id == newest.id


class TestFilters:
    def test_by_customer(self, db: Database, books: Books):
        alpha = books.customers[0]
        got = [i for p in walk(invoice_pages(db, books.company_id), 3, filters={"customer_id": alpha}) for i in p]
        assert sorted(i.id for i in got) == sorted(i.id for i in books.invoices if i.customer_id == alpha)
        assert len(got) == 7

    def test_by_issue_date_range_inclusive(self, db: Database, books: Books):
        filters = {"issued_from": DAY + timedelta(days=1), "issued_to": DAY + timedelta(days=2)}
        got = [i for p in walk(invoice_pages(db, books.company_id), 4, filters=filters, sort="issue_date") for i in p]
        assert sorted(i.id for i in got) == sorted(i.id for i in books.invoices if i.issue_date > DAY)
        assert len(got) == 9
        only_first = {"issued_to": DAY}
        got = [i for p in walk(invoice_pages(db, books.company_id), 4, filters=only_first) for i in p]
        assert {i.issue_date for i in got} == {DAY}
        assert len(got) == 5

    def test_filters_combine(self, db: Database, books: Books):
        beta = books.customers[1]
        filters = {"customer_id": beta, "issued_from": DAY + timedelta(days=2)}
        got, more = invoice_pages(db, books.company_id)(filters=filters, limit=MAX_LIMIT)
        expected = [i.id for i in books.invoices if i.customer_id == beta and i.issue_date == DAY + timedelta(days=2)]
        assert sorted(i.id for i in got) == sorted(expected)
        assert expected
        assert not more

    def test_by_number(self, db: Database, books: Books):
        target = books.invoices[5]
        got, more = invoice_pages(db, books.company_id)(filters={"number": target.number}, limit=5)
        assert ([i.id for i in got], more) == ([target.id], False)

    def test_a_filter_of_none_is_no_filter(self, db: Database, books: Books):
        got, _ = invoice_pages(db, books.company_id)(filters={"customer_id": None, "issued_from": None}, limit=50)
        assert len(got) == len(books.invoices)

    def test_memo_status_and_invoice(self, db: Database, books: Books):
        inv = books.invoices[0]
        drafts = [credit(db, books.actor, inv, auto_apply=False) for _ in range(3)]
        posted = post(db, books.actor, drafts.pop())

        def memos(**filters: Any) -> list[str]:
            with db.uow(readonly=True) as uow:
                found, more = uow.memos.list(books.company_id, kind=MemoKind.CREDIT, filters=filters, limit=1)
                ids = [m.id for m in found]
                while more:
                    found, more = uow.memos.list(
                        books.company_id, kind=MemoKind.CREDIT, filters=filters, limit=1, starting_after=ids[-1]
                    )
                    ids += [m.id for m in found]
            return ids

        assert sorted(memos(invoice_id=inv.id, status="draft")) == sorted(m.id for m in drafts)
        assert memos(invoice_id=inv.id, status="posted") == [posted.id]
        assert memos(invoice_id=books.invoices[1].id) == []
        with db.uow(readonly=True) as uow:
            debit, _ = uow.memos.list(books.company_id, kind=MemoKind.DEBIT, filters={}, limit=MAX_LIMIT)
        assert debit == []  # the kind is a filter too


class TestBounds:
    @pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1])
    def test_a_limit_out_of_range_names_the_field(self, db: Database, books: Books, limit: int):
        with pytest.raises(ValidationFailedError) as err:
            invoice_pages(db, books.company_id)(limit=limit)
        assert (err.value.field, err.value.errors[0].code) == ("limit", "out_of_range")

    def test_the_bounds_themselves_are_allowed(self, db: Database, books: Books):
        page = invoice_pages(db, books.company_id)
        assert len(page(limit=1)[0]) == 1
        assert len(page(limit=MAX_LIMIT)[0]) == len(books.invoices)

    @pytest.mark.parametrize("sort", ["customer_id", "-status", "", "total;drop", "id desc", "--id"])
    def test_an_unknown_sort_names_the_field(self, db: Database, books: Books, sort: str):
        with pytest.raises(ValidationFailedError) as err:
            invoice_pages(db, books.company_id)(sort=sort, limit=5)
        assert err.value.field == "sort"

    def test_an_unknown_cursor_names_the_field(self, db: Database, books: Books):
        with pytest.raises(ValidationFailedError) as err:
            invoice_pages(db, books.company_id)(starting_after="inv_nope", limit=5)
        assert err.value.field == "starting_after"

    def test_the_last_row_as_cursor_gives_an_empty_last_page(self, db: Database, books: Books):
        page = invoice_pages(db, books.company_id)
        whole, _ = page(sort="total", limit=MAX_LIMIT)
        assert page(sort="total", limit=5, starting_after=whole[-1].id) == ([], False)


class TestCompanies:
    def test_a_company_sees_only_its_own_rows(self, db: Database, books: Books, other: Books):
        mine = [i.id for p in walk(invoice_pages(db, books.company_id), 5) for i in p]
        theirs = [i.id for p in walk(invoice_pages(db, other.company_id), 5) for i in p]
        assert sorted(mine) == sorted(i.id for i in books.invoices)
        assert sorted(theirs) == sorted(i.id for i in other.invoices)

    def test_a_filter_on_another_companys_customer_finds_nothing(self, db: Database, books: Books, other: Books):
        got, more = invoice_pages(db, books.company_id)(filters={"customer_id": other.customers[0]}, limit=5)
        assert (got, more) == ([], False)

    def test_another_companys_cursor_is_unknown(self, db: Database, books: Books, other: Books):
        with pytest.raises(ValidationFailedError) as err:
            invoice_pages(db, books.company_id)(starting_after=other.invoices[0].id, limit=5)
        assert err.value.field == "starting_after"


class TestLinesOfAPage:
    def test_each_document_gets_its_own_lines_in_order(self, db: Database, books: Books):
        got, _ = invoice_pages(db, books.company_id)(limit=MAX_LIMIT)
        made = {i.id: i for i in books.invoices}
        assert sorted(i.id for i in got) == sorted(made)
        for inv in got:
            assert [(x.id, x.description, x.unit_price) for x in inv.lines] == [
                (x.id, x.description, x.unit_price) for x in made[inv.id].lines
            ]
            assert len(inv.lines) == 2

    def test_a_single_document_with_its_lines(self, db: Database, books: Books):
        inv = books.invoices[3]
        with db.uow(readonly=True) as uow:
            got = uow.invoices.get(books.company_id, inv.id)
        assert [x.id for x in got.lines] == [x.id for x in inv.lines]
        assert got.total == inv.total
