"""Issue 17 in the browser: bulk post from the credit and debit memo lists (tick rows, "Post selected", a
confirmation saying how many and the total, then the statuses change as the worker drains the queue), void and
reissue from the memo page (confirmation, a reason, links both ways), and the admin page of reason codes and
accounts (forms with one-time tokens)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from creditmemo.domain.documents import MemoKind
from creditmemo.domain.inputs import CreditLineInput, FreeLineInput
from creditmemo.services.actors import system_actor
from creditmemo.services.memos.create import (
    create_credit_memo_from_invoice,
    create_debit_memo,
    create_standalone_credit_memo,
)
from creditmemo.services.memos.post import post_memo
from creditmemo.services.memos.read import get_memo
from creditmemo.worker import post_next
from tests.web.conftest import Site, confirm, invoice_of_new_customer, shot, sign_in


def _actor(site: Site) -> Any:
    return system_actor(site.company_id, "test seeder")


def _drafts(site: Site, amounts: list[str], name: str) -> tuple[str, list[Any]]:
    inv = invoice_of_new_customer(site, name)
    with site.db.uow() as uow:
        memos = [
            create_credit_memo_from_invoice(
                uow,
                _actor(site),
                inv.id,
                reason_code="billing_error",
                auto_apply=False,
                lines=[CreditLineInput(inv.lines[1].id, amount=amount)],
            )
            for amount in amounts
        ]
    return inv.customer_id, memos


def _drain(site: Site, ids: set[str]) -> None:
    """What the background worker does: post queued memos until these are posted (the queue is shared)."""
    for _ in range(200):
        with site.db.uow(readonly=True) as uow:
            if all(get_memo(uow, _actor(site), i).status.value == "posted" for i in ids):
                return
        if post_next(site.db) is None:
            return


class TestBulkPost:
    def test_tick_post_selected_confirm_and_watch_the_queue_drain(self, engine_site: Site, new_page: Any) -> None:
        site = engine_site  # the queue and the worker's claim are the database's part: both engines
        customer_id, memos = _drafts(site, ["100.00", "250.50"], "Bulk Ltd")
        page = new_page(on=site)
        sign_in(page, site.users["controller"])
        page.goto(f"/credit-memos?customer={customer_id}")
        for m in memos:
            page.get_by_label(f"Select {m.number}").check()
        page.get_by_test_id("post-selected").click()
        dialog = page.get_by_role("dialog")
        # 100.00 and 250.50 of hours at 8.25 % tax: 108.25 + 271.17
        expect(dialog).to_contain_text("Post 2 selected memo(s) totalling 379.42 USD")
        dialog.get_by_role("button", name="Cancel").click()  # nothing changes
        expect(page.get_by_test_id(f"status-{memos[0].number}")).to_have_text("draft")
        page.get_by_test_id("post-selected").click()
        confirm(page, "Post selected")
        expect(page.get_by_test_id("queued-notice")).to_contain_text("2 memos queued for posting")
        for m in memos:
            expect(page.get_by_test_id(f"status-{m.number}")).to_have_text("ready to post")
        shot(page, "bulk-post-queued")
        _drain(site, {m.id for m in memos})
        for m in memos:  # the page polls the queued rows: no reload
            expect(page.get_by_test_id(f"status-{m.number}")).to_have_text("posted", timeout=15_000)
        expect(page.get_by_label(f"Select {memos[0].number}")).to_have_count(0)  # posted: nothing to tick

    def test_debit_memos_too_and_a_refusal_queues_nothing(self, site: Site, new_page: Any) -> None:
        inv = invoice_of_new_customer(site, "Debit Bulk Co")
        with site.db.uow() as uow:
            debits = [
                create_debit_memo(
                    uow,
                    _actor(site),
                    customer_id=inv.customer_id,
                    currency="USD",
                    reason_code="chargeback",
                    lines=[FreeLineInput("Charge-back fee", "1", price)],
                )
                for price in ("20.00", "30.00")
            ]
        page = new_page()
        sign_in(page, site.users["controller"])
        page.goto(f"/debit-memos?customer={inv.customer_id}")
        page.get_by_test_id("post-selected").click()  # nothing ticked: the server says so
        confirm(page, "Post selected")
        expect(page.get_by_test_id("bulk-error")).to_contain_text("Tick the memos to post first")
        # One of the two is posted elsewhere meanwhile: the whole request is refused, nothing queued.
        page.get_by_label(f"Select {debits[0].number}").check()
        page.get_by_label(f"Select {debits[1].number}").check()
        with site.db.uow() as uow:
            post_memo(uow, _actor(site), debits[1].id, kind=MemoKind.DEBIT)
        page.get_by_test_id("post-selected").click()
        expect(page.get_by_role("dialog")).to_contain_text("Post 2 selected memo(s) totalling 50.00 USD")
        confirm(page, "Post selected")
        expect(page.get_by_test_id("bulk-error")).to_contain_text(
            f"Nothing was queued: {debits[1].number} cannot be posted"
        )
        expect(page.get_by_test_id(f"status-{debits[0].number}")).to_have_text("draft")
        page.get_by_label(f"Select {debits[0].number}").check()
        page.get_by_test_id("post-selected").click()
        confirm(page, "Post selected")
        expect(page.get_by_test_id(f"status-{debits[0].number}")).to_have_text("ready to post")
        _drain(site, {debits[0].id})
        expect(page.get_by_test_id(f"status-{debits[0].number}")).to_have_text("posted", timeout=15_000)

    def test_the_total_is_written_as_the_reader_writes_numbers(self, site: Site, new_page: Any) -> None:
        customer_id, memos = _drafts(site, ["1000.00"], "Lokal GmbH")
        page = new_page()
        page.set_extra_http_headers({"Accept-Language": "de-DE"})
        sign_in(page, site.users["controller"])
        page.goto(f"/credit-memos?customer={customer_id}")
        page.get_by_label(f"Select {memos[0].number}").check()
        page.get_by_test_id("post-selected").click()
        expect(page.get_by_role("dialog")).to_contain_text("Post 1 selected memo(s) totalling 1.082,50 USD")

    def test_only_those_who_post_see_the_boxes(self, site: Site, new_page: Any) -> None:
        page = new_page()
        sign_in(page, site.users["clerk"])
        page.goto("/credit-memos")
        expect(page.get_by_test_id("post-selected")).to_have_count(0)


class TestReissue:
    def test_void_and_reissue_asks_needs_a_reason_and_links_both_ways(self, engine_site: Site, new_page: Any) -> None:
        site = engine_site
        inv = invoice_of_new_customer(site, "Reissue Inc")
        with site.db.uow() as uow:
            memo = create_credit_memo_from_invoice(
                uow,
                _actor(site),
                inv.id,
                reason_code="billing_error",
                memo_text="March credit",
                auto_apply=False,
                lines=[CreditLineInput(inv.lines[0].id, amount="500.00")],
            )
            memo = post_memo(uow, _actor(site), memo.id)
        page = new_page(on=site)
        sign_in(page, site.users["controller"])
        page.goto(f"/memos/{memo.id}")
        actions = page.get_by_test_id("memo-actions")
        expect(page.locator("#reissue-reason")).to_have_attribute("required", "")
        # The server needs the reason too.
        page.locator("#reissue-reason").evaluate("el => el.removeAttribute('required')")
        actions.get_by_role("button", name="Void and reissue").click()
        expect(page.get_by_role("dialog")).to_contain_text(f"Void {memo.number} and reissue it: a reversing entry")
        confirm(page, "Void and reissue")
        expect(page.locator("#err-reissue-reason")).to_contain_text("Say why")
        expect(page.get_by_test_id("memo-status")).to_have_text("posted")
        page.locator("#reissue-reason").fill("Wrong amount on line 1")
        actions.get_by_role("button", name="Void and reissue").click()
        confirm(page, "Void and reissue")
        # The new draft, linked to the voided memo.
        expect(page.get_by_test_id("memo-status")).to_have_text("draft")
        expect(page.get_by_role("status")).to_contain_text(f"{memo.number} voided and reissued as")
        expect(page.get_by_test_id("memo-replaces")).to_have_text(f"Replaces {memo.number}")
        draft_number = re.sub(r"^Credit memo (\S+).*$", r"\1", page.get_by_role("heading", level=1).inner_text())
        shot(page, "reissued-draft")
        page.get_by_test_id("memo-replaces").click()
        expect(page.get_by_test_id("memo-status")).to_have_text("void")
        expect(page.get_by_test_id("memo-replaced-by")).to_have_text(f"Replaced by {draft_number}")
        expect(page.get_by_role("button", name="Void and reissue")).to_have_count(0)
        page.get_by_test_id("memo-replaced-by").click()
        expect(page.get_by_test_id("memo-replaces")).to_have_text(f"Replaces {memo.number}")

    def test_not_offered_to_a_clerk(self, site: Site, new_page: Any) -> None:
        inv = invoice_of_new_customer(site, "No Reissue Co")
        with site.db.uow() as uow:
            memo = create_credit_memo_from_invoice(
                uow,
                _actor(site),
                inv.id,
                reason_code="billing_error",
                auto_apply=False,
                lines=[CreditLineInput(inv.lines[0].id, amount="50.00")],
            )
            memo = post_memo(uow, _actor(site), memo.id)
        page = new_page()
        sign_in(page, site.users["clerk"])
        page.goto(f"/memos/{memo.id}")
        expect(page.get_by_role("button", name="Void and reissue")).to_have_count(0)


class TestReasonCodesPage:
    @pytest.mark.journey
    def test_admin_adds_changes_and_deactivates_and_others_only_read(self, site: Site, new_page: Any) -> None:
        page = new_page()
        sign_in(page, site.users["admin"])
        page.goto("/settings/reason-codes")
        expect(page.get_by_test_id("reason-write_off")).to_contain_text("write_off")
        # An account, then a code mapped to it.
        page.get_by_label("New account number").fill("6450")
        page.get_by_label("Name", exact=True).fill("Service concessions")
        page.get_by_role("button", name="Add account").click()
        expect(page.get_by_test_id("chart-saved")).to_be_visible()
        expect(page.get_by_test_id("account-6450")).to_be_visible()
        page.get_by_label("New code").fill("service_concession")
        page.get_by_label("Description", exact=True).fill("Service concession")
        page.get_by_label("Account", exact=True).select_option("6450")
        page.get_by_role("button", name="Add reason code").click()
        expect(page.get_by_test_id("reason-service_concession")).to_be_visible()
        # A refusal is shown next to its form: an account a reason code maps to stays active.
        page.get_by_label("6450: active").select_option("no")
        page.get_by_role("form", name="Save account 6450").get_by_role("button", name="Save").click()
        expect(page.get_by_test_id("account-6450")).to_contain_text("in use")
        # Deactivate the code (in use or not, allowed).
        page.get_by_label("service_concession: active").select_option("no")
        page.get_by_role("form", name="Save service_concession").get_by_role("button", name="Save").click()
        expect(page.get_by_test_id("chart-saved")).to_be_visible()
        expect(page.get_by_label("service_concession: active")).to_have_value("no")
        shot(page, "reason-codes-admin")
        auditor = new_page()
        sign_in(auditor, site.users["auditor"])
        auditor.goto("/settings/reason-codes")
        expect(auditor.get_by_test_id("reason-service_concession")).to_contain_text("no")
        expect(auditor.get_by_role("button", name="Add reason code")).to_have_count(0)
        expect(auditor.get_by_text("Only an admin changes reason codes and accounts.")).to_be_visible()

    def test_a_resent_form_adds_once(self, site: Site, new_page: Any) -> None:
        page = new_page()
        sign_in(page, site.users["admin"])
        page.goto("/settings/reason-codes")
        page.get_by_label("New account number").fill("6460")
        page.get_by_label("Name", exact=True).fill("Twice sent")
        fields = page.get_by_role("form", name="Add an account").evaluate(
            "f => Object.fromEntries(new FormData(f).entries())"
        )
        # The same form sent twice (one token): the second answers the first's result; one account.
        first = page.request.post("/settings/accounts", form=fields, max_redirects=0)
        second = page.request.post("/settings/accounts", form=fields, max_redirects=0)
        assert (first.status, second.status) == (303, 303)
        assert first.headers["location"] == second.headers["location"]
        page.goto("/settings/reason-codes")
        expect(page.get_by_test_id("account-6460")).to_have_count(1)
        # Without a token nothing is written.
        no_token = {k: v for k, v in fields.items() if k != "form_token"} | {"number": "6461"}
        assert page.request.post("/settings/accounts", form=no_token, max_redirects=0).status == 400
        page.reload()
        expect(page.get_by_test_id("account-6461")).to_have_count(0)


class TestDashboardByReason:
    @pytest.mark.journey
    def test_the_dashboard_totals_posted_credit_by_reason(self, site: Site, new_page: Any) -> None:
        inv = invoice_of_new_customer(site, "Bad Debt Co")
        with site.db.uow() as uow:
            memo = create_standalone_credit_memo(
                uow,
                _actor(site),
                customer_id=inv.customer_id,
                currency="USD",
                reason_code="write_off",
                lines=[FreeLineInput("Uncollectible balance", "1", "321.00")],
            )
            post_memo(uow, _actor(site), memo.id)
        page = new_page()
        sign_in(page, site.users["auditor"])
        page.goto("/")
        row = page.get_by_test_id("by-reason").get_by_role("row", name=re.compile("write off"))
        expect(row).to_contain_text("321.00")
        row.get_by_role("link").click()
        expect(page).to_have_url(re.compile(r"/credit-memos\?reason=write_off&status=posted"))
        expect(page.get_by_test_id(f"status-{memo.number}")).to_have_text("posted")
