"""``"post": true`` on the three create endpoints: created and posted in one transaction, or submitted when
the approval policy applies, or queued over the line limit; refused whole (nothing created, no number
taken) when the caller may not post. Both engines, through the real app."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Tenant, assert_problem


def _lines(entries: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(line["account"], line["debit"], line["credit"]) for e in entries for line in e["lines"]]


class TestFromInvoice:
    def test_creates_posts_and_auto_applies_in_one_request(self, tenant: Tenant) -> None:
        inv = tenant.invoice()  # 100.00 at 10 % tax + 4 x 50.00 = 310.00
        memo = tenant.ok(
            tenant.post(f"/v1/invoices/{inv['id']}/credit-memos", {"reason_code": "billing_error", "post": True}), 201
        )
        assert memo["status"] == "posted"
        assert memo["number"].startswith("CM-")
        assert (memo["total"], memo["amount_applied"], memo["amount_available"]) == ("310.00", "310.00", "0.00")
        assert memo["settlement_status"] == "applied"
        assert memo["allowed_actions"] == []  # applied in full: a void needs it unapplied first (memo_settled)
        entries = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/journal-entries"))
        assert _lines(entries) == [("4900", "300.00", "0.00"), ("2200", "10.00", "0.00"), ("1200", "0.00", "310.00")]
        invoice = tenant.ok(tenant.get(f"/v1/invoices/{inv['id']}"))
        assert (invoice["amount_credited"], invoice["amount_due"]) == ("310.00", "0.00")
        assert invoice["payment_status"] == "paid"
        customer = tenant.ok(tenant.get(f"/v1/customers/{inv['customer_id']}"))
        assert (customer["balance"], customer["available_credit"]) == ("0.00", "0.00")
        events = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/events"))
        assert [e["action"] for e in events] == ["credit_memo.created", "credit_memo.posted"]
        # The number appears as taken wherever it is written (on PostgreSQL it is taken at commit).
        assert events[0]["changes"]["number"] == [None, memo["number"]]
        assert entries[0]["description"] == f"Credit memo {memo['number']}"
        assert tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}"))["number"] == memo["number"]
        rec = tenant.ok(tenant.get("/v1/reports/reconciliation", role="auditor"))
        assert rec["ok"] is True, rec

    def test_a_partial_credit_leaves_the_rest_due(self, tenant: Tenant) -> None:
        inv = tenant.invoice()
        line = inv["lines"][1]  # 4 hours at 50.00, untaxed
        memo = tenant.ok(
            tenant.post(
                f"/v1/invoices/{inv['id']}/credit-memos",
                {
                    "reason_code": "billing_error",
                    "post": True,
                    "lines": [{"invoice_line_id": line["id"], "quantity": "1"}],
                },
            ),
            201,
        )
        assert (memo["status"], memo["total"], memo["amount_applied"]) == ("posted", "50.00", "50.00")
        assert tenant.ok(tenant.get(f"/v1/invoices/{inv['id']}"))["amount_due"] == "260.00"

    def test_a_memo_that_needs_approval_is_created_and_submitted(self, tenant: Tenant) -> None:
        inv = tenant.invoice(lines=[{"description": "Big", "quantity": "1", "unit_price": "7000.00"}])
        memo = tenant.ok(
            tenant.post(f"/v1/invoices/{inv['id']}/credit-memos", {"reason_code": "billing_error", "post": True}), 201
        )
        assert memo["status"] == "pending_approval"
        assert tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/journal-entries")) == []
        assert tenant.ok(tenant.get(f"/v1/invoices/{inv['id']}"))["amount_due"] == "7000.00"
        # The normal path continues from there: a manager approves, a controller posts.
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/approve", role="manager"))
        assert tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))["status"] == "posted"

    def test_over_the_line_limit_it_is_queued_for_the_worker(self, tenant: Tenant) -> None:
        r = tenant.client.put(
            "/v1/settings/background-line-limit", json={"background_line_limit": 1}, headers=tenant.h("admin")
        )
        tenant.ok(r)
        memo = tenant.ok(
            tenant.post(
                f"/v1/invoices/{tenant.invoice()['id']}/credit-memos", {"reason_code": "billing_error", "post": True}
            ),
            201,
        )
        assert memo["status"] == "ready_to_post"

    def test_a_caller_who_may_not_post_gets_403_and_nothing_is_created(self, tenant: Tenant) -> None:
        inv = tenant.invoice()
        assert_problem(
            tenant.post(
                f"/v1/invoices/{inv['id']}/credit-memos", {"reason_code": "billing_error", "post": True}, role="clerk"
            ),
            403,
            "forbidden",
        )
        assert tenant.ok(tenant.get(f"/v1/credit-memos?invoice_id={inv['id']}"))["data"] == []
        # No number was taken: the next memo of the company is CM-000001.
        assert tenant.memo_from(inv)["number"] == "CM-000001"

    def test_an_over_credit_is_refused_whole(self, tenant: Tenant) -> None:
        inv = tenant.invoice()
        tenant.ok(
            tenant.post(f"/v1/invoices/{inv['id']}/credit-memos", {"reason_code": "billing_error", "post": True}), 201
        )
        assert_problem(
            tenant.post(f"/v1/invoices/{inv['id']}/credit-memos", {"reason_code": "billing_error", "post": True}),
            422,
            "over_credit",
        )
        numbers = [m["number"] for m in tenant.ok(tenant.get(f"/v1/credit-memos?invoice_id={inv['id']}"))["data"]]
        assert numbers == ["CM-000001"]

    def test_a_replayed_key_returns_the_first_response_and_posts_once(self, tenant: Tenant) -> None:
        inv = tenant.invoice()
        body = {"reason_code": "billing_error", "post": True}
        first = tenant.post(f"/v1/invoices/{inv['id']}/credit-memos", body, key="post-once")
        again = tenant.post(f"/v1/invoices/{inv['id']}/credit-memos", body, key="post-once")
        assert first.status_code == again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert len(tenant.ok(tenant.get(f"/v1/credit-memos?invoice_id={inv['id']}"))["data"]) == 1


class TestStandaloneAndDebit:
    def test_a_standalone_credit_memo_posts_to_the_reason_account(self, tenant: Tenant) -> None:
        cust = tenant.customer()
        memo = tenant.ok(
            tenant.post(
                "/v1/credit-memos",
                {
                    "customer_id": cust["id"],
                    "currency": "USD",
                    "reason_code": "goodwill",
                    "post": True,
                    "lines": [{"description": "Goodwill", "quantity": "1", "unit_price": "300.00"}],
                },
            ),
            201,
        )
        assert (memo["status"], memo["amount_applied"], memo["amount_available"]) == ("posted", "0.00", "300.00")
        entries = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/journal-entries"))
        assert [(acct, dr, cr) for acct, dr, cr in _lines(entries)][-1] == ("1200", "0.00", "300.00")
        customer = tenant.ok(tenant.get(f"/v1/customers/{cust['id']}"))
        assert (customer["balance"], customer["available_credit"]) == ("-300.00", "300.00")

    def test_a_debit_memo_posts_and_raises_what_is_owed(self, tenant: Tenant) -> None:
        cust = tenant.customer()
        debit = tenant.ok(
            tenant.post(
                "/v1/debit-memos",
                {
                    "customer_id": cust["id"],
                    "currency": "USD",
                    "reason_code": "chargeback",
                    "post": True,
                    "lines": [{"description": "Charge-back", "quantity": "1", "unit_price": "120.00"}],
                },
            ),
            201,
        )
        assert debit["status"] == "posted"
        assert debit["number"].startswith("DM-")
        assert tenant.ok(tenant.get(f"/v1/customers/{cust['id']}"))["balance"] == "120.00"
