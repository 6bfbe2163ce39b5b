"""Void and reissue (issue 17 item 4, seed 001) through the API on both engines, and the sequence the issue
names: post -> refund -> void refused -> reverse the refund -> void and reissue -> post the new draft."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from creditmemo.store.uow import Database
from tests.api.conftest import Tenant, assert_problem
from tests.api.test_refund_reversal import posted_memo


def reissue(t: Tenant, memo_id: str, **body: Any) -> Any:
    return t.post(f"/v1/credit-memos/{memo_id}/reissue", body or None)


def test_post_refund_void_refused_reverse_reissue_post(tenant: Tenant) -> None:
    memo = posted_memo(tenant)  # 310.00 from a paid invoice, unapplied
    rf = tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/refunds", {"amount": "100.00", "method": "ach"}), 201)
    assert_problem(tenant.post(f"/v1/credit-memos/{memo['id']}/void", {}), 409, "memo_settled")
    assert_problem(reissue(tenant, memo["id"], reason="wrong price"), 409, "memo_settled")
    tenant.ok(tenant.post(f"/v1/refunds/{rf['id']}/reverse", {"reason": "ACH returned"}))

    draft = tenant.ok(reissue(tenant, memo["id"], reason="wrong price"), 201)
    voided = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}"))
    assert (voided["status"], voided["replaced_by_id"]) == ("void", draft["id"])
    assert (draft["status"], draft["replaces_id"], draft["invoice_id"]) == ("draft", memo["id"], memo["invoice_id"])
    assert draft["number"] != memo["number"]
    assert [(ln["invoice_line_id"], ln["quantity"], ln["net_amount"]) for ln in draft["lines"]] == [
        (ln["invoice_line_id"], ln["quantity"], ln["net_amount"]) for ln in memo["lines"]
    ]
    assert (draft["reason_code"], draft["total"]) == (memo["reason_code"], memo["total"])
    events = tenant.ok(tenant.get(f"/v1/audit-events?entity_id={memo['id']}"))["data"]
    assert [e["action"] for e in events][-2:] == ["credit_memo.voided", "credit_memo.reissued"]

    posted = tenant.ok(tenant.post(f"/v1/credit-memos/{draft['id']}/post"))
    assert posted["status"] == "posted"  # the void gave the invoice lines' credit back (rule 1)
    books = tenant.ok(tenant.get("/v1/reports/reconciliation"))
    assert books["ok"], books["problems"]


def test_a_standalone_memo_is_reissued_with_its_free_lines(tenant: Tenant) -> None:
    customer = tenant.customer()["id"]
    memo = tenant.ok(
        tenant.post(
            "/v1/credit-memos",
            {
                "customer_id": customer,
                "currency": "USD",
                "reason_code": "goodwill",
                "memo": "Late delivery",
                "lines": [
                    {"description": "Goodwill", "quantity": "2", "unit_price": "25.00", "tax_rate": "10"},
                    {"description": "Shipping", "quantity": "1", "unit_price": "9.99"},
                ],
                "post": True,
            },
        ),
        201,
    )
    draft = tenant.ok(reissue(tenant, memo["id"]), 201)
    assert draft["memo"] == "Late delivery"
    assert [(ln["description"], ln["quantity"], ln["unit_price"], ln["tax_rate"]) for ln in draft["lines"]] == [
        (ln["description"], ln["quantity"], ln["unit_price"], ln["tax_rate"]) for ln in memo["lines"]
    ]
    assert draft["total"] == memo["total"] == "64.99"


def test_what_cannot_be_reissued_is_refused_and_nothing_is_written(tenant: Tenant, other: Tenant) -> None:
    inv = tenant.invoice()
    draft = tenant.memo_from(inv)
    body = assert_problem(reissue(tenant, draft["id"]), 409, "invalid_transition")
    assert "post" in body["allowed_actions"]
    applied = tenant.ok(tenant.post(f"/v1/credit-memos/{draft['id']}/post"))  # auto-applied to its invoice
    assert_problem(reissue(tenant, applied["id"]), 409, "memo_settled")
    assert_problem(reissue(tenant, applied["id"]), 409, "memo_settled")
    assert_problem(reissue(other, applied["id"]), 404, "not_found")
    assert_problem(reissue(tenant, applied["id"], reason="x" * 2001), 422, "validation_error", field="reason")
    memo = posted_memo(tenant)
    assert_problem(tenant.post(f"/v1/credit-memos/{memo['id']}/reissue", None, role="clerk"), 403, "forbidden")
    memos = tenant.ok(tenant.get("/v1/credit-memos?limit=100"))["data"]
    assert len(memos) == 2  # no draft was created by any refusal
    assert all(m["replaced_by_id"] is None for m in memos)


@pytest.mark.postgres_only
def test_two_reissues_of_one_memo_at_once_make_one_draft(db: Database, tenant: Tenant) -> None:
    memo = posted_memo(tenant)
    results: list[Any] = []
    barrier = threading.Barrier(3)

    def go() -> None:
        barrier.wait(10)
        results.append(reissue(tenant, memo["id"], reason="wrong"))

    threads = [threading.Thread(target=go) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert sorted(r.status_code for r in results) == [201, 409, 409], [r.text for r in results]
    drafts = tenant.ok(tenant.get("/v1/credit-memos?status=draft"))["data"]
    assert [d["replaces_id"] for d in drafts] == [memo["id"]]
