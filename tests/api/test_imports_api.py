"""POST /v1/imports/invoices (issue 13 item 1) over HTTP on both engines: a JSON array or a CSV body, counts and
per-row errors in the answer, a re-sent file creating nothing, whole-file problems as 422, roles and companies
kept apart."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Tenant, assert_problem

CSV = (
    "external_id,customer_external_id,customer_name,currency,issue_date,description,quantity,unit_price,tax_rate\n"
    "BILL-1,ACME,Acme Corp,USD,2026-03-01,Widget,2,50.00,8.25\n"
    'BILL-1,ACME,,USD,2026-03-01,"Setup\nfee",1,25.00,\n'
    "BILL-2,ACME,,USD,2026-03-01,Widget,1,12;50,\n"
)


def post_csv(tenant: Tenant, body: bytes | str, role: str = "controller", query: str = "") -> Any:
    return tenant.client.post(
        f"/v1/imports/invoices{query}",
        content=body.encode() if isinstance(body, str) else body,
        headers=tenant.h(role, **{"Content-Type": "text/csv"}),
    )


def test_csv_import_counts_errors_and_a_resend(tenant: Tenant) -> None:
    result = tenant.ok(post_csv(tenant, CSV))
    assert (result["created"], result["already_present"], result["rejected"]) == (1, 0, 1)
    assert (result["lines"], result["customers_created"]) == (2, 1)
    assert result["errors"] == [
        {"row": 3, "field": "unit_price", "code": "invalid_decimal", "message": "'12;50' is not a decimal number."}
    ]
    created = result["invoices"][0]
    invoice = tenant.ok(tenant.get(f"/v1/invoices/{created['id']}"))
    assert (invoice["number"], invoice["total"], invoice["tax_total"]) == (created["number"], "133.25", "8.25")
    again = tenant.ok(post_csv(tenant, CSV))
    assert (again["created"], again["already_present"], again["rejected"]) == (0, 1, 1)


def test_json_import_and_dry_run(tenant: Tenant) -> None:
    body = [
        {
            "external_id": "J-1",
            "customer_external_id": "GLOBEX",
            "customer_name": "Globex",
            "currency": "USD",
            "issue_date": "2026-03-01",
            "lines": [{"description": "A", "quantity": "1", "unit_price": "10.00"}],
        },
        {"external_id": "J-2", "customer_external_id": "GLOBEX", "currency": "QQQ", "issue_date": "2026-03-01"},
    ]
    dry = tenant.ok(tenant.post("/v1/imports/invoices?dry_run=true", body))
    assert (dry["dry_run"], dry["created"], dry["rejected"]) == (True, 1, 1)
    assert {(e["row"], e["field"], e["code"]) for e in dry["errors"]} == {
        (2, "currency", "unknown_currency"),
        (2, "lines", "required"),
    }
    assert tenant.ok(tenant.get("/v1/invoices"))["data"] == []
    real = tenant.ok(tenant.post("/v1/imports/invoices", body))
    assert (real["dry_run"], real["created"], real["invoices"][0]["number"]) == (False, 1, "INV-000001")


def test_whole_file_problems_are_422(tenant: Tenant) -> None:
    latin = CSV.replace("Acme Corp", "Acmé").encode("latin-1")
    assert_problem(post_csv(tenant, latin), 422, "validation_error", "file")
    assert_problem(post_csv(tenant, "external_id,amount\nX,1\n"), 422, "validation_error", "file")
    assert_problem(tenant.post("/v1/imports/invoices", {"external_id": "X"}), 422, "validation_error", "body")
    r = tenant.client.post(
        "/v1/imports/invoices", content=b"x", headers=tenant.h(**{"Content-Type": "application/xml"})
    )
    assert_problem(r, 422, "validation_error", "content-type")


def test_roles_and_companies(tenant: Tenant, other: Tenant) -> None:
    assert_problem(post_csv(tenant, CSV, role="auditor"), 403, "forbidden")
    tenant.ok(post_csv(tenant, CSV))
    theirs = tenant.ok(post_csv(other, CSV))  # the same external ids in another company are new there
    assert (theirs["created"], theirs["already_present"]) == (1, 0)
    mine = tenant.customer()
    body = [
        {
            "external_id": "X-1",
            "customer_id": mine["id"],
            "currency": "USD",
            "issue_date": "2026-03-01",
            "lines": [{"description": "A", "quantity": "1", "unit_price": "1.00"}],
        }
    ]
    result = tenant.ok(other.post("/v1/imports/invoices", body))  # another company's customer is not found
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("customer_id", "not_found")]
