"""E-invoicing (issue 13 item 4): a posted credit memo as a UBL 2.1 `CreditNote` (type code 381) and a posted debit
memo as a UBL 2.1 `Invoice` of type code 383 (debit note), the shapes EN 16931 (the European e-invoicing norm) and
Peppol BIS Billing 3.0 read: billing reference to the invoice, both parties with legal name, address and tax ID,
lines, one tax subtotal per rate, totals and currency. Built with the standard library's ElementTree from the facts
the printed document shows (services/memos/document.py), so the two never disagree."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Final
from xml.etree import ElementTree as ET

from creditmemo.domain.documents import MemoKind
from creditmemo.domain.errors import InvalidTransitionError
from creditmemo.domain.lifecycle import Status, allowed_actions
from creditmemo.domain.money import MINOR_UNITS, Money
from creditmemo.services.memos.document import DocumentFacts, Party

NS: Final = {
    "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CUSTOMIZATION: Final = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE: Final = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
UNIT_CODE: Final = "C62"  # UN/ECE rec. 20 "one": a unit without a measure


def _cbc(parent: ET.Element, name: str, text: object, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{NS['cbc']}}}{name}", attrs)
    el.text = str(text)
    return el


def _cac(parent: ET.Element, name: str) -> ET.Element:
    return ET.SubElement(parent, f"{{{NS['cac']}}}{name}")


def _amount(parent: ET.Element, name: str, money: Money) -> None:
    places = MINOR_UNITS.get(money.currency, 2)
    _cbc(parent, name, f"{money.amount:.{places}f}", currencyID=money.currency)


def _party(parent: ET.Element, role: str, party: Party) -> None:
    p = _cac(_cac(parent, role), "Party")
    legal = party.legal
    name = _cac(p, "PartyName")
    _cbc(name, "Name", party.name)
    address = _cac(p, "PostalAddress")
    if legal.address_line1:
        _cbc(address, "StreetName", legal.address_line1)
    if legal.address_line2:
        _cbc(address, "AdditionalStreetName", legal.address_line2)
    if legal.city:
        _cbc(address, "CityName", legal.city)
    if legal.postal_code:
        _cbc(address, "PostalZone", legal.postal_code)
    _cbc(_cac(address, "Country"), "IdentificationCode", legal.country or "ZZ")
    if legal.tax_id:
        scheme = _cac(p, "PartyTaxScheme")
        _cbc(scheme, "CompanyID", legal.tax_id)
        _cbc(_cac(scheme, "TaxScheme"), "ID", "VAT")
    _cbc(_cac(p, "PartyLegalEntity"), "RegistrationName", party.legal_name)


def _category(rate: Decimal) -> str:
    return "S" if rate > 0 else "Z"  # standard rate, or zero-rated (UNCL5305)


def _tax_category(parent: ET.Element, name: str, rate: Decimal) -> None:
    cat = _cac(parent, name)
    _cbc(cat, "ID", _category(rate))
    _cbc(cat, "Percent", f"{rate.normalize():f}")
    _cbc(_cac(cat, "TaxScheme"), "ID", "VAT")


def ubl_document(facts: DocumentFacts) -> bytes:
    """The memo as UBL 2.1 XML (UTF-8, with declaration). Only a posted or void memo is a document a customer
    receives; anything else is refused, naming the status."""
    memo = facts.memo
    if memo.status not in (Status.POSTED, Status.VOID):
        raise InvalidTransitionError(
            memo.status, "export as UBL (only a posted or void memo)", allowed_actions(memo.status), f"{memo.kind} memo"
        )
    credit = memo.kind is MemoKind.CREDIT
    root_name = "CreditNote" if credit else "Invoice"
    ET.register_namespace("", NS[root_name])
    ET.register_namespace("cac", NS["cac"])
    ET.register_namespace("cbc", NS["cbc"])
    root = ET.Element(f"{{{NS[root_name]}}}{root_name}")
    _cbc(root, "CustomizationID", CUSTOMIZATION)
    _cbc(root, "ProfileID", PROFILE)
    _cbc(root, "ID", memo.number)
    _cbc(root, "IssueDate", memo.issue_date.isoformat())
    _cbc(root, "CreditNoteTypeCode" if credit else "InvoiceTypeCode", "381" if credit else "383")
    if memo.memo_text:
        _cbc(root, "Note", memo.memo_text)
    _cbc(root, "DocumentCurrencyCode", memo.currency)
    if memo.reference:
        _cbc(root, "BuyerReference", memo.reference)
    if facts.invoice is not None:
        ref = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
        _cbc(ref, "ID", facts.invoice.number)
        _cbc(ref, "IssueDate", facts.invoice.issue_date.isoformat())
    _party(root, "AccountingSupplierParty", facts.company)
    _party(root, "AccountingCustomerParty", facts.customer)
    by_rate: dict[Decimal, list[Money]] = defaultdict(lambda: [Money.zero(memo.currency), Money.zero(memo.currency)])
    for line in memo.lines:
        sums = by_rate[line.tax_rate]
        sums[0] += line.net
        sums[1] += line.tax
    tax_total = _cac(root, "TaxTotal")
    _amount(tax_total, "TaxAmount", memo.tax_total)
    for rate in sorted(by_rate):
        net, tax = by_rate[rate]
        sub = _cac(tax_total, "TaxSubtotal")
        _amount(sub, "TaxableAmount", net)
        _amount(sub, "TaxAmount", tax)
        _tax_category(sub, "TaxCategory", rate)
    totals = _cac(root, "LegalMonetaryTotal")
    _amount(totals, "LineExtensionAmount", memo.subtotal)
    _amount(totals, "TaxExclusiveAmount", memo.subtotal)
    _amount(totals, "TaxInclusiveAmount", memo.total)
    _amount(totals, "PayableAmount", memo.total)
    for line in memo.lines:
        el = _cac(root, "CreditNoteLine" if credit else "InvoiceLine")
        _cbc(el, "ID", line.line_no)
        quantity = line.quantity if line.quantity is not None else Decimal(1)
        _cbc(el, "CreditedQuantity" if credit else "InvoicedQuantity", f"{quantity.normalize():f}", unitCode=UNIT_CODE)
        _amount(el, "LineExtensionAmount", line.net)
        item = _cac(el, "Item")
        _cbc(item, "Name", line.description[:200] or f"Line {line.line_no}")
        _tax_category(item, "ClassifiedTaxCategory", line.tax_rate)
        price = line.unit_price if line.unit_price is not None and line.quantity is not None else line.net.amount
        _cbc(_cac(el, "Price"), "PriceAmount", f"{price.normalize():f}", currencyID=memo.currency)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
