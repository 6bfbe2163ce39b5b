"""Typed domain errors with stable codes (DESIGN §5). No HTTP status here: each edge maps codes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one input field: `field` is a path such as ``lines[2].quantity``."""

    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


class DomainError(Exception):
    code: ClassVar[str] = "domain_error"

    def __init__(self, detail: str, *, field: str | None = None, **context: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.context = context


class ValidationFailedError(DomainError):
    """Invalid input. Carries every field error found, not only the first."""

    code = "validation_error"

    def __init__(self, errors: Sequence[FieldError], detail: str | None = None) -> None:
        errors = tuple(errors)
        first = errors[0] if errors else None
        super().__init__(
            detail or (f"{first.field}: {first.message}" if first else "Invalid input."),
            field=first.field if first else None,
        )
        self.errors = errors

    @classmethod
    def single(cls, field: str, message: str, code: str = "invalid") -> ValidationFailedError:
        return cls([FieldError(field, code, message)])


class NotFoundError(DomainError):
    code = "not_found"

    def __init__(self, entity: str, entity_id: object) -> None:
        super().__init__(f"No {entity} with id {entity_id}.", entity=entity, id=str(entity_id))


class ForbiddenError(DomainError):
    code = "forbidden"


class InvalidTransitionError(DomainError):
    code = "invalid_transition"

    def __init__(self, status: str, action: str, allowed: Sequence[str], entity: str = "memo") -> None:
        allowed_text = ", ".join(allowed) if allowed else "none"
        super().__init__(
            f"Cannot {action} a {entity} in status {status}; allowed actions: {allowed_text}.",
            status=str(status),
            action=str(action),
            allowed_actions=[str(a) for a in allowed],
        )


class ApprovalRequiredError(DomainError):
    code = "approval_required"


class OverCreditError(DomainError):
    code = "over_credit"


class OverReturnError(DomainError):
    """A return of more than was invoiced (less earlier returns and quantity credits), or a receipt of
    more than was authorized (issue 10)."""

    code = "over_return"


class CurrencyMismatchError(DomainError):
    code = "currency_mismatch"


class CustomerMismatchError(DomainError):
    code = "customer_mismatch"


class RateMissingError(DomainError):
    """No exchange rate on or before the document's date, and none given (issue 15)."""

    code = "rate_missing"


class InsufficientAvailableError(DomainError):
    code = "insufficient_available"


class IdempotencyConflictError(DomainError):
    code = "idempotency_conflict"


class UnbalancedEntryError(DomainError):
    """A journal entry whose sides differ: a programming error, never a user's."""

    code = "unbalanced_entry"


class MemoSettledError(DomainError):
    """Void refused while part of the memo is applied or refunded: unapply and refund-reverse first."""

    code = "memo_settled"


class OverRefundError(DomainError):
    """A refund larger than the memo's or payment's available amount (never overridable)."""

    code = "over_refund"


class RefundLimitError(DomainError):
    """A refund beyond where the money came in (customer net credit, invoice paid); a controller may
    override it with a recorded reason."""

    code = "refund_limit"


class PeriodClosedError(DomainError):
    """A date in a period (month) the company has closed (issue 17): nothing is dated there until it is
    reopened. Carries ``field`` and ``period``."""

    code = "period_closed"


class PostedIsFinalError(DomainError):
    """Rule 4: a memo past draft keeps its amounts and header; only its text and metadata may change."""

    code = "posted_is_final"


class AccountInUseError(DomainError):
    """An account a posting role or a reason code maps to cannot be deactivated (issue 17)."""

    code = "account_in_use"


class TooManyAttemptsError(DomainError):
    """Sign-in refused without checking the password: too many recent failures for the e-mail or the client
    address. ``retry_after`` is the number of seconds until the oldest counted failure leaves the window."""

    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many failed sign-ins; try again in {retry_after} seconds.", retry_after=retry_after)
        self.retry_after = retry_after


class PlanChangedError(DomainError):
    """What a confirmation was previewed on changed before it ran (another user applied, posted or paid in
    between): nothing was done; preview again."""

    code = "plan_changed"
