"""Computed sort keys of the web lists that PostgreSQL serves from an expression index (issue 16 item 8, migration
0026): an invoice's payment status and a payment's settlement status. Each is a CASE over the document's amounts;
on PostgreSQL it is the immutable SQL function of the same name (``creditmemo_invoice_payment_status``,
``creditmemo_receipt_status``), so that the list sorted or filtered by it reads one page of the index
``(company_id, status, id)`` instead of computing the CASE for every row of the company and sorting them (4.0 s
for the invoices at a million). The planner inlines the function in the query and in the index alike, so the
two match; the strings are constants of the function, not parameters, so a prepared (generic) plan matches too.
Elsewhere (SQLite) the same CASE is written inline. tests/store/test_list_paths.py checks both against the
domain's statuses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, case
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class InvoicePaymentStatus(FunctionElement[str]):
    """unpaid (nothing settled) | paid (nothing due) | part_paid, from (total, credited, paid, discount taken)."""

    type = String()
    name = "creditmemo_invoice_payment_status"
    inherit_cache = True


class ReceiptStatus(FunctionElement[str]):
    """unapplied (nothing used) | applied (nothing left) | part_applied, from (amount, applied, refunded)."""

    type = String()
    name = "creditmemo_receipt_status"
    inherit_cache = True


def invoice_payment_status_case(total: Any, credited: Any, paid: Any, discount: Any) -> Any:
    settled = credited + paid + discount
    return case((settled == 0, "unpaid"), (total - settled == 0, "paid"), else_="part_paid")


def receipt_status_case(amount: Any, applied: Any, refunded: Any) -> Any:
    used = applied + refunded
    return case((used == 0, "unapplied"), (amount - used == 0, "applied"), else_="part_applied")


@compiles(InvoicePaymentStatus)
def _invoice_inline(element: InvoicePaymentStatus, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(invoice_payment_status_case(*element.clauses), **kw))


@compiles(ReceiptStatus)
def _receipt_inline(element: ReceiptStatus, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(receipt_status_case(*element.clauses), **kw))


@compiles(InvoicePaymentStatus, "postgresql")
@compiles(ReceiptStatus, "postgresql")
def _as_function(element: Any, compiler: Any, **kw: Any) -> str:
    return f"{element.name}({compiler.process(element.clauses, **kw)})"
