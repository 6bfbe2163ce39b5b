"""Immediate revocation (issue 16 item 7): two app instances (each its own Database, so its own engine, key
cache and company cache, as two server processes) on the same database. A key revoked, a user deactivated or
a role changed through one is honoured by the other's very next request, though the other had the key in its
cache (api/deps.py: the company's auth_version is checked in each request's unit of work)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from creditmemo.app import create_app
from creditmemo.ids import new_id
from creditmemo.services.actors import system_actor
from creditmemo.services.users import ensure_company_user, issue_api_key
from creditmemo.store.uow import Database


@pytest.fixture
def second_app(db: Database) -> Iterator[TestClient]:
    other = Database(db.engine.url.render_as_string(hide_password=False))
    yield TestClient(create_app(other), raise_server_exceptions=False)
    other.dispose()


@pytest.fixture
def first_app(db: Database) -> TestClient:
    return TestClient(create_app(Database(db.engine)), raise_server_exceptions=False)


def _company(db: Database) -> tuple[str, dict[str, str], dict[str, str]]:
    slug = new_id("t").lower().replace("_", "-")[:40]
    keys, ids = {}, {}
    with db.uow() as uow:
        for role in ("admin", "clerk", "controller"):
            user = ensure_company_user(uow, slug, f"{role}@{slug}.test", role)
            keys[role] = issue_api_key(uow, system_actor(user.company_id), user.id).key
            ids[role] = user.id
    return slug, keys, ids


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_key_revoked_in_one_process_is_refused_by_the_other_at_once(
    db: Database, first_app: TestClient, second_app: TestClient
) -> None:
    _, keys, ids = _company(db)
    issued = first_app.post(f"/v1/users/{ids['clerk']}/api-keys", json={"name": "laptop"}, headers=_h(keys["admin"]))
    assert issued.status_code == 201, issued.text
    key = issued.json()["key"]
    for _ in range(3):  # cached in the second process now
        assert second_app.get("/v1/customers", headers=_h(key)).status_code == 200

    revoked = first_app.delete(f"/v1/api-keys/{issued.json()['id']}", headers=_h(keys["admin"]))
    assert revoked.status_code == 204, revoked.text

    refused = second_app.get("/v1/customers", headers=_h(key))
    assert refused.status_code == 401, refused.text
    assert refused.json()["code"] == "unauthorized"
    assert second_app.post("/v1/customers", json={"name": "X", "currency": "USD"}, headers=_h(key)).status_code == 401
    # The company's other keys are re-read, not refused.
    assert second_app.get("/v1/customers", headers=_h(keys["clerk"])).status_code == 200


def test_a_deactivated_user_and_a_changed_role_take_effect_in_the_other_process_at_once(
    db: Database, first_app: TestClient, second_app: TestClient
) -> None:
    _, keys, ids = _company(db)
    body = {"name": "Role Test Ltd", "currency": "USD"}
    assert second_app.post("/v1/customers", json=body, headers=_h(keys["clerk"])).status_code == 201
    assert second_app.get("/v1/customers", headers=_h(keys["controller"])).status_code == 200

    changed = first_app.patch(f"/v1/users/{ids['clerk']}", json={"role": "auditor"}, headers=_h(keys["admin"]))
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "auditor"
    denied = second_app.post("/v1/customers", json={**body, "name": "Role Test 2"}, headers=_h(keys["clerk"]))
    assert denied.status_code == 403, denied.text  # an auditor reads only
    assert second_app.get("/v1/customers", headers=_h(keys["clerk"])).status_code == 200

    off = first_app.patch(f"/v1/users/{ids['controller']}", json={"active": False}, headers=_h(keys["admin"]))
    assert off.status_code == 200, off.text
    assert off.json()["active"] is False
    assert second_app.get("/v1/customers", headers=_h(keys["controller"])).status_code == 401

    back = first_app.patch(f"/v1/users/{ids['controller']}", json={"active": True}, headers=_h(keys["admin"]))
    assert back.status_code == 200
    assert second_app.get("/v1/customers", headers=_h(keys["controller"])).status_code == 200


def test_an_admin_cannot_lock_themselves_out(db: Database, first_app: TestClient) -> None:
    _, keys, ids = _company(db)
    r = first_app.patch(f"/v1/users/{ids['admin']}", json={"active": False}, headers=_h(keys["admin"]))
    assert r.status_code == 422
    r = first_app.patch(f"/v1/users/{ids['clerk']}", json={"role": "auditor"}, headers=_h(keys["clerk"]))
    assert r.status_code == 403
