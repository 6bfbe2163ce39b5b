"""Reason codes and accounts, managed by a company's admins (issue 17 item 7). Read by every role; written by
admins. Never deleted: deactivated. A deactivated reason code stays on the memos that have it and is refused
on new ones; an inactive account takes no new reason code mapping or free line. Every change is audited.

Lock (docs/CONCURRENCY.md, "Company configuration"): each write first bumps the company's config version,
which locks the company's row, so config writers run one at a time and every process re-reads the config
after the commit; nothing else is locked."""

from __future__ import annotations

from typing import Any

from creditmemo.domain.chart import (
    ACCOUNT_KINDS,
    REASON_APPLIES_TO,
    Account,
    ReasonCode,
    account_uses,
    check_account_number,
    check_name,
    check_reason_account,
    check_reason_code,
)
from creditmemo.domain.errors import AccountInUseError, FieldError, NotFoundError, ValidationFailedError
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store.uow import UnitOfWork

_UNSET: Any = object()


def list_reason_codes(uow: UnitOfWork, actor: Actor, *, active: bool | None = None) -> list[dict[str, Any]]:
    authorize(actor, Permission.READ)
    rows = uow.companies.reason_codes(actor.company_id)
    return [r for r in rows if active is None or bool(r["active"]) is active]


def list_accounts(uow: UnitOfWork, actor: Actor, *, active: bool | None = None) -> list[dict[str, Any]]:
    authorize(actor, Permission.READ)
    rows = uow.companies.accounts(actor.company_id)
    return [a for a in rows if active is None or bool(a["active"]) is active]


def get_reason_code(uow: UnitOfWork, actor: Actor, code: str) -> dict[str, Any]:
    authorize(actor, Permission.READ)
    found = _by(uow.companies.reason_codes(actor.company_id), code)
    if found is None:
        raise NotFoundError("reason_code", code)
    return found


def get_account(uow: UnitOfWork, actor: Actor, number: str) -> dict[str, Any]:
    authorize(actor, Permission.READ)
    found = _by(uow.companies.accounts(actor.company_id), number)
    if found is None:
        raise NotFoundError("account", number)
    return found


def add_reason_code(
    uow: UnitOfWork,
    actor: Actor,
    *,
    code: object,
    description: object,
    account: object,
    applies_to: object = "both",
    account_field: str = "account",
) -> dict[str, Any]:
    """A company's own reason code, mapped to one of its active accounts."""
    authorize(actor, Permission.MANAGE)
    uow.companies.change_config(actor.company_id)  # the lock, before the reads that decide
    errors = check_reason_code(code) + check_name(description, "description", required=False)
    errors += check_reason_account(_by(uow.companies.accounts(actor.company_id), account), account, account_field)
    if applies_to not in REASON_APPLIES_TO:
        errors.append(FieldError("applies_to", "invalid", "One of credit, debit, both."))
    if errors:
        raise ValidationFailedError(errors)
    code, account, applies_to = str(code), str(account), str(applies_to)  # checked above
    if _by(uow.companies.reason_codes(actor.company_id), code) is not None:
        raise ValidationFailedError.single("code", f"Reason code {code!r} already exists.", "taken")
    label = description.strip() if isinstance(description, str) and description.strip() else code
    uow.companies.add_reason_code(actor.company_id, ReasonCode(code, label, account, applies_to))
    audit.record(
        uow,
        actor,
        "reason_code.created",
        "reason_code",
        code,
        {
            "description": [None, label],
            "account": [None, account],
            "applies_to": [None, applies_to],
            "active": [None, True],
        },
    )
    return get_reason_code(uow, actor, code)


