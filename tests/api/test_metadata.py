"""Metadata on every document and text after posting (issue 17 item 6b): a small key-value map on credit and
debit memos, invoices and payments (≤ 50 keys, key ≤ 40 characters, text values ≤ 500, errors naming
``metadata.<key>``). Past draft a memo's text and metadata stay editable, in every status (ready_to_post and void
included), each edit audited with before and after; its amounts never change (409 ``posted_is_final``)."""

from __future__ import annotations

from typing import Any

import pytest

from creditmemo.store.uow import Database
from creditmemo.worker import post_next
from tests.api.conftest import Tenant, assert_problem


def _notes_events(t: Tenant, memo_id: str) -> list[dict[str, Any]]:
    events = t.ok(t.get(f"/v1/audit-events?entity_id={memo_id}", role="auditor"))["data"]
    return [e for e in events if e["action"].endswith("notes_updated")]


def test_every_document_takes_metadata_when_created_and_shows_it(tenant: Tenant) -> None:
    cust = tenant.customer()
    inv = tenant.ok(
        tenant.post(
            "/v1/invoices",
            {
                "customer_id": cust["id"],
                "currency": "USD",
                "issue_date": "2026-03-02",
                "lines": [{"description": "Plan", "quantity": "1", "unit_price": "100.00"}],
                "metadata": {"crm_id": "OPP-7"},
            },
        ),
        201,
    )
    assert inv["metadata"] == {"crm_id": "OPP-7"}
    assert tenant.ok(tenant.get(f"/v1/invoices/{inv['id']}"))["metadata"] == {"crm_id": "OPP-7"}
    memo = tenant.memo_from(inv, metadata={"region": "emea"})
    assert tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}"))["metadata"] == {"region": "emea"}
    free = {"description": "Fee", "quantity": "1", "unit_price": "5.00"}
    debit = tenant.ok(
        tenant.post(
            "/v1/debit-memos",
            {
                "customer_id": cust["id"],
                "currency": "USD",
                "reason_code": "chargeback",
                "lines": [free],
                "metadata": {"a": "1"},
            },
        ),
        201,
    )
    assert debit["metadata"] == {"a": "1"}
    payment = tenant.ok(
        tenant.post(
            "/v1/payments",
            {
                "customer_id": cust["id"],
                "amount": "10.00",
                "currency": "USD",
                "received_on": "2026-03-10",
                "method": "wire",
                "metadata": {"bank_ref": "X1"},
            },
        ),
        201,
    )
    assert payment["metadata"] == {"bank_ref": "X1"}
    assert tenant.memo_from(inv)["metadata"] == {}  # none given: an empty map


@pytest.mark.parametrize(
    ("metadata", "field", "code"),
    [
        ({"region": "x" * 501}, "metadata.region", "too_long"),
        ({"k" * 41: "v"}, f"metadata.{'k' * 41}", "key_too_long"),
        ({f"k{i}": "v" for i in range(51)}, "metadata", "too_many_keys"),
        ({"": "v"}, "metadata", "invalid_key"),
    ],
)
def test_metadata_over_the_limits_is_refused_naming_the_field(
    tenant: Tenant, metadata: dict[str, str], field: str, code: str
) -> None:
    inv = tenant.invoice()
    body = assert_problem(
        tenant.post(f"/v1/invoices/{inv['id']}/credit-memos", {"reason_code": "billing_error", "metadata": metadata}),
        422,
        "validation_error",
        field,
    )
    assert body["errors"][0]["code"] == code
    assert tenant.ok(tenant.get("/v1/credit-memos"))["data"] == []  # nothing written


def test_a_value_that_is_not_text_is_refused_naming_its_key(tenant: Tenant) -> None:
    inv = tenant.invoice()
    response = tenant.post(
        f"/v1/invoices/{inv['id']}/credit-memos", {"reason_code": "billing_error", "metadata": {"n": 5}}
    )
    assert_problem(response, 422, "validation_error", "metadata.n")


def test_a_posted_memo_keeps_its_amounts_and_its_text_and_metadata_change_audited(tenant: Tenant) -> None:
    inv = tenant.invoice()
    memo = tenant.memo_from(inv, memo="Credit for March", metadata={"region": "emea", "case": "SR-1"})
    posted = tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))
    edited = tenant.ok(
        tenant.patch(
            f"/v1/credit-memos/{memo['id']}",
            {"memo": "Credit for March (service outage)", "metadata": {"region": "apac", "case": None, "po": "PO-9"}},
        )
    )
    assert edited["memo"] == "Credit for March (service outage)"
    assert edited["metadata"] == {"region": "apac", "po": "PO-9"}
    unchanged = ("status", "total", "subtotal", "tax_total", "amount_applied", "issue_date", "reason_code", "version")
    assert {k: edited[k] for k in unchanged} == {k: posted[k] for k in unchanged}
    assert edited["lines"] == posted["lines"]
    events = _notes_events(tenant, memo["id"])
    assert len(events) == 1
    assert events[0]["changes"] == {
        "memo_text": ["Credit for March", "Credit for March (service outage)"],
        "metadata": [{"region": "emea", "case": "SR-1"}, {"region": "apac", "po": "PO-9"}],
    }
    # Amounts never change: lines, and any other header field, name the field and the state.
    line = {"invoice_line_id": inv["lines"][0]["id"], "amount": "1.00"}
    body = assert_problem(
        tenant.patch(f"/v1/credit-memos/{memo['id']}", {"lines": [line]}), 409, "posted_is_final", "lines"
    )
    assert "posted" in body["detail"]
    assert (body["memo_status"], body["editable"]) == ("posted", ["memo", "metadata"])
    for change, field in (({"issue_date": "2026-04-01"}, "issue_date"), ({"reason_code": "goodwill"}, "reason_code")):
        assert_problem(tenant.patch(f"/v1/credit-memos/{memo['id']}", change), 409, "posted_is_final", field)
    # Sending a field unchanged alongside the text is no attempt to change it.
    same = tenant.ok(
        tenant.patch(f"/v1/credit-memos/{memo['id']}", {"memo": "again", "reason_code": posted["reason_code"]})
    )
    assert same["memo"] == "again"
    after = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}"))
    assert (after["total"], after["lines"]) == (posted["total"], posted["lines"])
    entries = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/journal-entries"))
    assert len(entries) == 1  # no entry for a text or metadata change


