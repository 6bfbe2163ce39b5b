"""The Reports menu (issue 16 item 2) in a real browser, each test on a customer of its own: the AR aging as of a
date (a bucket opens its documents), the credit memo register with its filters and totals by reason and month, the
customer statement with its print view and PDF, the trial balance and the reconciliation. Amounts right-aligned
and formatted, totals rows, sortable columns, an Export CSV link to the same path with ``.csv``; every role that
may read the books (the API's readers: all of them, the auditor included) sees them. Screenshots are saved."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from playwright.sync_api import expect

from creditmemo.domain.inputs import FreeLineInput, InvoiceLineInput
from creditmemo.domain.settlement import AllocationInput
from creditmemo.services.actors import system_actor
from creditmemo.services.customers import create_customer
from creditmemo.services.invoices import issue_invoice
from creditmemo.services.memos.create import create_standalone_credit_memo
from creditmemo.services.memos.post import post_memo
from creditmemo.services.settlement.applications import apply_credit
from creditmemo.services.settlement.payments import record_payment
from tests.web.conftest import Site, shot, sign_in, today_of


def books(site: Site, name: str) -> dict[str, Any]:
    """A customer with an invoice of 300.00 issued 70 days ago (due in 30), a credit memo of 50.00 and a payment
    of 100.00 applied to it today: 150.00 due today, 300.00 as of 20 days ago."""
    today = today_of(site)
    actor = system_actor(site.company_id, "test seeder")
    with site.db.uow() as uow:
        customer = create_customer(uow, actor, name=name, currency="USD", payment_terms_days=30)
        invoice = issue_invoice(
            uow,
            actor,
            customer_id=customer.id,
            currency="USD",
            issue_date=today - timedelta(days=70),
            lines=[InvoiceLineInput("Platform", "1", "300.00")],
        )
        draft = create_standalone_credit_memo(
            uow,
            actor,
            customer_id=customer.id,
            currency="USD",
            reason_code="goodwill",
            issue_date=today,
            lines=[FreeLineInput("Goodwill", "1", "50.00")],
        )
        memo = post_memo(uow, actor, draft.id)
        apply_credit(
            uow,
            actor,
            source_type="credit_memo",
            source_id=memo.id,
            allocations=[AllocationInput("invoice", invoice.id, "50.00")],
            on=today,
        )
        payment = record_payment(
            uow, actor, customer_id=customer.id, amount="100.00", currency="USD", received_on=today, method="wire"
        )
        apply_credit(
            uow,
            actor,
            source_type="payment",
            source_id=payment.id,
            allocations=[AllocationInput("invoice", invoice.id, "100.00")],
            on=today,
        )
    return {"customer": customer, "invoice": invoice, "memo": memo, "today": today}


def iso(day: date) -> str:
    return day.isoformat()


@pytest.mark.journey
def test_the_aging_as_of_a_date_and_a_bucket_s_documents(site: Site, new_page: Any) -> None:
    b = books(site, "Aging Pages Ltd")
    customer, today = b["customer"], b["today"]
    page = new_page()
    sign_in(page, site.users["controller"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.wait_for_url("**/reports")
    shot(page, "reports-index")
    page.get_by_role("link", name="AR aging").click()
    page.wait_for_url("**/reports/ar-aging")
    row = page.locator(f"tr[data-customer='{customer.id}']")
    expect(row.locator("[data-label='Total due']")).to_have_text("150.00 USD")
    expect(row.locator("[data-bucket='days_31_60']")).to_have_text("150.00 USD")  # due 40 days ago
    expect(row.locator("[data-label='Net']")).to_have_text("150.00 USD")
    assert row.locator("[data-label='Net']").evaluate("el => getComputedStyle(el).textAlign") == "right"
    expect(page.locator("tfoot tr.total[data-currency='USD']")).to_be_visible()

    # as of 20 days ago: the memo and the payment of today did not count yet
    then = today - timedelta(days=20)
    page.get_by_label("As of", exact=True).fill(iso(then))
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/reports/ar-aging?as_of={iso(then)}")
    row = page.locator(f"tr[data-customer='{customer.id}']")
    expect(row.locator("[data-bucket='days_1_30']")).to_have_text("300.00 USD")  # 20 days past due then
    expect(row.locator("[data-label='Net']")).to_have_text("300.00 USD")
    expect(page.get_by_test_id("export-csv")).to_have_attribute("href", f"/reports/ar-aging.csv?as_of={iso(then)}")

    row.locator("[data-bucket='days_1_30'] a").click()
    documents = page.get_by_test_id("aging-documents")
    expect(documents).to_be_visible()
    expect(page.locator("#h-documents")).to_contain_text("Aging Pages Ltd")
    expect(documents.locator("tbody tr")).to_have_count(1)
    expect(documents.locator("tbody tr")).to_contain_text(b["invoice"].number)
    expect(documents.locator("tbody tr [data-label='Amount due']")).to_have_text("300.00 USD")
    shot(page, "reports-aging-bucket")
    url = page.url
    assert "customer_id=" in url
    assert "bucket=days_1_30" in url
    expect(page.get_by_test_id("export-csv")).to_have_attribute(
        "href", "/reports/ar-aging.csv?" + url.split("?", 1)[1].split("#", 1)[0]
    )
    # the export is what the page shows: the bucket's documents, with what each owed on that date
    assert [(r["number"], r["bucket"], r["amount_due"]) for r in _download(page)] == [
        (b["invoice"].number, "days_1_30", "300.00")
    ]

    # a customer's documents sort too: by what each owes on the date, both ways
    page.goto(f"/reports/ar-aging?as_of={iso(today)}&customer_id={site.customer_id}")
    documents = page.get_by_test_id("aging-documents")
    expect(documents.locator("th[aria-sort='ascending']")).to_contain_text("Due")  # by due date first
    page.get_by_role("link", name=f"Due on {iso(today)}", exact=True).click()
    expect(documents.locator("th[aria-sort='ascending']")).to_contain_text(f"Due on {iso(today)}")
    owed = [_amount(t) for t in documents.locator("tbody td[data-label='Amount due']").all_inner_texts()]
    assert len(owed) >= 2
    assert owed == sorted(owed)
    page.get_by_role("link", name=f"Due on {iso(today)} ▲").click()
    expect(documents.locator("th[aria-sort='descending']")).to_contain_text(f"Due on {iso(today)}")
    owed = [_amount(t) for t in documents.locator("tbody td[data-label='Amount due']").all_inner_texts()]
    assert owed == sorted(owed, reverse=True)

    # sorting by a column, on the server, both ways
    page.goto(f"/reports/ar-aging?as_of={iso(today)}")
    page.get_by_role("link", name="Net", exact=True).click()
    page.wait_for_url("**sort=net**")
    expect(page.locator("th[aria-sort='ascending']")).to_contain_text("Net")
    nets = [_amount(t) for t in page.locator("tbody tr td[data-label='Net']").all_inner_texts()]
    assert nets == sorted(nets)
    page.get_by_role("link", name="Net ▲").click()
    expect(page.locator("th[aria-sort='descending']")).to_contain_text("Net")
    nets = [_amount(t) for t in page.locator("tbody tr td[data-label='Net']").all_inner_texts()]
    assert nets == sorted(nets, reverse=True)
    shot(page, "reports-aging")


def _download(page: Any) -> list[dict[str, str]]:
    """The rows of the CSV the page's Export CSV link downloads."""
    with page.expect_download() as info:
        page.get_by_test_id("export-csv").click()
    return list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))


