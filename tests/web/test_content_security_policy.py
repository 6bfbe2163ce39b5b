"""Issue 18, item 13: every page is served with a Content-Security-Policy that allows only the site's own scripts
and styles, and no page breaks it: the browser reports zero violations while each main page loads and while
htmx swaps fragments in (the memo-from-invoice preview)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from creditmemo.domain.inputs import CreditLineInput
from creditmemo.services.actors import system_actor
from creditmemo.services.memos.create import create_credit_memo_from_invoice
from creditmemo.services.memos.post import post_memo
from tests.web.conftest import Site, invoice_of_new_customer, sign_in

# Records each violation the browser reports, before any of the page's own scripts run.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || ""));
});
"""


def _violations(page: Any) -> list[str]:
    found: list[str] = page.evaluate("window.__cspViolations || []")
    return found


def _posted_memo_id(site: Site) -> str:
    actor = system_actor(site.company_id, "test seeder")
    inv = invoice_of_new_customer(site, "Policy Checked Ltd")  # not the shared customer: other tests count its credit
    with site.db.uow() as uow:
        memo = create_credit_memo_from_invoice(
            uow,
            actor,
            inv.id,
            reason_code="goodwill",
            auto_apply=False,
            lines=[CreditLineInput(inv.lines[0].id, amount="1.00")],
        )
        return post_memo(uow, actor, memo.id).id


def _page(new_page: Any) -> tuple[Any, list[str]]:
    page = new_page()
    page.add_init_script(LISTEN)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    return page, console


class TestContentSecurityPolicy:
    def test_every_answer_carries_the_policy(self, site: Site, new_page: Any) -> None:
        page = new_page()
        for path in ("/sign-in", "/static/app.css", "/no/such/page", "/v1/credit-memos", "/docs"):
            response = page.request.get(path)
            policy = response.headers.get("content-security-policy", "")
            assert "script-src 'self'" in policy, path
            assert "unsafe-inline" not in policy, path
            assert "unsafe-eval" not in policy, path
            assert response.headers.get("x-content-type-options") == "nosniff", path

    @pytest.mark.parametrize("role", ["controller", "admin"])
    def test_the_main_pages_load_with_no_violation(self, site: Site, new_page: Any, role: str) -> None:
        memo_id = _posted_memo_id(site)
        page, console = _page(new_page)
        sign_in(page, site.users[role])
        big = site.invoices["big"]
        paths = [
            "/",
            "/credit-memos",
            "/debit-memos",
            "/invoices",
            f"/invoices/{big.id}",
            "/returns",
            "/customers",
            f"/customers/{site.customer_id}",
            "/customers/new",
            f"/customers/{site.customer_id}/edit",
            "/invoices/new",
            "/approvals",
            "/settings/sla",
            f"/memos/{memo_id}",
            f"/memos/{memo_id}/print",
            "/docs",
            "/no/such/page",
        ]
        for path in paths:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            assert _violations(page) == [], path
        assert console == []

    def test_htmx_swaps_break_nothing(self, site: Site, new_page: Any) -> None:
        page, console = _page(new_page)
        sign_in(page, site.users["controller"])
        # An invoice of its own: the site is shared, and the memo journey credits most of the site's "big" one.
        page.goto(f"/invoices/{invoice_of_new_customer(site, 'Swap Check Ltd').id}")
        page.get_by_role("link", name="Create credit memo").click()
        expect(page.get_by_test_id("preview-total")).to_have_text("22,185.84 USD")
        page.get_by_label("Quantity for line 2").fill("10")  # the server's preview is swapped in by htmx
        expect(page.get_by_test_id("preview-total")).to_have_text("17,314.59 USD")
        assert _violations(page) == []
        assert console == []

    def test_an_injected_inline_script_is_refused(self, site: Site, new_page: Any) -> None:
        """The policy really binds: a script tag that got into a page (here by hand) does not run."""
        page, _ = _page(new_page)
        sign_in(page, site.users["controller"])
        page.evaluate(
            """() => { const s = document.createElement("script"); s.textContent = "window.__ran = true";
                       document.body.append(s); }"""
        )
        assert page.evaluate("window.__ran === true") is False
        assert any(v.startswith("script-src") for v in _violations(page))
