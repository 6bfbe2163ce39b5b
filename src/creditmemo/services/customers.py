"""Customer accounts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Final

from creditmemo.domain.documents import Customer
from creditmemo.domain.errors import FieldError, ValidationFailedError
from creditmemo.domain.legal import LegalDetails, apply_legal_changes, legal_changes
from creditmemo.domain.money import Money, parse_currency
from creditmemo.domain.terms import CreditTerms
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
    credit_terms: object = None,
) -> Customer:
    """``legal``: the legal name, address and tax ID its documents show (domain/legal.py; all optional)."""
    authorize(actor, Permission.CREATE_CUSTOMER)
    errors: list[FieldError] = []
    try:
        details = apply_legal_changes(LegalDetails(), legal or {})
    except ValidationFailedError as err:
        errors.extend(err.errors)
        details = LegalDetails()
    terms = None
    if credit_terms is not None:
        try:
            terms = CreditTerms.parse(credit_terms)
        except ValidationFailedError as err:
            errors.extend(err.errors)
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
        credit_terms=terms,
    )
    uow.customers.add(customer)
    changes: dict[str, object] = {
        "name": [None, customer.name],
        "currency": [None, cur],
        **legal_changes(LegalDetails(), details),
    }
    if terms is not None:
        changes["credit_terms"] = [None, terms.to_dict()]
    audit.record(uow, actor, "customer.created", "customer", customer.id, changes)
    return customer


_UNSET: Final = object()


def update_customer(
    uow: UnitOfWork,
    actor: Actor,
    customer_id: str,
    *,
    name: object = _UNSET,
    email: object = _UNSET,
    payment_terms_days: object = _UNSET,
    credit_terms: object = _UNSET,
    auto_apply_credit: object = _UNSET,
) -> Customer:
    """PATCH a customer: only what is given changes (``credit_terms`` None: the company's terms apply again).
    Every field is validated (errors name it), the change is one audit event with each field's old and new
    value. Documents already issued keep the discount they stored."""
    authorize(actor, Permission.CREATE_CUSTOMER)
    customer = uow.customers.get(actor.company_id, customer_id)
    errors: list[FieldError] = []
    new = customer
    if name is not _UNSET:
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            errors.append(FieldError("name", "required", "A name of 1 to 200 characters is required."))
        else:
            new = replace(new, name=name.strip())
    if email is not _UNSET:
        if email is not None and (not isinstance(email, str) or "@" not in email or len(email) > 254):
            errors.append(FieldError("email", "invalid", "Not an e-mail address."))
        else:
            new = replace(new, email=email if isinstance(email, str) else None)
    if payment_terms_days is not _UNSET:
        if (
            isinstance(payment_terms_days, bool)
            or not isinstance(payment_terms_days, int)
            or not 0 <= payment_terms_days <= 365
        ):
            errors.append(FieldError("payment_terms_days", "out_of_range", "Whole days from 0 to 365."))
        else:
            new = replace(new, payment_terms_days=payment_terms_days)
    if credit_terms is not _UNSET:
        try:
            new = replace(new, credit_terms=None if credit_terms is None else CreditTerms.parse(credit_terms))
        except ValidationFailedError as err:
            errors.extend(err.errors)
    if auto_apply_credit is not _UNSET:
        if auto_apply_credit is not None and not isinstance(auto_apply_credit, bool):
            errors.append(FieldError("auto_apply_credit", "invalid", "true, false or null."))
        else:
            new = replace(new, auto_apply_credit=auto_apply_credit if isinstance(auto_apply_credit, bool) else None)
    if errors:
        raise ValidationFailedError(errors)
    values: dict[str, object] = {}
    changes: dict[str, object] = {}
    for field in ("name", "email", "payment_terms_days", "auto_apply_credit", "credit_terms"):
        old_value, new_value = getattr(customer, field), getattr(new, field)
        if old_value != new_value:
            if field == "credit_terms":
                old_value = None if old_value is None else old_value.to_dict()
                new_value = None if new_value is None else new_value.to_dict()
            values[field] = new_value
            changes[field] = [old_value, new_value]
    if values:
        uow.customers.update_fields(actor.company_id, customer.id, values)
        audit.record(uow, actor, "customer.updated", "customer", customer.id, changes)
    return new


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
