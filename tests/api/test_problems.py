"""Every error is application/problem+json with a stable code; bad input is 4xx, never 500."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import Tenant, assert_problem


def _raw(tenant: Tenant, path: str, content: bytes, **headers: str) -> httpx.Response:
    return tenant.client.post(
        path, content=content, headers=tenant.h(**{"Content-Type": "application/json", **headers})
    )


class TestMalformedInput:
    def test_malformed_json(self, tenant: Tenant) -> None:
        r = _raw(tenant, "/v1/customers", b'{"name": "A", "currency": ')
        assert_problem(r, 422, "validation_error", field="body")

    @pytest.mark.parametrize(
        "content",
        [
            b"NaN",
            b'{"name": "A", "currency": "USD", "payment_terms_days": NaN}',
            b'{"name": "A", "currency": "USD", "payment_terms_days": 1e999}',
            b'{"name": "A", "currency": "USD", "payment_terms_days": ' + b"9" * 5000 + b"}",
            b"[" * 100_000 + b"]" * 100_000,
            b"\xff\xfe",
            b"",
        ],
    )
    def test_non_finite_huge_deep_or_binary_bodies_are_4xx(self, tenant: Tenant, content: bytes) -> None:
        r = _raw(tenant, "/v1/customers", content)
        assert 400 <= r.status_code < 500, r.text
        assert r.headers["content-type"].startswith("application/problem+json")

    def test_float_money_is_refused_with_the_field(self, tenant: Tenant) -> None:
        cust = tenant.customer()
        body = {
            "customer_id": cust["id"],
            "currency": "USD",
            "issue_date": "2026-03-02",
            "lines": [{"description": "x", "quantity": "1", "unit_price": 100.5}],
        }
        problem = assert_problem(
            tenant.post("/v1/invoices", body), 422, "validation_error", field="lines[0].unit_price"
        )
        assert problem["errors"][0]["field"] == "lines[0].unit_price"

    def test_wrong_types_and_unknown_fields_name_every_field(self, tenant: Tenant) -> None:
        r = tenant.post("/v1/customers", {"name": 5, "currency": "USD", "payment_terms_days": "30", "colour": "red"})
        problem = assert_problem(r, 422, "validation_error")
        assert {e["field"] for e in problem["errors"]} == {"name", "payment_terms_days", "colour"}

    def test_domain_validation_names_the_field(self, tenant: Tenant) -> None:
        cust = tenant.customer()
        body = {
            "customer_id": cust["id"],
            "currency": "USD",
            "issue_date": "2026-02-30",
            "lines": [{"description": "x", "quantity": "1", "unit_price": "1.001"}],
        }
        assert_problem(tenant.post("/v1/invoices", body), 422, "validation_error", field="issue_date")

    def test_oversized_body_is_413(self, tenant: Tenant) -> None:
        limit = tenant.client.app.state.settings.max_body_bytes  # type: ignore[attr-defined]  # the app is our FastAPI app
        r = _raw(tenant, "/v1/customers", b'{"name": "' + b"a" * (limit + 10) + b'"}')
        assert_problem(r, 413, "payload_too_large")

    def test_oversized_chunked_body_without_length_is_413(self, tenant: Tenant) -> None:
        limit = tenant.client.app.state.settings.max_body_bytes  # type: ignore[attr-defined]  # the app is our FastAPI app

        def chunks():
            yield b'{"name": "'
            for _ in range(limit // 65536 + 2):
                yield b"a" * 65536
            yield b'"}'

        r = tenant.client.post(
            "/v1/customers", content=chunks(), headers=tenant.h(**{"Content-Type": "application/json"})
        )
        assert_problem(r, 413, "payload_too_large")


class TestShapes:
    def test_unknown_route_and_method_are_problems(self, tenant: Tenant) -> None:
        assert_problem(tenant.get("/v1/nothing-here"), 404, "not_found")
        assert_problem(tenant.client.put("/v1/customers", headers=tenant.h(), json={}), 405, "method_not_allowed")

    def test_invalid_transition_lists_allowed_actions(self, tenant: Tenant) -> None:
        memo = tenant.memo_from(tenant.invoice())
        problem = assert_problem(tenant.post(f"/v1/credit-memos/{memo['id']}/approve"), 409, "invalid_transition")
        assert problem["allowed_actions"] == ["submit", "post", "discard"]

    def test_over_credit_is_422_with_the_line_field(self, tenant: Tenant) -> None:
        inv = tenant.invoice()
        line = inv["lines"][0]
        problem = assert_problem(
            tenant.post(
                f"/v1/invoices/{inv['id']}/credit-memos",
                {"reason_code": "billing_error", "lines": [{"invoice_line_id": line["id"], "amount": "100.01"}]},
            ),
            422,
            "over_credit",
            field="lines[0].amount",
        )
        assert problem["detail"]

    def test_currency_mismatch_and_not_found(self, tenant: Tenant) -> None:
        cust = tenant.customer("USD")
        assert_problem(
            tenant.post(
                "/v1/invoices",
                {
                    "customer_id": cust["id"],
                    "currency": "EUR",
                    "issue_date": "2026-03-02",
                    "exchange_rate": "1.1",
                    "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}],
                },
            ),
            422,
            "currency_mismatch",
            field="currency",
        )
        assert_problem(tenant.get("/v1/credit-memos/cm_nope"), 404, "not_found")
        assert_problem(tenant.get("/v1/debit-memos/cm_nope"), 404, "not_found")

    def test_request_id_is_echoed_and_generated(self, tenant: Tenant) -> None:
        r = tenant.client.get("/v1/customers", headers=tenant.h(**{"X-Request-ID": "abc-123"}))
        assert r.headers["x-request-id"] == "abc-123"
        r = tenant.client.get("/v1/customers/nope", headers=tenant.h())
        assert r.headers["x-request-id"].startswith("req_")
        assert r.json()["request_id"] == r.headers["x-request-id"]

    def test_request_id_reaches_the_audit_trail(self, tenant: Tenant) -> None:
        r = tenant.client.post(
            "/v1/customers",
            json={"name": "Traced", "currency": "USD"},
            headers=tenant.h(**{"X-Request-ID": "trace-42"}),
        )
        events = tenant.ok(tenant.get(f"/v1/audit-events?entity_id={r.json()['id']}"))["data"]
        assert events[0]["request_id"] == "trace-42"

    def test_openapi_declares_problems_and_money_patterns(self, tenant: Tenant) -> None:
        spec = tenant.client.get("/openapi.json").json()
        assert "Problem" in spec["components"]["schemas"]
        for path, item in spec["paths"].items():
            for method, op in item.items():
                assert {"401", "422", "500"} <= set(op["responses"]), (method, path)
                assert "application/problem+json" in op["responses"]["401"]["content"]
                takes_key = any(p["name"] == "Idempotency-Key" for p in op.get("parameters", []))
                # a reused Idempotency-Key with another body is 409 idempotency_conflict on every such route
                assert not takes_key or "409" in op["responses"], (method, path)
        assert spec["components"]["schemas"]["MemoOut"]["properties"]["total"]["pattern"]
        assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_nul_characters_are_4xx_on_both_engines(tenant: Tenant) -> None:
    """PostgreSQL refuses NUL in text: the database's refusal is the client's 422, never a 500."""
    for r in (tenant.get("/v1/credit-memos/a%00b"), tenant.get("/v1/audit-events?entity_id=%00")):
        assert_problem(r, 422, "validation_error")
    r = tenant.post("/v1/credit-memos/bulk-post", {"memo_ids": ["\x00"]})
    assert_problem(r, r.status_code, r.json()["code"])
    assert r.status_code in (404, 422)  # SQLite looks the id up, PostgreSQL refuses it
    r = tenant.post("/v1/customers", {"name": "A\x00", "currency": "USD"})
    assert r.status_code in (201, 422)  # SQLite stores it, PostgreSQL refuses it
