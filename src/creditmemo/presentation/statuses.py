"""The ONE table from stable error codes (DESIGN §5) to HTTP statuses and problem titles: the API's
application/problem+json answers (api/problems.py) and the web's error pages alike."""

from __future__ import annotations

from typing import Final

PROBLEMS: Final[dict[str, tuple[int, str]]] = {  # code -> (HTTP status, title)
    "bad_request": (400, "Bad request"),
    "unauthorized": (401, "Missing or invalid credentials"),
    "forbidden": (403, "Forbidden"),
    "not_found": (404, "Not found"),
    "method_not_allowed": (405, "Method not allowed"),
    "invalid_transition": (409, "Action not allowed in this status"),
    "approval_required": (409, "Approval required"),
    "idempotency_conflict": (409, "Idempotency key reused with a different request"),
    "memo_settled": (409, "The memo is applied or refunded"),
    "posted_is_final": (409, "Only the text and metadata of a memo past draft can change"),
    "account_in_use": (409, "The account is in use"),
    "conflict": (409, "Conflicting concurrent request"),
    "plan_changed": (409, "The open items changed since the preview"),
    "payload_too_large": (413, "Request body too large"),
    "unsupported_media_type": (415, "Unsupported media type"),
    "too_many_attempts": (429, "Too many failed sign-ins"),
    "validation_error": (422, "Request is not valid"),
    "over_credit": (422, "Credit exceeds what was invoiced"),
    "over_return": (422, "Return exceeds what was invoiced or authorized"),
    "insufficient_available": (422, "Not enough available"),
    "currency_mismatch": (422, "Currencies differ"),
    "rate_missing": (422, "No exchange rate for the date"),
    "discount_expired": (422, "The settlement discount date has passed"),
    "customer_mismatch": (422, "Documents belong to different customers"),
    "over_refund": (422, "Refund exceeds what is available"),
    "refund_limit": (422, "Refund beyond where the money came in"),
    "no_credit_due": (422, "No credit is due"),
    "period_closed": (422, "The date is in a closed period"),
    "duplicate_incident": (409, "This incident is already credited"),
    "internal_error": (500, "Internal error"),
    "unbalanced_entry": (500, "Internal error"),
}
DEFAULT_DOMAIN_STATUS: Final = 422


def status_for(code: str) -> int:
    """The HTTP status of an error code; a domain code not in the table is a 422."""
    return PROBLEMS.get(code, (DEFAULT_DOMAIN_STATUS, ""))[0]
