"""Accessibility (issue 16 item 9): axe-core (the axe.min.js bundled in the ``axe-playwright-python`` package,
installed by scripts/setup from PyPI) checks every main page as the browser renders it, and the test fails on
any violation axe rates serious or critical, naming the rule and the elements.

To check a new page, add its path to ``PAGES`` (``{invoice}``, ``{memo}``, ``{draft}``, ``{customer}``,
``{return}`` and ``{payment}`` are filled with documents of a customer of this test's own), with the role that
sees the page's forms."""

from __future__ import annotations

from datetime import timedelta
from importlib.resources import files
from typing import Any

import pytest

from creditmemo.domain.inputs import CreditLineInput
from creditmemo.domain.returns import ReturnLineInput
from creditmemo.services.actors import system_actor
from creditmemo.services.memos.create import create_credit_memo_from_invoice
from creditmemo.services.memos.post import post_memo
from creditmemo.services.returns.authorize import create_return
from creditmemo.services.settlement.payments import record_payment
from tests.web.conftest import Site, invoice_of_new_customer, shot, sign_in

# (path, role): every main page. Helpers adding a page add a line here.
PAGES: list[tuple[str, str]] = [
    ("/", "controller"),
    ("/credit-memos", "controller"),
    ("/debit-memos", "controller"),
    ("/invoices", "controller"),
    ("/invoices/{invoice}", "controller"),
    ("/invoices/{invoice}/credit-memo", "clerk"),
    ("/invoices/{invoice}/return", "clerk"),
    ("/invoices/{invoice}/prorate", "controller"),
    ("/credit-memos/new", "clerk"),
    ("/debit-memos/new", "clerk"),
    ("/memos/{memo}", "controller"),
    ("/memos/{draft}", "clerk"),
    ("/memos/{draft}/edit", "clerk"),
    ("/memos/{memo}/print", "controller"),
    ("/customers", "controller"),
    ("/customers/{customer}", "controller"),
    ("/customers/{customer}/sla-credit", "controller"),
    ("/customers/new", "clerk"),
    ("/customers/{customer}/edit", "clerk"),
    ("/invoices/new", "clerk"),
    ("/payments", "controller"),
    ("/payments/new", "clerk"),
    ("/payments/{payment}", "controller"),
    ("/reports", "controller"),
    ("/reports/ar-aging", "controller"),
    ("/reports/ar-aging?customer_id={customer}", "controller"),
    ("/reports/credit-memo-register", "controller"),
    ("/reports/trial-balance", "controller"),
    ("/reports/reconciliation", "controller"),
    ("/customers/{customer}/statement", "controller"),
    ("/customers/{customer}/statement/print", "controller"),
    ("/returns", "controller"),
    ("/returns/{return}", "controller"),
    ("/approvals", "manager"),
    ("/revenue", "controller"),
    ("/periods", "controller"),
    ("/journal", "controller"),
    ("/imports", "controller"),
    ("/exchange-rates", "controller"),
    ("/settings/sla", "admin"),
    ("/settings/reason-codes", "admin"),
    ("/settings/security", "admin"),
    ("/settings/webhooks", "admin"),
    ("/no/such/page", "controller"),
]
BLOCKING = ("serious", "critical")


def _axe_script() -> str:
    return files("axe_playwright_python").joinpath("axe.min.js").read_text()


def _documents(site: Site) -> dict[str, str]:
    actor = system_actor(site.company_id, "test seeder")
    inv = invoice_of_new_customer(site, "Accessible Ltd")
    with site.db.uow() as uow:
        posted = create_credit_memo_from_invoice(
            uow, actor, inv.id, reason_code="goodwill", lines=[CreditLineInput(inv.lines[0].id, amount="1.00")]
        )
        post_memo(uow, actor, posted.id)
        draft = create_credit_memo_from_invoice(
            uow, actor, inv.id, reason_code="goodwill", lines=[CreditLineInput(inv.lines[1].id, amount="2.00")]
        )
        ret = create_return(uow, actor, invoice_id=inv.id, lines=[ReturnLineInput(inv.lines[2].id, "1")])
        payment = record_payment(
            uow,
            actor,
            customer_id=inv.customer_id,
            amount="10.00",
            currency="USD",
            received_on=site.db.clock().date() - timedelta(days=1),
            method="wire",
            reference="A11Y-1",
        )
    return {
        "invoice": inv.id,
        "memo": posted.id,
        "draft": draft.id,
        "customer": inv.customer_id,
        "return": ret.id,
        "payment": payment.id,
    }


def _serious(page: Any, script: str) -> list[str]:
    page.evaluate(script)  # through the DevTools protocol: the page's Content-Security-Policy does not apply
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    found = []
    for violation in result["violations"]:
        if violation["impact"] in BLOCKING:
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:5])
            found.append(f"{violation['impact']} {violation['id']}: {violation['help']} at {targets}")
    return found


def test_the_sign_in_page_and_its_error(site: Site, new_page: Any) -> None:
    script = _axe_script()
    page = new_page()
    page.goto("/sign-in")
    assert _serious(page, script) == []
    page.get_by_label("E-mail").fill("nobody@web.test")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").wait_for()
    assert _serious(page, script) == []


def test_the_check_finds_what_it_must(site: Site, new_page: Any) -> None:
    """A text box without a label, put into a real page, is reported."""
    script = _axe_script()
    page = new_page()
    page.goto("/sign-in")
    page.evaluate(
        """() => { const i = document.createElement("input"); i.type = "text";
                   document.querySelector("main").append(i); }"""
    )
    found = _serious(page, script)
    assert len(found) == 1
    assert found[0].startswith("critical label:")


@pytest.mark.parametrize("role", sorted({role for _, role in PAGES}))
def test_every_main_page_has_no_serious_or_critical_violation(site: Site, new_page: Any, role: str) -> None:
    script = _axe_script()
    ids = _documents(site)
    page = new_page()
    sign_in(page, site.users[role])
    problems: dict[str, list[str]] = {}
    for template, page_role in PAGES:
        if page_role != role:
            continue
        path = template.format(**ids)
        response = page.goto(path)
        assert response is not None
        assert response.status == (404 if template == "/no/such/page" else 200), path
        # goto() returns after the load event (deferred scripts run): no page fetches anything after it (a
        # ready_to_post status cell polls, none is shown here), so there is nothing more to wait for.
        found = _serious(page, script)
        if found:
            problems[template] = found
    if problems:
        shot(page, f"axe-{role}-last")
    assert problems == {}
