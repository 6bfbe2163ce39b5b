"""Approval policy (seed 000, DESIGN §2): tiers on the memo total in company currency, role limits,
and who may approve a memo. Pure: the service reads the policy from company settings and passes it in.

Default: above 5,000 one approval from a manager or above; above 25,000 from a VP or above.
Role ranks: manager < vp < controller. A controller's default limit is unlimited (None): the
controller already posts and voids every memo, so a sign-off ceiling below the VP's would only add
a hand-off, not control. A company can give the controller a limit in its policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from creditmemo.domain.errors import FieldError, ValidationFailedError
from creditmemo.domain.money import Money, parse_decimal

# Roles that may sign off, lowest first. A tier's ``min_role`` is met by that role or any higher one.
APPROVER_RANK: Final[Mapping[str, int]] = {"manager": 1, "vp": 2, "controller": 3}


class Decision(StrEnum):
    APPROVED = "approved"
    NOT_REQUIRED = "not_required"  # submitted when no tier applied: approved without a sign-off
    REJECTED = "rejected"
    RECALLED = "recalled"


# Decisions that let a memo of that exact version be posted.
CLEARING: Final = frozenset({Decision.APPROVED, Decision.NOT_REQUIRED})


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    above: Decimal  # strictly above this functional amount the tier applies
    min_role: str


@dataclass(frozen=True, slots=True)
class ApprovalPolicy:
    tiers: tuple[Tier, ...]  # ordered by ``above``
    role_limits: Mapping[str, Decimal | None]  # None: no ceiling; a role absent here may not approve

    def to_dict(self) -> dict[str, Any]:
        return {
            "tiers": [{"name": t.name, "above": str(t.above), "min_role": t.min_role} for t in self.tiers],
            "role_limits": {r: None if v is None else str(v) for r, v in self.role_limits.items()},
        }

    @classmethod
    def from_dict(cls, data: object) -> ApprovalPolicy:
        """Validate a policy as stored in settings or sent by an admin; every problem is reported."""
        errors: list[FieldError] = []
        if not isinstance(data, Mapping):
            raise ValidationFailedError.single("policy", "An object with tiers and role_limits.", "invalid")
        tiers: list[Tier] = []
        raw_tiers = data.get("tiers", [])
        if not isinstance(raw_tiers, list):
            errors.append(FieldError("tiers", "invalid", "A list of tiers."))
            raw_tiers = []
        for i, raw in enumerate(raw_tiers):
            tier = _tier(raw, f"tiers[{i}]", errors)
            if tier is not None:
                tiers.append(tier)
        names = [t.name for t in tiers]
        if len(set(names)) != len(names):
            errors.append(FieldError("tiers", "duplicate", "Tier names must be unique."))
        aboves = [t.above for t in tiers]
        if len(set(aboves)) != len(aboves):
            errors.append(FieldError("tiers", "duplicate", "Two tiers start at the same amount."))
        limits: dict[str, Decimal | None] = {}
        raw_limits = data.get("role_limits", {})
        if not isinstance(raw_limits, Mapping):
            errors.append(FieldError("role_limits", "invalid", "An object of role: limit (or null)."))
            raw_limits = {}
        for role, value in raw_limits.items():
            field = f"role_limits.{role}"
            if role not in APPROVER_RANK:
                errors.append(FieldError(field, "invalid", f"Approving roles: {', '.join(APPROVER_RANK)}."))
                continue
            try:
                limits[role] = None if value is None else parse_decimal(value, field, max_places=6, minimum=Decimal(0))
            except ValidationFailedError as e:
                errors.extend(e.errors)
        unknown = set(data) - {"tiers", "role_limits"}
        errors.extend(FieldError(k, "unknown_field", "Not a policy field.") for k in sorted(map(str, unknown)))
        tiers.sort(key=lambda t: t.above)
        for i, tier in enumerate(tiers):
            if not any(
                APPROVER_RANK[r] >= APPROVER_RANK[tier.min_role] and (lim is None or lim > tier.above)
                for r, lim in limits.items()
            ):
                errors.append(
                    FieldError(
                        f"tiers[{i}]", "unreachable", f"No role may approve memos above {tier.above} ({tier.name})."
                    )
                )
        if errors:
            raise ValidationFailedError(errors)
        return cls(tuple(tiers), limits)


def _tier(raw: object, path: str, errors: list[FieldError]) -> Tier | None:
    if not isinstance(raw, Mapping):
        errors.append(FieldError(path, "invalid", "An object with name, above and min_role."))
        return None
    found = len(errors)
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 40:
        errors.append(FieldError(f"{path}.name", "required", "A name of 1 to 40 characters."))
    role = raw.get("min_role")
    if role not in APPROVER_RANK:
        errors.append(FieldError(f"{path}.min_role", "invalid", f"One of {', '.join(APPROVER_RANK)}."))
    above = Decimal(0)
    try:
        above = parse_decimal(raw.get("above"), f"{path}.above", max_places=6, minimum=Decimal(0))
    except ValidationFailedError as e:
        errors.extend(e.errors)
    if len(errors) != found:
        return None
    return Tier(str(name).strip(), above, str(role))


def functional_total(total: Money, exchange_rate: Decimal, functional_currency: str) -> Money:
    """The memo total in company currency: total × exchange rate, rounded half-up once."""
    return Money.rounded(total.amount * exchange_rate, functional_currency)


def required_tier(policy: ApprovalPolicy, amount: Decimal) -> Tier | None:
    """The highest tier the amount is strictly above, or None when no approval is needed."""
    applicable = [t for t in policy.tiers if amount > t.above]
    return applicable[-1] if applicable else None


def may_approve(policy: ApprovalPolicy, role: str, amount: Decimal, tier: Tier | None) -> bool:
    """A role may approve when the policy gives it a limit that covers the amount and, if a tier
    applies, it ranks at least as high as the tier's minimum role."""
    if role not in policy.role_limits:
        return False
    limit = policy.role_limits[role]
    if limit is not None and amount > limit:
        return False
    return tier is None or APPROVER_RANK.get(role, 0) >= APPROVER_RANK[tier.min_role]


@dataclass(frozen=True, slots=True)
class Approval:
    """One decision on one version of a memo: who, when, which tier, why."""

    id: str
    memo_id: str
    memo_version: int
    decision: Decision
    tier: str | None
    actor_id: str
    comment: str | None
    created_at: datetime


def is_cleared(approvals: list[Approval] | tuple[Approval, ...], memo_version: int) -> bool:
    """An approval counts only for the exact memo version it was given on: any later edit or recall
    changes the version, so old approvals never carry over."""
    return any(a.memo_version == memo_version and a.decision in CLEARING for a in approvals)
