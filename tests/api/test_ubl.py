"""Issue 13 item 4: e-invoice documents. A posted credit memo is a UBL 2.1 CreditNote and a posted debit memo a
UBL 2.1 Invoice of type 383. No UBL schema package is installed, so the checks are EN 16931's: the required
business terms of a credit note are present (ID, issue date, type code, currency, the preceding invoice, seller
and buyer with name and country, the VAT breakdown per rate, the document totals, lines with quantity, net,
item name, tax category and price), and the totals add up the way the norm's rules (BR-CO-10, -13, -15) say.
Both engines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from xml.etree import ElementTree as ET

from tests.api.conftest import Tenant, assert_problem
from tests.api.test_document import LEGAL_COMPANY, LEGAL_CUSTOMER, set_company_legal

CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
CAC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"
CREDIT_NOTE = "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
INVOICE = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"


def _text(el: ET.Element, path: str) -> str:
    found = el.find(path)
    assert found is not None, f"missing {path}"
    assert found.text, f"empty {path}"
    return found.text


def _dec(el: ET.Element, path: str) -> Decimal:
    return Decimal(_text(el, path))


def _posted_credit(tenant: Tenant) -> tuple[dict[str, Any], dict[str, Any]]:
    set_company_legal(tenant)
    customer = tenant.ok(tenant.post("/v1/customers", {"name": "Globex", "currency": "USD", **LEGAL_CUSTOMER}), 201)
    invoice = tenant.invoice(
        customer["id"],
        lines=[
            {"description": "Subscription", "quantity": "1", "unit_price": "1000.00", "tax_rate": "19"},
            {"description": "Hours", "quantity": "4", "unit_price": "50.00", "tax_rate": "7"},
            {"description": "Export service", "quantity": "2", "unit_price": "25.00"},
        ],
    )
    memo = tenant.memo_from(invoice, memo="Credit for the March outage.")
    return invoice, tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))


def test_a_posted_credit_memo_is_an_en16931_credit_note(tenant: Tenant) -> None:
    invoice, memo = _posted_credit(tenant)
    response = tenant.get(f"/v1/credit-memos/{memo['id']}/document", params={"format": "ubl"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)  # well-formed, or this raises
    assert root.tag == CREDIT_NOTE
    assert _text(root, f"{CBC}CustomizationID").startswith("urn:cen.eu:en16931:2017")
    assert _text(root, f"{CBC}ID") == memo["number"]  # BT-1
    assert _text(root, f"{CBC}IssueDate") == memo["issue_date"]  # BT-2
    assert _text(root, f"{CBC}CreditNoteTypeCode") == "381"  # BT-3
    assert _text(root, f"{CBC}DocumentCurrencyCode") == "USD"  # BT-5
    ref = f"{CAC}BillingReference/{CAC}InvoiceDocumentReference"
    assert _text(root, f"{ref}/{CBC}ID") == invoice["number"]  # BT-25
    assert _text(root, f"{ref}/{CBC}IssueDate") == invoice["issue_date"]  # BT-26
    seller = f"{CAC}AccountingSupplierParty/{CAC}Party"
    buyer = f"{CAC}AccountingCustomerParty/{CAC}Party"
    assert _text(root, f"{seller}/{CAC}PartyLegalEntity/{CBC}RegistrationName") == LEGAL_COMPANY["legal_name"]
    assert _text(root, f"{seller}/{CAC}PostalAddress/{CAC}Country/{CBC}IdentificationCode") == "US"
    assert _text(root, f"{seller}/{CAC}PartyTaxScheme/{CBC}CompanyID") == LEGAL_COMPANY["tax_id"]
    assert _text(root, f"{buyer}/{CAC}PartyLegalEntity/{CBC}RegistrationName") == LEGAL_CUSTOMER["legal_name"]
    assert _text(root, f"{buyer}/{CAC}PostalAddress/{CBC}CityName") == "Berlin"
    assert _text(root, f"{buyer}/{CAC}PostalAddress/{CAC}Country/{CBC}IdentificationCode") == "DE"

    totals = root.find(f"{CAC}LegalMonetaryTotal")
    assert totals is not None
    lines = root.findall(f"{CAC}CreditNoteLine")
    assert len(lines) == 3
    line_sum = sum((_dec(line, f"{CBC}LineExtensionAmount") for line in lines), Decimal(0))
    assert _dec(totals, f"{CBC}LineExtensionAmount") == line_sum == Decimal(memo["subtotal"])  # BR-CO-10
    tax_total = root.find(f"{CAC}TaxTotal")
    assert tax_total is not None
    tax = _dec(tax_total, f"{CBC}TaxAmount")
    assert tax == Decimal(memo["tax_total"])
    assert _dec(totals, f"{CBC}TaxInclusiveAmount") == _dec(totals, f"{CBC}TaxExclusiveAmount") + tax  # BR-CO-15
    assert _dec(totals, f"{CBC}PayableAmount") == Decimal(memo["total"])
    subtotals = tax_total.findall(f"{CAC}TaxSubtotal")  # one per rate: 0, 7 and 19 %
    rates = {_text(s, f"{CAC}TaxCategory/{CBC}Percent"): s for s in subtotals}
    assert sorted(rates) == ["0", "19", "7"]
    assert _text(rates["0"], f"{CAC}TaxCategory/{CBC}ID") == "Z"
    assert _text(rates["19"], f"{CAC}TaxCategory/{CBC}ID") == "S"
    assert sum((_dec(s, f"{CBC}TaxAmount") for s in subtotals), Decimal(0)) == tax  # BR-CO-14
    assert _dec(rates["19"], f"{CBC}TaxableAmount") == Decimal("1000.00")
    assert _dec(rates["19"], f"{CBC}TaxAmount") == Decimal("190.00")
    first = lines[0]
    quantity = first.find(f"{CBC}CreditedQuantity")
    assert quantity is not None
    assert quantity.get("unitCode") == "C62"
    assert _text(first, f"{CAC}Item/{CBC}Name") == "Subscription"
    assert _text(first, f"{CAC}Item/{CAC}ClassifiedTaxCategory/{CBC}Percent") == "19"
    assert _dec(first, f"{CAC}Price/{CBC}PriceAmount") * Decimal(quantity.text or "0") == _dec(
        first, f"{CBC}LineExtensionAmount"
    )
    assert all(el.get("currencyID") == "USD" for el in root.iter() if el.tag.endswith("Amount"))


def test_a_posted_debit_memo_is_an_invoice_of_type_383(tenant: Tenant) -> None:
    cid = tenant.customer()["id"]
    dm = tenant.ok(
        tenant.post(
            "/v1/debit-memos",
            {
                "customer_id": cid,
                "currency": "USD",
                "reason_code": "other",
                "lines": [{"description": "Late fee", "quantity": "1", "unit_price": "40.00"}],
            },
        ),
        201,
    )
    tenant.ok(tenant.post(f"/v1/debit-memos/{dm['id']}/post"))
    response = tenant.get(f"/v1/debit-memos/{dm['id']}/document", params={"format": "ubl"})
    assert response.status_code == 200, response.text
    root = ET.fromstring(response.content)
    assert root.tag == INVOICE
    assert _text(root, f"{CBC}InvoiceTypeCode") == "383"
    assert len(root.findall(f"{CAC}InvoiceLine")) == 1
    assert root.find(f"{CAC}BillingReference") is None  # a standalone debit memo refers to no invoice
    # A customer without legal details: its account name stands in, the country is "ZZ" (unknown), never empty.
    buyer = f"{CAC}AccountingCustomerParty/{CAC}Party"
    assert _text(root, f"{buyer}/{CAC}PartyLegalEntity/{CBC}RegistrationName") == "Acme"


def test_a_draft_is_no_e_invoice_and_another_company_sees_nothing(tenant: Tenant, other: Tenant) -> None:
    invoice = tenant.invoice()
    draft = tenant.memo_from(invoice)
    refused = tenant.get(f"/v1/credit-memos/{draft['id']}/document", params={"format": "ubl"})
    body = assert_problem(refused, 409, "invalid_transition")
    assert "draft" in body["detail"]
    _, posted = _posted_credit(tenant)
    assert other.get(f"/v1/credit-memos/{posted['id']}/document", params={"format": "ubl"}).status_code == 404
    after = tenant.ok(tenant.get(f"/v1/credit-memos/{posted['id']}"))
    assert after["print_status"] == posted["print_status"]  # an export records nothing
