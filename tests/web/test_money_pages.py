"""Money across currencies and terms in a real browser (issue 15, "Done when"): the exchange rates page (read by
everyone, a rate set by a controller, a bad rate told at its field); an invoice page with its credit terms, the
discount available and its date, and the discount a payment took; a memo page showing the realized exchange
loss its application booked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from creditmemo.domain.inputs import FreeLineInput, InvoiceLineInput
from creditmemo.domain.settlement import AllocationInput
from creditmemo.services.actors import system_actor
from creditmemo.services.customers import create_customer
from creditmemo.services.invoices import issue_invoice
from creditmemo.services.memos.create import create_standalone_credit_memo
from creditmemo.services.settlement.applications import apply_credit
from creditmemo.services.settlement.payments import record_payment
from tests.web.conftest import Site, shot, sign_in

TERMS = {"net_days": 30, "discount_percent": "2.00", "discount_days": 10}


def _discounted(site: Site) -> tuple[Any, Any]:
    """A customer on 2 % 10 net 30 (its own terms: the site's other tests keep theirs) with two invoices of
    500.00 dated 2026-03-01; the first paid 490.00 on day 4, taking the discount."""
    actor = system_actor(site.company_id, "test seeder")
    with site.db.uow() as uow:
        customer = create_customer(uow, actor, name="Prompt Payer Ltd", currency="USD", credit_terms=TERMS)
        paid, open_ = (
            issue_invoice(
                uow,
                actor,
                customer_id=customer.id,
                currency="USD",
                issue_date="2026-03-01",
                lines=[InvoiceLineInput("Machining", "1", "500.00")],
            )
            for _ in range(2)
        )
        payment = record_payment(
            uow,
            actor,
            customer_id=customer.id,
            amount="490.00",
            currency="USD",
            received_on="2026-03-05",
            method="wire",
        )
        apply_credit(
            uow,
            actor,
            source_type="payment",
            source_id=payment.id,
            allocations=[AllocationInput("invoice", paid.id, "490.00")],
            on="2026-03-05",
        )
    return paid, open_


class TestMoneyPages:
    def test_the_invoice_page_shows_terms_discount_available_and_taken(self, site: Site, new_page: Any) -> None:
        paid, open_ = _discounted(site)
        page = new_page()
        sign_in(page, site.users["clerk"])
        page.goto(f"/invoices/{open_.id}")
        expect(page.get_by_test_id("credit-terms")).to_contain_text("2 % 10, net 30 (the customer's own)")
        expect(page.get_by_test_id("discount-available")).to_have_text("10.00 USD until 2026-03-11")
        expect(page.get_by_test_id("discount-taken")).to_have_text("0.00 USD")
        page.goto(f"/invoices/{paid.id}")
        expect(page.get_by_test_id("discount-taken")).to_have_text("10.00 USD")
        expect(page.get_by_test_id("discount-available")).to_have_text("0.00 USD until 2026-03-11")
        expect(page.get_by_test_id("invoice-due")).to_have_text("0.00 USD")
        row = page.get_by_test_id("invoice-settlement").locator("tbody tr").first
        expect(row).to_contain_text("490.00 USD")
        expect(row).to_contain_text("10.00 USD")
        shot(page, "40-invoice-discount")
        row.get_by_role("link").click()  # the payment that took it
        payment_row = page.get_by_test_id("payment-settlement").locator("tbody tr").first
        expect(payment_row).to_contain_text(paid.number)
        expect(payment_row).to_contain_text("10.00 USD")
        page.goto(f"/invoices/{paid.id}")
        page.get_by_role("link", name="Prompt Payer Ltd").first.click()
        expect(page.get_by_test_id("customer-credit-terms")).to_have_text("2 % 10, net 30")

    @pytest.mark.journey
    def test_a_controller_sets_a_rate_and_a_clerk_reads_the_table(self, site: Site, new_page: Any) -> None:
        page = new_page()
        sign_in(page, site.users["controller"])
        page.goto("/exchange-rates")
        page.get_by_label("Currency", exact=True).first.fill("CHF")
        page.get_by_label("Date").fill("2026-03-01")
        page.get_by_label(re.compile(r"^Rate")).fill("abc")
        page.get_by_role("button", name="Set rate").click()
        expect(page.locator("#err-rate-value")).to_have_text(re.compile(r"\S"))  # told at its field
        page.get_by_label(re.compile(r"^Rate")).fill("1.1275")
        page.get_by_role("button", name="Set rate").click()
        expect(page.get_by_test_id("rate-saved")).to_be_visible()
        expect(page.get_by_test_id("rates")).to_contain_text("CHF")
        expect(page.get_by_test_id("rates")).to_contain_text("1.1275")
        shot(page, "41-exchange-rates")
        clerk = new_page()
        sign_in(clerk, site.users["clerk"])
        clerk.goto("/exchange-rates")
        expect(clerk.get_by_test_id("rates")).to_contain_text("1.1275")
        expect(clerk.get_by_role("button", name="Set rate")).to_have_count(0)

    def test_the_memo_page_shows_the_exchange_loss_its_application_booked(self, site: Site, new_page: Any) -> None:
        actor = system_actor(site.company_id, "test seeder")
        with site.db.uow() as uow:
            customer = create_customer(uow, actor, name="Ironclad GmbH", currency="EUR")
            invoice = issue_invoice(
                uow,
                actor,
                customer_id=customer.id,
                currency="EUR",
                issue_date="2026-03-02",
                exchange_rate="1.20",
                lines=[InvoiceLineInput("Machining", "1", "1000.00")],
            )
            memo = create_standalone_credit_memo(
                uow,
                actor,
                customer_id=customer.id,
                currency="EUR",
                reason_code="goodwill",
                exchange_rate="1.10",
                lines=[FreeLineInput("Goodwill", "1", "1000.00")],
                post=True,
            )
            apply_credit(
                uow,
                actor,
                source_type="credit_memo",
                source_id=memo.id,
                allocations=[AllocationInput("invoice", invoice.id, "1000.00")],
            )
        page = new_page()
        sign_in(page, site.users["clerk"])
        page.goto(f"/memos/{memo.id}")
        journal = page.locator("section[aria-labelledby=h-journal]")
        expect(journal).to_contain_text("Exchange difference")
        loss = journal.locator("tr", has_text="7200")
        expect(loss).to_contain_text("100.00 USD")
        shot(page, "42-memo-fx-loss")
