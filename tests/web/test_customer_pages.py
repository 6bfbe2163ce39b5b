"""Issue 16 items 4 and 6 in the browser: the customer page (balance, available credit, open items, credits, the
statement link) with "apply available credit to oldest open items" (a server preview, then a confirmation; a stale
preview refused in words), creating and editing a customer, and issuing an invoice with live totals. Each test on a
customer of its own; the apply-credit journeys on both engines (``engine_site``)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from creditmemo.domain.inputs import FreeLineInput, InvoiceLineInput
from creditmemo.services.actors import system_actor
from creditmemo.services.customers import create_customer
from creditmemo.services.invoices import issue_invoice
from creditmemo.services.memos.create import create_debit_memo, create_standalone_credit_memo
from creditmemo.services.memos.post import post_memo
from creditmemo.services.settlement.payments import record_payment
from tests.web.conftest import Site, confirm, shot, sign_in, today_of


def _customer_with_credit(site: Site, name: str) -> dict[str, Any]:
    """Debit memo 50 (due today), an invoice of 100 (issued 40 days ago, due 10 days ago), one of 200 (today);
    a credit memo of 150 (10 days ago) and a payment of 120 (today)."""
    actor = system_actor(site.company_id, "test seeder")
    today = today_of(site)
    with site.db.uow() as uow:
        cus = create_customer(uow, actor, name=name, currency="USD", payment_terms_days=30)

        def inv(price: str, issued: Any) -> Any:
            return issue_invoice(
                uow,
                actor,
                customer_id=cus.id,
                currency="USD",
                issue_date=issued,
                lines=[InvoiceLineInput("Service", "1", price)],
            )

        old = inv("100.00", today - timedelta(days=40))
        new = inv("200.00", today)
        dm = create_debit_memo(
            uow,
            actor,
            customer_id=cus.id,
            currency="USD",
            reason_code="underbilling",
            lines=[FreeLineInput("Fee", "1", "50.00")],
            issue_date=today,
            post=True,
        )
        cm = create_standalone_credit_memo(
            uow,
            actor,
            customer_id=cus.id,
            currency="USD",
            reason_code="goodwill",
            lines=[FreeLineInput("Credit", "1", "150.00")],
            issue_date=today - timedelta(days=10),
        )
        cm = post_memo(uow, actor, cm.id)
        payment = record_payment(
            uow, actor, customer_id=cus.id, amount="120.00", currency="USD", received_on=today, method="ach"
        )
    return {"customer": cus, "old": old, "new": new, "dm": dm, "cm": cm, "payment": payment}


def _pay(site: Site, customer_id: str, amount: str) -> Any:
    with site.db.uow() as uow:
        return record_payment(
            uow,
            system_actor(site.company_id, "test seeder"),
            customer_id=customer_id,
            amount=amount,
            currency="USD",
            received_on=today_of(site),
            method="wire",
        )


# The form's values as the browser would send them (its CSRF and one-time tokens, the fingerprint).
SENT = "(selector) => new URLSearchParams(new FormData(document.querySelector(selector))).toString()"


def _rows(page: Any, testid: str) -> list[str]:
    return [" ".join(t.split()) for t in page.get_by_test_id(testid).locator("tbody tr").all_inner_texts()]


def test_customer_page_applies_available_credit_to_oldest_items(new_page: Any, engine_site: Site) -> None:
    site = engine_site
    docs = _customer_with_credit(site, f"Oldest Items Co {site.db.postgres}")
    cus, old, new, dm, cm, payment = (docs[k] for k in ("customer", "old", "new", "dm", "cm", "payment"))
    page = new_page(on=site)
    sign_in(page, site.users["controller"])
    page.goto(f"/customers/{cus.id}")
    expect(page.get_by_test_id("statement-link")).to_have_attribute("href", f"/customers/{cus.id}/statement")
    expect(page.get_by_test_id("customer-available-credit")).to_have_text("150.00 USD")
    # open items, oldest due first: the old invoice (due 10 days ago), the debit memo (today), the new invoice
    items = _rows(page, "open-items")
    assert [r.split(" ")[-2] for r in items] == ["100.00", "50.00", "200.00"], items
    assert [old.number in items[0], dm.number in items[1], new.number in items[2]] == [True, True, True]
    credits = _rows(page, "open-credits")
    assert cm.number in credits[0]
    assert "150.00 USD" in credits[0]
    assert payment.number in credits[1]
    assert "120.00 USD" in credits[1]
    plan = _rows(page, "credit-plan")
    assert [re.sub(r" \d{4}-\d\d-\d\d", "", r) for r in plan] == [
        f"Credit memo {cm.number} Invoice {old.number} 100.00 USD 0.00 USD",
        f"Credit memo {cm.number} Debit memo {dm.number} 50.00 USD 0.00 USD",
        f"Payment {payment.number} Invoice {new.number} 120.00 USD 80.00 USD",
    ]
    expect(page.get_by_test_id("credit-plan-total")).to_have_text("270.00 USD")
    shot(page, f"customer-apply-credit-preview-{'pg' if site.db.postgres else 'sqlite'}")
    sent = page.evaluate(SENT, f"form[action='/customers/{cus.id}/apply-credit']")
    page.get_by_test_id("apply-credit").click()
    expect(page.get_by_role("dialog")).to_contain_text("Apply 270.00 USD of credit")
    confirm(page, "Apply credit")
    expect(page.get_by_test_id("credit-applied")).to_have_text(
        "Applied 270.00 USD of credit in 3 applications, oldest items first."
    )
    assert [r.split(" ")[1] for r in _rows(page, "open-items")] == [new.number]
    expect(page.get_by_test_id("open-items")).to_contain_text("80.00 USD")
    expect(page.get_by_test_id("customer-available-credit")).to_have_text("0.00 USD")
    expect(page.get_by_test_id("credit-plan-empty")).to_have_text("No credit is available to apply.")
    shot(page, f"customer-apply-credit-done-{'pg' if site.db.postgres else 'sqlite'}")
    # the same form sent again (a resent POST) applies nothing twice: the first answer comes back
    again = page.request.post(
        f"/customers/{cus.id}/apply-credit",
        data=sent,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        max_redirects=0,
    )
    assert again.status == 303
    assert "applied=3" in again.headers["location"]
    with site.db.uow(readonly=True) as uow:
        assert len(uow.applications.list(site.company_id, customer_id=cus.id)) == 3


def test_a_stale_preview_is_refused_in_words_and_previewed_again(new_page: Any, engine_site: Site) -> None:
    site = engine_site
    docs = _customer_with_credit(site, f"Stale Preview Co {site.db.postgres}")
    cus = docs["customer"]
    page = new_page(on=site)
    sign_in(page, site.users["clerk"])
    page.goto(f"/customers/{cus.id}")
    expect(page.get_by_test_id("credit-plan-total")).to_have_text("270.00 USD")
    _pay(site, cus.id, "10.00")  # someone records a payment after the preview was shown
    page.get_by_test_id("apply-credit").click()
    confirm(page, "Apply credit")
    expect(page.get_by_test_id("plan-stale")).to_contain_text("Nothing was applied")
    expect(page.get_by_test_id("credit-plan-total")).to_have_text("280.00 USD")
    shot(page, f"customer-apply-credit-stale-{'pg' if site.db.postgres else 'sqlite'}")
    with site.db.uow(readonly=True) as uow:
        assert uow.applications.list(site.company_id, customer_id=cus.id) == []
    page.get_by_test_id("apply-credit").click()
    confirm(page, "Apply credit")
    expect(page.get_by_test_id("credit-applied")).to_contain_text("Applied 280.00 USD of credit in 4 applications")


def test_an_auditor_sees_the_preview_but_no_button(new_page: Any, site: Site) -> None:
    cus = _customer_with_credit(site, "Auditor View Co")["customer"]
    page = new_page()
    sign_in(page, site.users["auditor"])
    page.goto(f"/customers/{cus.id}")
    expect(page.get_by_test_id("credit-plan-total")).to_have_text("270.00 USD")
    expect(page.get_by_test_id("apply-credit")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    assert page.goto("/customers/new").status == 403


def test_a_customer_with_many_open_items_shows_the_oldest_50_and_counts_all(new_page: Any, site: Site) -> None:
    """Issue 16 item 8: the page is bounded (the oldest 50 open items, credits and planned applications, then a
    line saying how many more and where they are listed); the plan's total still counts every one."""
    actor = system_actor(site.company_id, "test seeder")
    today = today_of(site)
    with site.db.uow() as uow:
        cus = create_customer(uow, actor, name="Many Items Co", currency="USD", payment_terms_days=30)
        for i in range(55):
            issue_invoice(
                uow,
                actor,
                customer_id=cus.id,
                currency="USD",
                issue_date=today - timedelta(days=60 - i),
                lines=[InvoiceLineInput("Service", "1", "10.00")],
            )
        for _ in range(52):
            record_payment(
                uow, actor, customer_id=cus.id, amount="10.00", currency="USD", received_on=today, method="check"
            )
    page = new_page()
    sign_in(page, site.users["controller"])
    page.goto(f"/customers/{cus.id}")
    expect(page.get_by_test_id("open-items").locator("tbody tr")).to_have_count(51)
    expect(page.get_by_test_id("open-items-more")).to_contain_text("And 5 more")
    expect(page.get_by_test_id("open-credits-more")).to_contain_text("And 2 more")
    expect(page.get_by_test_id("credit-plan-more")).to_contain_text("And 2 more applications")
    expect(page.get_by_test_id("credit-plan-total")).to_have_text("520.00 USD")


