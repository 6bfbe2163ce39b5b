"""Automatic credits computed from an invoice line's service period (seed 000): the prorated credit of a
mid-period downgrade (GreenField) and the SLA outage credit (Prism Telecom). Pure arithmetic; the memo is
then built like any memo from an invoice, so rules 1 and 2 (what is left on the line, tax follows the
line) apply unchanged."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from creditmemo.domain.documents import InvoiceLine
from creditmemo.domain.errors import DomainError, ValidationFailedError
from creditmemo.domain.money import Money

MINUTES_A_DAY = 1440
HUNDRED = Decimal(100)


class NoCreditDueError(DomainError):
    """The computation gives nothing to credit (uptime above every tier)."""

    code = "no_credit_due"


def period_of(line: InvoiceLine, field: str) -> tuple[date, date]:
    if line.service_start is None or line.service_end is None:
        raise ValidationFailedError.single(
            field, f"Invoice line {line.line_no} has no service period to prorate over.", "no_service_period"
        )
    return line.service_start, line.service_end


@dataclass(frozen=True, slots=True)
class Proration:
    """A downgrade credit and how it was computed (shown to the user and kept in the audit event)."""

    net: Money
    days_in_period: int
    unused_days: int
    old_net: Money
    new_net: Decimal  # exact: the line's net at the new quantity or price, not rounded
    covers: tuple[date, date]  # the unused part of the period, which the memo line records

    def explain(self) -> dict[str, Any]:
        return {
            "days_in_period": self.days_in_period,
            "unused_days": self.unused_days,
            "old_net": str(self.old_net.amount),
            "new_net": str(_at_most_six_places(self.new_net)),
            "credit_net": str(self.net.amount),
            "covers": [str(self.covers[0]), str(self.covers[1])],
        }


def _at_most_six_places(value: Decimal) -> Decimal:
    """For showing an exact intermediate (1200 x 5 / 7 has no end): six places at most."""
    exponent = value.as_tuple().exponent
    return value.quantize(Decimal("0.000001")) if isinstance(exponent, int) and exponent < -6 else value


def prorate_downgrade(
    line: InvoiceLine,
    *,
    effective_date: date,
    new_quantity: Decimal | None = None,
    new_unit_price: Decimal | None = None,
) -> Proration:
    """Credit net = (line net - the line's net at the new quantity or price) x unused days / days in period,
    rounded half-up once. Days in period = end - start + 1; unused days = end - effective date + 1.
    12 seats x 100.00 over 2026-01-01..31, down to 6 seats from 2026-01-17: 600.00 x 15 / 31 = 290.32."""
    start, end = period_of(line, "invoice_line_id")
    if not start <= effective_date <= end:
        raise ValidationFailedError.single(
            "effective_date", f"{effective_date} is outside the line's service period {start}..{end}.", "out_of_range"
        )
    if (new_quantity is None) == (new_unit_price is None):
        raise ValidationFailedError.single(
            "new_quantity", "Give exactly one of new_quantity, new_unit_price.", "one_of"
        )
    if new_quantity is not None:
        if new_quantity < 0:
            raise ValidationFailedError.single("new_quantity", "Cannot be negative.", "out_of_range")
        new_net = line.net.amount * new_quantity / line.quantity  # per-unit net kept: the discount scales too
        field = "new_quantity"
    else:
        assert new_unit_price is not None
        if new_unit_price < 0:
            raise ValidationFailedError.single("new_unit_price", "Cannot be negative.", "out_of_range")
        new_net = new_unit_price * line.quantity - line.discount.amount
        field = "new_unit_price"
    if new_net >= line.net.amount:
        raise ValidationFailedError.single(
            field, f"That is not a downgrade: the line's net would go from {line.net} to {new_net}.", "not_a_downgrade"
        )
    days = (end - start).days + 1
    unused = (end - effective_date).days + 1
    net = Money.rounded((line.net.amount - new_net) * unused / days, line.net.currency)
    return Proration(net, days, unused, line.net, new_net, (effective_date, end))


@dataclass(frozen=True, slots=True)
class SlaTier:
    below_uptime: Decimal  # percent: the tier applies when uptime is below this
    credit_percent: Decimal


DEFAULT_SLA_TIERS: tuple[SlaTier, ...] = (
    SlaTier(Decimal("99.9"), Decimal(10)),
    SlaTier(Decimal("99.0"), Decimal(25)),
    SlaTier(Decimal("95.0"), Decimal(100)),
)


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    tiers: tuple[SlaTier, ...] = DEFAULT_SLA_TIERS

    @classmethod
    def from_dict(cls, data: object) -> SlaPolicy:
        """Validated: 1 to 20 tiers, thresholds and percents in (0, 100], distinct thresholds; a lower
        uptime never earns a smaller credit."""
        tiers_raw = data.get("tiers") if isinstance(data, dict) else None
        if not isinstance(tiers_raw, list) or not 1 <= len(tiers_raw) <= 20:
            raise ValidationFailedError.single("tiers", "A list of 1 to 20 tiers.", "invalid")
        tiers = []
        for i, raw in enumerate(tiers_raw):
            if not isinstance(raw, dict):
                raise ValidationFailedError.single(f"tiers[{i}]", "An object.", "invalid")
            below = _percent(raw.get("below_uptime"), f"tiers[{i}].below_uptime")
            credit = _percent(raw.get("credit_percent"), f"tiers[{i}].credit_percent")
            tiers.append(SlaTier(below, credit))
        tiers.sort(key=lambda t: t.below_uptime, reverse=True)
        for higher, lower in itertools.pairwise(tiers):
            if higher.below_uptime == lower.below_uptime:
                raise ValidationFailedError.single("tiers", "Two tiers with the same threshold.", "duplicate")
            if lower.credit_percent < higher.credit_percent:
                raise ValidationFailedError.single(
                    "tiers", "A lower uptime must not earn a smaller credit.", "not_monotonic"
                )
        return cls(tuple(tiers))

    def to_dict(self) -> dict[str, Any]:
        return {
            "tiers": [
                {"below_uptime": str(t.below_uptime), "credit_percent": str(t.credit_percent)} for t in self.tiers
            ]
        }

    def tier_for(self, uptime_percent: Decimal) -> SlaTier | None:
        """The tier of the lowest threshold the uptime falls below (tiers are highest threshold first)."""
        found = None
        for tier in self.tiers:
            if uptime_percent < tier.below_uptime:
                found = tier
        return found


def _percent(value: object, field: str) -> Decimal:
    try:
        number = Decimal(str(value)) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    except ArithmeticError:
        number = None
    if number is None or not number.is_finite() or not Decimal(0) < number <= HUNDRED:
        raise ValidationFailedError.single(field, "A percentage above 0 and at most 100, as a string.", "invalid")
    return number


@dataclass(frozen=True, slots=True)
class SlaCredit:
    net: Money
    minutes_in_period: int
    outage_minutes: int
    uptime_percent: Decimal  # exact
    tier: SlaTier
    covers: tuple[date, date]

    def explain(self) -> dict[str, Any]:
        return {
            "minutes_in_period": self.minutes_in_period,
            "outage_minutes": self.outage_minutes,
            "uptime_percent": str(self.uptime_percent.quantize(Decimal("0.01"))),
            "tier_below_uptime": str(self.tier.below_uptime),
            "credit_percent": str(self.tier.credit_percent),
            "plan_value": str(self.net.amount * HUNDRED / self.tier.credit_percent)
            if self.tier.credit_percent
            else "0",
            "credit_net": str(self.net.amount),
        }


def sla_credit(line: InvoiceLine, *, outage_minutes: int, policy: SlaPolicy) -> SlaCredit:
    """Uptime = 1 - outage minutes / minutes in the line's service period; credit = the line's net (the plan
    value) x the percent of the lowest tier the uptime falls below, rounded half-up once. A 3,000.00 line for
    January 2026 (44,640 minutes) with 2,160 minutes of outage: uptime 95.16 % → 25 % → 750.00."""
    start, end = period_of(line, "invoice_line_id")
    minutes = ((end - start).days + 1) * MINUTES_A_DAY
    if isinstance(outage_minutes, bool) or not isinstance(outage_minutes, int) or not 0 < outage_minutes <= minutes:
        raise ValidationFailedError.single(
            "outage_minutes", f"A whole number of minutes from 1 to the {minutes} the period holds.", "out_of_range"
        )
    uptime = (1 - Decimal(outage_minutes) / Decimal(minutes)) * HUNDRED
    tier = policy.tier_for(uptime)
    if tier is None:
        raise NoCreditDueError(
            f"Uptime {uptime.quantize(Decimal('0.01'))} % is above every tier of the SLA policy: no credit is due.",
            field="outage_minutes",
            uptime_percent=str(uptime.quantize(Decimal("0.01"))),
        )
    net = Money.rounded(line.net.amount * tier.credit_percent / HUNDRED, line.net.currency)
    return SlaCredit(net, minutes, outage_minutes, uptime, tier, (start, end))
