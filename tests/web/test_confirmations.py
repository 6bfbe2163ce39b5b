"""Issue 18, item 2: post, void, unapply, refund, reject and discard ask first and say what will change; a void
needs a reason, kept in the timeline; Enter in a quantity box does not create a draft. The dialog comes from
the package's static script (no inline script), so a Content-Security-Policy can forbid inline script."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from creditmemo.domain.inputs import CreditLineInput
from creditmemo.domain.settlement import AllocationInput
from creditmemo.services.actors import system_actor
from creditmemo.services.memos.approval import submit_memo
from creditmemo.services.memos.create import create_credit_memo_from_invoice
from creditmemo.services.memos.post import post_memo
from creditmemo.services.memos.read import memo_events, memo_journal
from creditmemo.services.settlement.applications import apply_credit
from creditmemo.services.users import actor_for, get_user_by_email
from tests.web.conftest import Site, confirm, invoice_of_new_customer, sign_in, today_of


def _memo(site: Site, amount: str, *, post: bool = True, by: str | None = None) -> Any:
    inv = invoice_of_new_customer(site)
    with site.db.uow() as uow:
        actor = actor_for(get_user_by_email(uow, by)) if by else system_actor(site.company_id, "test seeder")
        memo = create_credit_memo_from_invoice(
            uow,
            actor,
            inv.id,
            reason_code="goodwill",
            auto_apply=False,
            lines=[CreditLineInput(inv.lines[0].id, amount=amount)],
        )
        return (post_memo(uow, actor, memo.id) if post else memo), inv


def _signed_in(new_page: Any, site: Site, role: str) -> Any:
    page = new_page(on=site)
    sign_in(page, site.users[role])
    return page


def _journal(site: Site, memo_id: str) -> list[Any]:
    with site.db.uow(readonly=True) as uow:
        return memo_journal(uow, system_actor(site.company_id, "t"), memo_id)


class TestVoid:
    def test_asks_saying_the_reversing_entry_and_needs_a_reason_kept_in_the_timeline(
        self, engine_site: Site, new_page: Any
    ) -> None:
        site = engine_site
        memo, _ = _memo(site, "500.00")
        page = _signed_in(new_page, site, "controller")
        page.goto(f"/memos/{memo.id}")
        actions = page.get_by_test_id("memo-actions")
        expect(page.locator("#void-reason")).to_have_attribute("required", "")
        # The server refuses a void without a reason too (the browser's check is only a convenience).
        page.locator("#void-reason").evaluate("el => el.removeAttribute('required')")
        page.locator("#void-reason").fill("  ")
        actions.get_by_role("button", name="Void", exact=True).click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text(
            f"Void {memo.number}: a reversing entry of 541.25 USD dated today ({today_of(site)}); "
            "the credit memo stays numbered"
        )
        # Cancel changes nothing.
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_be_hidden()
        assert len(_journal(site, memo.id)) == 1
        actions.get_by_role("button", name="Void", exact=True).click()
        confirm(page, "Void")
        expect(page.locator("#err-void-reason")).to_contain_text("Say why")
        expect(page.get_by_test_id("memo-status")).to_have_text("posted")
        page.locator("#void-reason").fill("Issued to the wrong customer")
        actions.get_by_role("button", name="Void", exact=True).click()
        confirm(page, "Void")
        expect(page.get_by_test_id("memo-status")).to_have_text("void")
        timeline = page.get_by_test_id("timeline")
        expect(timeline).to_contain_text("reason: Issued to the wrong customer")
        expect(timeline).not_to_contain_text("None")
        with site.db.uow(readonly=True) as uow:
            events = memo_events(uow, system_actor(site.company_id, "t"), memo.id)
        voided = next(e for e in events if e.action.endswith(".voided"))
        assert voided.changes["reason"] == [None, "Issued to the wrong customer"]
        assert len(_journal(site, memo.id)) == 2


class TestPostAndDiscard:
    def test_post_says_the_entry_and_cancel_keeps_the_draft(self, engine_site: Site, new_page: Any) -> None:
        site = engine_site
        memo, _ = _memo(site, "40.00", post=False)
        page = _signed_in(new_page, site, "controller")
        page.goto(f"/memos/{memo.id}")
        page.get_by_test_id("memo-actions").get_by_role("button", name="Post").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text(
            f"Post {memo.number}: a journal entry of 43.30 USD dated {memo.issue_date} credits Beta Ltd's account"
        )
        dialog.get_by_role("button", name="Cancel").click()
        expect(page.get_by_test_id("memo-status")).to_have_text("draft")
        assert _journal(site, memo.id) == []
        page.get_by_test_id("memo-actions").get_by_role("button", name="Post").click()
        confirm(page, "Post")
        expect(page.get_by_test_id("memo-status")).to_have_text("posted")

    def test_discard_says_what_goes_and_what_stays(self, engine_site: Site, new_page: Any) -> None:
        site = engine_site
        memo, _ = _memo(site, "12.00", post=False)
        page = _signed_in(new_page, site, "clerk")
        page.goto(f"/memos/{memo.id}")
        page.locator("#discard-reason").fill("Raised in error")
        page.get_by_test_id("memo-actions").get_by_role("button", name="Discard").click()
        expect(page.get_by_role("dialog")).to_contain_text(
            f"Discard {memo.number}: its 1 line(s) of 12.99 USD are removed; the header and the number stay"
        )
        page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
        expect(page.get_by_test_id("memo-status")).to_have_text("draft")
        page.get_by_test_id("memo-actions").get_by_role("button", name="Discard").click()
        confirm(page, "Discard")
        expect(page.get_by_test_id("memo-status")).to_have_text("discarded")


class TestRefundAndUnapply:
    def test_refund_names_the_amount_typed_and_unapply_the_document(self, engine_site: Site, new_page: Any) -> None:
        site = engine_site
        memo, inv = _memo(site, "100.00")
        with site.db.uow() as uow:
            apply_credit(
                uow,
                system_actor(site.company_id, "t"),
                source_type="credit_memo",
                source_id=memo.id,
                allocations=[AllocationInput("invoice", inv.id, "25.00")],
            )
        page = _signed_in(new_page, site, "controller")
        page.goto(f"/memos/{memo.id}")
        page.get_by_label("Amount (USD)").fill("7.50")
        page.get_by_label("Method").select_option("check")
        page.get_by_label("Override reason (only to refund beyond what was paid)").fill("Paid by card")
        page.get_by_role("button", name="Refund", exact=True).click()
        expect(page.get_by_role("dialog")).to_contain_text(
            f"Refund 7.50 USD of {memo.number} to Beta Ltd by check: the money leaves the company"
        )
        page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
        expect(page.get_by_test_id("memo-available")).to_have_text("83.25 USD")
        page.get_by_role("button", name="Refund", exact=True).click()
        confirm(page, "Refund")
        expect(page.get_by_test_id("memo-available")).to_have_text("75.75 USD")

        page.get_by_test_id("applications").get_by_role("button", name="Unapply").click()
        expect(page.get_by_role("dialog")).to_contain_text(
            f"Unapply 25.00 USD of {memo.number} from {inv.number}: {inv.number} owes it again"
        )
        confirm(page, "Unapply")
        expect(page.get_by_test_id("memo-available")).to_have_text("100.75 USD")


class TestReject:
    def test_reject_in_the_queue_asks_first(self, engine_site: Site, new_page: Any) -> None:
        site = engine_site
        memo, _ = _memo(site, "6000.00", post=False, by=site.users["clerk"])
        with site.db.uow() as uow:
            submit_memo(uow, actor_for(get_user_by_email(uow, site.users["clerk"])), memo.id)
        page = _signed_in(new_page, site, "manager")
        page.goto("/approvals")
        row = page.get_by_test_id("queue").locator("tr", has_text=memo.number)
        row.get_by_label(f"Comment on {memo.number}").fill("Needs the contract reference.")
        row.get_by_role("button", name="Reject").click()
        expect(page.get_by_role("dialog")).to_contain_text(
            f"Reject {memo.number} (6,495.00 USD): it goes back to draft"
        )
        page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
        page.goto(f"/memos/{memo.id}")
        expect(page.get_by_test_id("memo-status")).to_have_text("pending approval")
        page.goto("/approvals")
        row = page.get_by_test_id("queue").locator("tr", has_text=memo.number)
        row.get_by_label(f"Comment on {memo.number}").fill("Needs the contract reference.")
        row.get_by_role("button", name="Reject").click()
        confirm(page, "Reject")
        page.wait_for_url(re.compile(r"/approvals$"))
        page.goto(f"/memos/{memo.id}")
        expect(page.get_by_test_id("memo-status")).to_have_text("draft")


class TestEnterDoesNotCreate:
    def test_enter_in_a_quantity_box_keeps_the_form(self, site: Site, new_page: Any) -> None:
        inv = invoice_of_new_customer(site)
        page = _signed_in(new_page, site, "clerk")
        page.goto(f"/invoices/{inv.id}/credit-memo")
        box = page.get_by_label("Quantity for line 2")
        box.fill("3")
        box.press("Enter")
        expect(page.get_by_test_id("preview-total")).to_have_text("16,177.97 USD")
        page.wait_for_timeout(500)
        assert f"/invoices/{inv.id}/credit-memo" in page.url
        with site.db.uow(readonly=True) as uow:
            from creditmemo.store.repositories.overviews import Overviews

            assert list(Overviews(uow.conn).memos_of_invoice(site.company_id, inv.id)) == []
        page.goto("/credit-memos/new")
        page.get_by_label("Quantity").fill("2")
        page.get_by_label("Quantity").press("Enter")
        page.wait_for_timeout(500)
        assert page.url.endswith("/credit-memos/new")


class TestNoInlineScript:
    def test_pages_carry_no_inline_script_or_handler(self, site: Site, new_page: Any) -> None:
        memo, _ = _memo(site, "3.00")
        page = _signed_in(new_page, site, "controller")
        for path in (f"/memos/{memo.id}", "/approvals", "/credit-memos/new"):
            page.goto(path)
            html = page.content()
            assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
            assert not re.search(r"\son(click|submit|change|input|keydown)=", html), path
