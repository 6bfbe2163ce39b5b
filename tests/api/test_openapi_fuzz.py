"""Schemathesis against the ASGI app (bounded examples per operation): no 5xx, and every response — status,
content type, body — conforms to the OpenAPI document. Runs with a valid controller key of a fresh
company, on both engines (the ``db`` fixture)."""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok

from creditmemo.store.uow import Database
from tests.api.conftest import Tenant, make_tenant

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = int(os.environ.get("API_FUZZ_EXAMPLES", "6"))  # bounded: < 60 s for both engines


def _seed(t: Tenant) -> dict[str, list[str]]:
    """Real documents, so generated requests reach the services' success paths too, not only 404s."""
    inv = t.invoice()
    draft = t.memo_from(inv, lines=[{"invoice_line_id": inv["lines"][1]["id"], "quantity": "1"}])
    posted = t.memo_from(inv, auto_apply=False, lines=[{"invoice_line_id": inv["lines"][0]["id"]}])
    t.ok(t.post(f"/v1/credit-memos/{posted['id']}/post"))
    debit = t.ok(
        t.post(
            "/v1/debit-memos",
            {
                "customer_id": inv["customer_id"],
                "currency": "USD",
                "reason_code": "chargeback",
                "lines": [{"description": "x", "quantity": "1", "unit_price": "9.00"}],
            },
        ),
        201,
    )
    pay = t.ok(
        t.post(
            "/v1/payments",
            {
                "customer_id": inv["customer_id"],
                "amount": "20.00",
                "currency": "USD",
                "received_on": "2026-03-05",
                "method": "wire",
            },
        ),
        201,
    )
    rma = {"invoice_id": inv["id"], "lines": [{"invoice_line_id": inv["lines"][1]["id"], "quantity": "1"}]}
    authorized = t.ok(t.post("/v1/returns", rma), 201)
    received = t.ok(t.post("/v1/returns", rma), 201)
    t.ok(t.post(f"/v1/returns/{received['id']}/receive"))
    return {
        "return_id": [authorized["id"], received["id"]],
        "customer_id": [inv["customer_id"]],
        "invoice_id": [inv["id"]],
        "credit": [draft["id"], posted["id"]],
        "debit": [debit["id"]],
        "payment_id": [pay["id"]],
        "invoice_line_id": [line["id"] for line in inv["lines"]],
    }


def _use_real_ids(case: Any, ids: dict[str, list[str]], pick: int) -> None:
    if pick == 0:
        return
    params = case.path_parameters or {}
    for name in params:
        key = ("debit" if "/debit-memos" in case.path else "credit") if name == "memo_id" else name
        if key in ids:
            params[name] = ids[key][pick % len(ids[key])]
    if isinstance(case.body, dict):
        for name in ("customer_id", "invoice_id"):
            if name in case.body:
                case.body[name] = ids[name][0]
        for line in case.body.get("lines") or []:
            if isinstance(line, dict) and "invoice_line_id" in line:
                line["invoice_line_id"] = ids["invoice_line_id"][pick % 2]


def test_api_conforms_to_its_openapi_document(db: Database, client: TestClient) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    tenant = make_tenant(db, client)
    ids = _seed(tenant)
    headers = {"Authorization": f"Bearer {tenant.keys['controller']}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            failures.append(f"an operation the schema cannot describe: {result.err()}")
            continue
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy(), pick=st.integers(0, 3))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any, pick: int) -> None:
            _use_real_ids(case, ids, pick)
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as e:  # collect: one report for every operation that fails
            failures.append(f"{operation.method.upper()} {operation.path}: {str(e)[:2000]}")
    assert operations >= 50
    assert not failures, "\n\n".join(failures)
