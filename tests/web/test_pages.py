"""The finance team's screens in a real browser (issue 6): the whole life of a memo across roles, what an
auditor and another company's user see, errors next to their fields, lists, sign-in and CSRF."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from creditmemo.domain.inputs import CreditLineInput
from creditmemo.services.actors import system_actor
from creditmemo.services.memos.approval import submit_memo
from creditmemo.services.memos.create import create_credit_memo_from_invoice
from creditmemo.services.memos.post import post_memo
from creditmemo.services.users import actor_for, get_user_by_email
from tests.web.conftest import PASSWORD, Site, confirm, fresh_invoice, shot, sign_in


def _posted_memo(site: Site, amount: str = "100.00") -> Any:
    """A small posted credit memo on the small invoice, made through the services."""
    actor = system_actor(site.company_id, "test seeder")
    inv = site.invoices["small"]
    with site.db.uow() as uow:
        memo = create_credit_memo_from_invoice(
            uow,
            actor,
            inv.id,
            reason_code="goodwill",
            auto_apply=False,
            lines=[CreditLineInput(inv.lines[0].id, amount=amount)],
        )
        return post_memo(uow, actor, memo.id)


def _memo_number(page: Any) -> str:
    text = page.locator("h1").inner_text()
    match = re.search(r"CM-\d{6}", text)
    assert match, text
    return match.group(0)


class TestMemoStory:
    @pytest.mark.journey
    def test_clerk_creates_manager_approves_controller_posts_applies_and_downloads(
        self, site: Site, new_page: Any, tmp_path: Path
    ) -> None:
        big = site.invoices["big"]
        # The clerk opens the invoice and creates a credit memo: every line is there.
        clerk = new_page()
        sign_in(clerk, site.users["clerk"])
        shot(clerk, "01-dashboard")
        clerk.goto(f"/invoices/{big.id}")
        shot(clerk, "02-invoice")
        clerk.get_by_role("link", name="Create credit memo").click()
        expect(clerk.locator("[data-testid=credit-lines] tbody tr")).to_have_count(3)
        expect(clerk.get_by_test_id("preview-total")).to_have_text("22,185.84 USD")
        # Narrowing the hours from 40 to 10 updates the totals and tax from the server.
        clerk.get_by_label("Quantity for line 2").fill("10")
        expect(clerk.get_by_test_id("preview-total")).to_have_text("17,314.59 USD")
        expect(clerk.get_by_test_id("preview-tax")).to_have_text("1,319.59 USD")
        clerk.get_by_label("Reason").select_option("price_correction")
        clerk.get_by_label("Apply to this invoice when posted").uncheck()
        shot(clerk, "03-memo-from-invoice")
        clerk.get_by_role("button", name="Create draft credit memo").click()
        clerk.wait_for_url(re.compile(r"/memos/cm_"))
        memo_url = clerk.url.split("?")[0]
        number = _memo_number(clerk)
        expect(clerk.get_by_test_id("memo-status")).to_have_text("draft")
        expect(clerk.get_by_test_id("memo-total")).to_have_text("17,314.59 USD")
        # Over the manager tier (5,000): the clerk cannot post, only submit.
        actions = clerk.get_by_test_id("memo-actions")
        expect(actions.get_by_role("button", name="Post")).to_have_count(0)
        actions.get_by_role("button", name="Submit for approval").click()
        expect(clerk.get_by_test_id("memo-status")).to_have_text("pending approval")
        expect(actions.get_by_role("button", name="Recall to draft")).to_be_visible()

        # The manager finds it in the approval queue and approves it.
        manager = new_page()
        sign_in(manager, site.users["manager"])
        manager.goto("/approvals")
        row = manager.get_by_test_id("queue").locator("tr", has_text=number)
        expect(row).to_contain_text("17,314.59 USD")
        expect(row).to_contain_text("clerk@web.test")
        shot(manager, "04-approval-queue")
        row.get_by_label(f"Comment on {number}").fill("Agreed with the account manager.")
        row.get_by_role("button", name="Approve").click()
        manager.wait_for_url(re.compile(r"/approvals$"))
        expect(manager.locator("main")).not_to_contain_text(number)
        manager.goto(memo_url)
        expect(manager.get_by_test_id("memo-status")).to_have_text("approved")
        expect(manager.locator("#h-approvals + ul")).to_contain_text("Agreed with the account manager.")

        # The controller posts it, applies it oldest first with an edited amount, and downloads the PDF.
        controller = new_page()
        sign_in(controller, site.users["controller"])
        controller.goto(memo_url)
        controller.get_by_test_id("memo-actions").get_by_role("button", name="Post").click()
        confirm(controller, "Post")
        expect(controller.get_by_test_id("memo-status")).to_have_text("posted")
        apply = controller.get_by_test_id("apply-table")
        rows = apply.locator("tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text(site.invoices["small"].number)  # oldest first
        expect(controller.get_by_label(f"Amount to apply to {site.invoices['small'].number}")).to_have_value("1082.50")
        expect(controller.get_by_label(f"Amount to apply to {big.number}")).to_have_value("16232.09")
        controller.get_by_label(f"Amount to apply to {big.number}").fill("10000.00")
        shot(controller, "05-memo-posted-apply")
        controller.get_by_role("button", name="Apply", exact=True).click()
        expect(controller.get_by_test_id("memo-available")).to_have_text("6,232.09 USD")
        expect(controller.get_by_test_id("applications").locator("tbody tr")).to_have_count(2)
        with controller.expect_download(timeout=30_000) as download_info:  # WeasyPrint's first PDF is slow
            controller.get_by_test_id("pdf-link").click(timeout=30_000)
        pdf = tmp_path / "memo.pdf"
        download_info.value.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF")
        assert download_info.value.suggested_filename == f"{number}.pdf"
        controller.goto(memo_url)
        expect(controller.get_by_test_id("print-status")).to_have_text("printed")
        expect(controller.get_by_test_id("timeline")).to_contain_text("printed")
        shot(controller, "06-memo-page")
        controller.goto(f"{memo_url}/print")
        expect(controller.locator("[data-testid=watermark]")).to_have_count(0)  # posted: no DRAFT mark
        shot(controller, "07-print-view")

        # The books: the memo's journal entry and the invoice's credited amount.
        with site.db.uow(readonly=True) as uow:
            memo = uow.memos.get(site.company_id, memo_url.rsplit("/", 1)[1])
            assert str(memo.amount_applied) == "11082.50 USD"
            assert memo.print_status == "printed"
            assert str(uow.invoices.get(site.company_id, big.id).amount_credited) == "10000.00 USD"


class TestRejectAndEdit:
    def test_manager_rejects_with_a_comment_and_clerk_edits_and_resubmits(self, site: Site, new_page: Any) -> None:
        inv = fresh_invoice(site)
        with site.db.uow() as uow:
            clerk_actor = actor_for(get_user_by_email(uow, site.users["clerk"]))
            memo = create_credit_memo_from_invoice(uow, clerk_actor, inv.id, reason_code="billing_error")
            submit_memo(uow, clerk_actor, memo.id)
        manager = new_page()
        sign_in(manager, site.users["manager"])
        manager.goto("/approvals")
        row = manager.get_by_test_id("queue").locator("tr", has_text=memo.number)
        row.get_by_role("button", name="Reject").click()  # no comment: refused, said next to the row
        confirm(manager, "Reject")
        row = manager.get_by_test_id("queue").locator("tr", has_text=memo.number)
        expect(row.get_by_role("alert")).to_contain_text("why")
        row.get_by_label(f"Comment on {memo.number}").fill("Only the hours were billed twice.")
        row.get_by_role("button", name="Reject").click()
        confirm(manager, "Reject")
        manager.wait_for_url(re.compile(r"/approvals$"))
        expect(manager.locator("main")).not_to_contain_text(memo.number)

        clerk = new_page()
        sign_in(clerk, site.users["clerk"])
        clerk.goto(f"/memos/{memo.id}")
        expect(clerk.get_by_test_id("memo-status")).to_have_text("draft")
        expect(clerk.locator("#h-approvals + ul")).to_contain_text("Only the hours were billed twice.")
        clerk.get_by_role("link", name="Edit draft").click()
        clerk.get_by_label("Credit line 1: Annual platform subscription").uncheck()
        clerk.get_by_label("Credit line 3: Hardware gateway").uncheck()
        clerk.get_by_label("Quantity for line 2").fill("6")
        expect(clerk.get_by_test_id("preview-total")).to_have_text("974.25 USD")
        clerk.get_by_role("button", name="Save draft").click()
        clerk.wait_for_url(re.compile(rf"/memos/{memo.id}"))
        expect(clerk.get_by_test_id("memo-total")).to_have_text("974.25 USD")
        # Now under every tier: submitting approves it without a sign-off.
        clerk.get_by_role("button", name="Mark ready (no approval needed)").click()
        expect(clerk.get_by_test_id("memo-status")).to_have_text("approved")
        clerk.goto(f"/memos/{memo.id}/print")
        expect(clerk.get_by_test_id("watermark")).to_have_text("DRAFT")


class TestReadOnlyAndIsolation:
    def test_auditor_sees_no_write_buttons(self, site: Site, new_page: Any) -> None:
        memo = _posted_memo(site)
        page = new_page()
        sign_in(page, site.users["auditor"])
        page.goto(f"/memos/{memo.id}")
        expect(page.get_by_test_id("memo-status")).to_have_text("posted")
        expect(page.locator("main button")).to_have_count(0)
        expect(page.locator("main form[method=post]")).to_have_count(0)
        expect(page.get_by_test_id("no-actions")).to_be_visible()
        shot(page, "08-auditor-memo")
        page.goto(f"/invoices/{site.invoices['small'].id}")
        expect(page.get_by_role("link", name="Create credit memo")).to_have_count(0)
        page.goto("/credit-memos")
        expect(page.get_by_role("link", name="New standalone credit memo")).to_have_count(0)
        # Viewing the document changes nothing for a reader.
        page.goto(f"/memos/{memo.id}/print")
        with site.db.uow(readonly=True) as uow:
            assert uow.memos.get(site.company_id, memo.id).print_status == "not_printed"

    def test_other_company_sees_nothing(self, site: Site, new_page: Any) -> None:
        memo = _posted_memo(site, "50.00")
        page = new_page()
        sign_in(page, site.users["other"])
        for path in (
            f"/memos/{memo.id}",
            f"/memos/{memo.id}/pdf",
            f"/memos/{memo.id}/print",
            f"/invoices/{site.invoices['small'].id}",
            f"/customers/{site.customer_id}",
            f"/invoices/{site.invoices['small'].id}/credit-memo",
        ):
            response = page.goto(path)
            assert response is not None, path
            assert response.status == 404, path
            expect(page.locator("h1")).to_have_text("Not found")
        response = page.request.post(f"/memos/{memo.id}/do/void", form={"reason": "x"})
        assert response.status == 403  # no CSRF token: refused before anything is looked up
        page.goto("/credit-memos")
        expect(page.get_by_test_id("list")).to_contain_text("Nothing matches")
        page.goto("/customers")
        expect(page.get_by_test_id("list")).not_to_contain_text("Acme Corp")
        with site.db.uow(readonly=True) as uow:
            assert uow.memos.get(site.company_id, memo.id).status == "posted"


class TestForms:
    def test_errors_appear_next_to_the_field(self, site: Site, new_page: Any) -> None:
        page = new_page()
        sign_in(page, site.users["clerk"])
        page.goto(f"/invoices/{fresh_invoice(site).id}/credit-memo")
        page.get_by_label("Quantity for line 2").fill("41")
        expect(page.locator("#err-qty_1")).to_contain_text("exceeds")
        page.get_by_label("Quantity for line 2").fill("2")
        page.get_by_label("Amount for line 1").fill("abc")
        expect(page.locator("#err-qty_1")).to_have_text("")
        expect(page.locator("#err-amount_0")).not_to_have_text("")
        page.get_by_label("Reason").select_option("billing_error")
        page.get_by_role("button", name="Create draft credit memo").click()
        expect(page.locator("#amount_0")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#err-amount_0")).not_to_have_text("")
        shot(page, "09-field-error")

    def test_clerk_without_multiline_privilege_is_told_at_the_lines(self, site: Site, new_page: Any) -> None:
        page = new_page()
        sign_in(page, site.users["single_line_clerk"])
        page.goto(f"/invoices/{fresh_invoice(site).id}/credit-memo")
        expect(page.locator("#err-lines")).to_contain_text("create_multiline_memo")
        page.get_by_label("Credit line 2: Implementation services (hours)").uncheck()
        page.get_by_label("Credit line 3: Hardware gateway").uncheck()
        page.get_by_label("Amount for line 1").fill("250.00")
        expect(page.get_by_test_id("preview-total")).to_have_text("270.63 USD")
        expect(page.locator("#err-lines")).to_have_text("")

    def test_standalone_memo_with_added_and_removed_lines(self, site: Site, new_page: Any) -> None:
        page = new_page()
        sign_in(page, site.users["controller"])
        page.goto("/credit-memos/new")
        page.get_by_label("Customer").select_option(label="Acme Corp (USD)")
        page.get_by_label("Reason").select_option("goodwill")
        page.locator("#lines tr").nth(0).get_by_label("Description").fill("Goodwill for a late delivery")
        page.locator("#lines tr").nth(0).get_by_label("Unit price").fill("120.00")
        page.get_by_role("button", name="Add line").click()
        expect(page.locator("#lines tr")).to_have_count(2)
        page.locator("#lines tr").nth(1).get_by_label("Description").fill("Shipping refund")
        page.locator("#lines tr").nth(1).get_by_label("Unit price").fill("30.00")
        expect(page.get_by_test_id("preview-total")).to_have_text("150.00 USD")
        page.get_by_role("button", name="Add line").click()
        expect(page.locator("#lines tr")).to_have_count(3)
        page.locator("#lines tr").nth(2).get_by_role("button", name="Remove this line").click()
        expect(page.locator("#lines tr")).to_have_count(2)
        shot(page, "10-standalone-form")
        page.get_by_role("button", name="Create draft credit memo").click()
        page.wait_for_url(re.compile(r"/memos/cm_"))
        expect(page.get_by_test_id("memo-total")).to_have_text("150.00 USD")
        # Under every tier: the controller posts the draft directly, then discards nothing (posted is final).
        page.get_by_test_id("memo-actions").get_by_role("button", name="Post").click()
        confirm(page, "Post")
        expect(page.get_by_test_id("memo-status")).to_have_text("posted")
        expect(page.get_by_test_id("memo-actions").get_by_role("button", name="Discard")).to_have_count(0)

    @pytest.mark.journey
    def test_debit_memo_then_a_credit_applied_to_it(self, site: Site, new_page: Any) -> None:
        page = new_page()
        sign_in(page, site.users["controller"])
        page.goto("/debit-memos")
        page.get_by_role("link", name="New debit memo").click()
        page.get_by_label("Customer").select_option(label="Acme Corp (USD)")
        page.get_by_label("Reason").select_option("chargeback")
        page.locator("#lines tr").nth(0).get_by_label("Description").fill("Charge-back lost by the customer")
        page.locator("#lines tr").nth(0).get_by_label("Unit price").fill("75.00")
        expect(page.get_by_test_id("preview-total")).to_have_text("75.00 USD")
        page.get_by_role("button", name="Create draft debit memo").click()
        page.wait_for_url(re.compile(r"/memos/dm_"))
        debit_number = re.search(r"DM-\d{6}", page.locator("h1").inner_text()).group(0)  # type: ignore[union-attr]  # the heading carries the number
        page.get_by_test_id("memo-actions").get_by_role("button", name="Post").click()
        confirm(page, "Post")
        expect(page.get_by_test_id("memo-status")).to_have_text("posted")
        credit = _posted_memo(site, "30.00")
        page.goto(f"/memos/{credit.id}")
        row = page.get_by_test_id("apply-table").locator("tr", has_text=debit_number)
        row.get_by_label(f"Amount to apply to {debit_number}").fill("32.48")
        for other in page.get_by_test_id("apply-table").locator("tbody tr").all():
            if debit_number not in other.inner_text():
                other.locator("input[inputmode=decimal]").fill("0")
        page.get_by_role("button", name="Apply", exact=True).click()
        expect(page.get_by_test_id("applications")).to_contain_text(debit_number)
        expect(page.get_by_test_id("memo-available")).to_have_text("0.00 USD")

    def test_discard_needs_a_reason_shown_next_to_it(self, site: Site, new_page: Any) -> None:
        actor = system_actor(site.company_id, "test seeder")
        inv = site.invoices["small"]
        with site.db.uow() as uow:
            memo = create_credit_memo_from_invoice(
                uow,
                actor,
                inv.id,
                reason_code="billing_error",
                lines=[CreditLineInput(inv.lines[0].id, amount="10.00")],
            )
        page = new_page()
        sign_in(page, site.users["clerk"])
        page.goto(f"/memos/{memo.id}")
        page.locator("#discard-reason").evaluate("el => el.removeAttribute('required')")
        page.locator("#discard-reason").fill("   ")
        page.get_by_role("button", name="Discard").click()
        confirm(page, "Discard")
        expect(page.locator("#err-discard-reason")).to_contain_text("reason")
        page.locator("#discard-reason").fill("Customer withdrew the claim")
        page.get_by_role("button", name="Discard").click()
        confirm(page, "Discard")
        expect(page.get_by_test_id("memo-status")).to_have_text("discarded")


class TestRefund:
    @pytest.mark.journey
    def test_refund_beyond_what_was_paid_needs_an_override_reason(self, site: Site, new_page: Any) -> None:
        memo = _posted_memo(site, "40.00")  # the invoice is unpaid: money never came in
        page = new_page()
        sign_in(page, site.users["controller"])
        page.goto(f"/memos/{memo.id}")
        page.get_by_label(f"Amount ({memo.currency})").fill("43.30")
        page.get_by_role("button", name="Refund").click()
        confirm(page, "Refund")
        expect(page.locator("#err-refund-amount")).to_contain_text("override")
        expect(page.locator("#refund-amount")).to_have_attribute("aria-invalid", "true")
        page.get_by_label(f"Amount ({memo.currency})").fill("43.30")
        page.get_by_label("Override reason (only to refund beyond what was paid)").fill("Paid by card outside AR")
        page.get_by_label("Reference (optional)").fill("RMA-17")
        page.get_by_role("button", name="Refund").click()
        confirm(page, "Refund")
        expect(page.get_by_test_id("memo-available")).to_have_text("0.00 USD")
        expect(page.locator("main")).to_contain_text("RMA-17")
        expect(page.get_by_test_id("timeline")).to_contain_text("(refund)")
        # Fully refunded: nothing left to apply or refund, and no void until the refund is reversed: the page
        # offers no Void button and says why (the same rule that refuses the void, domain/memo_actions.py).
        expect(page.get_by_role("heading", name="Refund", exact=True)).to_have_count(0)
        expect(page.get_by_role("button", name="Void")).to_have_count(0)
        expect(page.get_by_test_id("memo-actions")).to_contain_text("refunded")
        expect(page.get_by_test_id("memo-status")).to_have_text("posted")


class TestListsAndSignIn:
    def test_keyboard_skip_link_and_labelled_fields(self, site: Site, new_page: Any) -> None:
        page = new_page()
        sign_in(page, site.users["clerk"])
        page.goto(f"/invoices/{site.invoices['small'].id}/credit-memo")
        page.keyboard.press("Tab")
        expect(page.locator(":focus")).to_have_text("Skip to content")
        page.keyboard.press("Enter")
        expect(page.locator(":focus")).to_have_id("main")
        unlabelled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map(el => el.name)""")
        assert unlabelled == []

    @pytest.mark.journey
    def test_list_filters_sort_and_saved_view(self, site: Site, new_page: Any) -> None:
        _posted_memo(site, "20.00")
        page = new_page()
        sign_in(page, site.users["controller"])
        page.goto("/credit-memos")
        page.get_by_label("Status").select_option("posted")
        page.get_by_role("button", name="Apply filters").click()
        expect(page.get_by_test_id("list").locator("tbody")).not_to_contain_text("draft")
        page.get_by_role("link", name="Total").click()
        expect(page.locator("th[aria-sort]")).to_contain_text("Total")
        page.get_by_label("Save these filters as").fill("Posted by total")
        page.get_by_role("button", name="Save view").click()
        expect(page.get_by_role("navigation", name="Saved views")).to_contain_text("Posted by total")
        page.get_by_label("Amount from").fill("not money")
        page.get_by_role("button", name="Apply filters").click()
        expect(page.locator("#err-min")).not_to_have_text("")
        shot(page, "11-credit-memo-list")
        page.goto("/credit-memos")
        page.get_by_role("link", name="Posted by total").click()
        expect(page.get_by_label("Status")).to_have_value("posted")
        for path, name in (
            ("/invoices", "12-invoices"),
            ("/customers", "13-customers"),
            ("/debit-memos", "14-debit-memos"),
        ):
            page.goto(path)
            expect(page.get_by_test_id("list")).to_be_visible()
            shot(page, name)

    def test_narrow_screen(self, site: Site, new_page: Any) -> None:
        page = new_page(width=390, height=844)
        sign_in(page, site.users["manager"])
        page.goto("/credit-memos")
        expect(page.get_by_test_id("list")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
        shot(page, "15-narrow-list")
        page.goto("/")
        shot(page, "16-narrow-dashboard")
        memo = _posted_memo(site, "5.00")
        for path, name in (
            (f"/memos/{memo.id}", "17-narrow-memo"),
            (f"/invoices/{fresh_invoice(site).id}/credit-memo", "18-narrow-memo-from-invoice"),
        ):
            page.goto(path)
            shot(page, name)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1, path

    @pytest.mark.journey
    def test_wrong_password_and_sign_out(self, site: Site, new_page: Any) -> None:
        page = new_page()
        page.goto("/credit-memos")
        page.wait_for_url(re.compile(r"/sign-in\?next="))
        page.get_by_label("E-mail").fill(site.users["clerk"])
        page.get_by_label("Password").fill("wrong password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("not correct")
        shot(page, "00-sign-in")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/credit-memos$"))
        cookie = next(c for c in page.context.cookies() if c["name"] == "cm_session")
        assert cookie["httpOnly"]
        assert cookie["sameSite"] == "Lax"
        response = page.reload()
        assert response is not None
        assert response.headers["x-frame-options"] == "DENY"
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(re.compile(r"/sign-in"))
        page.goto("/")
        page.wait_for_url(re.compile(r"/sign-in"))
