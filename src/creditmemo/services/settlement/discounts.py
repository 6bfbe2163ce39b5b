"""Credit terms and settlement discounts (issue 15 items 6-8; rules in domain/terms.py).

- The company's terms live in companies.settings ("credit_terms"); a customer's own terms win.
- Issuing an invoice and posting a credit or debit memo store the potential discount and its date.
- Cash matching: ``decide`` works out, for each allocation of a payment, the discount it takes. It runs after
  the source and the invoices are locked (docs/CONCURRENCY.md steps 1-2) and takes no lock of its own: the
  invoice's lock guards its lines' credited totals (the share of credit memos) and its discount taken, so of
  two payments racing for one invoice the second reads what the first committed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from creditmemo.domain.documents import Company, Customer, Invoice, Memo, MemoKind
from creditmemo.domain.errors import InsufficientAvailableError, ValidationFailedError
from creditmemo.domain.money import Money
from creditmemo.domain.settlement import ParsedAllocation, Party, SourceType, TargetType
from creditmemo.domain.terms import (
    CreditTerms,
    SettlementDiscount,
    discount_offer,
    discount_to_take,
    potential_discount,
    share,
)
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store.mapping import discount_from_row, money
from creditmemo.store.uow import UnitOfWork

SETTING = "credit_terms"


def company_terms(uow: UnitOfWork, company_id: str) -> CreditTerms | None:
    return CreditTerms.stored(uow.companies.settings(company_id).get(SETTING))


def terms_for(uow: UnitOfWork, company_id: str, customer: Customer) -> CreditTerms | None:
    """The customer's own terms, else the company's (seed 004)."""
    return customer.credit_terms if customer.credit_terms is not None else company_terms(uow, company_id)


def get_credit_terms(uow: UnitOfWork, actor: Actor) -> CreditTerms | None:
    authorize(actor, Permission.READ)
    return company_terms(uow, actor.company_id)


def update_credit_terms(uow: UnitOfWork, actor: Actor, value: object) -> CreditTerms | None:
    """Replace the company's terms (admin; audited). None removes them. Documents already posted keep the
    discount they stored."""
    authorize(actor, Permission.MANAGE)
    new = None if value is None else CreditTerms.parse(value)
    settings = uow.companies.settings(actor.company_id)
    old = CreditTerms.stored(settings.get(SETTING))
    if new != old:
        uow.companies.update_settings(actor.company_id, {**settings, SETTING: None if new is None else new.to_dict()})
        audit.record(
            uow,
            actor,
            "company.settings_updated",
            "company",
            actor.company_id,
            {SETTING: [None if old is None else old.to_dict(), None if new is None else new.to_dict()]},
        )
    return new


def for_memo(uow: UnitOfWork, company: Company, memo: Memo, invoice: Invoice | None) -> SettlementDiscount | None:
    """The potential discount a memo stores at posting. A credit memo from a discounted invoice carries its
    share of the invoice's discount (the part it takes off the invoice's offer), to the invoice's date; any
    other memo, the terms' discount from its own date."""
    if memo.kind is MemoKind.CREDIT and memo.invoice_id is not None:
        if invoice is None or invoice.settlement_discount is None:
            return None
        base = invoice.settlement_discount
        amount = share(base.amount, memo.total.min(invoice.total), invoice.total)
        if not amount.is_positive():
            return None
        functional = Money.rounded(amount.amount * memo.exchange_rate, company.functional_currency)
        return SettlementDiscount(amount, functional.to_minor(), base.until)
    own = uow.customers.credit_terms(company.id, memo.customer_id)  # no flush of the posting's balance deltas
    terms = own if own is not None else company_terms(uow, company.id)
    return potential_discount(memo.total, terms, memo.issue_date, memo.exchange_rate, company.functional_currency)


def invoice_offer(invoice: Invoice) -> Money:
    """What a payment in time may still take off the invoice now (0 when none)."""
    d = invoice.settlement_discount
    return discount_offer(
        potential=None if d is None else d.amount,
        total=invoice.total,
        credited=invoice.credited_by_memos,
        taken=invoice.taken,
        due=invoice.amount_due,
    )


def decide(
    uow: UnitOfWork,
    company_id: str,
    source: Party,
    parsed: Sequence[ParsedAllocation],
    invoice_rows: Mapping[str, Mapping[str, Any]],
    targets: Mapping[str, Party],
) -> list[Money]:
    """The settlement discount each allocation takes (zero for most). Only a payment takes one, only off an
    invoice, on or before the discount date (the payment's date of receipt counts). Each invoice's offer is
    worked out once, from its locked row and its lines' credited totals; allocations to one invoice in one
    request share what is due."""
    zero = Money.zero(source.currency)
    result: list[Money] = []
    put_on: dict[str, Money] = {}
    for i, alloc in enumerate(parsed):
        where = f"allocations[{i}]"
        target = targets[alloc.target_id]
        row = invoice_rows.get(alloc.target_id) if alloc.target_type is TargetType.INVOICE else None
        so_far = put_on.get(alloc.target_id, zero)
        discount = zero
        if alloc.take_discount is not False and row is not None and row["settlement_discount_minor"]:
            if source.type != SourceType.PAYMENT:
                if alloc.take_discount:
                    raise ValidationFailedError.single(
                        f"{where}.take_discount", "Only a payment takes a settlement discount.", "payment_only"
                    )
            else:
                discount = _discount(uow, company_id, source, alloc, row, target, so_far, where)
        elif alloc.take_discount:
            raise ValidationFailedError.single(
                f"{where}.take_discount", f"{target.number} has no settlement discount to take.", "no_discount"
            )
        settled = so_far + alloc.amount + discount
        if settled > target.open_amount:
            raise InsufficientAvailableError(
                f"{settled} exceeds the {target.open_amount} due on {target.number}.",
                field=f"{where}.amount",
                limit="amount_due",
                amount_due=str(target.open_amount.amount),
                requested=str(settled.amount),
            )
        put_on[alloc.target_id] = settled
        result.append(discount)
    return result


def _discount(
    uow: UnitOfWork,
    company_id: str,
    source: Party,
    alloc: ParsedAllocation,
    row: Mapping[str, Any],
    target: Party,
    so_far: Money,
    where: str,
) -> Money:
    cur = row["currency"]
    discount = discount_from_row(row, cur)
    due = target.open_amount - so_far
    offer = Money.zero(cur)
    if discount is not None and not so_far.is_positive():  # no discount on a split of one request
        offer = discount_offer(
            potential=discount.amount,
            total=money(row["total_minor"], cur),
            credited=money(uow.invoices.credited_total(company_id, row["id"]), cur),
            taken=money(row["discount_taken_minor"], cur),
            due=due,
        )
    return discount_to_take(
        amount=alloc.amount,
        due=due,
        offer=offer,
        until=None if discount is None else discount.until,
        paid_on=source.dated or date.min,
        take=alloc.take_discount,
        where=where,
        number=target.number,
    )
