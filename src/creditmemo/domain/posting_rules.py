"""Documents to journal entries, one function per source (DESIGN §2 table)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from creditmemo.domain.chart import AccountRole
from creditmemo.domain.documents import Company, Invoice, Memo, MemoKind, MemoSource
from creditmemo.domain.ledger import JournalEntry, Leg, build_entry
from creditmemo.domain.money import Money

IdFactory = Callable[[str], str]


def invoice_entry(invoice: Invoice, company: Company, ids: IdFactory) -> JournalEntry:
    """Issue: Dr AR total; Cr revenue per line's account; Cr tax payable."""
    tax_account = company.account(AccountRole.TAX_PAYABLE)
    legs = [Leg(line.revenue_account, line.net, debit=False) for line in invoice.lines]
    legs += [Leg(tax_account, line.tax, debit=False) for line in invoice.lines]
    return build_entry(
        entry_id=ids("je"),
        company_id=company.id,
        on=invoice.issue_date,
        source_type="invoice",
        source_id=invoice.id,
        kind="post",
        functional_currency=company.functional_currency,
        exchange_rate=invoice.exchange_rate,
        legs=legs,
        balancing=Leg(company.account(AccountRole.AR), invoice.total, debit=True, customer_id=invoice.customer_id),
        description=f"Invoice {invoice.number}",
    )


def credit_memo_entry(memo: Memo, company: Company, ids: IdFactory, on: date) -> JournalEntry:
    """From an invoice or a return: Dr sales returns & allowances, Dr tax payable, Cr AR; a restocked
    return line adds Dr inventory / Cr COGS at its unit cost. Standalone: Dr the reason's account."""
    tax_account = company.account(AccountRole.TAX_PAYABLE)
    if memo.source is MemoSource.STANDALONE:
        reason_account = company.reason_accounts.get(memo.reason_code, company.account(AccountRole.SALES_RETURNS))
        legs = [Leg(line.account_code or reason_account, line.net, debit=True) for line in memo.lines]
    else:
        returns = company.account(AccountRole.SALES_RETURNS)
        legs = [Leg(line.account_code or returns, line.net, debit=True) for line in memo.lines]
    legs += [Leg(tax_account, line.tax, debit=True) for line in memo.lines]
    for line in memo.lines:
        if line.restock and line.unit_cost is not None and line.quantity is not None:
            cost = Money.rounded(line.quantity * line.unit_cost, memo.currency)
            legs.append(Leg(company.account(AccountRole.INVENTORY), cost, debit=True))
            legs.append(Leg(company.account(AccountRole.COGS), cost, debit=False))
    return _memo_entry(memo, company, ids, on, legs, ar_debit=False)


def debit_memo_entry(memo: Memo, company: Company, ids: IdFactory, on: date) -> JournalEntry:
    """Dr AR; Cr the reason's account (or the line's); Cr tax payable."""
    reason_account = company.reason_accounts.get(memo.reason_code, company.account(AccountRole.REVENUE))
    legs = [Leg(line.account_code or reason_account, line.net, debit=False) for line in memo.lines]
    legs += [Leg(company.account(AccountRole.TAX_PAYABLE), line.tax, debit=False) for line in memo.lines]
    return _memo_entry(memo, company, ids, on, legs, ar_debit=True)


def memo_entry(memo: Memo, company: Company, ids: IdFactory, on: date) -> JournalEntry:
    if memo.kind is MemoKind.DEBIT:
        return debit_memo_entry(memo, company, ids, on)
    return credit_memo_entry(memo, company, ids, on)


def _memo_entry(
    memo: Memo, company: Company, ids: IdFactory, on: date, legs: list[Leg], *, ar_debit: bool
) -> JournalEntry:
    return build_entry(
        entry_id=ids("je"),
        company_id=company.id,
        on=on,
        source_type=f"{memo.kind}_memo",
        source_id=memo.id,
        kind="post",
        functional_currency=company.functional_currency,
        exchange_rate=memo.exchange_rate,
        legs=legs,
        balancing=Leg(company.account(AccountRole.AR), memo.total, debit=ar_debit, customer_id=memo.customer_id),
        description=memo_description(memo),
    )


def memo_description(memo: Memo) -> str:
    return f"{memo.kind.capitalize()} memo {memo.number}"


def cash_entry(
    *,
    company: Company,
    ids: IdFactory,
    on: date,
    source_type: str,
    source_id: str,
    customer_id: str,
    amount: Money,
    exchange_rate: Decimal,
    receipt: bool,
    description: str = "",
) -> JournalEntry:
    """A receipt (Dr cash, Cr AR) or a refund paid out (Dr AR, Cr cash)."""
    return build_entry(
        entry_id=ids("je"),
        company_id=company.id,
        on=on,
        source_type=source_type,
        source_id=source_id,
        kind="post",
        functional_currency=company.functional_currency,
        exchange_rate=exchange_rate,
        legs=[Leg(company.account(AccountRole.CASH), amount, debit=receipt)],
        balancing=Leg(company.account(AccountRole.AR), amount, debit=not receipt, customer_id=customer_id),
        description=description,
    )
