"""Customer accounts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from creditmemo.domain.documents import Customer
from creditmemo.domain.errors import FieldError, ValidationFailedError
from creditmemo.domain.legal import LegalDetails, apply_legal_changes, legal_changes
from creditmemo.domain.money import Money, parse_currency
from creditmemo.ids import new_id
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store.uow import UnitOfWork


def create_customer(
    uow: UnitOfWork,
    actor: Actor,
    *,
    name: object,
    currency: object,
    payment_terms_days: object = 30,
    email: object = None,
    auto_apply_credit: object = None,
    legal: Mapping[str, object] | None = None,
) -> Customer:
    """``legal``: the legal name, address and tax ID its documents show (domain/legal.py; all optional)."""
    authorize(actor, Permission.CREATE_CUSTOMER)
    errors: list[FieldError] = []
    try:
        details = apply_legal_changes(LegalDetails(), legal or {})
    except ValidationFailedError as err:
        errors.extend(err.errors)
        details = LegalDetails()
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        errors.append(FieldError("name", "required", "A name of 1 to 200 characters is required."))
    if (
        isinstance(payment_terms_days, bool)
        or not isinstance(payment_terms_days, int)
        or not 0 <= payment_terms_days <= 365
    ):
        errors.append(FieldError("payment_terms_days", "out_of_range", "Whole days from 0 to 365."))
    if email is not None and (not isinstance(email, str) or "@" not in email or len(email) > 254):
        errors.append(FieldError("email", "invalid", "Not an e-mail address."))
    if auto_apply_credit is not None and not isinstance(auto_apply_credit, bool):
        errors.append(FieldError("auto_apply_credit", "invalid", "true, false or null."))
    try:
        cur = parse_currency(currency)
    except ValidationFailedError as err:
        errors.extend(err.errors)
        cur = "USD"
    if errors:
        raise ValidationFailedError(errors)
    assert isinstance(name, str)
    assert isinstance(payment_terms_days, int)
    customer = Customer(
        id=new_id("cus"),
        company_id=actor.company_id,
        name=name.strip(),
        currency=cur,
        payment_terms_days=payment_terms_days,
        balance=Money.zero(cur),
        available_credit=Money.zero(cur),
        email=email if isinstance(email, str) else None,
        created_at=uow.now(),
        auto_apply_credit=auto_apply_credit if isinstance(auto_apply_credit, bool) else None,
        legal=details,
    )
    uow.customers.add(customer)
    audit.record(
        uow,
        actor,
        "customer.created",
        "customer",
        customer.id,
        {"name": [None, customer.name], "currency": [None, cur], **legal_changes(LegalDetails(), details)},
    )
    return customer


def get_customer(uow: UnitOfWork, actor: Actor, customer_id: str) -> Customer:
    authorize(actor, Permission.READ)
    return uow.customers.get(actor.company_id, customer_id)


def set_auto_apply_credit(uow: UnitOfWork, actor: Actor, customer_id: str, value: object) -> Customer:
    """Whether this customer's account credit goes to each new invoice on its own (None: the company decides)."""
    authorize(actor, Permission.CREATE_CUSTOMER)
    if value is not None and not isinstance(value, bool):
        raise ValidationFailedError.single("auto_apply_credit", "true, false or null.", "invalid")
    customer = uow.customers.get(actor.company_id, customer_id)
    if customer.auto_apply_credit != value:
        uow.customers.set_auto_apply_credit(actor.company_id, customer.id, value)
        audit.record(
            uow,
            actor,
            "customer.updated",
            "customer",
            customer.id,
            {"auto_apply_credit": [customer.auto_apply_credit, value]},
        )
    return replace(customer, auto_apply_credit=value)


def set_legal_details(uow: UnitOfWork, actor: Actor, customer_id: str, changes: Mapping[str, object]) -> Customer:
    """Change the customer's legal name, address or tax ID (only the fields given; None or "" clears one).
    Documents printed from now on show them; the change is audited field by field."""
    authorize(actor, Permission.CREATE_CUSTOMER)
    customer = uow.customers.get(actor.company_id, customer_id)
    new = apply_legal_changes(customer.legal, changes)
    diff = legal_changes(customer.legal, new)
    if diff:
        uow.customers.set_legal_details(actor.company_id, customer.id, new)
        audit.record(uow, actor, "customer.updated", "customer", customer.id, diff)
    return replace(customer, legal=new)
