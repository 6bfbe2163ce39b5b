"""Issue 18, item 8: input friction. Amounts typed with thousand separators are read as meant; a line is credited
by quantity or by amount, never both; no reason is chosen for the user; a second memo on its way for the same
invoice is pointed out; the customers list says what its search looks at, and document lists find a customer's
documents by the customer's name."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from creditmemo.services.actors import system_actor
from creditmemo.services.customers import create_customer
from tests.web.conftest import Site, invoice_of_new_customer, shot, sign_in


def _clerk(site: Site, new_page: Any) -> Any:
    page = new_page()
    sign_in(page, site.users["clerk"])
    return page


class TestNumbersAsTyped:
    def test_an_amount_with_thousand_separators_is_read_as_meant(self, site: Site, new_page: Any) -> None:
        page = _clerk(site, new_page)
        invoice = invoice_of_new_customer(site, "Friction Customer 1")
        page.goto(f"/invoices/{invoice.id}/credit-memo")
        page.get_by_label("Credit line 2: Implementation services (hours)").uncheck()
        page.get_by_label("Credit line 3: Hardware gateway").uncheck()
        page.get_by_label("Amount for line 1").fill("1,200.00")
        expect(page.get_by_test_id("preview-total")).to_have_text("1,299.00 USD")  # 1,200.00 + 8.25 % tax
        page.get_by_label("Reason").select_option("billing_error")
        page.get_by_role("button", name="Create draft credit memo").click()
        page.wait_for_url(re.compile(r"/memos/cm_"))
        expect(page.get_by_test_id("memo-total")).to_have_text("1,299.00 USD")

    def test_a_badly_grouped_number_is_refused_not_guessed(self, site: Site, new_page: Any) -> None:
        page = _clerk(site, new_page)
        page.goto(f"/invoices/{invoice_of_new_customer(site, 'Friction Customer 2').id}/credit-memo")
        page.get_by_label("Amount for line 1").fill("1,20")  # a decimal comma, or a typo: not read as 120 or 1.20
        expect(page.locator("#err-amount_0")).not_to_have_text("")


class TestQuantityOrAmount:
    def test_typing_one_clears_and_disables_the_other(self, site: Site, new_page: Any) -> None:
        page = _clerk(site, new_page)
        page.goto(f"/invoices/{invoice_of_new_customer(site, 'Friction Customer 3').id}/credit-memo")
        qty, amount = page.get_by_label("Quantity for line 2"), page.get_by_label("Amount for line 2")
        expect(qty).to_have_value("40")
        amount.fill("300.00")
        expect(qty).to_have_value("")
        expect(qty).to_be_disabled()
        amount.fill("")
        expect(qty).to_be_enabled()
        qty.fill("3")
        expect(amount).to_be_disabled()
        qty.fill("")
        expect(amount).to_be_enabled()


class TestReasonAndOtherDrafts:
    def test_no_reason_is_chosen_and_creating_without_one_says_so(self, site: Site, new_page: Any) -> None:
        page = _clerk(site, new_page)
        invoice = invoice_of_new_customer(site, "Reasonless Ltd")
        page.goto(f"/invoices/{invoice.id}/credit-memo")
        expect(page.get_by_label("Reason")).to_have_value("")
        expect(page.get_by_test_id("preview-total")).to_have_text("22,185.84 USD")  # the preview still works
        page.get_by_role("button", name="Create draft credit memo").click()
        expect(page.locator("#err-reason_code")).to_contain_text("Choose a reason")
        with site.db.uow(readonly=True) as uow:
            assert uow.invoices.get(site.company_id, invoice.id).amount_credited.amount == 0
        page.goto("/credit-memos/new")
        expect(page.get_by_label("Reason")).to_have_value("")

    def test_a_second_memo_for_the_same_invoice_is_warned_about(self, site: Site, new_page: Any) -> None:
        page = _clerk(site, new_page)
        invoice = invoice_of_new_customer(site, "Twice Credited Ltd")
        page.goto(f"/invoices/{invoice.id}/credit-memo")
        expect(page.get_by_test_id("other-drafts")).to_have_count(0)
        page.get_by_label("Reason").select_option("billing_error")
        page.get_by_role("button", name="Create draft credit memo").click()
        page.wait_for_url(re.compile(r"/memos/cm_"))
        first = re.search(r"CM-\d{6}", page.locator("h1").inner_text())
        assert first is not None
        page.goto(f"/invoices/{invoice.id}/credit-memo")
        warning = page.get_by_test_id("other-drafts")
        expect(warning).to_contain_text(first.group(0))
        expect(warning).to_contain_text("draft")
        shot(page, "18-08-other-drafts")


class TestSearch:
    def test_the_customers_search_is_labelled_name(self, site: Site, new_page: Any) -> None:
        page = _clerk(site, new_page)
        page.goto("/customers")
        expect(page.get_by_label("Name", exact=True)).to_be_visible()
        expect(page.get_by_label("Balance from")).to_be_visible()

    def test_a_document_list_finds_by_customer_name(self, site: Site, new_page: Any) -> None:
        actor = system_actor(site.company_id, "test seeder")
        with site.db.uow() as uow:
            create_customer(uow, actor, name="Zanzibar Traders", currency="USD", payment_terms_days=30)
        invoice = invoice_of_new_customer(site, "Quokka Holdings")
        page = _clerk(site, new_page)
        page.goto("/invoices")
        page.get_by_label("Number or customer").fill("quokka")
        page.get_by_label("Number or customer").press("Enter")
        rows = page.locator("table tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(invoice.number)
