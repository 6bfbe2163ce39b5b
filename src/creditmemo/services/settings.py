"""Company settings an admin changes: the approval policy and the background line limit. Stored in
companies.settings (JSON); every change is validated and audited. Decisions read the policy fresh
from the database (not the per-process company cache), so a change made by another process counts
at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from creditmemo.domain.approval import ApprovalPolicy
from creditmemo.domain.dating import DEFAULT_MAX_FUTURE_DAYS, check_max_future_days
from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.legal import LegalDetails, apply_legal_changes, legal_changes
from creditmemo.domain.proration import SlaPolicy
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.companies import DEFAULT_SETTINGS
from creditmemo.services.revenue import LINE_ACCOUNT_REASONS
from creditmemo.store.uow import UnitOfWork

MAX_LINE_LIMIT: Final = 100_000


def load_policy(uow: UnitOfWork, company_id: str) -> ApprovalPolicy:
    """The company's policy as stored (validated when it was saved), or the default."""
    stored = uow.companies.settings(company_id).get("approval_policy")
    return ApprovalPolicy.from_dict(stored if stored is not None else DEFAULT_SETTINGS["approval_policy"])


def get_approval_policy(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    authorize(actor, Permission.READ)
    return load_policy(uow, actor.company_id).to_dict()


def update_approval_policy(uow: UnitOfWork, actor: Actor, policy_dict: object) -> dict[str, Any]:
    """Replace the policy (admin only). Memos already approved keep their approval; memos submitted
    from now on, and approvals given from now on, follow the new policy."""
    authorize(actor, Permission.MANAGE)
    new = ApprovalPolicy.from_dict(policy_dict).to_dict()
    settings = uow.companies.settings(actor.company_id)
    old = ApprovalPolicy.from_dict(settings.get("approval_policy", DEFAULT_SETTINGS["approval_policy"])).to_dict()
    if new != old:
        uow.companies.update_settings(actor.company_id, {**settings, "approval_policy": new})
        audit.record(
            uow, actor, "company.settings_updated", "company", actor.company_id, {"approval_policy": [old, new]}
        )
    return new


def get_background_line_limit(uow: UnitOfWork, actor: Actor) -> int:
    authorize(actor, Permission.READ)
    value = uow.companies.settings(actor.company_id).get("background_line_limit")
    return int(value if value is not None else DEFAULT_SETTINGS["background_line_limit"])


def update_background_line_limit(uow: UnitOfWork, actor: Actor, value: object) -> int:
    """Memos with more lines than this are posted by the worker (DESIGN §2; default DEFAULT_BACKGROUND_LINE_LIMIT)."""
    authorize(actor, Permission.MANAGE)
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise ValidationFailedError.single("background_line_limit", "A whole number of lines.", "invalid")
    limit = int(value)
    if not 1 <= limit <= MAX_LINE_LIMIT:
        raise ValidationFailedError.single("background_line_limit", f"Between 1 and {MAX_LINE_LIMIT}.", "out_of_range")
    settings = uow.companies.settings(actor.company_id)
    old = int(settings.get("background_line_limit", DEFAULT_SETTINGS["background_line_limit"]))
    if limit != old:
        uow.companies.update_settings(actor.company_id, {**settings, "background_line_limit": limit})
        audit.record(
            uow, actor, "company.settings_updated", "company", actor.company_id, {"background_line_limit": [old, limit]}
        )
    return limit


def load_sla_policy(uow: UnitOfWork, company_id: str) -> SlaPolicy:
    """The company's SLA policy as stored (validated when saved), or the default tiers."""
    stored = uow.companies.settings(company_id).get("sla_policy")
    return SlaPolicy() if stored is None else SlaPolicy.from_dict(stored)


def get_sla_policy(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    authorize(actor, Permission.READ)
    return load_sla_policy(uow, actor.company_id).to_dict()


def update_sla_policy(uow: UnitOfWork, actor: Actor, policy_dict: object) -> dict[str, Any]:
    """Replace the SLA tiers (admin only, audited). Credits already created keep their computation."""
    authorize(actor, Permission.MANAGE)
    new = SlaPolicy.from_dict(policy_dict).to_dict()
    settings = uow.companies.settings(actor.company_id)
    old = load_sla_policy(uow, actor.company_id).to_dict()
    if new != old:
        uow.companies.update_settings(actor.company_id, {**settings, "sla_policy": new})
        audit.record(uow, actor, "company.settings_updated", "company", actor.company_id, {"sla_policy": [old, new]})
    return new


def auto_apply_credit(uow: UnitOfWork, company_id: str) -> bool:
    """Whether account credit is applied to each new invoice automatically (a customer may override)."""
    return bool(uow.companies.settings(company_id).get("auto_apply_credit", False))


def get_auto_apply_credit(uow: UnitOfWork, actor: Actor) -> bool:
    authorize(actor, Permission.READ)
    return auto_apply_credit(uow, actor.company_id)


def update_auto_apply_credit(uow: UnitOfWork, actor: Actor, value: object) -> bool:
    authorize(actor, Permission.MANAGE)
    if not isinstance(value, bool):
        raise ValidationFailedError.single("auto_apply_credit", "Must be true or false.", "invalid")
    settings = uow.companies.settings(actor.company_id)
    old = bool(settings.get("auto_apply_credit", False))
    if value != old:
        uow.companies.update_settings(actor.company_id, {**settings, "auto_apply_credit": value})
        audit.record(
            uow, actor, "company.settings_updated", "company", actor.company_id, {"auto_apply_credit": [old, value]}
        )
    return value


def get_legal_details(uow: UnitOfWork, actor: Actor) -> LegalDetails:
    """The company's legal name, address and tax ID, as its documents show them."""
    authorize(actor, Permission.READ)
    return uow.companies.legal_details(actor.company_id)


def update_legal_details(uow: UnitOfWork, actor: Actor, details: Mapping[str, object]) -> LegalDetails:
    """Replace the company's legal details (admin only; a field left out or null is cleared; audited field by
    field). Documents printed from now on show them; nothing already printed changes."""
    authorize(actor, Permission.MANAGE)
    old = uow.companies.legal_details(actor.company_id)
    new = apply_legal_changes(LegalDetails(), details)
    diff = legal_changes(old, new)
    if diff:
        uow.companies.set_legal_details(actor.company_id, new)
        audit.record(uow, actor, "company.settings_updated", "company", actor.company_id, diff)
    return new


def get_line_account_reasons(uow: UnitOfWork, actor: Actor) -> list[str]:
    """Issue 12 item 6: the reasons whose invoice credits reverse the recognized part to each invoice line's own
    revenue account; every other reason uses the sales-returns contra account (4900, the default)."""
    authorize(actor, Permission.READ)
    return sorted(uow.companies.settings(actor.company_id).get(LINE_ACCOUNT_REASONS) or [])


def update_line_account_reasons(uow: UnitOfWork, actor: Actor, reasons: object) -> list[str]:
    authorize(actor, Permission.MANAGE)
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        raise ValidationFailedError.single("reasons", "A list of reason codes.", "invalid")
    known = uow.companies.get(actor.company_id).reason_accounts
    for i, code in enumerate(reasons):
        if code not in known:
            raise ValidationFailedError.single(f"reasons[{i}]", f"No reason code {code!r}.", "unknown_reason")
    new = sorted(set(reasons))
    settings = uow.companies.settings(actor.company_id)
    old = sorted(settings.get(LINE_ACCOUNT_REASONS) or [])
    if new != old:
        uow.companies.update_settings(actor.company_id, {**settings, LINE_ACCOUNT_REASONS: new})
        audit.record(
            uow, actor, "company.settings_updated", "company", actor.company_id, {LINE_ACCOUNT_REASONS: [old, new]}
        )
    return new


def max_future_days(uow: UnitOfWork, company_id: str) -> int:
    value = uow.companies.settings(company_id).get("max_future_days")
    return int(value if value is not None else DEFAULT_MAX_FUTURE_DAYS)


def get_max_future_days(uow: UnitOfWork, actor: Actor) -> int:
    authorize(actor, Permission.READ)
    return max_future_days(uow, actor.company_id)


def update_max_future_days(uow: UnitOfWork, actor: Actor, value: object) -> int:
    """How many days after today a document may be dated (admin; audited)."""
    authorize(actor, Permission.MANAGE)
    days = check_max_future_days(value)
    settings = uow.companies.settings(actor.company_id)
    old = max_future_days(uow, actor.company_id)
    if days != old:
        uow.companies.update_settings(actor.company_id, {**settings, "max_future_days": days})
        audit.record(
            uow, actor, "company.settings_updated", "company", actor.company_id, {"max_future_days": [old, days]}
        )
    return days