@pytest.mark.journey
def test_create_and_edit_a_customer_with_field_errors(new_page: Any, site: Site) -> None:
    page = new_page()
    sign_in(page, site.users["clerk"])
    page.goto("/customers")
    page.get_by_role("link", name="New customer").click()
    page.get_by_label("Name", exact=True).fill("Gamma Create Ltd")
    page.get_by_label("Currency", exact=True).fill("USD")
    page.get_by_label("Net days").fill("30")
    page.get_by_label("Settlement discount %").fill("2")
    page.get_by_label("Discount days").fill("40")  # after the net days: refused next to the field
    page.get_by_label("Legal name").fill("Gamma Create Limited")
    page.get_by_role("button", name="Create customer").click()
    expect(page.locator("#err-discount_days")).to_contain_text("cannot exceed the net days")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Gamma Create Ltd")  # what was typed is kept
    expect(page.get_by_label("Legal name")).to_have_value("Gamma Create Limited")
    shot(page, "customer-new-errors")
    page.get_by_label("Discount days").fill("10")
    page.get_by_role("button", name="Create customer").click()
    expect(page.get_by_test_id("customer-saved")).to_have_text("Customer created.")
    expect(page.get_by_role("heading", name="Gamma Create Ltd")).to_be_visible()
    expect(page.get_by_test_id("customer-credit-terms")).to_contain_text("2")
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_test_id("customer-currency")).to_have_text("USD")
    page.get_by_label("Name", exact=True).fill("Gamma Renamed Ltd")
    page.get_by_label("Payment terms (days)").fill("400")
    page.get_by_role("button", name="Save customer").click()
    expect(page.locator("#err-payment_terms_days")).to_contain_text("0 to 365")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Gamma Renamed Ltd")
    page.get_by_label("Payment terms (days)").fill("45")
    page.get_by_label("City").fill("Lyon")
    page.get_by_role("button", name="Save customer").click()
    expect(page.get_by_test_id("customer-saved")).to_have_text("Customer saved.")
    expect(page.get_by_role("heading", name="Gamma Renamed Ltd")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("45 days")
    expect(page.locator("dl.facts")).to_contain_text("Lyon")
    shot(page, "customer-edited")


@pytest.mark.journey
def test_issue_an_invoice_with_lines_added_and_removed(new_page: Any, site: Site) -> None:
    actor = system_actor(site.company_id, "test seeder")
    with site.db.uow() as uow:
        cus = create_customer(uow, actor, name="Delta Invoice Co", currency="USD", payment_terms_days=30)
    page = new_page()
    sign_in(page, site.users["clerk"])
    page.goto("/invoices")
    page.get_by_role("link", name="New invoice").click()
    page.wait_for_url("**/invoices/new")
    page.wait_for_load_state()  # its script (static/invoice_lines.js) is in
    page.get_by_label("Customer").select_option(cus.id)
    expect(page.get_by_label("Currency", exact=True)).to_have_value("USD")  # from the customer
    page.get_by_label("Issue date").fill(today_of(site).isoformat())
    page.locator("input[id^=desc_]").first.fill("Consulting")
    page.locator("input[id^=qty_]").first.fill("10")
    page.locator("input[id^=price_]").first.fill("150.00")
    page.locator("input[id^=disc_]").first.fill("100.00")
    page.locator("input[id^=tax_]").first.fill("10")
    expect(page.get_by_test_id("invoice-preview-total")).to_have_text("1,540.00 USD")
    page.get_by_role("button", name="Add line").click()
    page.get_by_role("button", name="Add line").click()
    expect(page.locator("tr[data-line]")).to_have_count(3)
    page.locator("input[id^=desc_]").nth(1).fill("Subscription")
    page.locator("input[id^=price_]").nth(1).fill("12x")  # a typo: the error names the field
    start = today_of(site).replace(day=1)
    page.locator("input[id^=start_]").nth(1).fill(start.isoformat())
    page.locator("input[id^=end_]").nth(1).fill((start + timedelta(days=364)).isoformat())
    page.locator("tr[data-line]").nth(2).get_by_role("button", name="Remove").click()
    expect(page.locator("tr[data-line]")).to_have_count(2)
    page.get_by_role("button", name="Issue invoice").click()
    price_error = page.locator("p.error[id^=err-price_]").nth(1)
    expect(price_error).not_to_be_empty()
    expect(page.locator("input[id^=desc_]").nth(1)).to_have_value("Subscription")  # kept as typed
    expect(page.locator("input[id^=price_]").nth(1)).to_have_value("12x")
    shot(page, "invoice-new-errors")
    page.locator("input[id^=price_]").nth(1).fill("1200.00")
    expect(page.get_by_test_id("invoice-preview-total")).to_have_text("2,740.00 USD")
    expect(page.get_by_test_id("invoice-preview")).to_contain_text("(deferred)")
    shot(page, "invoice-new")
    page.get_by_role("button", name="Issue invoice").click()
    expect(page.get_by_test_id("invoice-created")).to_contain_text("issued")
    number = page.get_by_test_id("invoice-created").inner_text().split()[1]
    page.goto(f"/invoices?q={number}")
    headers = page.get_by_test_id("list").locator("thead th").all_inner_texts()
    assert "Credited" in headers
    assert "Amount due" in headers
    row = page.get_by_test_id("list").locator("tbody tr").first
    expect(row).to_contain_text("2,740.00")
    expect(row).to_contain_text("0.00")
