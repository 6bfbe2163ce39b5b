"""Issue 16 item 5: payments in the browser. Record a payment (a clerk), apply it oldest due first with an edited
amount, unapply an application and refund what is left (a controller); the list of payments with its filters;
errors named per row and per field, input kept; an auditor only reads. Each journey on a customer of its own."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from creditmemo.domain.inputs import InvoiceLineInput
from creditmemo.services.actors import system_actor
from creditmemo.services.customers import create_customer
from creditmemo.services.invoices import issue_invoice
from creditmemo.services.settlement.applications import list_applications
from creditmemo.services.settlement.payments import record_payment
from creditmemo.services.settlement.refunds import list_refunds
from tests.web.conftest import Site, confirm, shot, sign_in, today_of


def _customer_with_two_invoices(site: Site, name: str) -> dict[str, Any]:
    """A customer of its own (USD) with an invoice of 100.00 issued 20 days ago and one of 200.00 issued today."""
    actor = system_actor(site.company_id, "test seeder")
    today = today_of(site)
    with site.db.uow() as uow:
        customer = create_customer(uow, actor, name=name, currency="USD", payment_terms_days=30)
        older = issue_invoice(
            uow,
            actor,
            customer_id=customer.id,
            currency="USD",
            issue_date=today - timedelta(days=20),
            lines=[InvoiceLineInput("Older service", "1", "100.00")],
        )
        newer = issue_invoice(
            uow,
            actor,
            customer_id=customer.id,
            currency="USD",
            issue_date=today,
            lines=[InvoiceLineInput("Newer service", "2", "100.00")],
        )
    return {"customer": customer, "older": older, "newer": newer}


def _payment(site: Site, customer_id: str, amount: str, reference: str = "SEEDED") -> Any:
    with site.db.uow() as uow:
        return record_payment(
            uow,
            system_actor(site.company_id, "test seeder"),
            customer_id=customer_id,
            amount=amount,
            currency="USD",
            received_on=today_of(site),
            method="bank_transfer",
            reference=reference,
        )


def _signed_in(new_page: Any, site: Site, role: str) -> Any:
    page = new_page(on=site)
    sign_in(page, site.users[role])
    return page


def _balance(site: Site, customer_id: str) -> str:
    with site.db.uow(readonly=True) as uow:
        return str(uow.customers.get(site.company_id, customer_id).balance.amount)


def _unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6]}"


class TestPaymentJourney:
    def test_record_apply_edited_amounts_unapply_and_refund(self, engine_site: Site, new_page: Any) -> None:
        site = engine_site
        engine = site.db.engine.dialect.name
        docs = _customer_with_two_invoices(site, _unique("Payer Journey"))
        customer, older, newer = docs["customer"], docs["older"], docs["newer"]

        # A clerk records 500.00 from the customer's link; the currency is the customer's.
        clerk = _signed_in(new_page, site, "clerk")
        clerk.goto(f"/payments/new?customer_id={customer.id}")
        expect(clerk.get_by_label("Customer")).to_have_value(customer.id)
        expect(clerk.get_by_test_id("payment-currency")).to_have_text("USD")
        clerk.get_by_label("Amount").fill("500.00")
        clerk.get_by_label("Reference (optional)").fill("WIRE-500")
        shot(clerk, f"payment-new-{engine}")
        clerk.get_by_role("button", name="Record payment").click()
        clerk.wait_for_url(re.compile(r"/payments/pay_\w+\?done=recorded$"))
        payment_id = clerk.url.split("/payments/")[1].split("?")[0]
        expect(clerk.get_by_test_id("payment-notice")).to_contain_text("500.00 USD received from")
        expect(clerk.get_by_test_id("payment-available")).to_have_text("500.00 USD")

        # Proposed oldest due first: 100.00 on the older invoice, 200.00 on the newer; the clerk edits the first.
        rows = clerk.get_by_test_id("apply-table").locator("tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text(older.number)
        expect(rows.nth(1)).to_contain_text(newer.number)
        expect(clerk.get_by_label(f"Amount to apply to {older.number}")).to_have_value("100.00")
        expect(clerk.get_by_label(f"Amount to apply to {newer.number}")).to_have_value("200.00")
        expect(clerk.get_by_role("heading", name="Refund", exact=True)).to_have_count(0)  # a clerk does not refund
        clerk.get_by_label(f"Amount to apply to {older.number}").fill("60.00")
        shot(clerk, f"payment-apply-edited-{engine}")
        clerk.get_by_role("button", name="Apply", exact=True).click()
        confirm(clerk, "Apply")
        expect(clerk.get_by_test_id("payment-notice")).to_have_text(
            re.compile(r"260\.00 USD of PAY-\d+ is applied; 240\.00 USD available\.")
        )
        expect(clerk.get_by_test_id("payment-available")).to_have_text("240.00 USD")
        settled = clerk.get_by_test_id("payment-settlement")
        expect(settled.locator("tr", has_text=older.number)).to_contain_text("60.00 USD")
        expect(settled.locator("tr", has_text=newer.number)).to_contain_text("200.00 USD")
        # What is left: the older invoice's 40.00, proposed again.
        expect(clerk.get_by_label(f"Amount to apply to {older.number}")).to_have_value("40.00")

        # A controller unapplies the newer invoice's 200.00 and refunds 150.00 of what is available.
        controller = _signed_in(new_page, site, "controller")
        controller.goto(f"/payments/{payment_id}")
        controller.get_by_role("button", name=f"Unapply from {newer.number}").click()
        expect(controller.get_by_role("dialog")).to_contain_text(f"{newer.number} owes it again")
        confirm(controller, "Unapply")
        expect(controller.get_by_test_id("payment-notice")).to_contain_text("has 440.00 USD available")
        expect(controller.get_by_test_id("payment-settlement").locator("tr", has_text=newer.number)).to_contain_text(
            "reversed"
        )
        shot(controller, f"payment-unapplied-{engine}")
        controller.get_by_label("Amount (USD)").fill("150.00")
        controller.get_by_label("Reference (optional)", exact=True).fill("RF-150")
        controller.get_by_role("button", name="Refund", exact=True).click()
        expect(controller.get_by_role("dialog")).to_contain_text("Refund 150.00 USD of PAY-")
        confirm(controller, "Refund")
        expect(controller.get_by_test_id("payment-refunded")).to_have_text("150.00 USD")
        expect(controller.get_by_test_id("payment-available")).to_have_text("290.00 USD")
        expect(controller.get_by_test_id("payment-refunds")).to_contain_text("RF-150")
        shot(controller, f"payment-refunded-{engine}")

        actor = system_actor(site.company_id, "t")
        with site.db.uow(readonly=True) as uow:
            apps = {
                a.target_id: (str(a.amount), str(a.status)) for a in list_applications(uow, actor, source_id=payment_id)
            }
            refunds = [str(r.amount) for r in list_refunds(uow, actor, payment_id)]
        assert apps == {older.id: ("60.00 USD", "active"), newer.id: ("200.00 USD", "reversed")}
        assert refunds == ["150.00 USD"]
        # 300.00 invoiced, 500.00 received, 150.00 paid back
        assert _balance(site, customer.id) == "-50.00"


class TestRecordForm:
    def test_errors_are_named_per_field_and_keep_what_was_typed(self, site: Site, new_page: Any) -> None:
        docs = _customer_with_two_invoices(site, _unique("Payer Errors"))
        page = _signed_in(new_page, site, "clerk")
        page.goto("/payments/new")
        page.evaluate("document.getElementById('payment-form').noValidate = true")  # the server's own checks
        page.get_by_label("Amount").fill("12.345")
        page.get_by_label("Reference (optional)").fill("KEEP-ME")
        page.get_by_role("button", name="Record payment").click()
        expect(page.locator("#err-customer_id")).to_have_text("Choose the customer who paid.")
        page.get_by_label("Customer").select_option(docs["customer"].id)
        page.evaluate("document.getElementById('payment-form').noValidate = true")
        page.get_by_role("button", name="Record payment").click()
        expect(page.locator("#err-amount")).not_to_be_empty()
        expect(page.get_by_label("Amount")).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_label("Amount")).to_have_value("12.345")
        expect(page.get_by_label("Reference (optional)")).to_have_value("KEEP-ME")
        expect(page.get_by_test_id("payment-currency")).to_have_text("USD")
        shot(page, "payment-new-errors")
        with site.db.uow(readonly=True) as uow:
            assert uow.customers.get(site.company_id, docs["customer"].id).balance.amount == 300


class TestApplyForm:
    def test_each_row_over_its_amount_due_and_a_total_over_the_available_are_named(
        self, site: Site, new_page: Any
    ) -> None:
        docs = _customer_with_two_invoices(site, _unique("Payer Rows"))
        older, newer = docs["older"], docs["newer"]
        payment = _payment(site, docs["customer"].id, "250.00")
        page = _signed_in(new_page, site, "clerk")
        page.goto(f"/payments/{payment.id}")
        expect(page.get_by_label(f"Amount to apply to {older.number}")).to_have_value("100.00")
        expect(page.get_by_label(f"Amount to apply to {newer.number}")).to_have_value("150.00")
        page.get_by_label(f"Amount to apply to {older.number}").fill("120.00")
        page.get_by_label(f"Amount to apply to {newer.number}").fill("abc")
        page.get_by_role("button", name="Apply", exact=True).click()
        confirm(page, "Apply")
        expect(page.locator("#err-alloc_0")).to_have_text(
            f"120.00 USD is more than the 100.00 USD due on {older.number}."
        )
        expect(page.locator("#err-alloc_1")).not_to_be_empty()
        expect(page.get_by_label(f"Amount to apply to {newer.number}")).to_have_value("abc")  # kept as typed
        # Each row within its own due, but together above the 250.00 available.
        page.get_by_label(f"Amount to apply to {older.number}").fill("100.00")
        page.get_by_label(f"Amount to apply to {newer.number}").fill("200.00")
        page.get_by_role("button", name="Apply", exact=True).click()
        confirm(page, "Apply")
        expect(page.get_by_test_id("apply-error")).to_have_text(
            f"The amounts add up to 300.00 USD, more than the 250.00 USD available on {payment.number}."
        )
        expect(page.locator("#err-alloc_0")).to_be_empty()
        shot(page, "payment-apply-errors")
        with site.db.uow(readonly=True) as uow:
            assert list_applications(uow, system_actor(site.company_id, "t"), source_id=payment.id) == []


class TestRefundRefused:
    def test_a_refund_beyond_what_the_customer_is_owed_is_refused_next_to_its_amount(
        self, site: Site, new_page: Any
    ) -> None:
        docs = _customer_with_two_invoices(site, _unique("Payer Owed"))
        payment = _payment(site, docs["customer"].id, "100.00")  # the customer still owes 200.00 on balance
        page = _signed_in(new_page, site, "controller")
        page.goto(f"/payments/{payment.id}")
        page.get_by_label("Amount (USD)").fill("40.00")
        page.get_by_role("button", name="Refund", exact=True).click()
        confirm(page, "Refund")
        expect(page.locator("#err-refund-amount")).not_to_be_empty()
        expect(page.get_by_label("Amount (USD)")).to_have_value("40.00")
        expect(page.get_by_test_id("payment-refunded")).to_have_text("0.00 USD")


class TestRolesAndList:
    def test_an_auditor_reads_the_page_without_actions(self, site: Site, new_page: Any) -> None:
        docs = _customer_with_two_invoices(site, _unique("Payer Audited"))
        payment = _payment(site, docs["customer"].id, "300.00")
        page = _signed_in(new_page, site, "auditor")
        page.goto(f"/payments/{payment.id}")
        expect(page.get_by_test_id("payment-available")).to_have_text("300.00 USD")
        expect(page.get_by_role("heading", name="Apply to open documents")).to_have_count(0)
        expect(page.get_by_role("heading", name="Refund", exact=True)).to_have_count(0)
        expect(page.locator("form[action*='/payments/']")).to_have_count(0)
        page.goto("/payments")
        expect(page.get_by_role("link", name="Record a payment")).to_have_count(0)
        page.goto("/payments/new")
        expect(page.get_by_role("heading", name="Forbidden")).to_be_visible()

    def test_the_list_filters_by_customer_status_and_date_and_links_each_payment(
        self, site: Site, new_page: Any
    ) -> None:
        docs = _customer_with_two_invoices(site, _unique("Payer Listed"))
        customer = docs["customer"]
        kept = _payment(site, customer.id, "1234.50", reference="LIST-KEPT")
        used = _payment(site, customer.id, "100.00", reference="LIST-USED")
        with site.db.uow() as uow:
            from creditmemo.domain.settlement import AllocationInput
            from creditmemo.services.settlement.applications import apply_credit

            apply_credit(
                uow,
                system_actor(site.company_id, "t"),
                source_type="payment",
                source_id=used.id,
                allocations=[AllocationInput("invoice", docs["older"].id, "100.00")],
            )
        page = _signed_in(new_page, site, "clerk")
        page.goto(f"/payments?customer={customer.id}")
        table = page.get_by_test_id("list")
        expect(table.locator("tbody tr")).to_have_count(2)
        kept_row = table.locator("tr", has_text=kept.number)
        expect(kept_row).to_contain_text("1,234.50 USD")
        expect(kept_row).to_contain_text("bank transfer")
        expect(kept_row).to_contain_text("unapplied")
        page.get_by_label("Status").select_option("available")
        page.get_by_role("button", name="Apply filters").click()
        expect(table.locator("tbody tr")).to_have_count(1)
        expect(table).to_contain_text(kept.number)
        page.get_by_label("Status").select_option("applied")
        page.get_by_role("button", name="Apply filters").click()
        expect(table.locator("tbody tr")).to_have_count(1)
        expect(table).to_contain_text(used.number)
        tomorrow = str(today_of(site) + timedelta(days=1))
        page.goto(f"/payments?customer={customer.id}&from={tomorrow}")
        expect(table).to_contain_text("Nothing matches these filters.")
        page.goto(f"/payments?customer={customer.id}&sort=amount&dir=desc")
        shot(page, "payments-list")
        with page.expect_download() as info:  # the export: every matching payment, with the page's filter
            page.get_by_test_id("export-csv").click()
        exported = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
        assert [(r["number"], r["amount"], r["amount_available"], r["settlement_status"]) for r in exported] == [
            (kept.number, "1234.50", "1234.50", "unapplied"),
            (used.number, "100.00", "0.00", "applied"),
        ]
        page.get_by_role("link", name=kept.number).click()
        expect(page).to_have_url(re.compile(f"/payments/{kept.id}$"))
        expect(page.get_by_role("heading", name=f"Payment {kept.number}")).to_be_visible()
        page.goto("/payments")
        page.get_by_role("link", name="Record a payment").click()
        expect(page).to_have_url(re.compile(r"/payments/new$"))


class TestPolicy:
    def test_the_payment_pages_load_with_no_policy_violation(self, site: Site, new_page: Any) -> None:
        from tests.web.test_content_security_policy import _page as policy_page
        from tests.web.test_content_security_policy import _violations

        docs = _customer_with_two_invoices(site, _unique("Payer Policy"))
        payment = _payment(site, docs["customer"].id, "50.00")
        page, console = policy_page(new_page)
        sign_in(page, site.users["controller"])
        for path in ("/payments", f"/payments/new?customer_id={docs['customer'].id}", f"/payments/{payment.id}"):
            page.goto(path)
            page.wait_for_load_state("networkidle")
            assert _violations(page) == [], path
        assert console == []


# Two POSTs of a form at once, the second under a fresh one-time token: two users' submits, not one resent.
TWO_USERS = """async (selector) => {
  const form = document.querySelector(selector);
  const body = (token) => {
    const d = new FormData(form);
    if (token) d.set("form_token", token);
    return new URLSearchParams(d);
  };
  const send = (token) => fetch(form.action, {method: "POST", body: body(token)});
  const answers = await Promise.all([send(null), send("second-user-token-" + Date.now())]);
  return answers.map((r) => r.status).sort();
}"""
TWICE = """async (selector) => {
  const form = document.querySelector(selector);
  const send = () => fetch(form.action, {method: "POST", body: new URLSearchParams(new FormData(form))});
  return (await Promise.all([send(), send()])).map((r) => r.status);
}"""


class TestRacesOnTheDatabase:
    def test_a_double_submitted_payment_is_recorded_once(self, engine_site: Site, new_page: Any) -> None:
        site = engine_site
        docs = _customer_with_two_invoices(site, _unique("Payer Twice"))
        page = _signed_in(new_page, site, "clerk")
        page.goto(f"/payments/new?customer_id={docs['customer'].id}")
        page.get_by_label("Amount").fill("75.00")
        assert page.evaluate(TWICE, "#payment-form") == [200, 200]
        with site.db.uow(readonly=True) as uow:
            assert str(uow.customers.get(site.company_id, docs["customer"].id).balance.amount) == "225.00"

    def test_two_applications_racing_for_one_payment_never_use_more_than_it_has(
        self, engine_site: Site, new_page: Any
    ) -> None:
        """Both forms propose the whole 300.00 over the two invoices; the second to take the payment's lock reads
        what the first committed and is refused (nothing of it is written)."""
        site = engine_site
        docs = _customer_with_two_invoices(site, _unique("Payer Race"))
        payment = _payment(site, docs["customer"].id, "300.00")
        page = _signed_in(new_page, site, "clerk")
        page.goto(f"/payments/{payment.id}")
        assert page.evaluate(TWO_USERS, f"form[action='/payments/{payment.id}/apply']") == [200, 422]
        with site.db.uow(readonly=True) as uow:
            apps = list_applications(uow, system_actor(site.company_id, "t"), source_id=payment.id)
            used = uow.payments.get(site.company_id, payment.id)
        assert sorted(str(a.amount) for a in apps) == ["100.00 USD", "200.00 USD"]
        assert str(used.amount_applied) == "300.00 USD"
