"""Revenue schedules in a real browser (issue 12): a controller runs the recognition from the Revenue page and
reads the waterfall; the invoice page shows each line's schedule; the memo page shows each line's split."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from creditmemo.domain.inputs import InvoiceLineInput
from creditmemo.services.actors import system_actor
from creditmemo.services.customers import create_customer
from creditmemo.services.invoices import issue_invoice
from creditmemo.services.memos.create import create_credit_memo_from_invoice
from tests.web.conftest import Site, shot, sign_in


def _annual(site: Site) -> Any:
    actor = system_actor(site.company_id, "test seeder")
    with site.db.uow() as uow:
        customer = create_customer(uow, actor, name="Waterfall Analytics", currency="USD")
        return issue_invoice(
            uow,
            actor,
            customer_id=customer.id,
            currency="USD",
            issue_date="2024-01-01",
            lines=[
                InvoiceLineInput(
                    "Annual subscription", "1", "1200.00", service_start="2024-01-01", service_end="2024-12-31"
                )
            ],
        )


class TestRevenuePages:
    @pytest.mark.journey
    def test_a_controller_recognizes_revenue_and_reads_schedules_splits_and_the_waterfall(
        self, site: Site, new_page: Any
    ) -> None:
        invoice = _annual(site)
        page = new_page()
        sign_in(page, site.users["controller"])
        page.get_by_role("link", name="Revenue").click()
        page.get_by_label("From").fill("2024-01-01")
        page.get_by_label("To").fill("2024-06-30")
        page.get_by_role("button", name="Show").click()
        page.get_by_label("Recognize what is due through").fill("2024-03-31")
        page.get_by_role("button", name="Recognize revenue").click()
        expect(page.get_by_test_id("recognized-notice")).to_contain_text("Recognized")
        # 2024 has 366 days: January 1,200 x 31 / 366
        expect(page.get_by_test_id("waterfall-2024-01")).to_contain_text("101.64 USD")
        expect(page.get_by_test_id("waterfall-2024-04")).to_contain_text("0.00 USD")
        shot(page, "40-revenue")

        page.goto(f"/invoices/{invoice.id}")
        expect(page.get_by_test_id("schedule-recognized")).to_have_text("298.36 USD")  # 1,200 x 91 / 366
        expect(page.get_by_test_id("schedule-deferred")).to_have_text("901.64 USD")

        with site.db.uow() as uow:
            memo = create_credit_memo_from_invoice(
                uow,
                system_actor(site.company_id, "test seeder"),
                invoice.id,
                reason_code="billing_error",
                issue_date="2024-04-01",
                post=True,
            )
        page.goto(f"/memos/{memo.id}")
        split = page.get_by_test_id("revenue-split")
        expect(split).to_contain_text("298.36 USD")
        expect(split).to_contain_text("901.64 USD")
        page.goto(f"/invoices/{invoice.id}")
        expect(page.get_by_test_id("schedule-credited")).to_have_text("1,200.00 USD")
        expect(page.get_by_test_id("schedule-deferred")).to_have_text("0.00 USD")

    def test_a_clerk_reads_the_page_without_the_run(self, site: Site, new_page: Any) -> None:
        page = new_page()
        sign_in(page, site.users["clerk"])
        page.goto("/revenue?from=2024-01-01&to=2024-02-29")
        expect(page.get_by_test_id("waterfall")).to_be_visible()
        expect(page.get_by_role("button", name="Recognize revenue")).to_have_count(0)
        page.goto("/revenue?from=2024-03-01&to=2024-02-01")
        expect(page.locator("main")).to_contain_text(re.compile("ends before it starts"))
