"""Issue 18, item 6 (amounts formatted for the locale) and item 8 (numbers read as typed in it): a reader whose
browser asks for German sees "22.185,84 USD" and may type "1.200,00"; English readers keep "22,185.84 USD". Words
stay English, and what is stored is exact whatever the display."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.web.conftest import Site, invoice_of_new_customer, shot, sign_in


def _page(site: Site, browser: Any, locale: str) -> Any:
    context = browser.new_context(locale=locale, base_url=site.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, site.users["clerk"])
    return page


class TestLocaleNumbers:
    def test_a_german_reader_sees_and_types_german_numbers(self, site: Site, browser: Any) -> None:
        page = _page(site, browser, "de-DE")
        try:
            invoice = invoice_of_new_customer(site, "Locale Customer 1")
            page.goto(f"/invoices/{invoice.id}")
            expect(page.get_by_test_id("invoice-due")).to_have_text("22.185,84 USD")
            page.goto(f"/invoices/{invoice.id}/credit-memo")
            page.get_by_label("Credit line 2: Implementation services (hours)").uncheck()
            page.get_by_label("Credit line 3: Hardware gateway").uncheck()
            page.get_by_label("Amount for line 1").fill("1.200,00")
            expect(page.get_by_test_id("preview-total")).to_have_text("1.299,00 USD")
            shot(page, "18-06-german-numbers")
            page.get_by_label("Reason").select_option("billing_error")
            page.get_by_role("button", name="Create draft credit memo").click()
            page.wait_for_url(re.compile(r"/memos/cm_"))
            expect(page.get_by_test_id("memo-total")).to_have_text("1.299,00 USD")
            memo_id = page.url.rsplit("/", 1)[-1].split("?")[0]
            with site.db.uow(readonly=True) as uow:
                assert str(uow.memos.get(site.company_id, memo_id).total) == "1299.00 USD"  # stored exactly
        finally:
            page.context.close()

    def test_a_pre_filled_plain_quantity_is_not_read_as_thousands(self, site: Site, browser: Any) -> None:
        """The form writes its own numbers as plain decimals; a German reader sending one back unchanged
        ("1.5", or a three-decimal "1.125") gets that quantity, never 1,125."""
        page = _page(site, browser, "de-DE")
        try:
            page.goto(f"/invoices/{invoice_of_new_customer(site, 'Locale Customer 2').id}/credit-memo")
            page.get_by_label("Quantity for line 2").fill("1.125")
            expect(page.get_by_test_id("preview-total")).to_contain_text("USD")
            expect(page.locator("#err-qty_1")).to_have_text("")  # 1.125 hours, within the 40 left
        finally:
            page.context.close()

    def test_english_is_the_default(self, site: Site, browser: Any) -> None:
        page = _page(site, browser, "pt-BR")  # not offered: the default
        try:
            page.goto(f"/invoices/{invoice_of_new_customer(site, 'Locale Customer 3').id}")
            expect(page.get_by_test_id("invoice-due")).to_have_text("22,185.84 USD")
        finally:
            page.context.close()
