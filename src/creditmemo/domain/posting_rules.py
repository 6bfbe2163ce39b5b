"""Documents to journal entries, one function per source (DESIGN §2 table)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from creditmemo.domain.chart import AccountRole
from creditmemo.domain.documents import Company, Invoice, Memo, MemoKind, MemoSource
from creditmemo.domain.ledger import JournalEntry, JournalLine, Leg, build_entry
from creditmemo.domain.money import Money

IdFactory = Callable[[str], str]


def invoice_entry(invoice: Invoice, company: Company, ids: IdFactory) -> JournalEntry:
    """Issue: Dr AR total; Cr revenue per line's account (a line with a revenue schedule: Cr its deferred
    revenue account instead, issue 12); Cr tax payable."""
    tax_account = company.account(AccountRole.TAX_PAYABLE)
    legs = [Leg(line.deferred_revenue_account or line.revenue_account, line.net, debit=False) for line in invoice.lines]
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


@dataclass(frozen=True, slots=True)
class LineReversal:
    """How a memo line credits its invoice line (issue 12): ``recognized`` is reversed from revenue (the line's
    revenue account, or the sales-returns contra account), ``deferred`` from the line's deferred revenue."""

    recognized: Money
    deferred: Money
    revenue_account: str
    deferred_account: str | None = None


def credit_memo_entry(
    memo: Memo,
    company: Company,
    ids: IdFactory,
    on: date,
    reversals: Mapping[str, LineReversal] | None = None,
    *,
    to_line_accounts: bool = False,
) -> JournalEntry:
    """From an invoice or a return: Dr sales returns & allowances (or, ``to_line_accounts``, the invoice
    line's revenue account), Dr tax payable, Cr AR; the part of a line still deferred (``reversals``, by memo
    line id) is Dr the invoice line's deferred revenue instead; a restocked return line adds Dr inventory /
    Cr COGS at its unit cost. Standalone: Dr the reason's account."""
    tax_account = company.account(AccountRole.TAX_PAYABLE)
    if memo.source is MemoSource.STANDALONE:
        reason_account = company.reason_accounts.get(memo.reason_code, company.account(AccountRole.SALES_RETURNS))
        legs = [Leg(line.account_code or reason_account, line.net, debit=True) for line in memo.lines]
    else:
        returns = company.account(AccountRole.SALES_RETURNS)
        legs = []
        for line in memo.lines:
            rev = (reversals or {}).get(line.id)
            if rev is None:
                legs.append(Leg(line.account_code or returns, line.net, debit=True))
                continue
            recognized_account = line.account_code or (rev.revenue_account if to_line_accounts else returns)
            legs.append(Leg(recognized_account, rev.recognized, debit=True))
            if rev.deferred_account is not None:
                legs.append(Leg(rev.deferred_account, rev.deferred, debit=True))
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


def memo_entry(
    memo: Memo,
    company: Company,
    ids: IdFactory,
    on: date,
    reversals: Mapping[str, LineReversal] | None = None,
    *,
    to_line_accounts: bool = False,
) -> JournalEntry:
    if memo.kind is MemoKind.DEBIT:
        return debit_memo_entry(memo, company, ids, on)
    return credit_memo_entry(memo, company, ids, on, reversals, to_line_accounts=to_line_accounts)


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


@dataclass(frozen=True, slots=True)
class Recognition:
    """One pair of accounts in a recognition entry: ``amount`` moves from ``deferred_account`` to
    ``revenue_account`` (negative: back again, when a void gave a recognized month its credit back)."""

    deferred_account: str
    revenue_account: str
    amount: Money


def recognition_entry(
    *,
    entry_id: str,
    company: Company,
    on: date,
    run_id: str,
    exchange_rate: Decimal,
    parts: list[Recognition],
    description: str,
) -> JournalEntry:
    """A recognition run's entry for one month (issue 12): Dr deferred revenue, Cr the lines' revenue
    accounts, per pair of accounts. Each pair is converted once at the invoices' rate, so both sides carry
    the same functional amount and the entry balances in both currencies by construction."""
    currency = parts[0].amount.currency
    fc = company.functional_currency
    sums: dict[tuple[str, bool], tuple[Money, Money]] = {}
    for part in parts:
        if part.amount.amount == 0:
            continue
        amount = Money(abs(part.amount.amount), currency)
        functional = Money.rounded(amount.amount * exchange_rate, fc)
        forward = part.amount.amount > 0
        for account, debit in ((part.deferred_account, forward), (part.revenue_account, not forward)):
            doc, fun = sums.get((account, debit), (Money.zero(currency), Money.zero(fc)))
            sums[(account, debit)] = (doc + amount, fun + functional)
    zero, f_zero = Money.zero(currency), Money.zero(fc)
    lines = tuple(
        JournalLine(
            account, doc if debit else zero, zero if debit else doc, fun if debit else f_zero, f_zero if debit else fun
        )
        for (account, debit), (doc, fun) in sums.items()
    )
    return JournalEntry(
        entry_id, company.id, on, "revenue_run", run_id, "post", currency, fc, exchange_rate, lines, description
    )
