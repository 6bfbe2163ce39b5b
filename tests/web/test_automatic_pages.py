"""Automatic credits in a real browser (issue 11): prorating a downgrade from the invoice page and an SLA credit
from the customer page, each previewed by the server before it is created; a duplicate incident told at its
field; the SLA policy an admin edits and a clerk only reads."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from creditmemo.domain.inputs import InvoiceLineInput
from creditmemo.services.actors import system_actor
from creditmemo.services.customers import create_customer
from creditmemo.services.invoices import issue_invoice
from tests.web.conftest import Site, shot, sign_in


def _subscription(site: Site, name: str) -> Any:
    actor = system_actor(site.company_id, "test seeder")
    with site.db.uow() as uow:
        customer = create_customer(uow, actor, name=name, currency="USD")
        return issue_invoice(
            uow,
            actor,
            customer_id=customer.id,
            currency="USD",
            issue_date="2026-01-01",
            lines=[
                InvoiceLineInput("Seats", "12", "100.00", service_start="2026-01-01", service_end="2026-01-31"),
                InvoiceLineInput(
                    "Monitoring plan", "1", "3000.00", service_start="2026-01-01", service_end="2026-01-31"
                ),
            ],
        )


class TestAutomaticCredits:
    @pytest.mark.journey
    def test_a_controller_prorates_a_downgrade_seeing_290_32_before_creating_it(
        self, site: Site, new_page: Any
    ) -> None:
        invoice = _subscription(site, "GreenField Solutions")
        page = new_page()
        sign_in(page, site.users["controller"])
        page.goto(f"/invoices/{invoice.id}")
        expect(page.get_by_text("2026-01-01 to 2026-01-31").first).to_be_visible()
        page.get_by_role("link", name="Prorate a downgrade").first.click()
        page.get_by_label("Effective from").fill("2026-01-17")
        page.get_by_label("New quantity").fill("6")
        expect(page.get_by_test_id("preview-net")).to_have_text("290.32 USD")
        expect(page.get_by_test_id("automatic-preview")).to_contain_text("15 (from 2026-01-17 to 2026-01-31)")
        page.get_by_label("New quantity").fill("20")  # an upgrade: told before anything is created
        expect(page.get_by_test_id("automatic-preview")).to_contain_text("not a downgrade")
        page.get_by_label("New quantity").fill("6")
        page.get_by_label("Post at once").check()
        shot(page, "20-prorate")
        page.get_by_role("button", name="Create credit memo").click()
        page.wait_for_url(re.compile(r"/memos/cm_"))
        expect(page.get_by_test_id("memo-status")).to_have_text("posted")
        expect(page.get_by_test_id("memo-total")).to_have_text("290.32 USD")
        expect(page.get_by_test_id("memo-computation")).to_have_text("(1200.00 − 600.00) × 15 ⁄ 31 days = 290.32")
        expect(page.get_by_test_id("line-period")).to_have_text("service 2026-01-17 to 2026-01-31")

    @pytest.mark.journey
    def test_an_sla_credit_from_the_customer_page_and_its_duplicate(self, site: Site, new_page: Any) -> None:
        invoice = _subscription(site, "Prism Telecom")
        page = new_page()
        sign_in(page, site.users["clerk"])
        page.goto(f"/customers/{invoice.customer_id}")
        page.get_by_role("link", name="SLA credit").click()
        page.get_by_label("Plan (invoice line)").select_option(invoice.lines[1].id)
        page.get_by_label("Outage (minutes)").fill("2160")
        page.get_by_label("Incident reference").fill("INC-4821")
        expect(page.get_by_test_id("preview-uptime")).to_have_text("95.16 %")
        expect(page.get_by_test_id("preview-net")).to_have_text("750.00 USD")
        shot(page, "21-sla-credit")
        page.get_by_role("button", name="Create SLA credit").click()
        page.wait_for_url(re.compile(r"/memos/cm_"))
        expect(page.get_by_test_id("memo-total")).to_have_text("750.00 USD")
        # The same incident again: refused at its field, naming the first credit.
        page.goto(f"/customers/{invoice.customer_id}/sla-credit")
        page.get_by_label("Plan (invoice line)").select_option(invoice.lines[1].id)
        page.get_by_label("Outage (minutes)").fill("60")
        page.get_by_label("Incident reference").fill("INC-4821")
        page.get_by_role("button", name="Create SLA credit").click()
        expect(page.locator("#err-incident_reference")).to_contain_text("already credited by CM-")

    def test_the_sla_policy_is_the_admins_to_change(self, site: Site, new_page: Any) -> None:
        clerk = new_page()
        sign_in(clerk, site.users["clerk"])
        clerk.goto("/settings/sla")
        expect(clerk.get_by_role("button", name="Save")).to_have_count(0)
        admin = new_page()
        sign_in(admin, site.users["admin"])
        admin.goto("/settings/sla")
        expect(admin.get_by_label("Tier 1: uptime below")).to_have_value("99.9")
        admin.get_by_label("Tier 2: credit percent").fill("abc")
        admin.get_by_role("button", name="Save").click()
        expect(admin.locator("#err-tiers\\[1\\]\\.credit_percent")).to_contain_text("percentage")
        admin.get_by_label("Tier 2: credit percent").fill("30")
        admin.get_by_role("button", name="Save").click()
        expect(admin.get_by_role("status")).to_have_text("Saved.")
        expect(admin.get_by_label("Tier 2: credit percent")).to_have_value("30")
        admin.get_by_label("Tier 2: credit percent").fill("25")  # as it was, for the other tests
        admin.get_by_role("button", name="Save").click()
        expect(admin.get_by_role("status")).to_have_text("Saved.")