def _pdf_text(body: bytes) -> str:
    document = pdfium.PdfDocument(body)
    try:
        return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


def _amount(text: str) -> float:
    return float(text.replace("USD", "").replace(",", "").strip())


def _by_currency(texts: list[str]) -> dict[str, list[Decimal]]:
    """Amounts shown as "1,000.00 EUR", in page order, per currency (the shared site holds other tests' memos, in
    other currencies; an order is checked within one currency)."""
    out: dict[str, list[Decimal]] = {}
    for text in texts:
        amount, _, currency = text.strip().rpartition(" ")
        out.setdefault(currency, []).append(Decimal(amount.replace(",", "")))
    return out


@pytest.mark.journey
def test_the_credit_memo_register_filters_and_totals(site: Site, new_page: Any) -> None:
    b = books(site, "Register Pages Ltd")
    customer, memo, today = b["customer"], b["memo"], b["today"]
    page = new_page()
    sign_in(page, site.users["controller"])
    page.goto("/reports/credit-memo-register")
    expect(page.get_by_label("From", exact=True)).to_have_value(iso(today.replace(day=1)))
    page.get_by_label("Customer", exact=True).select_option(customer.id)
    page.get_by_label("Reason", exact=True).select_option("goodwill")
    page.get_by_label("Status", exact=True).select_option("posted")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**customer_id=**")
    table = page.get_by_test_id("register")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr")).to_contain_text(memo.number)
    expect(table.locator("tbody [data-label='Total']")).to_have_text("50.00 USD")
    expect(table.locator("tbody [data-label='Applied']")).to_have_text("50.00 USD")
    expect(table.locator("tfoot tr.total")).to_contain_text("Total USD (1 memos)")
    by_reason = page.get_by_test_id("register-by-reason")
    expect(by_reason.locator("tbody tr")).to_have_count(1)
    expect(by_reason.locator("tbody tr")).to_contain_text("50.00 USD")
    by_month = page.get_by_test_id("register-by-month")
    expect(by_month.locator("tbody tr")).to_contain_text(today.strftime("%Y-%m"))
    query = page.url.split("?", 1)[1]
    expect(page.get_by_test_id("export-csv")).to_have_attribute("href", f"/reports/credit-memo-register.csv?{query}")
    shot(page, "reports-register")
    assert [(r["number"], r["reason_code"], r["total"]) for r in _download(page)] == [
        (memo.number, "goodwill", "50.00")
    ]

    # the register as of a day before the memo: nothing
    page.get_by_label("To", exact=True).fill(iso(today - timedelta(days=1)))
    page.get_by_label("From", exact=True).fill(iso(today - timedelta(days=40)))
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("register").locator("tbody")).to_contain_text("No credit memos match.")

    # this month's register sorted by total, on the server, both ways
    page.goto("/reports/credit-memo-register")
    page.get_by_role("link", name="Total", exact=True).click()
    expect(page.locator("th[aria-sort='ascending']")).to_contain_text("Total")
    shown = _by_currency(page.locator("tbody tr td[data-label='Total']").all_inner_texts())
    assert shown
    assert all(totals == sorted(totals) for totals in shown.values()), shown
    page.get_by_role("link", name="Total ▲").click()
    expect(page.locator("th[aria-sort='descending']")).to_contain_text("Total")
    shown = _by_currency(page.locator("tbody tr td[data-label='Total']").all_inner_texts())
    assert shown
    assert all(totals == sorted(totals, reverse=True) for totals in shown.values()), shown


