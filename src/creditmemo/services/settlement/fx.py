"""Realized exchange differences of applications (issue 15, domain/fx.py): when a source and a target in a
foreign currency settle each other, each side's AR is relieved at its own booked rate (the application
that settles a document takes its exact functional remainder) and a difference is booked to the company's
realized gain or loss account, in an entry of the application. Unapplying books the mirror. Documents in
the company currency need none of this: their functional amounts are their amounts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from creditmemo.domain.chart import AccountRole
from creditmemo.domain.documents import Company
from creditmemo.domain.fx import BookedSide, FxAccounts, clearing_entry, realized_entry, relief
from creditmemo.domain.ledger import JournalEntry
from creditmemo.domain.money import Money
from creditmemo.domain.settlement import Application, Party
from creditmemo.ids import new_id
from creditmemo.store.uow import UnitOfWork


def realize(
    uow: UnitOfWork, source: Party, apps: Sequence[Application], targets: Mapping[str, Party]
) -> list[Application]:
    """Decide each application's functional reliefs (in order: a request's allocations share the source) and
    queue the entry of any difference. Call before the applications are written. ``source`` and ``targets``
    carry what was open on each document before these applications."""
    if not apps:
        return []
    company = uow.companies.get(apps[0].company_id)
    functional = company.functional_currency
    if source.currency == functional:
        result = []
        for app in apps:  # only a settlement discount books anything (Dr discounts allowed, Cr AR)
            _add(uow, _home_entry(company, app))
            discount = app.discount_taken.to_minor() or None
            result.append(replace(app, functional_discount_minor=discount))
        return result
    accounts = _accounts(company)
    opened = {source.id: source.open_amount, **{t.id: t.open_amount for t in targets.values()}}
    taken: dict[str, Money] = {}  # functional reliefs of this request's earlier applications, per document

    def side(party: Party, role: str, amount: Money) -> BookedSide:
        before = opened[party.id]
        remainder = None
        if amount == before:
            in_db = uow.journal.functional_ar_open(
                company.id,
                party.id,
                side=role,
                ar_account=accounts.ar,
                rate=party.exchange_rate,
                currency=party.currency,
                functional_currency=functional,
            )
            remainder = in_db - taken.get(party.id, Money.zero(functional))
        return BookedSide(party.exchange_rate, before, remainder)

    result = []
    for app in apps:
        target = targets[app.target_id]
        source_relief = relief(app.amount, side(source, "source", app.amount), functional)
        # the target is settled by the amount and any settlement discount (issue 15 item 8)
        target_relief = relief(app.settles, side(target, "target", app.settles), functional)
        discount_f = Money.rounded(app.discount_taken.amount * target.exchange_rate, functional)
        for party, amount, settled in ((source, source_relief, app.amount), (target, target_relief, app.settles)):
            taken[party.id] = taken.get(party.id, Money.zero(functional)) + amount
            opened[party.id] = opened[party.id] - settled
        entry = realized_entry(
            entry_id=new_id("je"),
            company_id=company.id,
            on=app.applied_on,
            application_id=app.id,
            customer_id=app.customer_id,
            amount=app.amount,
            source_relief=source_relief,
            target_relief=target_relief,
            accounts=accounts,
            rate=target.exchange_rate,
            description=f"Exchange difference: {source.number} applied to {target.number}"
            if not app.discount_taken
            else f"Settlement discount: {source.number} applied to {target.number}",
            discount=app.discount_taken,
            discount_functional=discount_f,
        )
        _add(uow, entry)
        result.append(
            replace(
                app,
                functional_source_minor=source_relief.to_minor(),
                functional_target_minor=target_relief.to_minor(),
                functional_discount_minor=discount_f.to_minor() if app.discount_taken else None,
            )
        )
    return result


def _home_entry(company: Company, app: Application) -> JournalEntry | None:
    """A company-currency application's entry: only its settlement discount, if any."""
    discount = app.discount_taken
    if not discount:
        return None
    return realized_entry(
        entry_id=new_id("je"),
        company_id=company.id,
        on=app.applied_on,
        application_id=app.id,
        customer_id=app.customer_id,
        amount=app.amount,
        source_relief=Money.zero(company.functional_currency),
        target_relief=Money.zero(company.functional_currency),
        accounts=_accounts(company),
        rate=Decimal(1),
        description="Settlement discount taken",
        discount=discount,
        discount_functional=discount,
        foreign=False,
    )


