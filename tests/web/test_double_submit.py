"""Issue 18, item 1: no double money. Every form that writes carries a one-time token and the server runs a
token once; a second submit shows the first result. Each write form is sent twice in a real browser — by a
double click, and by two concurrent POSTs of the page's own form (what a double click sends when the first
request is already on its way) — on SQLite and PostgreSQL, and the books show one change, not two."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from creditmemo.domain.inputs import CreditLineInput
from creditmemo.services.actors import system_actor
from creditmemo.services.memos.approval import list_approvals
from creditmemo.services.memos.create import create_credit_memo_from_invoice
from creditmemo.services.memos.post import post_memo
from creditmemo.services.memos.read import memo_events, memo_journal
from creditmemo.services.settlement.applications import list_applications
from creditmemo.services.settlement.refunds import list_refunds
from creditmemo.store.repositories.overviews import ListQuery, Overviews
from tests.web.conftest import Site, invoice_of_new_customer, sign_in

# Two POSTs of the form at once, each with the values the page holds (its CSRF and one-time tokens).
TWICE = """async (selector) => {
  const form = document.querySelector(selector);
  const send = () => fetch(form.action, {method: "POST", body: new URLSearchParams(new FormData(form))});
  const answers = await Promise.all([send(), send()]);
  return answers.map((r) => [r.status, new URL(r.url).pathname]);
}"""


def _memo(site: Site, *, post: bool = True, amount: str = "100.00") -> Any:
    actor = system_actor(site.company_id, "test seeder")
    inv = invoice_of_new_customer(site)
    with site.db.uow() as uow:
        memo = create_credit_memo_from_invoice(
            uow,
            actor,
            inv.id,
            reason_code="goodwill",
            auto_apply=False,
            lines=[CreditLineInput(inv.lines[0].id, amount=amount)],
        )
        return post_memo(uow, actor, memo.id) if post else memo


def _page(new_page: Any, site: Site, role: str) -> Any:
    page = new_page(on=site)
    sign_in(page, site.users[role])
    return page


def _refunds(site: Site, memo_id: str) -> list[Any]:
    with site.db.uow(readonly=True) as uow:
        return list_refunds(uow, system_actor(site.company_id, "t"), memo_id)


def _applications(site: Site, memo_id: str) -> list[Any]:
    with site.db.uow(readonly=True) as uow:
        return list_applications(uow, system_actor(site.company_id, "t"), source_id=memo_id)


def _journal(site: Site, memo_id: str) -> list[Any]:
    with site.db.uow(readonly=True) as uow:
        return memo_journal(uow, system_actor(site.company_id, "t"), memo_id)


def _memos_of(site: Site, invoice_id: str) -> list[Any]:
    with site.db.uow(readonly=True) as uow:
        return list(Overviews(uow.conn).memos_of_invoice(site.company_id, invoice_id))


def _both_answers_show(answers: list[list[Any]], path: str) -> None:
    assert [a[0] for a in answers] == [200, 200], answers
    assert all(a[1] == path for a in answers), answers


class TestRefundOnce:
    def test_double_click_and_two_concurrent_posts_pay_one_refund_each(self, engine_site: Site, new_page: Any) -> None:
        site = engine_site
        memo = _memo(site)
        page = _page(new_page, site, "controller")
        page.goto(f"/memos/{memo.id}")
        page.get_by_label("Amount (USD)").fill("10.00")
        page.get_by_label("Override reason (only to refund beyond what was paid)").fill("Paid by card")
        page.get_by_role("button", name="Refund", exact=True).click()
        page.get_by_role("dialog").get_by_role("button", name="Refund", exact=True).dblclick()
        expect(page.get_by_test_id("memo-available")).to_have_text("98.25 USD")
        page.wait_for_load_state()
        assert [str(r.amount) for r in _refunds(site, memo.id)] == ["10.00 USD"]
        page.goto(f"/memos/{memo.id}")
        page.get_by_label("Amount (USD)").fill("5.00")
        page.get_by_label("Override reason (only to refund beyond what was paid)").fill("Paid by card")
        answers = page.evaluate(TWICE, "form[action$='/refund']")
        _both_answers_show(answers, f"/memos/{memo.id}")
        assert sorted(str(r.amount) for r in _refunds(site, memo.id)) == ["10.00 USD", "5.00 USD"]
        page.goto(f"/memos/{memo.id}")
        expect(page.get_by_test_id("memo-available")).to_have_text("93.25 USD")


class TestApplyAndUnapplyOnce:
    def test_one_application_and_one_reversal(self, engine_site: Site, new_page: Any) -> None:
        site = engine_site
        memo = _memo(site, amount="50.00")
        page = _page(new_page, site, "controller")
        page.goto(f"/memos/{memo.id}")
        page.locator("[data-testid=apply-table] input[id^=alloc_]").first.fill("20.00")
        for other in page.locator("[data-testid=apply-table] input[id^=alloc_]").all()[1:]:
            other.fill("0")
        page.get_by_role("button", name="Apply", exact=True).dblclick()
        expect(page.get_by_test_id("applications").locator("tbody tr")).to_have_count(1)
        page.wait_for_load_state()
        assert [str(a.amount) for a in _applications(site, memo.id)] == ["20.00 USD"]
        page.locator("[data-testid=apply-table] input[id^=alloc_]").first.fill("7.00")
        for other in page.locator("[data-testid=apply-table] input[id^=alloc_]").all()[1:]:
            other.fill("0")
        _both_answers_show(page.evaluate(TWICE, "form[action$='/apply']"), f"/memos/{memo.id}")
        assert sorted(str(a.amount) for a in _applications(site, memo.id)) == ["20.00 USD", "7.00 USD"]
        # Unapply the first twice: one reversal.
        page.goto(f"/memos/{memo.id}")
        first = next(a for a in _applications(site, memo.id) if str(a.amount) == "20.00 USD")
        unapply_form = f"form[action='/applications/{first.id}/unapply']"
        _both_answers_show(page.evaluate(TWICE, unapply_form), f"/memos/{memo.id}")
        statuses = {str(a.amount): str(a.status) for a in _applications(site, memo.id)}
        assert statuses == {"20.00 USD": "reversed", "7.00 USD": "active"}
        assert len(_journal(site, memo.id)) == 1  # the memo's own entry; applications post none of theirs here


class TestPostAndVoidOnce:
    def test_one_journal_entry_for_the_post_and_one_reversal_for_the_void(
        self, engine_site: Site, new_page: Any
    ) -> None:
        site = engine_site
        memo = _memo(site, post=False, amount="30.00")
        page = _page(new_page, site, "controller")
        page.goto(f"/memos/{memo.id}")
        _both_answers_show(page.evaluate(TWICE, f"form[action='/memos/{memo.id}/do/post']"), f"/memos/{memo.id}")
        assert len(_journal(site, memo.id)) == 1
        page.goto(f"/memos/{memo.id}")
        expect(page.get_by_test_id("memo-status")).to_have_text("posted")
        page.locator("#void-reason").fill("Issued in error")
        _both_answers_show(page.evaluate(TWICE, f"form[action='/memos/{memo.id}/do/void']"), f"/memos/{memo.id}")
        assert len(_journal(site, memo.id)) == 2
        page.goto(f"/memos/{memo.id}")
        expect(page.get_by_test_id("memo-status")).to_have_text("void")

    def test_double_click_on_post(self, engine_site: Site, new_page: Any) -> None:
        site = engine_site
        memo = _memo(site, post=False, amount="31.00")
        page = _page(new_page, site, "controller")
        page.goto(f"/memos/{memo.id}")
        page.get_by_test_id("memo-actions").get_by_role("button", name="Post").click()
        page.get_by_role("dialog").get_by_role("button", name="Post", exact=True).dblclick()
        expect(page.get_by_test_id("memo-status")).to_have_text("posted")
        expect(page.get_by_role("alert")).to_have_count(0)
        assert len(_journal(site, memo.id)) == 1


class TestCreateOnce:
    def test_one_draft_from_an_invoice(self, engine_site: Site, new_page: Any) -> None:
        site = engine_site
        inv = invoice_of_new_customer(site)
        page = _page(new_page, site, "clerk")
        page.goto(f"/invoices/{inv.id}/credit-memo")
        page.get_by_label("Reason").select_option("billing_error")
        page.get_by_role("button", name="Create draft credit memo").dblclick()
        # The second click's submission aborts the first's navigation, so wait for where the page lands, not
        # for one navigation (wait_for_url fails with ERR_ABORTED when it caught the aborted one).
        expect(page).to_have_url(re.compile(r"/memos/cm_"))
        assert len(_memos_of(site, inv.id)) == 1
        inv2 = invoice_of_new_customer(site)
        page.goto(f"/invoices/{inv2.id}/credit-memo")
        page.get_by_label("Reason").select_option("billing_error")
        answers = page.evaluate(TWICE, "#memo-form")
        assert [a[0] for a in answers] == [200, 200], answers
        assert answers[0][1] == answers[1][1], answers
        assert answers[0][1].startswith("/memos/cm_")
        assert len(_memos_of(site, inv2.id)) == 1

    def test_one_standalone_memo(self, engine_site: Site, new_page: Any) -> None:
        site = engine_site
        page = _page(new_page, site, "clerk")
        page.goto("/credit-memos/new")
        page.get_by_label("Customer").select_option(label="Acme Corp (USD)")
        text = "double-submit " + page.evaluate("() => crypto.randomUUID()")
        page.get_by_label("Memo text").fill(text)
        page.get_by_label("Description").fill("Goodwill")
        page.get_by_label("Unit price").fill("12.00")
        page.get_by_label("Reason").select_option("goodwill")
        answers = page.evaluate(TWICE, "form[action='/credit-memos/new']")
        assert [a[0] for a in answers] == [200, 200], answers
        assert answers[0][1] == answers[1][1], answers
        with site.db.uow(readonly=True) as uow:
            q = Overviews(uow.conn)
            rows = q.memos(site.company_id, "credit", ListQuery(customer_id=site.customer_id, page_size=500)).rows
            ids = [r["id"] for r in rows]
            texts = [uow.memos.get(site.company_id, i).memo_text for i in ids]
        assert texts.count(text) == 1


class TestTokens:
    def test_a_post_without_a_token_changes_nothing_and_says_reload(self, site: Site, new_page: Any) -> None:
        memo = _memo(site, post=False, amount="5.00")
        page = _page(new_page, site, "controller")
        page.goto(f"/memos/{memo.id}")
        csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
        response = page.request.post(f"/memos/{memo.id}/do/post", form={"csrf_token": csrf})
        assert response.status == 400
        assert "Reload the page" in response.text()
        assert _journal(site, memo.id) == []

    def test_the_same_token_with_other_values_is_refused(self, site: Site, new_page: Any) -> None:
        memo = _memo(site)
        page = _page(new_page, site, "controller")
        page.goto(f"/memos/{memo.id}")
        form = page.locator("form[action$='/refund']")
        csrf = form.locator("input[name=csrf_token]").get_attribute("value")
        token = form.locator("input[name=form_token]").get_attribute("value")
        fields = {"csrf_token": csrf, "form_token": token, "method": "card", "override_reason": "card"}
        first = page.request.post(f"/memos/{memo.id}/refund", form={**fields, "amount": "1.00"})
        second = page.request.post(f"/memos/{memo.id}/refund", form={**fields, "amount": "2.00"})
        assert first.status == 200
        assert second.status == 409
        assert [str(r.amount) for r in _refunds(site, memo.id)] == ["1.00 USD"]


def _events(site: Site, memo_id: str, suffix: str) -> list[Any]:
    with site.db.uow(readonly=True) as uow:
        events = memo_events(uow, system_actor(site.company_id, "t"), memo_id)
    return [e for e in events if e.action.endswith(suffix)]


class TestEveryOtherWriteFormOnce:
    """The remaining forms that write, each sent twice at once: one change each."""

    def test_discard_submit_approve_and_edit(self, engine_site: Site, new_page: Any) -> None:
        site = engine_site
        discard = _memo(site, post=False, amount="8.00")
        clerk = _page(new_page, site, "clerk")
        clerk.goto(f"/memos/{discard.id}")
        clerk.locator("#discard-reason").fill("Raised twice")
        _both_answers_show(
            clerk.evaluate(TWICE, f"form[action='/memos/{discard.id}/do/discard']"), f"/memos/{discard.id}"
        )
        assert len(_events(site, discard.id, ".discarded")) == 1

        big = _memo(site, post=False, amount="6000.00")  # above the manager tier: needs an approval
        clerk.goto(f"/memos/{big.id}/edit")
        clerk.get_by_label("Memo text (shown on the document)").fill("Agreed on the phone")
        answers = clerk.evaluate(TWICE, "#memo-form")
        _both_answers_show(answers, f"/memos/{big.id}")
        assert len(_events(site, big.id, ".updated")) == 1
        clerk.goto(f"/memos/{big.id}")
        _both_answers_show(clerk.evaluate(TWICE, f"form[action='/memos/{big.id}/do/submit']"), f"/memos/{big.id}")
        assert len(_events(site, big.id, ".submitted")) == 1

        manager = _page(new_page, site, "manager")
        manager.goto("/approvals")
        answers = manager.evaluate(TWICE, f"form[action='/memos/{big.id}/do/approve']")
        _both_answers_show(answers, "/approvals")
        with site.db.uow(readonly=True) as uow:
            approvals = list_approvals(uow, system_actor(site.company_id, "t"), big.id)
        assert [str(a.decision) for a in approvals] == ["approved"]

    def test_debit_memo_and_saved_view(self, engine_site: Site, new_page: Any) -> None:
        site = engine_site
        page = _page(new_page, site, "clerk")
        page.goto("/debit-memos/new")
        page.get_by_label("Customer").select_option(label="Acme Corp (USD)")
        text = "debit twice " + page.evaluate("() => crypto.randomUUID()")
        page.get_by_label("Memo text").fill(text)
        page.get_by_label("Description").fill("Charge-back")
        page.get_by_label("Unit price").fill("3.00")
        page.get_by_label("Reason").select_option("chargeback")
        answers = page.evaluate(TWICE, "form[action='/debit-memos/new']")
        assert answers[0][1] == answers[1][1], answers
        with site.db.uow(readonly=True) as uow:
            rows = Overviews(uow.conn).memos(site.company_id, "debit", ListQuery(page_size=500)).rows
            texts = [uow.memos.get(site.company_id, r["id"]).memo_text for r in rows]
        assert texts.count(text) == 1

        page.goto("/invoices?status=unpaid")
        name = "twice " + page.evaluate("() => crypto.randomUUID()")[:8]
        page.get_by_label("Save these filters as").fill(name)
        page.evaluate(TWICE, "form[action='/views']")
        page.goto("/invoices")
        expect(page.get_by_role("navigation", name="Saved views").get_by_role("link", name=name)).to_have_count(1)
