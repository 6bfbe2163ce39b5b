"""The read services the edges use for lists, pickers, the dashboard, the approval queue and the settlement forms
(issue 14 item 1), on SQLite and PostgreSQL: each answers from the actor's company only, whatever ids it is
handed, and the list's two modes (a page, every row in chunks) agree."""

from __future__ import annotations

from datetime import timedelta

from creditmemo.domain.money import Money
from creditmemo.ids import new_id
from creditmemo.services.actors import Actor, Role
from creditmemo.services.companies import create_company
from creditmemo.services.dashboard import dashboard_figures
from creditmemo.services.invoices import memos_of_invoice
from creditmemo.services.lists import LISTS, ListQuery, customer_choices, list_chunks, list_page
from creditmemo.services.memos.approval import approval_queue, submit_memo
from creditmemo.services.references import document_numbers
from creditmemo.services.settlement.history import apply_proposal, open_targets
from creditmemo.store.uow import Database
from tests.builders import DAY, credit, customer, invoice, line, standalone


def _other_company(db: Database) -> Actor:
    with db.uow() as uow:
        company = create_company(uow, slug=new_id("o").lower().replace("_", "-")[:40], name="Other Co")
    return Actor("usr_other", company.id, Role.CONTROLLER, label="other@test")


def test_each_read_answers_from_the_actors_company_only(db: Database, controller: Actor, clerk: Actor) -> None:
    cus = customer(db, controller, name="Scoped Co")
    inv = invoice(db, controller, [line(price="6000.00")], customer_id=cus.id)
    memo = credit(db, clerk, inv, auto_apply=False)
    with db.uow() as uow:
        submit_memo(uow, clerk, memo.id)  # above the first tier: it waits for approval
    other = _other_company(db)
    with db.uow(readonly=True) as uow:
        mine = {name: list_page(uow, controller, name, ListQuery(page_size=10)).total for name in LISTS}
        theirs = {name: list_page(uow, other, name, ListQuery(page_size=10)).total for name in LISTS}
        assert (mine["invoices"], mine["credit_memos"], mine["customers"]) == (1, 1, 1)
        assert theirs == dict.fromkeys(LISTS, 0)
        assert [list(c) for c in list_chunks(uow, other, "invoices", ListQuery())] == []
        assert [c["name"] for c in customer_choices(uow, controller)] == ["Scoped Co"]
        assert customer_choices(uow, other) == []
        assert [m.number for m in memos_of_invoice(uow, controller, inv.id)] == [memo.number]
        assert memos_of_invoice(uow, other, inv.id) == []
        assert document_numbers(uow, controller, [inv.id, memo.id]) == {inv.id: inv.number, memo.id: memo.number}
        assert document_numbers(uow, other, [inv.id, memo.id]) == {}
        assert [r.id for r in open_targets(uow, controller, cus.id, "USD")] == [inv.id]
        assert open_targets(uow, other, cus.id, "USD") == []
        assert [r.number for r in approval_queue(uow, controller)] == [memo.number]
        assert approval_queue(uow, other) == []
        figures = dashboard_figures(uow, controller, since=DAY - timedelta(days=365))
        assert {(c.kind, c.status, c.n) for c in figures.counts} == {("credit", "pending_approval", 1)}
        assert (figures.awaiting_count, figures.awaiting_approval) == (1, memo.total)
        empty = dashboard_figures(uow, other, since=DAY - timedelta(days=365))
        assert (empty.counts, empty.awaiting_count, empty.oldest_drafts) == ([], 0, [])
        assert empty.awaiting_approval == Money.zero(empty.currency)


def test_a_page_and_the_chunks_list_the_same_rows_in_the_same_order(db: Database, controller: Actor) -> None:
    cus = customer(db, controller)
    for price in ("10.00", "250.00", "99.99", "40.00", "5.00"):
        standalone(db, controller, cus.id, price=price)
    with db.uow(readonly=True) as uow:
        for sort in ("total", "number"):
            q = ListQuery(sort=sort, descending=True, page_size=100)
            paged = [r.id for r in list_page(uow, controller, "credit_memos", q).rows]
            chunked = [r.id for rows in list_chunks(uow, controller, "credit_memos", q, chunk=2) for r in rows]
            assert len(paged) == 5
            assert chunked == paged


def test_the_apply_proposal_spreads_what_is_available_oldest_due_first(db: Database, controller: Actor) -> None:
    cus = customer(db, controller)
    newer = invoice(db, controller, [line(price="50.00")], customer_id=cus.id, issued=DAY)
    older = invoice(db, controller, [line(price="70.00")], customer_id=cus.id, issued=DAY - timedelta(days=30))
    with db.uow(readonly=True) as uow:
        rows = apply_proposal(uow, controller, cus.id, Money.from_minor(10000, "USD"))
    assert [(r.id, r.due.to_minor(), r.suggested.to_minor() if r.suggested else None) for r in rows] == [
        (older.id, 7000, 7000),
        (newer.id, 5000, 3000),
    ]
