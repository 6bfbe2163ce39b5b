"""The document a customer receives (issue 18 items 4 and 5), looked at as a customer would: the PDF is read back
with PDFium (pypdfium2: each character with its position on the page) and rendered to PNG, and the assertions
are about those pages — every character within the page box and the amounts within the right margin, the header
row on every page, no line split across pages, the void date whole, the watermark drawn (or not), both parties'
legal details, the reference invoice with its date, the settlement sentence, and no "Status: posted".
The pages are kept as PNG files in test-artifacts/documents/ (git-ignored) to look at. Both engines."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from creditmemo.ids import new_id
from creditmemo.services.demo import demo_access, load_demo
from creditmemo.store.uow import Database
from tests.api.conftest import Tenant, assert_problem

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "documents"
MM = 72 / 25.4  # PDF units (points) per millimetre
RIGHT_MARGIN = 16 * MM  # static/document.css: @page margin 18mm 16mm 20mm 16mm
LEFT_MARGIN = 16 * MM
TOLERANCE = 0.5  # points: glyph boxes are tight, rounding is not


@dataclass
class Char:
    text: str
    left: float
    bottom: float
    right: float
    top: float


@dataclass
class Page:
    width: float
    height: float
    chars: list[Char]  # every visible character with its box
    text: str  # the page's text as PDFium reads it, spaces and line breaks included

    def joined(self) -> str:
        """The page's text without line breaks, spaces or hyphens: a word wrapped over lines reads whole."""
        return re.sub(r"[\s\-\u00ad\u2010\x02]", "", self.text)


def read_pdf(pdf: bytes) -> list[Page]:
    doc = pdfium.PdfDocument(pdf)
    pages = []
    try:
        for i in range(len(doc)):
            page = doc[i]
            width, height = page.get_size()
            textpage = page.get_textpage()
            chars = []
            for index in range(textpage.count_chars()):
                ch = textpage.get_text_range(index, 1)
                if not ch or ch.isspace() or ch == "\x02":
                    continue  # line ends PDFium generates have no box
                chars.append(Char(ch, *textpage.get_charbox(index)))
            pages.append(Page(width, height, chars, textpage.get_text_range()))
    finally:
        doc.close()
    return pages


