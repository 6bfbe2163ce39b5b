"""API tests go through the real app over HTTP (Starlette's TestClient), on both engines. Each test makes
its own company with one user and API key per role."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from creditmemo.app import create_app
from creditmemo.ids import new_id
from creditmemo.services.actors import Role, system_actor
from creditmemo.services.users import ensure_company_user, issue_api_key
from creditmemo.store.uow import Database

ROLES = [r.value for r in Role]
_clients: dict[int, TestClient] = {}


@pytest.fixture
def client(db: Database) -> TestClient:
    if id(db) not in _clients:
        _clients[id(db)] = TestClient(create_app(db), raise_server_exceptions=False)
    return _clients[id(db)]


@dataclass
class Tenant:
    client: TestClient
    company_id: str
    slug: str
    keys: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, str] = field(default_factory=dict)

    def h(self, role: str = "controller", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}", **extra}

    def get(self, path: str, role: str = "controller", **kw: Any) -> Any:
        return self.client.get(path, headers=self.h(role), **kw)

    def post(self, path: str, json: Any = None, role: str = "controller", key: str | None = None, **kw: Any) -> Any:
        headers = self.h(role, **({"Idempotency-Key": key} if key else {}))
        return self.client.post(path, json=json, headers=headers, **kw)

    def patch(self, path: str, json: Any, role: str = "controller") -> Any:
        return self.client.patch(path, json=json, headers=self.h(role))

    def delete(self, path: str, role: str = "controller") -> Any:
        return self.client.delete(path, headers=self.h(role))

    def ok(self, response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json()

    # builders over the API ---------------------------------------------------------------------
    def customer(self, currency: str = "USD", name: str = "Acme") -> dict[str, Any]:
        return self.ok(self.post("/v1/customers", {"name": name, "currency": currency}), 201)

    def invoice(
        self, customer_id: str | None = None, lines: list[dict[str, Any]] | None = None, currency: str = "USD"
    ) -> dict[str, Any]:
        cid = customer_id or self.customer(currency)["id"]
        body = {
            "customer_id": cid,
            "currency": currency,
            "issue_date": "2026-03-02",
            "lines": lines
            or [
                {"description": "Subscription", "quantity": "1", "unit_price": "100.00", "tax_rate": "10"},
                {"description": "Hours", "quantity": "4", "unit_price": "50.00"},
            ],
        }
        if currency != "USD":
            body["exchange_rate"] = "1.1"
        return self.ok(self.post("/v1/invoices", body), 201)

    def memo_from(self, invoice: dict[str, Any], role: str = "controller", **body: Any) -> dict[str, Any]:
        return self.ok(
            self.post(
                f"/v1/invoices/{invoice['id']}/credit-memos", {"reason_code": "billing_error", **body}, role=role
            ),
            201,
        )


def make_tenant(db: Database, client: TestClient) -> Tenant:
    slug = new_id("t").lower().replace("_", "-")[:40]
    tenant = None
    with db.uow() as uow:
        for role in ROLES:
            privileges = ["create_multiline_memo"] if role == "clerk" else []
            user = ensure_company_user(uow, slug, f"{role}@{slug}.test", role, privileges)
            if tenant is None:
                tenant = Tenant(client, user.company_id, slug)
            tenant.keys[role] = issue_api_key(uow, system_actor(user.company_id), user.id).key
            tenant.user_ids[role] = user.id
        assert tenant is not None
        user = ensure_company_user(uow, slug, f"clerk1@{slug}.test", "clerk", [])
        tenant.keys["clerk_single"] = issue_api_key(uow, system_actor(user.company_id), user.id).key
    return tenant


@pytest.fixture
def tenant(db: Database, client: TestClient) -> Tenant:
    return make_tenant(db, client)


@pytest.fixture
def other(db: Database, client: TestClient) -> Tenant:
    return make_tenant(db, client)


def assert_problem(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"/problems/{code}"
    assert body["title"]
    assert "detail" in body
    assert "instance" in body
    if field is not None:
        assert body["field"] == field, body
    return body
