"""Idempotency-Key on POST: replay returns the first response; another body is 409; per company."""

from __future__ import annotations

import threading

import pytest

from creditmemo.store.uow import Database
from tests.api.conftest import Tenant, assert_problem


def test_replay_returns_the_first_response_and_writes_nothing(tenant: Tenant) -> None:
    body = {"name": "Once Ltd", "currency": "USD"}
    first = tenant.post("/v1/customers", body, key="k-1")
    assert first.status_code == 201
    again = tenant.post("/v1/customers", body, key="k-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    names = [c["name"] for c in tenant.ok(tenant.get("/v1/customers?limit=100"))["data"]]
    assert names.count("Once Ltd") == 1


def test_same_key_with_a_different_body_is_409(tenant: Tenant) -> None:
    tenant.ok(tenant.post("/v1/customers", {"name": "A", "currency": "USD"}, key="k-2"), 201)
    assert_problem(
        tenant.post("/v1/customers", {"name": "B", "currency": "USD"}, key="k-2"),
        409,
        "idempotency_conflict",
        field="Idempotency-Key",
    )
    # ... and on a different path
    assert_problem(tenant.post("/v1/payments", {"name": "A", "currency": "USD"}, key="k-2"), 422, "validation_error")


def test_action_replay_returns_the_posted_memo_not_an_invalid_transition(tenant: Tenant) -> None:
    memo = tenant.memo_from(tenant.invoice())
    first = tenant.post(f"/v1/credit-memos/{memo['id']}/post", key="post-1")
    assert first.status_code == 200
    replay = tenant.post(f"/v1/credit-memos/{memo['id']}/post", key="post-1")
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert_problem(tenant.post(f"/v1/credit-memos/{memo['id']}/post", key="post-2"), 409, "invalid_transition")
    entries = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/journal-entries"))
    assert len(entries) == 1


def test_keys_are_per_company(tenant: Tenant, other: Tenant) -> None:
    a = tenant.ok(tenant.post("/v1/customers", {"name": "A", "currency": "USD"}, key="shared"), 201)
    b = other.ok(other.post("/v1/customers", {"name": "A", "currency": "USD"}, key="shared"), 201)
    assert a["id"] != b["id"]


def test_a_failed_request_is_not_stored_so_a_retry_runs_again(tenant: Tenant) -> None:
    assert_problem(tenant.post("/v1/customers", {"name": "A", "currency": "XXX"}, key="k-3"), 422, "validation_error")
    assert_problem(tenant.post("/v1/customers", {"name": "A", "currency": "XXX"}, key="k-3"), 422, "validation_error")


def test_without_a_key_each_post_creates(tenant: Tenant) -> None:
    a = tenant.ok(tenant.post("/v1/customers", {"name": "Twice", "currency": "USD"}), 201)
    b = tenant.ok(tenant.post("/v1/customers", {"name": "Twice", "currency": "USD"}), 201)
    assert a["id"] != b["id"]


def test_an_oversized_key_is_a_validation_error(tenant: Tenant) -> None:
    assert_problem(
        tenant.post("/v1/customers", {"name": "A", "currency": "USD"}, key="k" * 300), 422, "validation_error"
    )


@pytest.mark.postgres_only
def test_concurrent_requests_with_one_key_create_once(db: Database, tenant: Tenant) -> None:
    inv = tenant.invoice()
    results = []

    def go() -> None:
        results.append(
            tenant.post(f"/v1/invoices/{inv['id']}/credit-memos", {"reason_code": "billing_error"}, key="race")
        )

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in results} == {201}
    assert len({r.json()["id"] for r in results}) == 1
    memos = tenant.ok(tenant.get(f"/v1/credit-memos?invoice_id={inv['id']}"))["data"]
    assert len(memos) == 1
