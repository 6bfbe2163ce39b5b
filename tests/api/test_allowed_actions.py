"""A memo's ``allowed_actions`` tells the truth: for each role and each memo state, every action listed
succeeds when asked for, and every action not listed is refused (domain/memo_actions.py is the one rule)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.api.conftest import Tenant

BIG = [{"description": "Big", "quantity": "1", "unit_price": "8000.00"}]  # above the manager tier (5,000)
BODIES = {
    "submit": {},
    "approve": {},
    "reject": {"comment": "Not this one."},
    "recall": {},
    "post": {},
    "void": {},
    "discard": {"reason": "Not needed."},
}
ROLES = ("clerk", "manager", "controller", "auditor")


def small_draft(t: Tenant) -> str:
    return str(t.memo_from(t.invoice(), role="clerk", auto_apply=False)["id"])


def big_draft(t: Tenant) -> str:
    return str(t.memo_from(t.invoice(lines=BIG), role="clerk")["id"])


def pending(t: Tenant) -> str:
    memo_id = big_draft(t)
    t.ok(t.post(f"/v1/credit-memos/{memo_id}/submit", {}, role="clerk"))
    return memo_id


def approved(t: Tenant) -> str:
    memo_id = pending(t)
    t.ok(t.post(f"/v1/credit-memos/{memo_id}/approve", {}, role="manager"))
    return memo_id


def posted_unapplied(t: Tenant) -> str:
    memo_id = small_draft(t)
    t.ok(t.post(f"/v1/credit-memos/{memo_id}/post", {}))
    return memo_id


def posted_applied(t: Tenant) -> str:
    memo_id = str(t.memo_from(t.invoice(), role="clerk")["id"])
    t.ok(t.post(f"/v1/credit-memos/{memo_id}/post", {}))  # applies itself to its invoice
    return memo_id


SCENARIOS: dict[str, Callable[[Tenant], str]] = {
    "small draft": small_draft,
    "draft needing approval": big_draft,
    "pending approval": pending,
    "approved": approved,
    "posted, unapplied": posted_unapplied,
    "posted, applied": posted_applied,
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_listed_action_succeeds_and_every_other_is_refused(tenant: Tenant, scenario: str) -> None:
    make = SCENARIOS[scenario]
    wrong: list[str] = []
    for role in ROLES:
        for action, body in BODIES.items():
            memo_id = make(tenant)  # a fresh memo in the same state for each attempt
            listed = tenant.ok(tenant.get(f"/v1/credit-memos/{memo_id}", role=role))["allowed_actions"]
            response = tenant.post(f"/v1/credit-memos/{memo_id}/{action}", body, role=role)
            if (action in listed) != (response.status_code == 200):
                answer = f"{response.status_code} {response.text}"
                wrong.append(f"{role} {action}: listed={action in listed}, answered {answer}")
            elif action not in listed:
                assert 400 <= response.status_code < 500, response.text
    assert not wrong, f"{scenario}:\n" + "\n".join(wrong)


def test_a_draft_needing_approval_does_not_list_post(tenant: Tenant) -> None:
    memo_id = big_draft(tenant)
    listed = tenant.ok(tenant.get(f"/v1/credit-memos/{memo_id}"))["allowed_actions"]
    assert listed == ["submit", "discard"]
    refused = tenant.post(f"/v1/credit-memos/{memo_id}/post", {})
    assert refused.status_code == 409
    assert refused.json()["code"] == "approval_required"


def test_a_list_carries_each_memos_actions_for_the_caller(tenant: Tenant) -> None:
    small, big = small_draft(tenant), big_draft(tenant)
    page = tenant.ok(tenant.get("/v1/credit-memos?status=draft&limit=100"))["data"]
    by_id = {m["id"]: m["allowed_actions"] for m in page}
    assert by_id[small] == ["submit", "post", "discard"]
    assert by_id[big] == ["submit", "discard"]
    as_auditor = tenant.ok(tenant.get("/v1/credit-memos?status=draft&limit=100", role="auditor"))["data"]
    assert all(m["allowed_actions"] == [] for m in as_auditor)