def _add(uow: UnitOfWork, entry: JournalEntry | None) -> None:
    if entry is not None:
        uow.journal.add(entry, uow.now())


def reverse(uow: UnitOfWork, app: Application, *, target_rate: Decimal, on: date) -> None:
    """An unapplication books the mirror of the application's exchange difference and settlement discount
    (if it had either), dated the day of the unapplication (``on``): exactly the amounts the application
    booked."""
    company = uow.companies.get(app.company_id)
    functional = company.functional_currency
    discount = app.discount_taken
    if app.functional_source_minor is None or app.functional_target_minor is None:
        if discount:  # a company-currency application: only its discount was booked
            _add(
                uow,
                realized_entry(
                    entry_id=new_id("je"),
                    company_id=company.id,
                    on=on,
                    application_id=app.id,
                    customer_id=app.customer_id,
                    amount=app.amount,
                    source_relief=Money.zero(functional),
                    target_relief=Money.zero(functional),
                    accounts=_accounts(company),
                    rate=Decimal(1),
                    reverse=True,
                    description="Settlement discount reversed: application unapplied",
                    discount=discount,
                    discount_functional=Money(discount.amount, functional),
                    foreign=False,
                ),
            )
        return
    if app.functional_source_minor == app.functional_target_minor and not discount:
        return
    entry = realized_entry(
        entry_id=new_id("je"),
        company_id=company.id,
        on=on,
        application_id=app.id,
        customer_id=app.customer_id,
        amount=app.amount,
        source_relief=Money.from_minor(app.functional_source_minor, functional),
        target_relief=Money.from_minor(app.functional_target_minor, functional),
        accounts=_accounts(company),
        rate=target_rate,
        reverse=True,
        description="Exchange difference reversed: application unapplied",
        discount=discount,
        discount_functional=Money.from_minor(app.functional_discount_minor or 0, functional),
    )
    if entry is not None:
        uow.journal.add(entry, uow.now())


def clear_used_up_source(
    uow: UnitOfWork,
    *,
    company_id: str,
    source_id: str,
    customer_id: str,
    refund_id: str,
    paid_out: Money,
    rate: Decimal,
    on: date,
    description: str,
) -> None:
    """A refund that takes the rest of a foreign-currency credit source: its cash entry relieves AR at the
    source's rate, rounded; what that leaves of the source's functional AR (cents) is cleared to the realized
    gain or loss, so a used-up source leaves zero functional AR. Call before the refund's own entry is added."""
    company = uow.companies.get(company_id)
    functional = company.functional_currency
    if paid_out.currency == functional:
        return
    remainder = uow.journal.functional_ar_open(
        company_id,
        source_id,
        side="source",
        ar_account=_accounts(company).ar,
        rate=rate,
        currency=paid_out.currency,
        functional_currency=functional,
    )
    entry = clearing_entry(
        entry_id=new_id("je"),
        company_id=company_id,
        on=on,
        source_type="refund",
        source_id=refund_id,
        customer_id=customer_id,
        currency=paid_out.currency,
        credit_left=remainder - Money.rounded(paid_out.amount * rate, functional),
        accounts=_accounts(company),
        rate=rate,
        description=description,
    )
    if entry is not None:
        uow.journal.add(entry, uow.now())


def _accounts(company: Company) -> FxAccounts:
    return FxAccounts(
        company.account(AccountRole.AR),
        company.account(AccountRole.FX_GAIN),
        company.account(AccountRole.FX_LOSS),
        company.accounts.get(AccountRole.SETTLEMENT_DISCOUNT),
    )
