"""Recording a payment (a receipt): numbered, journalised (Dr cash, Cr AR), off the customer's balance.
Applying it to invoices is `applications.apply_credit(source_type="payment")`."""

from __future__ import annotations

from datetime import date

from creditmemo.domain.errors import CurrencyMismatchError, FieldError, ValidationFailedError
from creditmemo.domain.metadata import parse_metadata
from creditmemo.domain.money import Money, parse_amount, parse_currency
from creditmemo.domain.parsing import parse_date
from creditmemo.domain.posting_rules import cash_entry
from creditmemo.domain.settlement import Payment
from creditmemo.ids import new_id
from creditmemo.services import audit, periods
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.companies import rate_for
from creditmemo.store import numbering
from creditmemo.store.uow import UnitOfWork


def text_field(value: object, field: str, limit: int, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ValidationFailedError.single(
            field, f"Text of 1 to {limit} characters.", "required" if value is None else "invalid"
        )
    return value.strip()


def record_payment(
    uow: UnitOfWork,
    actor: Actor,
    *,
    customer_id: str,
    amount: object,
    currency: object,
    received_on: object,
    method: object,
    reference: object = None,
    exchange_rate: object = None,
    metadata: object = None,
) -> Payment:
    authorize(actor, Permission.RECORD_PAYMENT)
    company = uow.companies.get(actor.company_id)
    customer = uow.customers.get(actor.company_id, customer_id)
    errors: list[FieldError] = []
    values: dict[str, object] = {}
    for name, parse in (
        ("currency", lambda: parse_currency(currency)),
        ("received_on", lambda: parse_date(received_on, "received_on")),
        ("method", lambda: text_field(method, "method", 40, required=True)),
        ("reference", lambda: text_field(reference, "reference", 200, required=False)),
    ):
        try:
            values[name] = parse()
        except ValidationFailedError as err:
            errors.extend(err.errors)
    if errors:
        raise ValidationFailedError(errors)
    cur = str(values["currency"])
    if cur != customer.currency:
        raise CurrencyMismatchError(
            f"Customer {customer.name} is billed in {customer.currency}, not {cur}.",
            field="currency",
            expected=customer.currency,
        )
    money = parse_amount(amount, cur, "amount", positive=True)
    meta = parse_metadata(metadata)
    received = values["received_on"]
    assert isinstance(received, date)  # parsed above
    periods.check(uow, actor.company_id, "received_on", received, what="receipt date")
    rate = rate_for(cur, company, exchange_rate, uow=uow, on=received)
    zero = Money.zero(cur)
    payment = Payment(
        id=new_id("pay"),
        company_id=actor.company_id,
        number=numbering.next_number(uow.conn, actor.company_id, "payment"),
        customer_id=customer.id,
        currency=cur,
        exchange_rate=rate,
        amount=money,
        amount_applied=zero,
        amount_refunded=zero,
        received_on=values["received_on"],  # type: ignore[arg-type]  # parsed to a date above
        method=str(values["method"]),
        reference=values["reference"],  # type: ignore[arg-type]  # parsed to text or None above
        created_by=actor.user_id,
        created_at=uow.now(),
        metadata=meta,
    )
    uow.payments.add(payment)
    uow.journal.add(
        cash_entry(
            company=company,
            ids=new_id,
            on=payment.received_on,
            source_type="payment",
            source_id=payment.id,
            customer_id=customer.id,
            amount=money,
            exchange_rate=rate,
            receipt=True,
            description=f"Payment {payment.number}",
        ),
        uow.now(),
    )
    uow.customers.adjust(actor.company_id, customer.id, balance=-money.to_minor())
    audit.record(
        uow,
        actor,
        "payment.recorded",
        "payment",
        payment.id,
        {
            "number": [None, payment.number],
            "customer_id": [None, customer.id],
            "amount": [None, str(money.amount)],
            "currency": [None, cur],
            "received_on": [None, str(payment.received_on)],
            "method": [None, payment.method],
            "reference": [None, payment.reference],
        },
    )
    return payment


def get_payment(uow: UnitOfWork, actor: Actor, payment_id: str) -> Payment:
    authorize(actor, Permission.READ)
    return uow.payments.get(actor.company_id, payment_id)
