"""Rows <-> domain values. Boring on purpose: money columns are minor units, ids are strings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Date, bindparam, case

from creditmemo.domain.chart import AccountRole
from creditmemo.domain.documents import (
    DEFAULT_BACKGROUND_LINE_LIMIT,
    Company,
    CreditBy,
    Customer,
    Invoice,
    InvoiceLine,
    Memo,
    MemoKind,
    MemoLine,
    MemoSource,
)
from creditmemo.domain.ledger import JournalEntry, JournalLine
from creditmemo.domain.legal import FIELDS as LEGAL_FIELDS
from creditmemo.domain.legal import LegalDetails
from creditmemo.domain.lifecycle import Status
from creditmemo.domain.money import Money
from creditmemo.domain.returns import ReturnAuthorization, ReturnLine, ReturnStatus
from creditmemo.domain.terms import CreditTerms, SettlementDiscount

Row = Mapping[Any, Any]  # a result row: SQLAlchemy keys RowMapping by name or column


def money(minor: int, currency: str) -> Money:
    return Money.from_minor(minor, currency)


def later_release(column: ColumnElement[Any], name: str = "b_released") -> ColumnElement[Any]:
    """A document's ``released_on`` after a release dated by the bound parameter ``name``: the later of the two
    (NULL: never released). Set in the update an unapplication or a refund reversal already makes of the document
    under its lock (migration 0027)."""
    on = bindparam(name, type_=Date())
    return case((column.is_(None), on), (column < on, on), else_=column)


def company_from_row(row: Row, accounts: Sequence[Row], reasons: Sequence[Row]) -> Company:
    settings = row["settings"] or {}
    return Company(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        functional_currency=row["functional_currency"],
        accounts={AccountRole(a["role"]): a["code"] for a in accounts if a["role"]},
        reason_accounts={r["code"]: r["account_code"] for r in reasons},
        background_line_limit=int(settings.get("background_line_limit", DEFAULT_BACKGROUND_LINE_LIMIT)),
    )


def customer_from_row(row: Row) -> Customer:
    cur = row["currency"]
    return Customer(
        id=row["id"],
        company_id=row["company_id"],
        name=row["name"],
        currency=cur,
        payment_terms_days=row["payment_terms_days"],
        balance=money(row["balance_minor"], cur),
        available_credit=money(row["available_credit_minor"], cur),
        email=row["email"],
        created_at=row["created_at"],
        auto_apply_credit=row["auto_apply_credit"],
        legal=legal_from_row(row),
        credit_terms=CreditTerms.stored(row["credit_terms"]),
    )


def legal_from_row(row: Row) -> LegalDetails:
    """The legal details columns of a company or customer row (migration 0017)."""
    return LegalDetails(**{name: row[name] for name in LEGAL_FIELDS})


def discount_from_row(row: Row, currency: str) -> SettlementDiscount | None:
    """The settlement discount columns of an invoice or a memo (NULL: none)."""
    if row["settlement_discount_minor"] is None or row["settlement_discount_date"] is None:
        return None
    return SettlementDiscount(
        money(row["settlement_discount_minor"], currency),
        int(row["settlement_discount_functional_minor"] or 0),
        row["settlement_discount_date"],
    )


def discount_to_row(discount: SettlementDiscount | None) -> dict[str, Any]:
    return {
        "settlement_discount_minor": None if discount is None else discount.amount.to_minor(),
        "settlement_discount_functional_minor": None if discount is None else discount.functional_minor,
        "settlement_discount_date": None if discount is None else discount.until,
    }


def invoice_line_from_row(row: Row, currency: str) -> InvoiceLine:
    return InvoiceLine(
        id=row["id"],
        line_no=row["line_no"],
        description=row["description"],
        quantity=row["quantity"],
        unit_price=row["unit_price"],
        discount=money(row["discount_minor"], currency),
        net=money(row["net_minor"], currency),
        tax_rate=row["tax_rate"],
        tax=money(row["tax_minor"], currency),
        revenue_account=row["revenue_account"],
        item=row["item"],
        unit_cost=row["unit_cost"],
        credited_quantity=row["credited_quantity"],
        credited_net=money(row["credited_net_minor"], currency),
        credited_tax=money(row["credited_tax_minor"], currency),
        service_start=row["service_start"],
        service_end=row["service_end"],
        deferred_revenue_account=row["deferred_revenue_account"],
    )


def invoice_line_to_row(line: InvoiceLine, invoice_id: str, company_id: str) -> dict[str, Any]:
    return {
        "id": line.id,
        "invoice_id": invoice_id,
        "company_id": company_id,
        "line_no": line.line_no,
        "description": line.description,
        "item": line.item,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "discount_minor": line.discount.to_minor(),
        "net_minor": line.net.to_minor(),
        "tax_rate": line.tax_rate,
        "tax_minor": line.tax.to_minor(),
        "revenue_account": line.revenue_account,
        "unit_cost": line.unit_cost,
        "credited_quantity": line.credited_quantity,
        "credited_net_minor": line.credited_net.to_minor() if line.credited_net else 0,
        "credited_tax_minor": line.credited_tax.to_minor() if line.credited_tax else 0,
        "service_start": line.service_start,
        "service_end": line.service_end,
        "deferred_revenue_account": line.deferred_revenue_account,
    }


def invoice_from_row(row: Row, lines: Sequence[Row]) -> Invoice:
    cur = row["currency"]
    return Invoice(
        id=row["id"],
        company_id=row["company_id"],
        customer_id=row["customer_id"],
        number=row["number"],
        status=row["status"],
        currency=cur,
        exchange_rate=row["exchange_rate"],
        issue_date=row["issue_date"],
        due_date=row["due_date"],
        lines=tuple(invoice_line_from_row(line, cur) for line in lines),
        subtotal=money(row["subtotal_minor"], cur),
        tax_total=money(row["tax_total_minor"], cur),
        total=money(row["total_minor"], cur),
        amount_credited=money(row["amount_credited_minor"], cur),
        amount_paid=money(row["amount_paid_minor"], cur),
        memo=row["memo"],
        created_at=row["created_at"],
        settlement_discount=discount_from_row(row, cur),
        discount_taken=money(row["discount_taken_minor"], cur),
        metadata=dict(row["metadata"] or {}),
        released_on=row["released_on"],
    )


def invoice_to_row(inv: Invoice, created_by: str | None) -> dict[str, Any]:
    return {
        "id": inv.id,
        "company_id": inv.company_id,
        "customer_id": inv.customer_id,
        "number": inv.number,
        "status": inv.status,
        "currency": inv.currency,
        "exchange_rate": inv.exchange_rate,
        "issue_date": inv.issue_date,
        "due_date": inv.due_date,
        "subtotal_minor": inv.subtotal.to_minor(),
        "tax_total_minor": inv.tax_total.to_minor(),
        "total_minor": inv.total.to_minor(),
        "amount_credited_minor": inv.amount_credited.to_minor(),
        "amount_paid_minor": inv.amount_paid.to_minor(),
        "memo": inv.memo,
        "metadata": dict(inv.metadata),
        "created_by": created_by,
        "created_at": inv.created_at,
        **discount_to_row(inv.settlement_discount),
        "discount_taken_minor": inv.taken.to_minor(),
    }


def memo_line_from_row(row: Row, currency: str) -> MemoLine:
    return MemoLine(
        id=row["id"],
        line_no=row["line_no"],
        description=row["description"],
        quantity=row["quantity"],
        unit_price=row["unit_price"],
        net=money(row["net_minor"], currency),
        tax_rate=row["tax_rate"],
        tax=money(row["tax_minor"], currency),
        account_code=row["account_code"],
        invoice_line_id=row["invoice_line_id"],
        credit_by=CreditBy(row["credit_by"]),
        unit_cost=row["unit_cost"],
        restock=bool(row["restock"]),
        service_start=row["service_start"],
        service_end=row["service_end"],
    )


def memo_line_to_row(line: MemoLine, memo_id: str, company_id: str) -> dict[str, Any]:
    return {
        "id": line.id,
        "memo_id": memo_id,
        "company_id": company_id,
        "line_no": line.line_no,
        "invoice_line_id": line.invoice_line_id,
        "description": line.description,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "net_minor": line.net.to_minor(),
        "tax_rate": line.tax_rate,
        "tax_minor": line.tax.to_minor(),
        "account_code": line.account_code,
        "credit_by": str(line.credit_by),
        "unit_cost": line.unit_cost,
        "restock": line.restock,
        "service_start": line.service_start,
        "service_end": line.service_end,
    }


MEMO_HEADER_FIELDS = (
    "status",
    "reason_code",
    "memo_text",
    "reference",
    "issue_date",
    "subtotal_minor",
    "tax_total_minor",
    "total_minor",
    "amount_applied_minor",
    "amount_refunded_minor",
    "line_count",
    "print_status",
    "auto_apply",
    "discard_reason",
    "void_date",
    "post_error",
    "updated_at",
    "posted_at",
    "posted_by",
    "voided_at",
    "voided_by",
    "version",
    "settlement_discount_minor",
    "settlement_discount_functional_minor",
    "settlement_discount_date",
)


def memo_from_row(row: Row, lines: Sequence[Row]) -> Memo:
    cur = row["currency"]
    return Memo(
        id=row["id"],
        company_id=row["company_id"],
        kind=MemoKind(row["kind"]),
        number=row["number"],
        customer_id=row["customer_id"],
        source=MemoSource(row["source"]),
        reason_code=row["reason_code"],
        currency=cur,
        exchange_rate=row["exchange_rate"],
        issue_date=row["issue_date"],
        status=Status(row["status"]),
        lines=tuple(memo_line_from_row(line, cur) for line in lines),
        subtotal=money(row["subtotal_minor"], cur),
        tax_total=money(row["tax_total_minor"], cur),
        total=money(row["total_minor"], cur),
        amount_applied=money(row["amount_applied_minor"], cur),
        amount_refunded=money(row["amount_refunded_minor"], cur),
        invoice_id=row["invoice_id"],
        memo_text=row["memo_text"],
        print_status=row["print_status"],
        auto_apply=bool(row["auto_apply"]),
        reference=row["reference"],
        discard_reason=row["discard_reason"],
        void_date=row["void_date"],
        post_error=row["post_error"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        posted_at=row["posted_at"],
        posted_by=row["posted_by"],
        voided_at=row["voided_at"],
        voided_by=row["voided_by"],
        version=row["version"],
        incident_reference=row["incident_reference"],
        replaces_id=row["replaces_id"],
        replaced_by_id=row["replaced_by_id"],
        apply_to_next_invoice=bool(row["apply_to_next_invoice"]),
        computation=row["computation"],
        return_id=row["return_id"],
        settlement_discount=discount_from_row(row, cur),
        metadata=dict(row["metadata"] or {}),
        extra={"line_count": row["line_count"]},
    )


def memo_to_row(m: Memo) -> dict[str, Any]:
    return {
        "id": m.id,
        "company_id": m.company_id,
        "kind": str(m.kind),
        "number": m.number,
        "customer_id": m.customer_id,
        "invoice_id": m.invoice_id,
        "source": str(m.source),
        "reason_code": m.reason_code,
        "memo_text": m.memo_text,
        "reference": m.reference,
        "currency": m.currency,
        "exchange_rate": m.exchange_rate,
        "issue_date": m.issue_date,
        "status": str(m.status),
        "subtotal_minor": m.subtotal.to_minor(),
        "tax_total_minor": m.tax_total.to_minor(),
        "total_minor": m.total.to_minor(),
        "amount_applied_minor": m.amount_applied.to_minor(),
        "amount_refunded_minor": m.amount_refunded.to_minor(),
        "line_count": len(m.lines),
        "print_status": m.print_status,
        "auto_apply": m.auto_apply,
        "discard_reason": m.discard_reason,
        "void_date": m.void_date,
        "post_error": m.post_error,
        "created_by": m.created_by,
        "created_at": m.created_at,
        "updated_at": m.updated_at,
        "posted_at": m.posted_at,
        "posted_by": m.posted_by,
        "voided_at": m.voided_at,
        "voided_by": m.voided_by,
        "version": m.version,
        "incident_reference": m.incident_reference,
        "replaces_id": m.replaces_id,
        "replaced_by_id": m.replaced_by_id,
        "apply_to_next_invoice": m.apply_to_next_invoice,
        "computation": m.computation,
        "return_id": m.return_id,
        **discount_to_row(m.settlement_discount),
        "metadata": dict(m.metadata),
        "released_on": None,  # a new memo: nothing of it was ever freed (unapply and refund reversal move it)
    }


def journal_line_from_row(row: Row, currency: str, functional: str) -> JournalLine:
    return JournalLine(
        account=row["account_code"],
        debit=money(row["debit_minor"], currency),
        credit=money(row["credit_minor"], currency),
        functional_debit=money(row["functional_debit_minor"], functional),
        functional_credit=money(row["functional_credit_minor"], functional),
        customer_id=row["customer_id"],
    )


def journal_entry_from_row(row: Row, lines: Sequence[Row]) -> JournalEntry:
    cur, fun = row["currency"], row["functional_currency"]
    return JournalEntry(
        id=row["id"],
        company_id=row["company_id"],
        date=row["date"],
        source_type=row["source_type"],
        source_id=row["source_id"],
        kind=row["kind"],
        currency=cur,
        functional_currency=fun,
        exchange_rate=row["exchange_rate"],
        lines=tuple(journal_line_from_row(line, cur, fun) for line in lines),
        description=row["description"],
    )


def return_line_from_row(row: Row) -> ReturnLine:
    return ReturnLine(
        id=row["id"],
        line_no=row["line_no"],
        invoice_line_id=row["invoice_line_id"],
        quantity=row["quantity"],
        quantity_received=row["quantity_received"],
        quantity_credited=row["quantity_credited"],
        quantity_cancelled=row["quantity_cancelled"],
        restock=bool(row["restock"]),
        condition=row["condition"],
    )


def return_line_to_row(line: ReturnLine, return_id: str, company_id: str) -> dict[str, Any]:
    return {
        "id": line.id,
        "return_id": return_id,
        "company_id": company_id,
        "line_no": line.line_no,
        "invoice_line_id": line.invoice_line_id,
        "quantity": line.quantity,
        "quantity_received": line.quantity_received,
        "quantity_credited": line.quantity_credited,
        "quantity_cancelled": line.quantity_cancelled,
        "restock": line.restock,
        "condition": line.condition,
    }


RETURN_HEADER_FIELDS = (
    "status",
    "reason_code",
    "case_reference",
    "cancel_reason",
    "updated_at",
    "received_at",
    "cancelled_at",
    "cancelled_by",
    "version",
)


def return_from_row(row: Row, lines: Sequence[Row]) -> ReturnAuthorization:
    return ReturnAuthorization(
        id=row["id"],
        company_id=row["company_id"],
        number=row["number"],
        customer_id=row["customer_id"],
        invoice_id=row["invoice_id"],
        status=ReturnStatus(row["status"]),
        reason_code=row["reason_code"],
        lines=tuple(return_line_from_row(line) for line in lines),
        case_reference=row["case_reference"],
        cancel_reason=row["cancel_reason"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        received_at=row["received_at"],
        cancelled_at=row["cancelled_at"],
        cancelled_by=row["cancelled_by"],
        version=row["version"],
    )


def return_to_row(r: ReturnAuthorization) -> dict[str, Any]:
    return {
        "id": r.id,
        "company_id": r.company_id,
        "number": r.number,
        "customer_id": r.customer_id,
        "invoice_id": r.invoice_id,
        "status": str(r.status),
        "reason_code": r.reason_code,
        "case_reference": r.case_reference,
        "cancel_reason": r.cancel_reason,
        "created_by": r.created_by,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "received_at": r.received_at,
        "cancelled_at": r.cancelled_at,
        "cancelled_by": r.cancelled_by,
        "version": r.version,
    }
