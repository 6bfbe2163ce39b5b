"""Webhooks (issue 13 item 3): which events exist, which URLs an endpoint may have, how a delivery is signed and
when it is tried again. Pure: no I/O here (the address a host name resolves to is checked by the caller with
``check_address``)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable
from datetime import timedelta
from typing import Final
from urllib.parse import urlsplit

from creditmemo.domain.errors import FieldError, ValidationFailedError

_MEMO_VERBS: Final = ("created", "submitted", "approved", "rejected", "posted", "voided", "discarded")
_RETURN_VERBS: Final = ("authorized", "updated", "received", "credited", "credit_released", "cancelled")
ANCHOR_EVENT: Final = "audit.anchor"

# Every event type an endpoint may subscribe to, in the order the README lists them. All but audit.anchor are
# audit actions: the audit event of the change is the webhook event (same id, written in the same transaction).
EVENT_TYPES: Final[tuple[str, ...]] = (
    *(f"credit_memo.{v}" for v in _MEMO_VERBS),
    *(f"debit_memo.{v}" for v in _MEMO_VERBS),
    "application.created",
    "application.reversed",
    "refund.created",
    *(f"return.{v}" for v in _RETURN_VERBS),
    ANCHOR_EVENT,
)
AUDITED_TYPES: Final = frozenset(EVENT_TYPES) - {ANCHOR_EVENT}

MAX_URL = 2000
MAX_EVENTS = 50
SECRET_PREFIX = "whsec_"
SIGNATURE_HEADER = "Creditmemo-Signature"
GIVE_UP_AFTER: Final = timedelta(days=1)
FIRST_RETRY_SECONDS = 10.0
MAX_RETRY_SECONDS = 3600.0

# Never a destination, even when private addresses are allowed: cloud metadata services and link-local ranges.
_FORBIDDEN_NETWORKS: Final = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.0.0/16",  # link-local, AWS/GCP/Azure metadata 169.254.169.254
        "fe80::/10",  # IPv6 link-local
        "fd00:ec2::254/128",  # AWS metadata over IPv6
        "100.100.100.200/32",  # Alibaba Cloud metadata
        "0.0.0.0/8",
        "::/128",
        "224.0.0.0/4",  # multicast
        "ff00::/8",
        "255.255.255.255/32",
    )
)
_FORBIDDEN_HOSTS: Final = frozenset(
    {"metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"}
)


def expand_events(patterns: Iterable[str]) -> list[str]:
    """The concrete event types of a subscription: ``credit_memo.posted``, ``credit_memo.*`` or ``*``. Unknown
    ones are refused (422, field ``events``)."""
    wanted: set[str] = set()
    errors = []
    patterns = list(patterns)
    if not patterns:
        errors.append(FieldError("events", "required", "Name at least one event type (or `*` for all)."))
    if len(patterns) > MAX_EVENTS:
        errors.append(FieldError("events", "too_many", f"At most {MAX_EVENTS} event types."))
    for i, p in enumerate(patterns):
        if p == "*":
            wanted.update(EVENT_TYPES)
        elif p.endswith(".*") and any(t.startswith(p[:-1]) for t in EVENT_TYPES):
            wanted.update(t for t in EVENT_TYPES if t.startswith(p[:-1]))
        elif p in EVENT_TYPES:
            wanted.add(p)
        else:
            errors.append(FieldError(f"events[{i}]", "unknown_event", f"Unknown event type {p!r}."))
    if errors:
        raise ValidationFailedError(errors)
    return [t for t in EVENT_TYPES if t in wanted]


def check_url(url: str, *, allow_private: bool) -> str:
    """An endpoint's URL: http(s), a host, no credentials; an IP literal or a known metadata name is checked here,
    a host name again at each delivery against what it resolves to (``check_address``)."""

    def bad(message: str, code: str = "invalid_url") -> ValidationFailedError:
        return ValidationFailedError.single("url", message, code)

    url = url.strip()
    if not url or len(url) > MAX_URL:
        raise bad(f"A URL of 1 to {MAX_URL} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise bad("Not a valid URL.") from None
    if parts.scheme not in ("http", "https"):
        raise bad("Only http:// and https:// URLs can receive webhooks.", "unsupported_scheme")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise bad("The URL has no host.")
    if parts.username or parts.password:
        raise bad("No user name or password in the URL (the signature authenticates us).")
    if port == 0:
        raise bad("Port 0 cannot be reached.")
    if host in _FORBIDDEN_HOSTS:
        raise bad(f"{host} is a cloud metadata service, never a webhook receiver.", "forbidden_address")
    if host == "localhost" or host.endswith(".localhost"):
        if not allow_private:
            raise bad(
                "Loopback addresses are refused (set CREDITMEMO_WEBHOOKS_ALLOW_PRIVATE=1 to allow).", "private_address"
            )
        return url
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return url  # a name: checked when it is resolved, at each delivery
    problem = check_address(address, allow_private=allow_private)
    if problem is not None:
        raise bad(problem[1], problem[0])
    return url


def check_address(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_private: bool
) -> tuple[str, str] | None:
    """(code, message) when a delivery must not go to ``address``, else None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in n for n in _FORBIDDEN_NETWORKS if n.version == address.version):
        return "forbidden_address", f"{address} is link-local or a metadata address, never a webhook receiver."
    if not address.is_global and not allow_private:
        return (
            "private_address",
            f"{address} is a private or loopback address (set CREDITMEMO_WEBHOOKS_ALLOW_PRIVATE=1 to allow).",
        )
    return None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Creditmemo-Signature`` header: ``t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def retry_delay(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failed ones: 10 s, 20 s, 40 s … at most an hour."""
    return min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1))
