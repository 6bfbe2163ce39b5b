"""Reason codes and accounts over HTTP (issue 17 item 7): every role reads, admins write; deactivated, never
deleted; every change audited; an inactive code is refused on new memos (naming ``reason_code``), an inactive
account cannot be mapped; the default ``write_off`` reason posts to the bad-debt expense account."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import ROLES, Tenant, assert_problem


def _events(t: Tenant, entity_id: str) -> list[dict[str, Any]]:
    return t.ok(t.get(f"/v1/audit-events?entity_id={entity_id}", role="auditor"))["data"]


def _standalone(t: Tenant, customer_id: str, reason: str, amount: str = "40.00", **extra: Any) -> Any:
    return t.post(
        "/v1/credit-memos",
        {
            "customer_id": customer_id,
            "currency": "USD",
            "reason_code": reason,
            "lines": [{"description": "Uncollectible balance", "quantity": "1", "unit_price": amount}],
            **extra,
        },
    )


def test_every_company_has_write_off_mapped_to_bad_debt_expense(tenant: Tenant) -> None:
    reasons = {r["code"]: r for r in tenant.ok(tenant.get("/v1/reason-codes", role="clerk"))}
    assert reasons["write_off"] == {
        "object": "reason_code",
        "code": "write_off",
        "description": "Write-off of an uncollectible balance",
        "account": "6300",
        "applies_to": "credit",
        "active": True,
    }
    account = tenant.ok(tenant.get("/v1/accounts/6300", role="auditor"))
    assert (account["name"], account["kind"], account["role"], account["active"]) == (
        "Bad debt expense",
        "expense",
        "bad_debt_expense",
        True,
    )


def test_a_write_off_posts_to_bad_debt_expense(tenant: Tenant) -> None:
    cust = tenant.customer()
    memo = tenant.ok(_standalone(tenant, cust["id"], "write_off", post=True), 201)
    assert memo["status"] == "posted"
    entries = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/journal-entries"))
    assert [(line["account"], line["debit"], line["credit"]) for e in entries for line in e["lines"]] == [
        ("6300", "40.00", "0.00"),
        ("1200", "0.00", "40.00"),
    ]


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_reads_for_every_role_writes_for_admins_only(tenant: Tenant, role: str) -> None:
    assert tenant.ok(tenant.get("/v1/reason-codes", role=role))
    assert tenant.ok(tenant.get("/v1/accounts", role=role))
    body = {"code": "loyalty", "description": "Loyalty", "account": "6100"}
    assert_problem(tenant.post("/v1/reason-codes", body, role=role), 403, "forbidden")
    assert_problem(tenant.patch("/v1/reason-codes/goodwill", {"active": False}, role=role), 403, "forbidden")
    assert_problem(
        tenant.post("/v1/accounts", {"number": "6400", "name": "X", "kind": "expense"}, role=role), 403, "forbidden"
    )
    assert_problem(tenant.patch("/v1/accounts/6100", {"name": "X"}, role=role), 403, "forbidden")
    assert "loyalty" not in {r["code"] for r in tenant.ok(tenant.get("/v1/reason-codes"))}


def test_add_change_deactivate_and_reactivate_a_reason_code_audited(tenant: Tenant) -> None:
    added = tenant.ok(
        tenant.post(
            "/v1/reason-codes",
            {"code": "late_fee_waiver", "description": "Late fee waived", "account": "6100"},
            role="admin",
        ),
        201,
    )
    assert (added["account"], added["applies_to"], added["active"]) == ("6100", "both", True)
    changed = tenant.ok(
        tenant.patch("/v1/reason-codes/late_fee_waiver", {"description": "Late fee waiver", "account": "6200"}, "admin")
    )
    assert (changed["description"], changed["account"]) == ("Late fee waiver", "6200")
    off = tenant.ok(tenant.patch("/v1/reason-codes/late_fee_waiver", {"active": False}, "admin"))
    assert off["active"] is False
    assert [r["code"] for r in tenant.ok(tenant.get("/v1/reason-codes?active=false"))] == ["late_fee_waiver"]
    assert "late_fee_waiver" not in {r["code"] for r in tenant.ok(tenant.get("/v1/reason-codes?active=true"))}
    assert tenant.ok(tenant.patch("/v1/reason-codes/late_fee_waiver", {"active": True}, "admin"))["active"] is True
    events = _events(tenant, "late_fee_waiver")
    assert [e["action"] for e in events] == [
        "reason_code.created",
        "reason_code.updated",
        "reason_code.updated",
        "reason_code.updated",
    ]
    assert events[1]["changes"] == {"description": ["Late fee waived", "Late fee waiver"], "account": ["6100", "6200"]}
    assert events[2]["changes"] == {"active": [True, False]}
    assert events[0]["actor_id"] == tenant.user_ids["admin"]


def test_a_deactivated_code_in_use_stays_on_its_memos_and_is_refused_on_new_ones(tenant: Tenant) -> None:
    cust = tenant.customer()
    inv = tenant.invoice(cust["id"])
    draft = tenant.memo_from(
        inv, reason_code="goodwill", lines=[{"invoice_line_id": inv["lines"][0]["id"], "quantity": "1"}]
    )
    tenant.ok(tenant.patch("/v1/reason-codes/goodwill", {"active": False}, "admin"))  # in use: allowed
    assert tenant.ok(tenant.get(f"/v1/credit-memos/{draft['id']}"))["reason_code"] == "goodwill"
    before = tenant.ok(tenant.get("/v1/credit-memos"))["data"]
    body = assert_problem(_standalone(tenant, cust["id"], "goodwill"), 422, "validation_error", "reason_code")
    assert body["errors"][0]["code"] == "inactive_reason"
    assert_problem(
        tenant.post(f"/v1/invoices/{inv['id']}/credit-memos", {"reason_code": "goodwill"}),
        422,
        "validation_error",
        "reason_code",
    )
    assert tenant.ok(tenant.get("/v1/credit-memos"))["data"] == before  # nothing written
    # The draft that has it is still edited and posted (the code only hides from new memos) ...
    edited = tenant.ok(tenant.patch(f"/v1/credit-memos/{draft['id']}", {"memo": "kept"}))
    assert edited["reason_code"] == "goodwill"
    assert tenant.ok(tenant.post(f"/v1/credit-memos/{draft['id']}/post"))["status"] == "posted"
    # ... but cannot be switched back to it from another code.
    other = tenant.memo_from(inv, lines=[{"invoice_line_id": inv["lines"][1]["id"], "quantity": "1"}])
    assert_problem(
        tenant.patch(f"/v1/credit-memos/{other['id']}", {"reason_code": "goodwill"}),
        422,
        "validation_error",
        "reason_code",
    )


def test_accounts_add_rename_deactivate_and_the_mapping_rules(tenant: Tenant) -> None:
    added = tenant.ok(
        tenant.post(
            "/v1/accounts", {"number": "6400", "name": "Customer concessions", "kind": "expense"}, role="admin"
        ),
        201,
    )
    assert added == {
        "object": "account",
        "number": "6400",
        "name": "Customer concessions",
        "kind": "expense",
        "role": None,
        "active": True,
    }
    assert tenant.ok(tenant.patch("/v1/accounts/6400", {"name": "Concessions"}, "admin"))["name"] == "Concessions"
    assert tenant.ok(tenant.patch("/v1/accounts/6400", {"active": False}, "admin"))["active"] is False
    # An inactive account cannot be mapped by a new or changed reason code.
    body = assert_problem(
        tenant.post("/v1/reason-codes", {"code": "concession", "account": "6400"}, role="admin"),
        422,
        "validation_error",
        "account",
    )
    assert body["errors"][0]["code"] == "inactive_account"
    assert_problem(
        tenant.patch("/v1/reason-codes/goodwill", {"account": "6400"}, "admin"), 422, "validation_error", "account"
    )
    assert_problem(
        tenant.patch("/v1/reason-codes/goodwill", {"account": "9999"}, "admin"), 422, "validation_error", "account"
    )
    # Reactivated, it can.
    tenant.ok(tenant.patch("/v1/accounts/6400", {"active": True}, "admin"))
    tenant.ok(tenant.post("/v1/reason-codes", {"code": "concession", "account": "6400"}, role="admin"), 201)
    # Now a reason code maps to it, and posting roles use the defaults: neither can be deactivated.
    body = assert_problem(
        tenant.patch("/v1/accounts/6400", {"active": False}, "admin"), 409, "account_in_use", "active"
    )
    assert "reason code concession" in body["detail"]
    assert_problem(tenant.patch("/v1/accounts/1200", {"active": False}, "admin"), 409, "account_in_use", "active")
    assert [e["action"] for e in _events(tenant, "6400")] == [
        "account.created",
        "account.updated",
        "account.updated",
        "account.updated",
    ]


def test_bad_input_is_a_typed_4xx_naming_the_field_and_writes_nothing(tenant: Tenant) -> None:
    codes = tenant.ok(tenant.get("/v1/reason-codes"))
    accounts = tenant.ok(tenant.get("/v1/accounts"))
    for body, field in (
        ({"code": "Bad Code", "account": "6100"}, "code"),
        ({"code": "goodwill", "account": "6100"}, "code"),  # taken
        ({"code": "fine_code", "account": "0000"}, "account"),
    ):
        assert_problem(tenant.post("/v1/reason-codes", body, role="admin"), 422, "validation_error", field)
    for body, field in (
        ({"number": "6100", "name": "Again", "kind": "expense"}, "number"),  # taken
        ({"number": "x y", "name": "Spaces", "kind": "expense"}, "number"),
        ({"number": "6500", "name": " ", "kind": "expense"}, "name"),
        ({"number": "6500", "name": "Kind", "kind": "income"}, "kind"),
    ):
        assert_problem(tenant.post("/v1/accounts", body, role="admin"), 422, "validation_error", field)
    assert_problem(tenant.patch("/v1/reason-codes/no_such", {"active": False}, "admin"), 404, "not_found")
    assert_problem(tenant.patch("/v1/accounts/0000", {"active": False}, "admin"), 404, "not_found")
    assert tenant.ok(tenant.get("/v1/reason-codes")) == codes
    assert tenant.ok(tenant.get("/v1/accounts")) == accounts


def test_another_companys_codes_and_accounts_are_invisible(tenant: Tenant, other: Tenant) -> None:
    tenant.ok(tenant.post("/v1/reason-codes", {"code": "only_here", "account": "6100"}, role="admin"), 201)
    tenant.ok(
        tenant.post("/v1/accounts", {"number": "6900", "name": "Only here", "kind": "expense"}, role="admin"), 201
    )
    assert "only_here" not in {r["code"] for r in other.ok(other.get("/v1/reason-codes"))}
    assert_problem(other.get("/v1/reason-codes/only_here"), 404, "not_found")
    assert_problem(other.get("/v1/accounts/6900"), 404, "not_found")
    assert_problem(other.patch("/v1/accounts/6900", {"name": "Mine"}, "admin"), 404, "not_found")


def test_the_register_totals_by_reason(tenant: Tenant) -> None:
    cust = tenant.customer()
    for reason, amount in (("write_off", "40.00"), ("write_off", "10.00"), ("goodwill", "5.00")):
        tenant.ok(_standalone(tenant, cust["id"], reason, amount, post=True), 201)
    register = tenant.ok(tenant.get("/v1/reports/credit-memo-register", role="auditor"))
    assert [(t["reason_code"], t["description"], t["count"], t["total"]) for t in register["by_reason"]] == [
        ("goodwill", "Goodwill", 1, "5.00"),
        ("write_off", "Write-off of an uncollectible balance", 2, "50.00"),
    ]
    only = tenant.ok(tenant.get("/v1/reports/credit-memo-register?reason_code=write_off"))
    assert [(t["reason_code"], t["total"]) for t in only["by_reason"]] == [("write_off", "50.00")]
