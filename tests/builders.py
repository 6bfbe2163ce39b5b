"""Small explicit builders (no random defaults): invoices, memos, posted memos."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from creditmemo.domain.documents import Customer, Invoice, Memo
from creditmemo.domain.inputs import CreditLineInput, FreeLineInput, InvoiceLineInput
from creditmemo.services.actors import Actor
from creditmemo.services.customers import create_customer
from creditmemo.services.invoices import issue_invoice
from creditmemo.services.memos.create import create_credit_memo_from_invoice, create_standalone_credit_memo
from creditmemo.services.memos.post import post_memo
from creditmemo.store.uow import Database

DAY = date(2026, 3, 2)


def line(qty: str = "1", price: str = "100.00", tax: str = "0", **kw: object) -> InvoiceLineInput:
    return InvoiceLineInput(kw.pop("description", "Item"), qty, price, tax_rate=tax, **kw)


def customer(db: Database, actor: Actor, currency: str = "USD", name: str = "Acme") -> Customer:
    with db.uow() as uow:
        return create_customer(uow, actor, name=name, currency=currency)


def invoice(
    db: Database,
    actor: Actor,
    lines: Sequence[InvoiceLineInput] = (),
    *,
    currency: str = "USD",
    customer_id: str | None = None,
    rate: str | None = None,
    issued: date = DAY,
) -> Invoice:
    cid = customer_id or customer(db, actor, currency).id
    with db.uow() as uow:
        return issue_invoice(
            uow,
            actor,
            customer_id=cid,
            currency=currency,
            issue_date=issued,
            lines=list(lines) or [line()],
            exchange_rate=rate,
        )


def credit(
    db: Database,
    actor: Actor,
    inv: Invoice,
    lines: Sequence[CreditLineInput] | None = None,
    reason: str = "billing_error",
    **kw: Any,
) -> Memo:
    kw.setdefault("issue_date", inv.issue_date)  # issued with its invoice: settlements on DAY come after it
    with db.uow() as uow:
        return create_credit_memo_from_invoice(uow, actor, inv.id, reason_code=reason, lines=lines, **kw)


def by_qty(inv: Invoice, index: int, qty: str) -> CreditLineInput:
    return CreditLineInput(inv.lines[index].id, quantity=qty)


def by_amount(inv: Invoice, index: int, amount: str) -> CreditLineInput:
    return CreditLineInput(inv.lines[index].id, amount=amount)


def post(db: Database, actor: Actor, memo: Memo) -> Memo:
    with db.uow() as uow:
        return post_memo(uow, actor, memo.id)


def standalone(
    db: Database, actor: Actor, customer_id: str, price: str = "50.00", reason: str = "goodwill", currency: str = "USD"
) -> Memo:
    with db.uow() as uow:
        return create_standalone_credit_memo(
            uow,
            actor,
            customer_id=customer_id,
            currency=currency,
            reason_code=reason,
            lines=[FreeLineInput("Credit", "1", price)],
            issue_date=DAY,
        )


JOURNAL_LINE = "{side} {account} {amount}"


def journal_text(entry) -> list[str]:
    """An entry as lines like 'Dr 4900 100.00 USD' for whole-entry assertions."""
    rows = []
    for line in entry.lines:
        if line.debit.amount:
            rows.append(f"Dr {line.account} {line.debit}")
        if line.credit.amount:
            rows.append(f"Cr {line.account} {line.credit}")
    return rows


def expect_journal(entry, text: str) -> None:
    expected = [" ".join(row.split()) for row in text.strip().splitlines()]
    assert journal_text(entry) == expected