@pytest.mark.journey
def test_the_customer_statement_with_print_and_pdf(site: Site, new_page: Any) -> None:
    b = books(site, "Statement Pages Ltd")
    customer, today = b["customer"], b["today"]
    page = new_page()
    sign_in(page, site.users["controller"])
    start = today - timedelta(days=80)
    page.goto(f"/customers/{customer.id}/statement?start={iso(start)}&end={iso(today)}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Statement of Statement Pages Ltd")
    expect(page.get_by_test_id("opening")).to_have_text("0.00 USD")
    expect(page.get_by_test_id("closing")).to_have_text("150.00 USD")
    table = page.get_by_test_id("statement")
    expect(table.locator("tbody tr[data-kind='invoice']")).to_contain_text(b["invoice"].number)
    expect(table.locator("tbody tr[data-kind='application']")).to_have_count(2)
    expect(table.locator("tfoot")).to_contain_text("150.00 USD")
    expect(page.get_by_test_id("export-csv")).to_have_attribute(
        "href", f"/customers/{customer.id}/statement.csv?start={iso(start)}&end={iso(today)}"
    )
    shot(page, "reports-statement")
    assert _download(page)[-1]["balance"] == "150.00"

    # the period left out: the first of the month to today
    page.goto(f"/customers/{customer.id}/statement")
    expect(page.get_by_label("From", exact=True)).to_have_value(iso(today.replace(day=1)))
    expect(page.get_by_label("To", exact=True)).to_have_value(iso(today))

    page.goto(f"/customers/{customer.id}/statement?start={iso(start)}&end={iso(today)}")
    page.get_by_test_id("statement-print").click()
    page.wait_for_url("**/statement/print**")
    expect(page.get_by_role("heading", level=1)).to_have_text("STATEMENT")
    expect(page.get_by_test_id("closing")).to_have_text("150.00 USD")
    expect(page.get_by_test_id("customer")).to_contain_text("Statement Pages Ltd")
    shot(page, "reports-statement-print")
    first = page.locator("table.statement-lines tbody tr").nth(1).locator("td").first
    expect(first).to_have_text(b["invoice"].issue_date.isoformat())
    lines = "el => { const r = document.createRange(); r.selectNodeContents(el); return r.getClientRects().length; }"
    assert first.evaluate(lines) == 1  # the date on one line, not broken at its hyphens
    page.go_back()
    with page.expect_download() as info:
        page.get_by_test_id("statement-pdf").click()
    assert info.value.suggested_filename == f"statement-{iso(start)}-{iso(today)}.pdf"
    body = Path(info.value.path()).read_bytes()
    assert body.startswith(b"%PDF")
    text = " ".join(_pdf_text(body).split())  # the same lines as the print view
    assert "STATEMENT" in text
    assert b["invoice"].number in text
    assert "Statement Pages Ltd" in text
    assert "150.00" in text


