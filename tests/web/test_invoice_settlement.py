"""Issue 18, item 9: how an invoice was settled. The invoice page lists the credits and payments applied to it
(numbers as links to the memo and the payment), says when it is overdue and by how many days, keeps "credited on
its lines" apart from "applied credits", and formats unit prices; the customer page pages through every
document (it used to stop at 50)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from creditmemo.domain.inputs import CreditLineInput, FreeLineInput, InvoiceLineInput
from creditmemo.domain.settlement import AllocationInput
from creditmemo.services.actors import system_actor
from creditmemo.services.customers import create_customer
from creditmemo.services.invoices import issue_invoice
from creditmemo.services.memos.create import create_credit_memo_from_invoice, create_standalone_credit_memo
from creditmemo.services.memos.post import post_memo
from creditmemo.services.settlement.applications import apply_credit
from creditmemo.services.settlement.payments import record_payment
from tests.web.conftest import Site, shot, sign_in, today_of


def _settled_invoice(site: Site) -> dict[str, Any]:
    """An invoice of 1,000.00 + 10 % tax issued 45 days ago (due after 30: 15 days overdue), with a posted memo
    from it of 110.00 left unapplied, a standalone memo of 200.00 and a payment of 300.00 applied to it."""
    actor = system_actor(site.company_id, "test seeder")
    today = today_of(site)
    with site.db.uow() as uow:
        customer = create_customer(uow, actor, name="Settled Ltd", currency="USD", payment_terms_days=30)
        invoice = issue_invoice(
            uow,
            actor,
            customer_id=customer.id,
            currency="USD",
            issue_date=today - timedelta(days=45),
            lines=[InvoiceLineInput("Consulting", "4", "250.00", tax_rate="10")],
        )
        from_lines = create_credit_memo_from_invoice(
            uow,
            actor,
            invoice.id,
            reason_code="billing_error",
            auto_apply=False,
            lines=[CreditLineInput(invoice.lines[0].id, quantity="0.4")],
        )
        from_lines = post_memo(uow, actor, from_lines.id)
        standalone = create_standalone_credit_memo(
            uow,
            actor,
            customer_id=customer.id,
            currency="USD",
            reason_code="goodwill",
            lines=[FreeLineInput("Goodwill", "1", "200.00")],
        )
        standalone = post_memo(uow, actor, standalone.id)
        apply_credit(
            uow,
            actor,
            source_type="credit_memo",
            source_id=standalone.id,
            allocations=[AllocationInput("invoice", invoice.id, "200.00")],
        )
        payment = record_payment(
            uow,
            actor,
            customer_id=customer.id,
            amount="300.00",
            currency="USD",
            received_on=today,
            method="wire",
            reference="WIRE-77",
        )
        apply_credit(
            uow,
            actor,
            source_type="payment",
            source_id=payment.id,
            allocations=[AllocationInput("invoice", invoice.id, "300.00")],
        )
    return {"invoice": invoice, "from_lines": from_lines, "standalone": standalone, "payment": payment}


class TestInvoiceSettlement:
    @pytest.mark.journey
    def test_the_invoice_page_shows_who_settled_it(self, site: Site, new_page: Any) -> None:
        docs = _settled_invoice(site)
        invoice = docs["invoice"]
        page = new_page()
        sign_in(page, site.users["controller"])
        page.goto(f"/invoices/{invoice.id}")
        expect(page.get_by_test_id("invoice-credited")).to_have_text("110.00 USD")  # the memo on its lines
        expect(page.get_by_test_id("invoice-applied-credits")).to_have_text("200.00 USD")  # the standalone one
        expect(page.get_by_test_id("invoice-due")).to_have_text("600.00 USD")  # 1,100 - 200 - 300
        expect(page.get_by_test_id("invoice-overdue")).to_contain_text("15 days past due")
        expect(page.get_by_role("cell", name="250.00").first).to_be_visible()  # the unit price, formatted
        rows = page.get_by_test_id("invoice-settlement").locator("tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text(docs["standalone"].number)
        expect(rows.nth(0)).to_contain_text("200.00 USD")
        expect(rows.nth(1)).to_contain_text(docs["payment"].number)
        shot(page, "18-09-invoice-settlement")
        page.get_by_role("link", name=docs["payment"].number).click()
        expect(page.locator("h1")).to_contain_text(f"Payment {docs['payment'].number}")
        expect(page.get_by_test_id("payment-available")).to_have_text("0.00 USD")
        expect(page.get_by_test_id("payment-settlement")).to_contain_text(invoice.number)
        shot(page, "18-09-payment")
        page.get_by_role("link", name=invoice.number).click()
        page.get_by_role("link", name=docs["standalone"].number).click()
        expect(page.locator("h1")).to_contain_text(docs["standalone"].number)

    def test_an_invoice_paid_in_full_is_not_overdue(self, site: Site, new_page: Any) -> None:
        actor = system_actor(site.company_id, "test seeder")
        today = today_of(site)
        with site.db.uow() as uow:
            customer = create_customer(uow, actor, name="Prompt Payer", currency="USD", payment_terms_days=10)
            invoice = issue_invoice(
                uow,
                actor,
                customer_id=customer.id,
                currency="USD",
                issue_date=today - timedelta(days=40),
                lines=[InvoiceLineInput("Licence", "1", "100.00", tax_rate="0")],
            )
            payment = record_payment(
                uow, actor, customer_id=customer.id, amount="100.00", currency="USD", received_on=today, method="ach"
            )
            apply_credit(
                uow,
                actor,
                source_type="payment",
                source_id=payment.id,
                allocations=[AllocationInput("invoice", invoice.id, "100.00")],
            )
        page = new_page()
        sign_in(page, site.users["auditor"])
        page.goto(f"/invoices/{invoice.id}")
        expect(page.get_by_test_id("invoice-due")).to_have_text("0.00 USD")
        expect(page.get_by_test_id("invoice-overdue")).to_have_count(0)


class TestCustomerPaging:
    def test_the_customer_page_reaches_every_invoice(self, site: Site, new_page: Any) -> None:
        actor = system_actor(site.company_id, "test seeder")
        today = today_of(site)
        with site.db.uow() as uow:
            customer = create_customer(uow, actor, name="Many Invoices Inc", currency="USD", payment_terms_days=30)
            numbers = [
                issue_invoice(
                    uow,
                    actor,
                    customer_id=customer.id,
                    currency="USD",
                    issue_date=today - timedelta(days=i),
                    lines=[InvoiceLineInput(f"Order {i}", "1", "10.00", tax_rate="0")],
                ).number
                for i in range(55)
            ]
        page = new_page()
        sign_in(page, site.users["clerk"])
        page.goto(f"/customers/{customer.id}")
        pager = page.get_by_role("navigation", name="Invoice pages")
        expect(pager).to_contain_text("Page 1 of 2 (55)")
        first_page = page.get_by_test_id("customer-invoices").locator("tbody tr")
        expect(first_page).to_have_count(50)
        pager.get_by_role("link", name="Next →").click()
        expect(page.get_by_role("navigation", name="Invoice pages")).to_contain_text("Page 2 of 2 (55)")
        expect(page.get_by_test_id("customer-invoices").locator("tbody tr")).to_have_count(5)
        seen_on_second = page.get_by_test_id("customer-invoices").locator("tbody tr td:first-child").all_inner_texts()
        assert len(set(seen_on_second) & set(numbers)) == 5
        page.goto(f"/customers/{customer.id}?invoices_page=abc")  # a bad page number: the first page
        expect(page.get_by_role("navigation", name="Invoice pages")).to_contain_text("Page 1 of 2")
