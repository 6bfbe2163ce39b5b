"""Reversing a refund (issue 17 item 3) through the API on both engines: the money came back, so the mirror
entries are posted, the source's available amount and the customer's balance are restored, and the refund
stays as the record, marked reversed. After it a memo can be voided again. Races on PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from creditmemo.store.uow import Database
from tests.api.conftest import Tenant, assert_problem


def pay(t: Tenant, customer_id: str, amount: str, invoice_id: str | None = None) -> dict[str, Any]:
    payment = t.ok(
        t.post(
            "/v1/payments",
            {
                "customer_id": customer_id,
                "amount": amount,
                "currency": "USD",
                "received_on": "2026-03-05",
                "method": "wire",
            },
        ),
        201,
    )
    if invoice_id is not None:
        body = {"allocations": [{"invoice_id": invoice_id, "amount": amount}]}
        t.ok(t.post(f"/v1/payments/{payment['id']}/applications", body), 201)
    return payment


def posted_memo(t: Tenant) -> dict[str, Any]:
    """A memo of 310.00 from an invoice the customer paid: money came in, so it may go back."""
    inv = t.invoice()
    pay(t, inv["customer_id"], "310.00", inv["id"])
    memo = t.memo_from(inv, auto_apply=False)
    return t.ok(t.post(f"/v1/credit-memos/{memo['id']}/post"))


def refund(t: Tenant, memo: dict[str, Any], amount: str = "100.00") -> dict[str, Any]:
    return t.ok(t.post(f"/v1/credit-memos/{memo['id']}/refunds", {"amount": amount, "method": "ach"}), 201)


def test_post_refund_void_refused_reverse_then_void(tenant: Tenant) -> None:
    memo = posted_memo(tenant)  # 310.00, unapplied
    customer = memo["customer_id"]
    balance = tenant.ok(tenant.get(f"/v1/customers/{customer}"))["balance"]
    rf = refund(tenant, memo)
    assert rf["status"] == "completed"
    assert_problem(tenant.post(f"/v1/credit-memos/{memo['id']}/void", {"reason": "wrong"}), 409, "memo_settled")

    back = tenant.ok(
        tenant.post(f"/v1/refunds/{rf['id']}/reverse", {"reason": "ACH returned: account closed", "reversed_on": None})
    )
    assert (back["status"], back["reversal_reason"]) == ("reversed", "ACH returned: account closed")
    assert tenant.ok(tenant.get(f"/v1/refunds/{rf['id']}", role="auditor"))["status"] == "reversed"
    again = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}"))
    assert (again["amount_refunded"], again["amount_available"]) == ("0.00", "310.00")
    assert tenant.ok(tenant.get(f"/v1/customers/{customer}"))["balance"] == balance
    entries = tenant.ok(tenant.get(f"/v1/journal-entries?source_id={rf['id']}"))["data"]
    assert sorted(e["kind"] for e in entries) == ["post", "reversal"]
    post, reversal = sorted(entries, key=lambda e: e["kind"])
    assert [(ln["account"], ln["debit"], ln["credit"]) for ln in reversal["lines"]] == [
        (ln["account"], ln["credit"], ln["debit"]) for ln in post["lines"]
    ]
    events = tenant.ok(tenant.get(f"/v1/audit-events?entity_id={rf['id']}"))["data"]
    assert [e["action"] for e in events][-1] == "refund.reversed"

    voided = tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/void", {"reason": "issued in error"}))
    assert voided["status"] == "void"
    books = tenant.ok(tenant.get("/v1/reports/reconciliation"))
    assert books["ok"], books["problems"]


def test_a_payment_refund_reversed_makes_the_money_available_again(tenant: Tenant) -> None:
    customer = tenant.customer()["id"]
    payment = pay(tenant, customer, "310.00")  # received before anything was invoiced: a credit balance
    rf = tenant.ok(tenant.post(f"/v1/payments/{payment['id']}/refunds", {"amount": "310.00", "method": "wire"}), 201)
    tenant.ok(tenant.post(f"/v1/refunds/{rf['id']}/reverse", {"reason": "Wire bounced"}))
    assert tenant.ok(tenant.get(f"/v1/payments/{payment['id']}"))["amount_available"] == "310.00"
    inv = tenant.invoice(customer_id=customer)
    body = {"allocations": [{"invoice_id": inv["id"], "amount": "310.00"}]}
    tenant.ok(tenant.post(f"/v1/payments/{payment['id']}/applications", body), 201)
    books = tenant.ok(tenant.get("/v1/reports/reconciliation"))
    assert books["ok"], books["problems"]


def test_bad_reversals_are_refused_and_write_nothing(tenant: Tenant, other: Tenant) -> None:
    memo = posted_memo(tenant)
    rf = refund(tenant, memo)
    assert_problem(tenant.post(f"/v1/refunds/{rf['id']}/reverse", {}), 422, "validation_error", field="reason")
    assert_problem(
        tenant.post(f"/v1/refunds/{rf['id']}/reverse", {"reason": "x", "reversed_on": "2000-01-01"}),
        422,
        "validation_error",
        field="reversed_on",
    )
    assert_problem(tenant.post(f"/v1/refunds/{rf['id']}/reverse", {"reason": "x"}, role="clerk"), 403, "forbidden")
    assert_problem(other.post(f"/v1/refunds/{rf['id']}/reverse", {"reason": "x"}), 404, "not_found")
    assert_problem(other.get(f"/v1/refunds/{rf['id']}"), 404, "not_found")
    assert tenant.ok(tenant.get(f"/v1/refunds/{rf['id']}"))["status"] == "completed"  # nothing written
    tenant.ok(tenant.post(f"/v1/refunds/{rf['id']}/reverse", {"reason": "came back"}))
    body = assert_problem(
        tenant.post(f"/v1/refunds/{rf['id']}/reverse", {"reason": "twice"}), 409, "invalid_transition"
    )
    assert body["allowed_actions"] == []
    assert tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}"))["amount_refunded"] == "0.00"  # once, not twice


@pytest.mark.postgres_only
def test_two_reversals_of_one_refund_at_once_reverse_it_once(db: Database, tenant: Tenant) -> None:
    memo = posted_memo(tenant)
    rf = refund(tenant, memo)
    results: list[Any] = []
    barrier = threading.Barrier(4)

    def go(n: int) -> None:
        barrier.wait(10)
        results.append(tenant.post(f"/v1/refunds/{rf['id']}/reverse", {"reason": f"came back {n}"}))

    threads = [threading.Thread(target=go, args=(n,)) for n in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert sorted(r.status_code for r in results) == [200, 409, 409, 409], [r.text for r in results]
    assert tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}"))["amount_refunded"] == "0.00"
    entries = tenant.ok(tenant.get(f"/v1/journal-entries?source_id={rf['id']}"))["data"]
    assert sorted(e["kind"] for e in entries) == ["post", "reversal"]
