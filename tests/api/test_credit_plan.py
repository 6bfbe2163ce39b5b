"""GET /v1/customers/{id}/credit-plan and POST …/credit-plan/apply (issue 16 item 4): the customer's open items and
credits, the oldest-first plan with its fingerprint, applied exactly or refused as changed. Both engines."""

from __future__ import annotations

from tests.api.conftest import Tenant


def _line(price: str) -> list[dict[str, str]]:
    return [{"description": "Service", "quantity": "1", "unit_price": price}]


def _pay(tenant: Tenant, customer_id: str, amount: str) -> dict:
    body = {
        "customer_id": customer_id,
        "amount": amount,
        "currency": "USD",
        "received_on": "2026-03-05",
        "method": "ach",
    }
    return tenant.ok(tenant.post("/v1/payments", body), 201)


def test_the_plan_applied_through_the_api_and_a_stale_one_refused(tenant: Tenant) -> None:
    cus = tenant.customer(name="Plan Co")
    first = tenant.invoice(cus["id"], lines=_line("100.00"))
    second = tenant.invoice(cus["id"], lines=_line("200.00"))
    payment = _pay(tenant, cus["id"], "150.00")
    plan = tenant.ok(tenant.get(f"/v1/customers/{cus['id']}/credit-plan", role="auditor"))
    assert [(a["source_id"], a["target_id"], a["amount"]) for a in plan["applications"]] == [
        (payment["id"], first["id"], "100.00"),
        (payment["id"], second["id"], "50.00"),
    ]
    assert plan["total"] == "150.00"
    assert [i["open_amount"] for i in plan["open_items"]] == ["100.00", "200.00"]
    assert [(c["type"], c["open_amount"]) for c in plan["credits"]] == [("payment", "150.00")]
    # an auditor reads the plan but may not apply it
    refused = tenant.post(
        f"/v1/customers/{cus['id']}/credit-plan/apply", {"fingerprint": plan["fingerprint"]}, role="auditor"
    )
    assert refused.status_code == 403
    # a payment recorded in between: the plan is another one, nothing is applied
    _pay(tenant, cus["id"], "10.00")
    stale = tenant.post(
        f"/v1/customers/{cus['id']}/credit-plan/apply", {"fingerprint": plan["fingerprint"]}, role="clerk"
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "plan_changed"
    assert tenant.ok(tenant.get(f"/v1/invoices/{first['id']}"))["amount_due"] == "100.00"
    fresh = tenant.ok(tenant.get(f"/v1/customers/{cus['id']}/credit-plan"))
    apps = tenant.ok(
        tenant.post(
            f"/v1/customers/{cus['id']}/credit-plan/apply",
            {"fingerprint": fresh["fingerprint"]},
            role="clerk",
            key="k1",
        )
    )
    assert sorted((a["payment_id"], a["invoice_id"], a["amount"]) for a in apps) == sorted(
        (a["source_id"], a["target_id"], a["amount"]) for a in fresh["applications"]
    )
    assert (
        tenant.ok(tenant.get(f"/v1/invoices/{second['id']}"))["amount_due"] == "140.00"
    )  # 160 paid: 100 to the first, 60 to this one
    # the same request again (Idempotency-Key) answers the first response and applies nothing more
    again = tenant.ok(
        tenant.post(
            f"/v1/customers/{cus['id']}/credit-plan/apply",
            {"fingerprint": fresh["fingerprint"]},
            role="clerk",
            key="k1",
        )
    )
    assert again == apps
    assert tenant.ok(tenant.get(f"/v1/customers/{cus['id']}/credit-plan"))["applications"] == []
    rec = tenant.ok(tenant.get("/v1/reports/reconciliation", role="auditor"))
    assert rec["ok"] is True, rec


def test_another_companys_customer_is_not_found(tenant: Tenant, other: Tenant) -> None:
    cus = other.customer(name="Elsewhere Co")
    assert tenant.get(f"/v1/customers/{cus['id']}/credit-plan").status_code == 404
    assert tenant.post(f"/v1/customers/{cus['id']}/credit-plan/apply", {"fingerprint": "x"}).status_code == 404
