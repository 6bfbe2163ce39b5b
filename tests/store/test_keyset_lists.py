"""The web lists page by keyset (issue 16 item 8), on SQLite and PostgreSQL: walking forward with ``after`` and
back with ``before`` visits every row once, in the order of any sort key (ties broken by id), with the right
Previous / Next flags; a cursor of another company, or one the filters no longer match, gives the first page."""

from __future__ import annotations

import pytest

from creditmemo.services.actors import Actor
from creditmemo.store.repositories.overviews import ListQuery, Overviews
from creditmemo.store.uow import Database
from tests.builders import customer, post, standalone

SORTS = ("number", "customer", "status", "reason", "issue_date", "total", "applied", "print_status")


@pytest.fixture
def memos(db: Database, controller: Actor) -> list[str]:
    first, second = customer(db, controller, name="Beta"), customer(db, controller, name="Alpha")
    made = []
    for i, price in enumerate(("10.00", "20.00", "10.00", "30.00", "20.00", "10.00", "5.00")):
        memo = standalone(db, controller, (first if i % 2 else second).id, price=price)
        if i % 3 == 0:
            memo = post(db, controller, memo)
        made.append(memo.id)
    return made


def test_forward_and_back_visit_every_row_once(db: Database, controller: Actor, memos: list[str]) -> None:
    cid = controller.company_id
    with db.uow(readonly=True) as uow:
        q = Overviews(uow.conn)
        for sort in SORTS:
            for descending in (True, False):
                whole = [
                    r["id"]
                    for r in q.page(
                        "credit_memos", cid, ListQuery(sort=sort, descending=descending, page_size=100)
                    ).rows
                ]
                assert sorted(whole) == sorted(memos)
                pages, after = [], None
                while True:
                    got = q.page(
                        "credit_memos",
                        cid,
                        ListQuery(sort=sort, descending=descending, page_size=3, keyset=True, after=after),
                    )
                    assert got.has_prev == (after is not None)
                    pages.append([r["id"] for r in got.rows])
                    if not got.has_next:
                        break
                    after = got.last_id
                assert [len(p) for p in pages] == [3, 3, 1]
                assert [i for p in pages for i in p] == whole, (sort, descending)
                back: list[list[str]] = []
                before: str | None = pages[-1][0]
                while before is not None:
                    got = q.page(
                        "credit_memos",
                        cid,
                        ListQuery(sort=sort, descending=descending, page_size=3, keyset=True, before=before),
                    )
                    assert got.has_next
                    back.insert(0, [r["id"] for r in got.rows])
                    before = got.first_id if got.has_prev else None
                assert back == pages[:-1]


def test_a_foreign_or_stale_cursor_gives_the_first_page(db: Database, controller: Actor, memos: list[str]) -> None:
    cid = controller.company_id
    with db.uow(readonly=True) as uow:
        q = Overviews(uow.conn)
        first = q.page("credit_memos", cid, ListQuery(page_size=3, keyset=True))
        assert (first.has_prev, first.has_next) == (False, True)
        for cursor in ("cm_unknown", memos[0]):
            other = q.page("credit_memos", "co_other", ListQuery(page_size=3, keyset=True, after=cursor))
            assert other.rows == []
        posted_cursor = q.page("credit_memos", cid, ListQuery(page_size=3, keyset=True, status="draft", after=memos[0]))
        drafts = q.page("credit_memos", cid, ListQuery(page_size=3, keyset=True, status="draft"))
        assert [r["id"] for r in posted_cursor.rows] == [r["id"] for r in drafts.rows]  # memos[0] is posted