@pytest.mark.journey
def test_the_trial_balance_and_the_reconciliation(site: Site, new_page: Any) -> None:
    books(site, "Ledger Pages Ltd")
    today = today_of(site)
    page = new_page()
    sign_in(page, site.users["controller"])
    page.goto("/reports/trial-balance")
    expect(page.get_by_label("As of", exact=True)).to_have_value(iso(today))
    table = page.get_by_test_id("trial-balance")
    expect(table.locator("tr[data-account='1200']")).to_contain_text("Accounts receivable")
    expect(page.get_by_test_id("balanced")).to_have_text("balanced")
    debit, credit = (
        table.locator("tfoot [data-label='Debit']").inner_text(),
        table.locator("tfoot [data-label='Credit']").inner_text(),
    )
    assert debit == credit
    expect(page.get_by_test_id("export-csv")).to_have_attribute("href", "/reports/trial-balance.csv")
    page.get_by_role("link", name="Balance", exact=True).click()
    expect(page.locator("th[aria-sort='ascending']")).to_contain_text("Balance")
    shot(page, "reports-trial-balance")

    page.goto("/reports/reconciliation")
    checks = page.get_by_test_id("checks").locator("> li")
    expect(checks).to_have_count(7)
    expect(checks.first).to_contain_text("journal entries balance")
    for i in range(7):
        check = checks.nth(i)
        ok = check.get_attribute("data-ok") == "true"
        expect(check.locator(".badge")).to_have_text("holds" if ok else "fails")
        expect(check.locator(".badge")).to_have_class("badge ok" if ok else "badge bad")
    shot(page, "reports-reconciliation")


def test_every_role_that_reads_the_books_sees_the_reports(site: Site, new_page: Any) -> None:
    b = books(site, "Reader Pages Ltd")
    customer = b["customer"]
    for role in ("auditor", "clerk"):
        page = new_page()
        sign_in(page, site.users[role])
        for path, heading in (
            ("/reports", "Reports"),
            ("/reports/ar-aging", "AR aging"),
            ("/reports/credit-memo-register", "Credit memo register"),
            ("/reports/trial-balance", "Trial balance"),
            ("/reports/reconciliation", "Reconciliation"),
            (f"/customers/{customer.id}/statement", "Statement of Reader Pages Ltd"),
        ):
            response = page.goto(path)
            assert response is not None
            assert response.status == 200, (role, path)
            expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        pdf = page.request.get(f"/customers/{customer.id}/statement/pdf")
        assert pdf.status == 200
        if role == "auditor":
            shot(page, "reports-statement-auditor")
        page.context.close()

    # another company's customer is not found
    page = new_page()
    sign_in(page, site.users["other"])
    response = page.goto(f"/customers/{customer.id}/statement")
    assert response is not None
    assert response.status == 404
