"""Another company's documents are 404 on every path and never appear in lists."""

from __future__ import annotations

from tests.api.conftest import Tenant, assert_problem


def test_another_companys_documents_are_404_and_absent_from_lists(tenant: Tenant, other: Tenant) -> None:
    inv = tenant.invoice()
    cust = inv["customer_id"]
    memo = tenant.memo_from(inv, auto_apply=False)
    posted = tenant.memo_from(tenant.invoice(customer_id=cust), auto_apply=False)
    tenant.ok(tenant.post(f"/v1/credit-memos/{posted['id']}/post"))
    pay = tenant.ok(
        tenant.post(
            "/v1/payments",
            {"customer_id": cust, "amount": "5.00", "currency": "USD", "received_on": "2026-03-05", "method": "wire"},
        ),
        201,
    )
    for path in (
        f"/v1/customers/{cust}",
        f"/v1/invoices/{inv['id']}",
        f"/v1/credit-memos/{memo['id']}",
        f"/v1/credit-memos/{posted['id']}/journal-entries",
        f"/v1/credit-memos/{posted['id']}/applications",
        f"/v1/payments/{pay['id']}",
        f"/v1/customers/{cust}/statement?start=2026-01-01&end=2026-12-31",
    ):
        assert_problem(other.get(path), 404, "not_found")
    for path, body in (
        (f"/v1/credit-memos/{memo['id']}/post", None),
        (f"/v1/credit-memos/{memo['id']}/submit", None),
        (f"/v1/credit-memos/{memo['id']}/discard", {"reason": "mine now"}),
        (f"/v1/credit-memos/{posted['id']}/void", {}),
        (f"/v1/credit-memos/{posted['id']}/refunds", {"amount": "1.00", "method": "ach"}),
        (f"/v1/invoices/{inv['id']}/credit-memos", {"reason_code": "billing_error"}),
        (
            "/v1/invoices",
            {
                "customer_id": cust,
                "currency": "USD",
                "issue_date": "2026-03-02",
                "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}],
            },
        ),
        (
            "/v1/credit-memos",
            {
                "customer_id": cust,
                "currency": "USD",
                "reason_code": "goodwill",
                "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}],
            },
        ),
    ):
        assert_problem(other.post(path, body), 404, "not_found")
    assert_problem(other.patch(f"/v1/credit-memos/{memo['id']}", {"memo": "x"}), 404, "not_found")
    # the other company's own credit memo cannot be applied to this company's invoice
    theirs = other.memo_from(other.invoice(), auto_apply=False)
    other.ok(other.post(f"/v1/credit-memos/{theirs['id']}/post"))
    assert_problem(
        other.post(
            f"/v1/credit-memos/{theirs['id']}/applications",
            {"allocations": [{"invoice_id": inv["id"], "amount": "1.00"}]},
        ),
        404,
        "not_found",
    )
    # lists
    for path in (
        "/v1/customers",
        "/v1/invoices",
        "/v1/credit-memos",
        "/v1/journal-entries?limit=100",
        "/v1/audit-events?limit=100",
    ):
        mine = {d["id"] for d in tenant.ok(tenant.get(path))["data"]}
        theirs_ids = {d["id"] for d in other.ok(other.get(path))["data"]}
        assert mine, path
        assert not (mine & theirs_ids), path
    assert other.ok(other.get(f"/v1/audit-events?entity_id={memo['id']}"))["data"] == []
    assert other.ok(other.get(f"/v1/credit-memos?customer_id={cust}"))["data"] == []
    # a cursor from the other company is unknown here
    assert_problem(
        other.get(f"/v1/credit-memos?starting_after={memo['id']}"), 422, "validation_error", field="starting_after"
    )
