"""A company's exchange-rate table (issue 15): set a rate of a day, list rates. Documents without a given rate
take the rate of their date from it (services/companies.rate_for): the latest on or before that date."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from creditmemo.domain.errors import FieldError, ValidationFailedError
from creditmemo.domain.fx import ExchangeRate
from creditmemo.domain.money import parse_currency, parse_decimal
from creditmemo.domain.parsing import parse_date
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store.uow import UnitOfWork

MAX_RATE = Decimal("1000000")


def parse_rate(value: object, field: str = "rate") -> Decimal:
    """A rate is a positive decimal of at most 10 places (a JSON string, like money)."""
    rate = parse_decimal(value, field, max_places=10, minimum=Decimal(0), exclusive_minimum=True)
    if rate > MAX_RATE:
        raise ValidationFailedError.single(field, f"At most {MAX_RATE}.", "out_of_range")
    return rate


def import_rates(
    uow: UnitOfWork, actor: Actor, rows: Iterable[Mapping[str, str | None]], progress: Callable[[int], None]
) -> tuple[int, list[tuple[int, FieldError]]]:
    """`creditmemo rates import`: each row (currency, date, rate) set as by ``set_rate``, in one transaction;
    a bad row is reported with its row number (1 = the first after the header) and costs the others nothing.
    Returns the number of rates set and the errors."""
    authorize(actor, Permission.SET_RATES)
    done, errors = 0, list[tuple[int, FieldError]]()
    for number, row in enumerate(rows, start=1):
        try:
            _check(uow, actor, row.get("currency"), row.get("date"), row.get("rate"))
        except ValidationFailedError as err:
            errors += [(number, e) for e in err.errors]
        else:
            set_rate(uow, actor, row.get("currency"), row.get("date"), row.get("rate"))
            done += 1
        progress(number)
    return done, errors


def _check(uow: UnitOfWork, actor: Actor, currency: object, day: object, rate: object) -> tuple[str, date, Decimal]:
    company = uow.companies.get(actor.company_id)
    errors: list[FieldError] = []
    parsed: dict[str, Any] = {}
    for name, parse in (
        ("currency", lambda: parse_currency(currency)),
        ("date", lambda: parse_date(day, "date")),
        ("rate", lambda: parse_rate(rate)),
    ):
        try:
            parsed[name] = parse()
        except ValidationFailedError as err:
            errors.extend(err.errors)
    if errors:
        raise ValidationFailedError(errors)
    cur, on, value = str(parsed["currency"]), parsed["date"], parsed["rate"]
    if cur == company.functional_currency:
        raise ValidationFailedError.single(
            "currency", f"{cur} is the company's own currency: its rate is always 1.", "invalid"
        )
    return cur, on, value


def set_rate(uow: UnitOfWork, actor: Actor, currency: object, day: object, rate: object) -> ExchangeRate:
    """Set (or replace) the rate of a currency on a day; audited with the rate it replaced."""
    authorize(actor, Permission.SET_RATES)
    cur, on, value = _check(uow, actor, currency, day, rate)
    now = uow.now()
    before = uow.rates.put(actor.company_id, cur, on, value, at=now, by=actor.user_id)
    audit.record(
        uow,
        actor,
        "exchange_rate.set",
        "exchange_rate",
        f"{cur}:{on}",
        {"rate": [None if before is None else format(before, "f"), format(value, "f")]},
    )
    return ExchangeRate(cur, on, value, now, actor.user_id)


def list_rates(
    uow: UnitOfWork, actor: Actor, *, currency: object = None, start: object = None, end: object = None
) -> list[ExchangeRate]:
    authorize(actor, Permission.READ)
    cur = None if currency is None else parse_currency(currency)
    s = None if start is None else parse_date(start, "from")
    e = None if end is None else parse_date(end, "to")
    if s is not None and e is not None and s > e:
        raise ValidationFailedError.single("from", f"From {s} is after to {e}.", "out_of_range")
    return [_rate(r) for r in uow.rates.table(actor.company_id, currency=cur, start=s, end=e)]


def _rate(row: Mapping[str, Any]) -> ExchangeRate:
    return ExchangeRate(row["currency"], row["rate_date"], row["rate"], row["updated_at"], row["updated_by"])
