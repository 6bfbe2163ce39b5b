"""Issue 18, item 6: what users read is in finance words: "line 1", not ``lines[0]``; document numbers, not
``credit_memo:cm_01…``; "Reversal of CM-000007", not ``Reversal of je_…``; yes/no, not ``True``."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from creditmemo.domain.inputs import CreditLineInput
from creditmemo.domain.settlement import AllocationInput
from creditmemo.services.actors import system_actor
from creditmemo.services.memos.create import create_credit_memo_from_invoice
from creditmemo.services.memos.post import post_memo
from creditmemo.services.settlement.applications import apply_credit
from creditmemo.web.messages import change_text, finance_words, referenced_ids
from tests.web.conftest import Site, confirm, invoice_of_new_customer, sign_in

INTERNAL = re.compile(r"lines\[\d+\]|\b(cm|je|inv|app|rf)_[0-9a-z]{10,}|credit_memo:|True|False|None")


class TestWords:
    def test_paths_become_line_numbers(self) -> None:
        assert finance_words("lines[0].unit_price: Must be positive.") == "line 1, unit price: Must be positive."
        assert finance_words("lines[11]: exceeds") == "line 12: exceeds"
        assert finance_words("allocations[1].amount is too large") == "allocation 2, amount is too large"

    def test_amounts_are_grouped_as_on_the_pages(self) -> None:
        text = "lines[0]: 12000.00 USD exceeds the 9999.5 USD left on invoice 2026 line 3 (1000 JPY, 999.99 EUR)."
        assert finance_words(text) == (
            "line 1: 12,000.00 USD exceeds the 9,999.5 USD left on invoice 2026 line 3 (1,000 JPY, 999.99 EUR)."
        )

    def test_recorded_values_read_as_words_and_numbers(self) -> None:
        numbers = {"cm_1": "CM-000007", "inv_9": "INV-000004"}
        assert change_text("credit_memo:cm_1", numbers) == "CM-000007"
        assert change_text(True, numbers) == "yes"
        assert change_text(["customer_net_credit", "invoice_paid"], numbers) == "customer net credit, invoice paid"
        assert change_text("invoice:inv_unknown", numbers) == "invoice"
        assert referenced_ids([{"source": [None, "credit_memo:cm_1"], "target": [None, "invoice:inv_9"]}]) == [
            "cm_1",
            "inv_9",
        ]


class TestMemoPage:
    def test_timeline_journal_and_errors_name_documents_and_lines(self, engine_site: Site, new_page: Any) -> None:
        site = engine_site
        actor = system_actor(site.company_id, "test seeder")
        inv = invoice_of_new_customer(site, "Gamma GmbH")
        with site.db.uow() as uow:
            memo = create_credit_memo_from_invoice(
                uow,
                actor,
                inv.id,
                reason_code="goodwill",
                auto_apply=False,
                lines=[CreditLineInput(inv.lines[2].id, amount="2495.00")],
            )
            rival = create_credit_memo_from_invoice(
                uow,
                actor,
                inv.id,
                reason_code="goodwill",
                auto_apply=False,
                lines=[CreditLineInput(inv.lines[2].id, amount="2495.00")],
            )
            memo = post_memo(uow, actor, memo.id)
            apply_credit(
                uow,
                actor,
                source_type="credit_memo",
                source_id=memo.id,
                allocations=[AllocationInput("invoice", inv.id, "100.00")],
            )
        page = new_page(on=site)
        sign_in(page, site.users["controller"])
        # The rival draft credits what is already credited: the refusal names the line, not lines[0].
        page.goto(f"/memos/{rival.id}")
        page.get_by_test_id("memo-actions").get_by_role("button", name="Post").click()
        confirm(page, "Post")
        alert = page.get_by_test_id("memo-actions").get_by_role("alert").filter(has_text="line 1")
        expect(alert).to_contain_text("invoice line 3")
        expect(page.get_by_test_id("memo-actions")).not_to_contain_text("lines[")
        # Unapply and void the posted one: the timeline and the journal speak in document numbers.
        page.goto(f"/memos/{memo.id}")
        page.get_by_test_id("applications").get_by_role("button", name="Unapply").click()
        confirm(page, "Unapply")
        page.locator("#void-reason").fill("Wrong customer")
        page.get_by_test_id("memo-actions").get_by_role("button", name="Void", exact=True).click()
        confirm(page, "Void")
        expect(page.get_by_test_id("memo-status")).to_have_text("void")
        timeline = page.get_by_test_id("timeline").inner_text()
        assert f"from: {memo.number}" in timeline
        assert f"to: {inv.number}" in timeline
        assert "applied automatically: no" in timeline
        assert not INTERNAL.search(timeline), INTERNAL.search(timeline)
        journal = page.locator("#h-journal").locator("..").inner_text()
        assert f"Reversal of {memo.number}" in journal
        assert not re.search(r"\bje_", journal)


class TestSuccessMessages:
    def test_post_and_refund_say_what_happened(self, engine_site: Site, new_page: Any) -> None:
        site = engine_site
        actor = system_actor(site.company_id, "test seeder")
        inv = invoice_of_new_customer(site, "Delta BV")
        with site.db.uow() as uow:
            memo = create_credit_memo_from_invoice(
                uow,
                actor,
                inv.id,
                reason_code="goodwill",
                auto_apply=True,
                lines=[CreditLineInput(inv.lines[0].id, amount="4000.00")],
            )
        page = new_page(on=site)
        sign_in(page, site.users["controller"])
        page.goto(f"/memos/{memo.id}")
        page.get_by_test_id("memo-actions").get_by_role("button", name="Post").click()
        confirm(page, "Post")
        expect(page.get_by_role("status")).to_have_text(f"{memo.number} posted; 4,330.00 USD applied to {inv.number}.")
        page.get_by_test_id("applications").get_by_role("button", name="Unapply").click()
        confirm(page, "Unapply")
        expect(page.get_by_role("status")).to_have_text(
            f"Application reversed: {memo.number} has 4,330.00 USD available."
        )
        page.get_by_label("Amount (USD)").fill("1000")
        page.get_by_label("Override reason (only to refund beyond what was paid)").fill("Paid by card")
        page.get_by_role("button", name="Refund", exact=True).click()
        confirm(page, "Refund")
        expect(page.get_by_role("status")).to_have_text(
            re.compile(rf"^Refund RF-\d{{6}} of 1,000.00 USD recorded against {memo.number}\.$")
        )
