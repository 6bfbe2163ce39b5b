"""Returns in a real browser (issue 10): "Create return" on the invoice page (lines pre-filled, a quantity
narrowed, restock unticked), the return page with its receipt form, "Create credit memo", links both ways
between return, memo and invoice, an over-return told at its field, the list with filters, and cancel."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from creditmemo.domain.inputs import InvoiceLineInput
from creditmemo.services.actors import system_actor
from creditmemo.services.invoices import issue_invoice
from tests.web.conftest import Site, shot, sign_in


def _goods(site: Site) -> Any:
    with site.db.uow() as uow:
        return issue_invoice(
            uow,
            system_actor(site.company_id, "test seeder"),
            customer_id=site.customer_id,
            currency="USD",
            issue_date=site.db.clock().date(),
            lines=[
                InvoiceLineInput("Widget", "1", "100.00", unit_cost="60.00"),
                InvoiceLineInput("Gadget", "3", "20.00", unit_cost="5.00"),
            ],
        )


class TestReturnPages:
    @pytest.mark.journey
    def test_authorize_receive_and_credit_a_return_from_the_invoice_page(self, site: Site, new_page: Any) -> None:
        invoice = _goods(site)
        page = new_page()
        sign_in(page, site.users["controller"])
        page.goto(f"/invoices/{invoice.id}")
        page.get_by_role("link", name="Create return").click()
        expect(page.get_by_label("Quantity of line 1")).to_have_value("1")
        expect(page.get_by_label("Quantity of line 2")).to_have_value("3")
        page.get_by_label("Quantity of line 2").fill("4")  # more than invoiced: told at the line
        page.get_by_label("Case reference").fill("CASE-77")
        page.get_by_role("button", name="Authorize return").click()
        expect(page.locator("#err-qty_1")).to_contain_text("left to return")
        page.get_by_label("Quantity of line 2").fill("2")
        page.get_by_label("Restock line 2").uncheck()
        shot(page, "30-return-new")
        page.get_by_role("button", name="Authorize return").click()
        page.wait_for_url(re.compile(r"/returns/rma_"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("authorized")
        expect(page.get_by_text("CASE-77", exact=True)).to_be_visible()
        page.get_by_label("Received quantity of line 2").fill("1")
        page.get_by_label("Condition of line 2").fill("scratched")
        page.get_by_role("button", name="Record receipt").click()
        expect(page.get_by_role("status")).to_have_text("Receipt recorded.")
        expect(page.get_by_role("heading", level=1)).to_contain_text("received")
        expect(page.get_by_label("Condition of line 2")).to_have_value("scratched")  # one of two still to come
        page.get_by_label("Post at once").check()
        shot(page, "31-return-received")
        page.get_by_role("button", name="Create credit memo").click()
        page.wait_for_url(re.compile(r"/memos/cm_"))
        expect(page.get_by_test_id("memo-status")).to_have_text("posted")
        expect(page.get_by_test_id("memo-total")).to_have_text("120.00 USD")  # 1 widget + 1 gadget
        page.get_by_test_id("memo-return").click()
        page.wait_for_url(re.compile(r"/returns/rma_"))
        expect(page.get_by_test_id("return-memos")).to_contain_text("posted")
        # the gadget still to receive: receive it, credit it, and the return is credited
        page.get_by_role("button", name="Record receipt").click()
        page.get_by_role("button", name="Create credit memo").click()
        page.wait_for_url(re.compile(r"/memos/cm_"))
        expect(page.get_by_test_id("memo-total")).to_have_text("20.00 USD")
        page.get_by_test_id("memo-return").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("credited")
        timeline = page.get_by_test_id("timeline")
        for step in ("authorized", "received", "credited"):
            expect(timeline).to_contain_text(step)
        page.get_by_test_id("return-invoice").click()
        expect(page.get_by_test_id("invoice-returns")).to_contain_text("credited")

    def test_the_list_filters_and_a_return_is_cancelled_with_a_reason(self, site: Site, new_page: Any) -> None:
        invoice = _goods(site)
        page = new_page()
        sign_in(page, site.users["clerk"])
        page.goto(f"/invoices/{invoice.id}/return")
        page.get_by_label("Return line 2").uncheck()
        page.get_by_role("button", name="Authorize return").click()
        page.wait_for_url(re.compile(r"/returns/rma_"))
        number = page.get_by_role("heading", level=1).inner_text().split()[1]
        page.get_by_text("Change this return").click()
        page.get_by_label("Case reference").fill("T-42")
        page.get_by_label("Quantity of Widget").fill("2")  # one was invoiced: told, nothing changed
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_role("alert").first).to_contain_text("left to return")
        page.get_by_label("Quantity of Widget").fill("1")
        page.get_by_label("Case reference").fill("T-42")
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_role("status")).to_have_text("Return changed.")
        expect(page.get_by_text("T-42", exact=True)).to_be_visible()
        page.goto(f"/invoices/{invoice.id}/return")  # the widget is held by that return now
        expect(page.get_by_label("Return line 1")).not_to_be_checked()
        expect(page.get_by_label("Quantity of line 1")).to_have_value("0")
        expect(page.get_by_label("Quantity of line 2")).to_have_value("3")
        page.go_back()
        page.get_by_label("Reason for cancelling").fill("Customer kept it")
        page.get_by_role("button", name="Cancel return").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("cancelled")
        expect(page.get_by_text("Customer kept it", exact=True)).to_be_visible()
        page.get_by_role("link", name="Returns", exact=True).click()
        page.get_by_label("Status").select_option("cancelled")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_test_id("returns")).to_contain_text(number)
        page.get_by_label("Status").select_option("credited")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_test_id("returns")).not_to_contain_text(number)
        shot(page, "32-returns-list")

    def test_an_auditor_reads_a_return_without_forms_and_another_company_cannot(
        self, site: Site, new_page: Any
    ) -> None:
        invoice = _goods(site)
        clerk = new_page()
        sign_in(clerk, site.users["clerk"])
        clerk.goto(f"/invoices/{invoice.id}/return")
        clerk.get_by_role("button", name="Authorize return").click()
        clerk.wait_for_url(re.compile(r"/returns/rma_"))
        url = clerk.url
        auditor = new_page()
        sign_in(auditor, site.users["auditor"])
        auditor.goto(url)
        expect(auditor.get_by_role("heading", level=1)).to_contain_text("authorized")
        expect(auditor.get_by_role("button", name="Record receipt")).to_have_count(0)
        expect(auditor.get_by_role("button", name="Cancel return")).to_have_count(0)
        other = new_page()
        sign_in(other, site.users["other"])
        response = other.goto(url)
        assert response is not None
        assert response.status == 404


class TestReturnFormsRunOnce:
    def test_a_double_clicked_partial_receipt_is_recorded_once(self, site: Site, new_page: Any) -> None:
        invoice = _goods(site)
        page = new_page()
        sign_in(page, site.users["controller"])
        page.goto(f"/invoices/{invoice.id}/return")
        page.get_by_label("Return line 1").uncheck()
        page.get_by_role("button", name="Authorize return").click()
        page.wait_for_url(re.compile(r"/returns/rma_"))
        return_id = page.url.split("/returns/")[1].split("?")[0]
        page.get_by_label("Received quantity of line 1").fill("1")
        page.get_by_role("button", name="Record receipt").dblclick()
        expect(page.get_by_role("status")).to_have_text("Receipt recorded.")
        with site.db.uow(readonly=True) as uow:
            ret = uow.returns.get(site.company_id, return_id)
        assert [str(line.quantity_received) for line in ret.lines] == ["1"]