def render_png(pdf: bytes, name: str, scale: float = 1.0) -> list[Path]:
    """Every page as a PNG in test-artifacts/documents/ (scale 1: one pixel per point)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-p*.png"):
        old.unlink()
    doc = pdfium.PdfDocument(pdf)
    paths = []
    try:
        for i in range(len(doc)):
            path = ARTIFACTS / f"{name}-p{i + 1}.png"
            doc[i].render(scale=scale).to_pil().save(path)
            paths.append(path)
    finally:
        doc.close()
    return paths


def reddish(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """Pixels in ``box`` tinted red (the watermark's colour: rgba(200, 30, 30, 0.15) over white or grey)."""
    data = image.convert("RGB").crop(box).tobytes()
    return sum(1 for i in range(0, len(data), 3) if data[i] - data[i + 1] > 12 and data[i] - data[i + 2] > 12)


def inked(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """Pixels in ``box`` that are not near white."""
    return sum(image.convert("L").crop(box).histogram()[:200])


def word(n: int, length: int = 300) -> str:
    """An unbroken word of ``length`` letters, different for each line: a marker then letters."""
    marker = f"W{n:02d}Q"
    letters = "".join("abcdefghijklmnopqrstuvwxyz"[(i * 7 + n) % 26] for i in range(length - len(marker)))
    return marker + letters


def long_invoice(tenant: Tenant, customer_id: str) -> dict[str, Any]:
    """60 lines, each with a 300-letter word, one with a seven-figure unit price (no approval tiers, so the
    controller posts it)."""
    policy: dict[str, Any] = {"tiers": [], "role_limits": {}}
    tenant.ok(tenant.client.put("/v1/settings/approval-policy", json=policy, headers=tenant.h("admin")))
    lines = []
    for n in range(1, 61):
        price = "1234567.89" if n == 7 else f"{n * 13}.25"
        lines.append(
            {
                "description": f"Item {n}: {word(n)} and some ordinary words after it",
                "quantity": "3" if n % 2 else "12",
                "unit_price": price,
                "tax_rate": "8.25" if n % 3 else "0",
            }
        )
    body = {"customer_id": customer_id, "currency": "USD", "issue_date": "2026-03-02", "lines": lines}
    return tenant.ok(tenant.post("/v1/invoices", body), 201)


LEGAL_CUSTOMER = {
    "legal_name": "Globex Industrie GmbH",
    "address_line1": "Friedrichstraße 123",
    "address_line2": "Aufgang B, 4. OG",
    "postal_code": "10117",
    "city": "Berlin",
    "country": "de",
    "tax_id": "DE123456789",
}
LEGAL_COMPANY = {
    "legal_name": "Acme Billing Services LLC",
    "address_line1": "500 Market Street, Suite 1200",
    "postal_code": "94105",
    "city": "San Francisco",
    "country": "US",
    "tax_id": "EIN 12-3456789",
}


def set_company_legal(tenant: Tenant) -> None:
    tenant.ok(tenant.client.put("/v1/settings/legal-details", json=LEGAL_COMPANY, headers=tenant.h("admin")))


def assert_within_page(pages: list[Page], *, margins: bool) -> None:
    """Every character inside the page box; with ``margins``, inside the left and right margins as well."""
    for number, page in enumerate(pages, 1):
        left = LEFT_MARGIN if margins else 0.0
        right = page.width - (RIGHT_MARGIN if margins else 0.0)
        outside = [
            c
            for c in page.chars
            if c.left < left - TOLERANCE
            or c.right > right + TOLERANCE
            or c.bottom < -TOLERANCE
            or c.top > page.height + TOLERANCE
        ]
        assert not outside, f"page {number}: {len(outside)} characters outside, e.g. {outside[:5]}"


class TestLayout:
    """Issue 18 item 4: a 60-line memo with 300-character words."""

    def test_a_long_memo_stays_on_its_pages_and_repeats_its_header(self, tenant: Tenant) -> None:
        set_company_legal(tenant)
        customer = tenant.ok(tenant.post("/v1/customers", {"name": "Globex", "currency": "USD", **LEGAL_CUSTOMER}), 201)
        inv = long_invoice(tenant, customer["id"])
        memo = tenant.memo_from(inv, auto_apply=False, memo="Credit for the whole order. " + word(99, 400))
        assert len(memo["lines"]) == 60
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))

        pdf = tenant.get(f"/v1/credit-memos/{memo['id']}/document?format=pdf").content
        pages = read_pdf(pdf)
        pngs = render_png(pdf, "long-memo-posted")
        assert len(pages) >= 3, "60 lines of long words take several pages"
        assert len(pngs) == len(pages)
        # Posted: no watermark, so every character is body text, headers or footers, all within the margins.
        assert_within_page(pages, margins=True)
        for number, page in enumerate(pages, 1):
            assert "Description" in page.text, f"page {number} repeats the header row"
            assert "Unit" in page.text
            assert "Total" in page.text
            assert f"Page {number} of {len(pages)}" in page.text
        # Each line's 300-letter word is whole on one page: wrapped inside its cell, never split across pages.
        joined = [p.joined() for p in pages]
        for n in range(1, 61):
            assert sum(word(n) in text for text in joined) == 1, f"line {n}"
        # The big amount is whole, on one line, in its column.
        assert any("1,234,567.89" in p.text and "3,703,703.67" in p.text for p in pages)
        # Rendered: nothing is drawn in the right margin of any page (a column pushed off would be).
        for path, page in zip(pngs, pages, strict=True):
            image = Image.open(path)
            margin = (int(page.width - RIGHT_MARGIN) + 2, 0, image.width, image.height)
            assert inked(image, margin) == 0, f"{path.name}: ink in the right margin"
            assert reddish(image, (0, 0, image.width, image.height)) == 0, "a posted memo has no watermark"

    def test_a_void_memo_shows_its_whole_void_date_under_its_watermark(self, tenant: Tenant) -> None:
        inv = long_invoice(tenant, tenant.customer()["id"])
        memo = tenant.memo_from(inv, auto_apply=False, reference="R" * 200)  # a long reference in the details
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))
        voided = tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/void", {"reason": "Raised in error"}))
        void_date = voided["void_date"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", void_date)

        pdf = tenant.get(f"/v1/credit-memos/{memo['id']}/document?format=pdf").content
        pages = read_pdf(pdf)
        pngs = render_png(pdf, "long-memo-void")
        assert len(pages) >= 3
        assert_within_page(pages, margins=False)  # the watermark too
        first = pages[0]
        assert void_date in first.text, "the void date is whole"
        assert f"Voidedon{void_date}" in re.sub(r"\s", "", first.text)
        assert inv["number"] in first.text
        assert "2026-03-02" in first.text
        for path in pngs:
            image = Image.open(path)
            middle = (0, image.height // 4, image.width, image.height * 3 // 4)
            assert reddish(image, middle) > 2000, f"{path.name}: the VOID watermark is drawn"


class TestContent:
    """Issue 18 item 5: both parties' legal details, the reference invoice, the settlement; no status line."""

    def test_the_worked_example_applied_and_available(self, tenant: Tenant) -> None:
        set_company_legal(tenant)
        customer = tenant.ok(tenant.post("/v1/customers", {"name": "Globex", "currency": "USD", **LEGAL_CUSTOMER}), 201)
        for _ in range(3):
            tenant.invoice(customer["id"])
        inv = tenant.ok(
            tenant.post(
                "/v1/invoices",
                {
                    "customer_id": customer["id"],
                    "currency": "USD",
                    "issue_date": "2026-03-02",
                    "lines": [
                        {"description": "Annual plan", "quantity": "1", "unit_price": "500.00", "tax_rate": "8.25"}
                    ],
                },
            ),
            201,
        )
        assert inv["number"] == "INV-000004"
        assert inv["total"] == "541.25"
        memo = tenant.memo_from(inv, auto_apply=False, issue_date="2026-03-10")
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))
        tenant.ok(
            tenant.post(
                f"/v1/credit-memos/{memo['id']}/applications",
                {"allocations": [{"invoice_id": inv["id"], "amount": "500.00"}], "applied_on": "2026-03-12"},
            ),
            201,
        )

        r = tenant.get(f"/v1/credit-memos/{memo['id']}/document")
        html = r.text
        assert "Applied 500.00 to INV-000004 on 2026-03-12; 41.25 available" in html
        # Opened in a browser, its inline style applies: the policy allows exactly that style, by its hash.
        style = re.search(r"<style>(.*?)</style>", html, flags=re.DOTALL)
        assert style is not None
        digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
        assert f"'sha256-{digest}'" in r.headers["content-security-policy"]
        assert "Status:" not in html
        assert ">posted<" not in html.lower()
        assert "INV-000004 of 2026-03-02" in html
        for text in (
            "Acme Billing Services LLC",
            "500 Market Street, Suite 1200",
            "94105 San Francisco",
            "United States",
        ):
            assert text in html
        for text in ("Globex Industrie GmbH", "Friedrichstraße 123", "10117 Berlin", "Germany", "DE123456789"):
            assert text in html

        pdf = tenant.get(f"/v1/credit-memos/{memo['id']}/document?format=pdf").content
        pages = read_pdf(pdf)
        pngs = render_png(pdf, "worked-example")
        assert len(pages) == len(pngs) == 1
        text = re.sub(r"\s+", " ", pages[0].text)
        assert "Applied 500.00 to INV-000004 on 2026-03-12; 41.25 available" in text
        assert "Tax ID: EIN 12-3456789" in text
        assert "Tax ID: DE123456789" in text
        assert "Status" not in text
        assert_within_page(pages, margins=True)
        image = Image.open(pngs[0])
        assert reddish(image, (0, 0, image.width, image.height)) == 0
        # The page is not blank above the fold: the letterhead and the lines are drawn.
        assert inked(image, (0, 0, image.width, image.height // 3)) > 1000

    def test_a_draft_is_watermarked_and_shows_no_settlement(self, tenant: Tenant) -> None:
        memo = tenant.memo_from(tenant.invoice())
        pdf = tenant.get(f"/v1/credit-memos/{memo['id']}/document?format=pdf").content
        pages = read_pdf(pdf)
        pngs = render_png(pdf, "draft")
        assert len(pages) == len(pngs) == 1
        assert "DRAFT" in pages[0].text
        assert "available" not in pages[0].text
        assert "Status" not in pages[0].text
        image = Image.open(pngs[0])
        middle = (0, image.height // 4, image.width, image.height * 3 // 4)
        assert reddish(image, middle) > 2000, "the DRAFT watermark is drawn"
        assert_within_page(pages, margins=False)

    def test_a_debit_memo_says_what_was_paid_and_what_is_due(self, tenant: Tenant) -> None:
        cid = tenant.customer()["id"]
        dm = tenant.ok(
            tenant.post(
                "/v1/debit-memos",
                {
                    "customer_id": cid,
                    "currency": "USD",
                    "reason_code": "other",
                    "issue_date": "2026-03-02",  # before the payment applied to it (a date rule of issue 17)
                    "lines": [{"description": "Late fee", "quantity": "1", "unit_price": "100.00"}],
                },
            ),
            201,
        )
        tenant.ok(tenant.post(f"/v1/debit-memos/{dm['id']}/post"))
        pay = tenant.ok(
            tenant.post(
                "/v1/payments",
                {
                    "customer_id": cid,
                    "amount": "60.00",
                    "currency": "USD",
                    "received_on": "2026-03-05",
                    "method": "wire",
                },
            ),
            201,
        )
        tenant.ok(
            tenant.post(
                f"/v1/payments/{pay['id']}/applications",
                {"allocations": [{"debit_memo_id": dm["id"], "amount": "60.00"}], "applied_on": "2026-03-06"},
            ),
            201,
        )
        html = tenant.get(f"/v1/debit-memos/{dm['id']}/document").text
        assert f"Paid 60.00 by {pay['number']} on 2026-03-06; 40.00 due" in html
        assert "Payment: part paid" in html


class TestLegalDetailsApi:
    def test_customer_legal_details_are_created_patched_cleared_and_audited(self, tenant: Tenant) -> None:
        body = {"name": "Globex", "currency": "USD", **LEGAL_CUSTOMER}
        created = tenant.ok(tenant.post("/v1/customers", body), 201)
        assert created["country"] == "DE"
        assert created["legal_name"] == "Globex Industrie GmbH"
        patched = tenant.ok(tenant.patch(f"/v1/customers/{created['id']}", {"tax_id": "DE999", "address_line2": None}))
        assert (patched["tax_id"], patched["address_line2"], patched["city"]) == ("DE999", None, "Berlin")
        assert tenant.ok(tenant.get(f"/v1/customers/{created['id']}"))["tax_id"] == "DE999"
        events = tenant.ok(tenant.get(f"/v1/audit-events?entity_id={created['id']}"))["data"]
        changes = [e["changes"] for e in events if e["action"] == "customer.updated"]
        assert changes == [{"address_line2": ["Aufgang B, 4. OG", None], "tax_id": ["DE123456789", "DE999"]}]
        assert_problem(
            tenant.patch(f"/v1/customers/{created['id']}", {"tax_id": "x"}, role="auditor"), 403, "forbidden"
        )

    @pytest.mark.parametrize(
        ("field", "value"),
        [("country", "XK"), ("country", "Germany"), ("country", "D1"), ("postal_code", "1" * 21), ("tax_id", "T" * 51)],
    )
    def test_invalid_legal_details_name_their_field(self, tenant: Tenant, field: str, value: str) -> None:
        cid = tenant.customer()["id"]
        body = assert_problem(tenant.patch(f"/v1/customers/{cid}", {field: value}), 422, "validation_error")
        assert body["field"].endswith(field), body
        body = assert_problem(
            tenant.post("/v1/customers", {"name": "X", "currency": "USD", field: value}), 422, "validation_error"
        )
        assert body["field"].endswith(field), body
        assert_problem(
            tenant.client.put("/v1/settings/legal-details", json={field: value}, headers=tenant.h("admin")),
            422,
            "validation_error",
        )

    def test_company_legal_details_admin_only_audited_and_scoped(self, tenant: Tenant, other: Tenant) -> None:
        assert tenant.ok(tenant.get("/v1/settings/legal-details"))["legal_name"] is None
        assert_problem(
            tenant.client.put("/v1/settings/legal-details", json=LEGAL_COMPANY, headers=tenant.h("controller")),
            403,
            "forbidden",
        )
        set_company_legal(tenant)
        got = tenant.ok(tenant.get("/v1/settings/legal-details", role="auditor"))
        assert got == {**{k: None for k in LEGAL_CUSTOMER}, **LEGAL_COMPANY}
        assert other.ok(other.get("/v1/settings/legal-details"))["legal_name"] is None
        events = tenant.ok(tenant.get(f"/v1/audit-events?entity_id={tenant.company_id}", role="auditor"))["data"]
        legal = [e for e in events if e["action"] == "company.settings_updated" and "tax_id" in e["changes"]]
        assert legal
        assert legal[0]["changes"]["tax_id"] == [None, "EIN 12-3456789"]
        # PUT replaces: a field left out is cleared.
        tenant.ok(
            tenant.client.put("/v1/settings/legal-details", json={"legal_name": "Acme"}, headers=tenant.h("admin"))
        )
        assert tenant.ok(tenant.get("/v1/settings/legal-details"))["city"] is None


def test_the_demo_documents_carry_both_parties_legal_details(db: Database, client: TestClient) -> None:
    """The demo company and its customers have legal details, so the demo's documents look real."""
    slug = new_id("d").lower().replace("_", "-")[:30]
    load_demo(db, slug=slug)
    controller = next(a for a in demo_access(db, slug=slug) if a.role == "controller")
    headers = {"Authorization": f"Bearer {controller.api_key}"}
    memos = client.get("/v1/credit-memos?status=posted&limit=100", headers=headers).json()["data"]
    assert memos
    customers = {c["id"]: c for c in client.get("/v1/customers?limit=100", headers=headers).json()["data"]}
    assert all(c["legal_name"] and c["country"] and c["tax_id"] for c in customers.values())
    memo = memos[0]
    pdf = client.get(f"/v1/credit-memos/{memo['id']}/document?format=pdf", headers=headers).content
    pages = read_pdf(pdf)
    render_png(pdf, "demo-posted")
    text = re.sub(r"\s+", " ", " ".join(p.text for p in pages))
    assert "Demo Trading Company, Inc." in text
    assert "Tax ID: EIN 94-1234567" in text
    assert customers[memo["customer_id"]]["legal_name"] in text
    assert_within_page(pages, margins=True)