def update_reason_code(
    uow: UnitOfWork,
    actor: Actor,
    code: str,
    *,
    description: object = _UNSET,
    account: object = _UNSET,
    active: object = _UNSET,
) -> dict[str, Any]:
    """Change the description, the account (an active one) or deactivate/reactivate. Deactivating a code in
    use is allowed: it only hides the code from new memos."""
    authorize(actor, Permission.MANAGE)
    uow.companies.change_config(actor.company_id)
    before = get_reason_code(uow, actor, code)
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    if description is not _UNSET:
        errors += check_name(description, "description")
        values["label"] = description.strip() if isinstance(description, str) else description
    if account is not _UNSET and account != before["account_code"]:
        errors += check_reason_account(_by(uow.companies.accounts(actor.company_id), account), account)
        values["account_code"] = account
    if active is not _UNSET:
        if not isinstance(active, bool):
            errors.append(FieldError("active", "invalid", "true or false."))
        values["active"] = active
    if errors:
        raise ValidationFailedError(errors)
    changes = audit.diff(_reason_view(before), _reason_view({**before, **values}))
    if changes:
        uow.companies.update_reason_code(actor.company_id, code, values)
        audit.record(uow, actor, "reason_code.updated", "reason_code", code, changes)
    return get_reason_code(uow, actor, code)


def add_account(uow: UnitOfWork, actor: Actor, *, number: object, name: object, kind: object) -> dict[str, Any]:
    """A new account of the company's chart (no posting role: the defaults hold those)."""
    authorize(actor, Permission.MANAGE)
    uow.companies.change_config(actor.company_id)
    errors = check_account_number(number) + check_name(name, "name")
    if kind not in ACCOUNT_KINDS:
        errors.append(FieldError("kind", "invalid", f"One of {', '.join(ACCOUNT_KINDS)}."))
    if errors:
        raise ValidationFailedError(errors)
    number, name, kind = str(number), str(name), str(kind)  # checked above
    if _by(uow.companies.accounts(actor.company_id), number) is not None:
        raise ValidationFailedError.single("number", f"Account {number} already exists.", "taken")
    uow.companies.add_account(actor.company_id, Account(number, name.strip(), kind))
    audit.record(
        uow,
        actor,
        "account.created",
        "account",
        number,
        {"name": [None, name.strip()], "kind": [None, kind], "active": [None, True]},
    )
    return get_account(uow, actor, number)


def update_account(
    uow: UnitOfWork, actor: Actor, number: str, *, name: object = _UNSET, active: object = _UNSET
) -> dict[str, Any]:
    """Rename, deactivate or reactivate. An account with a posting role, or that a reason code (active or not)
    maps to, stays active: ``account_in_use`` names what uses it."""
    authorize(actor, Permission.MANAGE)
    uow.companies.change_config(actor.company_id)
    before = get_account(uow, actor, number)
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    if name is not _UNSET:
        errors += check_name(name, "name")
        values["name"] = name.strip() if isinstance(name, str) else name
    if active is not _UNSET:
        if not isinstance(active, bool):
            errors.append(FieldError("active", "invalid", "true or false."))
        values["active"] = active
    if errors:
        raise ValidationFailedError(errors)
    if values.get("active") is False and before["active"]:
        uses = account_uses(number, before["role"], uow.companies.reason_codes(actor.company_id))
        if uses:
            raise AccountInUseError(
                f"Account {number} is in use ({', '.join(uses)}): remap those first.",
                field="active",
                account=number,
                uses=uses,
            )
    changes = audit.diff(_account_view(before), _account_view({**before, **values}))
    if changes:
        uow.companies.update_account(actor.company_id, number, values)
        audit.record(uow, actor, "account.updated", "account", number, changes)
    return get_account(uow, actor, number)


def _by(rows: list[dict[str, Any]], code: object) -> dict[str, Any] | None:
    return next((r for r in rows if r["code"] == code), None)


def _reason_view(r: dict[str, Any]) -> dict[str, Any]:
    return {"description": r["label"], "account": r["account_code"], "active": bool(r["active"])}


def _account_view(a: dict[str, Any]) -> dict[str, Any]:
    return {"name": a["name"], "active": bool(a["active"])}