def test_metadata_is_editable_in_ready_to_post_and_void(db: Database, tenant: Tenant) -> None:
    inv = tenant.invoice()
    queued_memo = tenant.memo_from(inv, lines=[{"invoice_line_id": inv["lines"][0]["id"], "amount": "10.00"}])
    queued = tenant.ok(tenant.post("/v1/credit-memos/bulk-post", {"memo_ids": [queued_memo["id"]]}))[0]
    assert queued["status"] == "ready_to_post"
    edited = tenant.ok(tenant.patch(f"/v1/credit-memos/{queued['id']}", {"metadata": {"batch": "B-1"}}))
    assert (edited["status"], edited["metadata"]) == ("ready_to_post", {"batch": "B-1"})
    assert_problem(
        tenant.patch(f"/v1/credit-memos/{queued['id']}", {"auto_apply": False}), 409, "posted_is_final", "auto_apply"
    )
    while (done := post_next(db)) is not None and done[0] != queued["id"]:  # the worker posts it (the queue is
        pass  # shared with other tests' companies)
    posted = tenant.ok(tenant.get(f"/v1/credit-memos/{queued['id']}"))
    assert (posted["status"], posted["metadata"]) == ("posted", {"batch": "B-1"})

    memo = tenant.memo_from(
        inv, lines=[{"invoice_line_id": inv["lines"][1]["id"], "amount": "10.00"}], auto_apply=False
    )
    tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))
    tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/void", {"reason": "wrong customer"}))
    voided = tenant.ok(
        tenant.patch(f"/v1/credit-memos/{memo['id']}", {"metadata": {"why": "duplicate"}, "memo": "void"})
    )
    assert (voided["status"], voided["metadata"], voided["memo"]) == ("void", {"why": "duplicate"}, "void")


def test_a_patch_that_would_exceed_the_limits_is_refused_and_writes_nothing(tenant: Tenant) -> None:
    inv = tenant.invoice()
    memo = tenant.memo_from(inv, metadata={f"k{i}": "v" for i in range(50)})
    tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))
    assert_problem(
        tenant.patch(f"/v1/credit-memos/{memo['id']}", {"metadata": {"one_more": "v"}}),
        422,
        "validation_error",
        "metadata",
    )
    assert_problem(
        tenant.patch(f"/v1/credit-memos/{memo['id']}", {"metadata": {"k1": "x" * 501}}),
        422,
        "validation_error",
        "metadata.k1",
    )
    # Removing one makes room for another.
    edited = tenant.ok(tenant.patch(f"/v1/credit-memos/{memo['id']}", {"metadata": {"k0": None, "one_more": "v"}}))
    assert len(edited["metadata"]) == 50
    assert "k0" not in edited["metadata"]
    assert len(_notes_events(tenant, memo["id"])) == 1


def test_invoice_and_payment_metadata_change_audited_and_by_their_roles(tenant: Tenant, other: Tenant) -> None:
    cust = tenant.customer()
    inv = tenant.invoice(cust["id"])
    changed = tenant.ok(tenant.patch(f"/v1/invoices/{inv['id']}", {"metadata": {"crm_id": "OPP-8"}}, "clerk"))
    assert changed["metadata"] == {"crm_id": "OPP-8"}
    assert changed["total"] == inv["total"]
    payment = tenant.ok(
        tenant.post(
            "/v1/payments",
            {
                "customer_id": cust["id"],
                "amount": "10.00",
                "currency": "USD",
                "received_on": "2026-03-10",
                "method": "wire",
            },
        ),
        201,
    )
    assert tenant.ok(tenant.patch(f"/v1/payments/{payment['id']}", {"metadata": {"bank": "B"}}))["metadata"] == {
        "bank": "B"
    }
    actions = [e["action"] for e in tenant.ok(tenant.get(f"/v1/audit-events?entity_id={inv['id']}"))["data"]]
    assert actions[-1] == "invoice.metadata_updated"
    assert_problem(tenant.patch(f"/v1/invoices/{inv['id']}", {"metadata": {"x": "y"}}, "auditor"), 403, "forbidden")
    assert_problem(other.patch(f"/v1/invoices/{inv['id']}", {"metadata": {"x": "y"}}), 404, "not_found")
    assert_problem(other.patch(f"/v1/payments/{payment['id']}", {"metadata": {"x": "y"}}), 404, "not_found")
    assert_problem(
        tenant.patch(f"/v1/invoices/{inv['id']}", {"metadata": {"x": "y"}, "total": "1.00"}),
        422,
        "validation_error",
        "total",
    )
