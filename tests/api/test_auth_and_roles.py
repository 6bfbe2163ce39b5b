"""Authentication (401), role permissions (403) and the create_multiline_memo privilege, over HTTP."""

from __future__ import annotations

import pytest

from tests.api.conftest import Tenant, assert_problem


class TestAuthentication:
    def test_no_key_is_401_problem_with_challenge(self, tenant: Tenant) -> None:
        r = tenant.client.get("/v1/customers")
        assert_problem(r, 401, "unauthorized")
        assert r.headers["www-authenticate"] == "Bearer"

    @pytest.mark.parametrize("header", ["Bearer nope", "Bearer cmk_aaaaaaaaaaaa_wrong", "Basic dXNlcjpwYXNz", "Bearer"])
    def test_bad_credentials_are_401(self, tenant: Tenant, header: str) -> None:
        assert_problem(tenant.client.get("/v1/customers", headers={"Authorization": header}), 401, "unauthorized")

    def test_a_key_with_the_right_prefix_but_wrong_secret_is_401(self, tenant: Tenant) -> None:
        key = tenant.keys["clerk"]
        forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
        r = tenant.client.get("/v1/customers", headers={"Authorization": f"Bearer {forged}"})
        assert_problem(r, 401, "unauthorized")

    def test_every_role_can_read(self, tenant: Tenant) -> None:
        for role in ("clerk", "manager", "vp", "controller", "auditor", "admin"):
            assert tenant.get("/v1/customers", role=role).status_code == 200


class TestRoles:
    def test_clerk_creates_but_cannot_post(self, tenant: Tenant) -> None:
        memo = tenant.memo_from(tenant.invoice(), role="clerk")
        body = assert_problem(tenant.post(f"/v1/credit-memos/{memo['id']}/post", role="clerk"), 403, "forbidden")
        assert body["permission"] == "post_memo"
        assert tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))["status"] == "posted"

    def test_auditor_cannot_write_anything(self, tenant: Tenant) -> None:
        inv = tenant.invoice()
        memo = tenant.memo_from(inv)
        for path, body in [
            ("/v1/customers", {"name": "X", "currency": "USD"}),
            (f"/v1/invoices/{inv['id']}/credit-memos", {"reason_code": "billing_error"}),
            (f"/v1/credit-memos/{memo['id']}/submit", None),
            (f"/v1/credit-memos/{memo['id']}/post", None),
            (f"/v1/credit-memos/{memo['id']}/discard", {"reason": "x"}),
        ]:
            assert_problem(tenant.post(path, body, role="auditor"), 403, "forbidden")
        assert_problem(tenant.patch(f"/v1/credit-memos/{memo['id']}", {"memo": "x"}, role="auditor"), 403, "forbidden")
        assert tenant.get(f"/v1/credit-memos/{memo['id']}", role="auditor").json()["status"] == "draft"

    def test_auditor_reads_audit_events_and_journal(self, tenant: Tenant) -> None:
        inv = tenant.invoice()
        events = tenant.ok(tenant.get(f"/v1/audit-events?entity_id={inv['id']}", role="auditor"))["data"]
        assert [e["action"] for e in events] == ["invoice.issued"]
        entries = tenant.ok(tenant.get(f"/v1/journal-entries?source_id={inv['id']}", role="auditor"))["data"]
        assert len(entries) == 1
        assert entries[0]["source_type"] == "invoice"

    def test_clerk_without_multiline_privilege_cannot_create_a_two_line_memo(self, tenant: Tenant) -> None:
        inv = tenant.invoice()  # two lines: the pre-populated draft has two
        r = tenant.post(f"/v1/invoices/{inv['id']}/credit-memos", {"reason_code": "billing_error"}, role="clerk_single")
        body = assert_problem(r, 403, "forbidden", field="lines")
        assert body["permission"] == "create_multiline_memo"
        one = tenant.post(
            f"/v1/invoices/{inv['id']}/credit-memos",
            {"reason_code": "billing_error", "lines": [{"invoice_line_id": inv["lines"][0]["id"]}]},
            role="clerk_single",
        )
        assert tenant.ok(one, 201)["lines"][0]["invoice_line_id"] == inv["lines"][0]["id"]
        # a clerk with the privilege may
        assert (
            len(
                tenant.memo_from(
                    inv,
                    role="clerk",
                    lines=[
                        {"invoice_line_id": inv["lines"][1]["id"], "quantity": "1"},
                        {"invoice_line_id": inv["lines"][0]["id"], "amount": "10.00"},
                    ],
                )["lines"]
            )
            == 2
        )

    def test_admin_manages_settings_but_cannot_create_memos(self, tenant: Tenant) -> None:
        inv = tenant.invoice()
        assert_problem(
            tenant.post(f"/v1/invoices/{inv['id']}/credit-memos", {"reason_code": "billing_error"}, role="admin"),
            403,
            "forbidden",
        )
        policy = tenant.ok(tenant.get("/v1/settings/approval-policy", role="clerk"))
        r = tenant.client.put("/v1/settings/approval-policy", json=policy, headers=tenant.h("clerk"))
        assert_problem(r, 403, "forbidden")
        r = tenant.client.put("/v1/settings/approval-policy", json=policy, headers=tenant.h("admin"))
        assert tenant.ok(r) == policy

    def test_void_and_refund_need_a_controller(self, tenant: Tenant) -> None:
        memo = tenant.memo_from(tenant.invoice(), auto_apply=False)
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))
        for role in ("clerk", "manager", "vp"):
            assert_problem(tenant.post(f"/v1/credit-memos/{memo['id']}/void", {}, role=role), 403, "forbidden")
            assert_problem(
                tenant.post(f"/v1/credit-memos/{memo['id']}/refunds", {"amount": "1.00", "method": "ach"}, role=role),
                403,
                "forbidden",
            )
        assert tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/void", {}))["status"] == "void"

    def test_manager_approves_above_the_first_tier_and_may_not_approve_own_memo(self, tenant: Tenant) -> None:
        inv = tenant.invoice(lines=[{"description": "Big", "quantity": "1", "unit_price": "8000.00"}])
        memo = tenant.memo_from(inv, role="clerk")
        submitted = tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/submit", {"comment": "please"}, role="clerk"))
        assert submitted["status"] == "pending_approval"
        assert submitted["allowed_actions"] == ["recall", "discard"]  # the clerk's view: approval is another's
        as_manager = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}", role="manager"))
        assert as_manager["allowed_actions"] == ["approve", "reject", "discard"]
        assert_problem(tenant.post(f"/v1/credit-memos/{memo['id']}/approve", role="clerk"), 403, "forbidden")
        approved = tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/approve", role="manager"))
        assert approved["status"] == "approved"
        own = tenant.memo_from(
            tenant.invoice(lines=[{"description": "Big", "quantity": "1", "unit_price": "8000.00"}]), role="manager"
        )
        tenant.ok(tenant.post(f"/v1/credit-memos/{own['id']}/submit", role="manager"))
        assert_problem(tenant.post(f"/v1/credit-memos/{own['id']}/approve", role="manager"), 403, "forbidden")
