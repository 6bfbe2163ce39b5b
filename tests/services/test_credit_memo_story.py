"""A narrative scenario: invoice, credit two lines, post, void; balances and journal after each step."""

from __future__ import annotations

from creditmemo.domain.lifecycle import Status
from creditmemo.domain.money import Money
from creditmemo.services.memos.void import void_memo
from tests.builders import by_qty, credit, expect_journal, invoice, line, post

USD = lambda s: Money(__import__("decimal").Decimal(s), "USD")  # noqa: E731


def test_credit_part_of_an_invoice_post_and_void(db, controller):
    inv = invoice(db, controller, [line("10", "100.00", "8.25"), line("2", "50.00", "0")])
    assert inv.total == USD("1182.50")

    memo = credit(db, controller, inv, [by_qty(inv, 0, "3")], issue_date="2026-03-05", auto_apply=False)
    assert memo.status is Status.DRAFT
    assert memo.number.startswith("CM-")
    assert (memo.subtotal, memo.tax_total, memo.total) == (USD("300.00"), USD("24.75"), USD("324.75"))

    posted = post(db, controller, memo)
    assert posted.status is Status.POSTED
    with db.uow(readonly=True) as uow:
        entries = uow.journal.for_source(controller.company_id, memo.id)
        customer = uow.customers.get(controller.company_id, inv.customer_id)
    expect_journal(
        entries[0],
        """
        Dr 4900 300.00 USD
        Dr 2200 24.75 USD
        Cr 1200 324.75 USD
    """,
    )
    assert customer.balance == USD("857.75")
    assert customer.available_credit == USD("324.75")

    with db.uow() as uow:
        voided = void_memo(uow, controller, memo.id, on="2026-03-10")
    assert voided.status is Status.VOID
    with db.uow(readonly=True) as uow:
        entries = uow.journal.for_source(controller.company_id, memo.id)
        customer = uow.customers.get(controller.company_id, inv.customer_id)
        inv_after = uow.invoices.get(controller.company_id, inv.id)
    assert [e.kind for e in entries] == ["post", "void"]
    expect_journal(
        entries[1],
        """
        Cr 4900 300.00 USD
        Cr 2200 24.75 USD
        Dr 1200 324.75 USD
    """,
    )
    assert str(entries[1].date) == "2026-03-10"
    assert customer.balance == USD("1182.50")
    assert inv_after.lines[0].credited_net == USD("0.00")
