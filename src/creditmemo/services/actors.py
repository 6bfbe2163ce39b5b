"""Who is acting, and what each role may do (DESIGN §5 roles and privileges)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from creditmemo.domain.errors import ForbiddenError


class Role(StrEnum):
    CLERK = "clerk"
    MANAGER = "manager"
    VP = "vp"
    CONTROLLER = "controller"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Permission(StrEnum):
    READ = "read"
    CREATE_CUSTOMER = "create_customer"
    ISSUE_INVOICE = "issue_invoice"
    CREATE_MEMO = "create_memo"
    CREATE_MULTILINE_MEMO = "create_multiline_memo"
    EDIT_MEMO = "edit_memo"
    SUBMIT_MEMO = "submit_memo"
    DISCARD_MEMO = "discard_memo"
    APPROVE_MEMO = "approve_memo"
    POST_MEMO = "post_memo"
    VOID_MEMO = "void_memo"
    APPLY = "apply"
    RECORD_PAYMENT = "record_payment"
    REFUND = "refund"
    OVERRIDE_REFUND_LIMIT = "override_refund_limit"
    PRINT = "print"
    MANAGE = "manage"  # users, keys, settings
    SET_RATES = "set_rates"  # the exchange-rate table
    VERIFY_AUDIT = "verify_audit"
    RECOGNIZE_REVENUE = "recognize_revenue"  # run revenue recognition (issue 12): a controller's action
    CLOSE_PERIOD = "close_period"  # close and reopen a month (issue 17)


P = Permission
_AUTHOR: Final = {
    P.READ,
    P.CREATE_CUSTOMER,
    P.ISSUE_INVOICE,
    P.CREATE_MEMO,
    P.EDIT_MEMO,
    P.SUBMIT_MEMO,
    P.DISCARD_MEMO,
    P.APPLY,
    P.RECORD_PAYMENT,
    P.PRINT,
}
ROLE_PERMISSIONS: Final[dict[Role, frozenset[Permission]]] = {
    # A clerk needs the create_multiline_memo privilege for memos of more than one line (seed 003).
    Role.CLERK: frozenset(_AUTHOR),
    Role.MANAGER: frozenset(_AUTHOR | {P.CREATE_MULTILINE_MEMO, P.APPROVE_MEMO}),
    Role.VP: frozenset(_AUTHOR | {P.CREATE_MULTILINE_MEMO, P.APPROVE_MEMO}),
    Role.CONTROLLER: frozenset(
        _AUTHOR
        | {
            P.CREATE_MULTILINE_MEMO,
            P.APPROVE_MEMO,
            P.POST_MEMO,
            P.VOID_MEMO,
            P.REFUND,
            P.OVERRIDE_REFUND_LIMIT,
            P.SET_RATES,
            P.VERIFY_AUDIT,
            P.RECOGNIZE_REVENUE,
            P.CLOSE_PERIOD,
        }
    ),
    Role.AUDITOR: frozenset({P.READ, P.VERIFY_AUDIT}),
    Role.ADMIN: frozenset({P.READ, P.MANAGE, P.VERIFY_AUDIT, P.SET_RATES, P.CLOSE_PERIOD}),
}
PRIVILEGES: Final = frozenset({"create_multiline_memo"})


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: str | None
    company_id: str
    role: Role
    privileges: frozenset[str] = field(default_factory=frozenset)
    label: str | None = None

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role] or str(permission) in self.privileges


def authorize(actor: Actor, permission: Permission) -> None:
    if not actor.can(permission):
        raise ForbiddenError(
            f"Role {actor.role} may not {permission.replace('_', ' ')}.",
            permission=str(permission),
            role=str(actor.role),
        )


def system_actor(company_id: str, label: str = "system") -> Actor:
    """The demo loader, the worker and the CLI's own maintenance act as this (all permissions of a
    controller; recorded as such in the audit trail)."""
    return Actor(None, company_id, Role.CONTROLLER, frozenset(PRIVILEGES), label)
