"""Companies: creation with the default chart, reason codes, number sequences and audit chain."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from creditmemo.domain.chart import DEFAULT_ACCOUNTS, DEFAULT_REASON_CODES, ReasonCode
from creditmemo.domain.documents import DEFAULT_BACKGROUND_LINE_LIMIT, Company
from creditmemo.domain.errors import FieldError, RateMissingError, ValidationFailedError
from creditmemo.domain.money import parse_currency
from creditmemo.ids import new_id
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize, system_actor
from creditmemo.store import numbering
from creditmemo.store.uow import UnitOfWork

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

DEFAULT_SETTINGS: dict[str, Any] = {
    "background_line_limit": DEFAULT_BACKGROUND_LINE_LIMIT,
    "approval_policy": {
        "tiers": [
            {"name": "manager", "above": "5000.00", "min_role": "manager"},
            {"name": "vp", "above": "25000.00", "min_role": "vp"},
        ],
        "role_limits": {"manager": "25000.00", "vp": None, "controller": None},
    },
}


def create_company(
    uow: UnitOfWork, *, slug: str, name: str, functional_currency: str = "USD", settings: dict[str, Any] | None = None
) -> Company:
    errors = []
    if not isinstance(slug, str) or not SLUG.match(slug):
        errors.append(FieldError("slug", "invalid", "Lower-case letters, digits and dashes, up to 63."))
    if not isinstance(name, str) or not name.strip():
        errors.append(FieldError("name", "required", "A company name is required."))
    if errors:
        raise ValidationFailedError(errors)
    currency = parse_currency(functional_currency, "functional_currency")
    if uow.companies.id_for_slug(slug) is not None:
        raise ValidationFailedError.single("slug", f"A company {slug!r} already exists.", "taken")
    company_id = new_id("co")
    merged = {**DEFAULT_SETTINGS, **(settings or {})}
    uow.companies.add(
        company_id=company_id,
        slug=slug,
        name=name.strip(),
        functional_currency=currency,
        settings=merged,
        chart=DEFAULT_ACCOUNTS,
        reasons=DEFAULT_REASON_CODES,
        now=uow.now(),
    )
    numbering.seed_sequences(uow.conn, company_id)
    uow.periods.seed(company_id)
    uow.audit.start_chain(company_id)
    audit.record(
        uow,
        system_actor(company_id),
        "company.created",
        "company",
        company_id,
        {"slug": [None, slug], "name": [None, name], "functional_currency": [None, currency]},
    )
    return uow.companies.get(company_id)


def add_reason_code(
    uow: UnitOfWork, actor: Actor, *, code: str, label: str, account_code: str, applies_to: str = "both"
) -> ReasonCode:
    """Companies may add their own reason codes, each mapped to one of their active accounts
    (services/chart.py, which the API, the CLI and the web UI call)."""
    from creditmemo.services.chart import add_reason_code as add

    added = add(
        uow,
        actor,
        code=code,
        description=label,
        account=account_code,
        applies_to=applies_to,
        account_field="account_code",
    )
    return ReasonCode(added["code"], added["label"], added["account_code"], added["applies_to"])


def rate_for(
    currency: str,
    company: Company,
    given: object,
    field: str = "exchange_rate",
    *,
    uow: UnitOfWork | None = None,
    on: date | None = None,
) -> Decimal:
    """The exchange rate to the functional currency: 1 for the functional currency; else the one given, or
    (with ``uow`` and the document's date ``on``) the company's rate of that date (issue 15); none is
    ``rate_missing`` naming the currency and the date."""
    from creditmemo.domain.money import parse_decimal

    if given is None:
        if currency == company.functional_currency:
            return Decimal(1)
        if uow is not None and on is not None:
            rate = uow.rates.rate_on(company.id, currency, on)
            if rate is not None:
                return rate
            raise RateMissingError(
                f"No {currency} rate on or before {on}: set one (PUT /v1/exchange-rates/{currency}/{on}) or give "
                f"{field}.",
                field=field,
                currency=currency,
                date=str(on),
            )
        raise ValidationFailedError.single(
            field, f"An exchange rate from {currency} to {company.functional_currency} is required.", "required"
        )
    value = parse_decimal(given, field, max_places=10, minimum=Decimal(0), exclusive_minimum=True)
    if currency == company.functional_currency and value != 1:
        raise ValidationFailedError.single(field, "Must be 1 for the company's own currency.", "invalid")
    return value


def functional_currency(uow: UnitOfWork, actor: Actor) -> str:
    """The actor's company's functional currency (its books' currency)."""
    authorize(actor, Permission.READ)
    return uow.companies.get(actor.company_id).functional_currency
