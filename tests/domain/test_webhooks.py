"""domain/webhooks.py: event patterns, URL and address rules, the signature and the back-off."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import itertools

import pytest

from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.webhooks import (
    EVENT_TYPES,
    MAX_RETRY_SECONDS,
    check_address,
    check_url,
    expand_events,
    retry_delay,
    sign,
)


def test_patterns_expand_to_concrete_types_without_duplicates() -> None:
    assert expand_events(["*"]) == list(EVENT_TYPES)
    memo = expand_events(["credit_memo.*", "credit_memo.posted"])
    assert memo == [t for t in EVENT_TYPES if t.startswith("credit_memo.")]
    assert len(memo) == 7
    assert expand_events(["audit.anchor", "refund.created"]) == ["refund.created", "audit.anchor"]


@pytest.mark.parametrize("bad", [[], ["nope"], ["credit_memo.eaten"], ["zzz.*"]])
def test_unknown_or_no_events_are_refused(bad: list[str]) -> None:
    with pytest.raises(ValidationFailedError) as e:
        expand_events(bad)
    assert e.value.errors[0].field.startswith("events")


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",
        "fd00:ec2::254",
        "fe80::1",
        "100.100.100.200",
        "0.0.0.0",
        "::ffff:169.254.169.254",
        "224.0.0.1",
    ],
)
def test_metadata_and_link_local_are_refused_even_when_private_is_allowed(address: str) -> None:
    problem = check_address(ipaddress.ip_address(address), allow_private=True)
    assert problem is not None
    assert problem[0] == "forbidden_address"


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.1", "::1", "172.16.0.1", "fd12::1"])
def test_private_and_loopback_only_when_allowed(address: str) -> None:
    assert check_address(ipaddress.ip_address(address), allow_private=True) is None
    problem = check_address(ipaddress.ip_address(address), allow_private=False)
    assert problem is not None
    assert problem[0] == "private_address"


def test_public_addresses_and_names_pass() -> None:
    assert check_address(ipaddress.ip_address("93.184.216.34"), allow_private=False) is None
    assert check_url("https://erp.example.com/hooks?x=1", allow_private=False) == "https://erp.example.com/hooks?x=1"
    with pytest.raises(ValidationFailedError):
        check_url("http://METADATA.google.internal./x", allow_private=True)


def test_signature_is_hmac_sha256_of_time_dot_body() -> None:
    body = b'{"id":"ev_1"}'
    header = sign("whsec_abc", 1700000000, body)
    expected = hmac.new(b"whsec_abc", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert sign("whsec_abc", 1700000001, body) != header


def test_back_off_doubles_up_to_the_cap() -> None:
    delays = [retry_delay(n) for n in range(1, 15)]
    assert delays[:4] == [10, 20, 40, 80]
    assert all(b >= a for a, b in itertools.pairwise(delays))
    assert max(delays) == MAX_RETRY_SECONDS
