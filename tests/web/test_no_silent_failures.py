"""Issue 18, item 7: no silent failures. Memo text over the limit creates nothing and says so; an error naming
a field the form has no place for is still shown; every text box has a maxlength; a "from" date after "to"
is a clear message."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from creditmemo.domain.inputs import CreditLineInput
from creditmemo.services.actors import system_actor
from creditmemo.services.memos.create import create_credit_memo_from_invoice
from creditmemo.services.memos.post import post_memo
from creditmemo.store.repositories.overviews import ListQuery, Overviews
from creditmemo.web.messages import on_form
from creditmemo.web.routes.invoices import _error_ids, _preview
from tests.web.conftest import Site, invoice_of_new_customer, sign_in

TEXT_BOXES = (
    "input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=submit]):not([maxlength]),"
    " textarea:not([maxlength])"
)


def _signed_in(new_page: Any, site: Site, role: str) -> Any:
    page = new_page(on=site)
    sign_in(page, site.users[role])
    return page


def _memos_of(site: Site, invoice_id: str) -> list[Any]:
    with site.db.uow(readonly=True) as uow:
        return list(Overviews(uow.conn).memos_of_invoice(site.company_id, invoice_id))


class TestMemoTextOverTheLimit:
    def test_from_an_invoice_creates_nothing_and_says_why(self, engine_site: Site, new_page: Any) -> None:
        site = engine_site
        inv = invoice_of_new_customer(site)
        page = _signed_in(new_page, site, "clerk")
        page.goto(f"/invoices/{inv.id}/credit-memo")
        box = page.get_by_label("Memo text (shown on the document)")
        expect(box).to_have_attribute("maxlength", "5000")
        box.evaluate("el => el.removeAttribute('maxlength')")  # a pasted text, an old browser, a hand-made POST
        box.fill("x" * 5001)
        expect(page.locator("#err-memo_text")).to_contain_text("at most 5000 characters")  # the live preview
        page.get_by_label("Reason").select_option("goodwill")
        page.get_by_role("button", name="Create draft credit memo").click()
        expect(page.locator("#err-memo_text")).to_contain_text("at most 5000 characters")
        expect(page.locator("#memo_text")).to_have_attribute("aria-invalid", "true")
        assert f"/invoices/{inv.id}/credit-memo" in page.url
        assert _memos_of(site, inv.id) == []

    def test_standalone_creates_nothing_and_says_why(self, engine_site: Site, new_page: Any) -> None:
        site = engine_site
        page = _signed_in(new_page, site, "clerk")
        page.goto("/credit-memos/new")
        page.get_by_label("Customer").select_option(label="Acme Corp (USD)")
        page.get_by_label("Description").fill("Goodwill")
        page.get_by_label("Unit price").fill("1.00")
        box = page.get_by_label("Memo text")
        box.evaluate("el => el.removeAttribute('maxlength')")
        box.fill("y" * 5001)
        page.get_by_label("Reason").select_option("goodwill")
        page.get_by_role("button", name="Create draft credit memo").click()
        expect(page.locator("#err-memo_text")).to_contain_text("at most 5000 characters")
        with site.db.uow(readonly=True) as uow:
            rows = (
                Overviews(uow.conn)
                .memos(site.company_id, "credit", ListQuery(customer_id=site.customer_id, page_size=500))
                .rows
            )
            texts = [uow.memos.get(site.company_id, r["id"]).memo_text or "" for r in rows]
        assert not any(t.startswith("yyyy") for t in texts)


class TestErrorsWithoutAPlace:
    def test_an_error_naming_no_field_of_the_form_goes_to_the_form_slot(self) -> None:
        errors = {"issue_date": "Not a date.", "reason_code": "Unknown reason.", "memo": "Too long."}
        shown = on_form(errors, ["reason_code", "memo_text", "form"])
        assert shown == {"form": "Not a date.", "reason_code": "Unknown reason.", "memo_text": "Too long."}

    def test_the_live_preview_shows_it_too(self) -> None:
        html = bytes(_preview(None, {"issue_date": "Not a date."}, _error_ids(None, [])).body).decode()
        assert '<p class="error" id="err-form" role="alert" hx-swap-oob="true">Not a date.</p>' in html


class TestEveryTextBoxHasAMaxlength:
    def test_on_every_form(self, site: Site, new_page: Any) -> None:
        inv = invoice_of_new_customer(site)
        actor = system_actor(site.company_id, "test seeder")
        with site.db.uow() as uow:
            memo = create_credit_memo_from_invoice(
                uow, actor, inv.id, reason_code="goodwill", lines=[CreditLineInput(inv.lines[0].id, amount="9.00")]
            )
            draft = create_credit_memo_from_invoice(
                uow, actor, inv.id, reason_code="goodwill", lines=[CreditLineInput(inv.lines[1].id, amount="9.00")]
            )
            memo = post_memo(uow, actor, memo.id)
        page = new_page()
        page.goto("/sign-in")
        assert page.locator(TEXT_BOXES).count() == 0
        sign_in(page, site.users["admin"])
        for path in (
            f"/invoices/{inv.id}/credit-memo",
            "/credit-memos/new",
            "/debit-memos/new",
            f"/memos/{memo.id}",
            f"/memos/{draft.id}",
            f"/memos/{draft.id}/edit",
            "/approvals",
            "/credit-memos",
            "/invoices",
            "/customers",
            "/settings/sla",
        ):
            page.goto(path)
            assert page.locator("form").count() > 0, path
            missing = page.locator(TEXT_BOXES).evaluate_all("els => els.map(e => e.id || e.name)")
            assert missing == [], (path, missing)


class TestDatesTheWrongWayRound:
    def test_from_after_to_says_so(self, site: Site, new_page: Any) -> None:
        page = _signed_in(new_page, site, "clerk")
        page.goto("/credit-memos?from=2026-02-01&to=2026-01-01")
        expect(page.locator("#err-to")).to_have_text(
            "“Issued to” (2026-01-01) is before “Issued from” (2026-02-01): swap the dates."
        )
        expect(page.locator("#f-to")).to_have_attribute("aria-invalid", "true")
        page.goto("/invoices?min=100&max=10")
        expect(page.locator("#err-max")).to_contain_text("is below “Amount from” (100): swap the amounts.")
