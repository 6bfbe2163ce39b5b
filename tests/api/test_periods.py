"""Date rules and closed periods (issue 17 items 1 and 2) through the real app, on both engines: a date before
the documents it touches, too far ahead, or in a closed period is a typed 422 naming the field, and nothing is
written; closing a month and then trying each dated action in it; a void in a closed month goes to the first
open one and its entry says so; reopening needs a reason; the reports run per period."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from creditmemo.domain.dating import first_open_on_or_after, period_of
from tests.api.conftest import Tenant, assert_problem
from tests.api.test_automatic_credits import subscription

TODAY = date.today()
THIS_MONTH = period_of(TODAY)


def snapshot(t: Tenant) -> dict[str, Any]:
    """What a refused write must leave untouched: documents, entries, applications, refunds, events."""

    def count(path: str) -> int:
        return len(t.ok(t.get(f"{path}{'&' if '?' in path else '?'}limit=100"))["data"])

    return {
        "invoices": count("/v1/invoices"),
        "credit_memos": t.ok(t.get("/v1/credit-memos?limit=100"))["data"],
        "debit_memos": count("/v1/debit-memos"),
        "payments": t.ok(t.get("/v1/payments?limit=100"))["data"],
        "entries": count("/v1/journal-entries"),
        "returns": t.ok(t.get("/v1/returns?limit=100"))["data"],
        "events": count("/v1/audit-events"),
    }


def setup_march(t: Tenant) -> dict[str, Any]:
    """Documents dated in March 2026 (before it is closed): an invoice, a posted memo with a refund, a posted
    memo to void, a draft to post, a payment applied to the invoice, a return received."""
    inv = t.invoice()  # 2026-03-02, 310.00
    cid = inv["customer_id"]
    pay = t.ok(
        t.post(
            "/v1/payments",
            {"customer_id": cid, "amount": "100.00", "currency": "USD", "received_on": "2026-03-05", "method": "wire"},
        ),
        201,
    )
    (app,) = t.ok(
        t.post(
            f"/v1/payments/{pay['id']}/applications",
            {"allocations": [{"invoice_id": inv["id"], "amount": "50.00"}], "applied_on": "2026-03-06"},
        ),
        201,
    )
    line = inv["lines"][1]["id"]
    m1 = t.memo_from(inv, issue_date="2026-03-10", auto_apply=False, lines=[{"invoice_line_id": line, "quantity": "1"}])
    m1 = t.ok(t.post(f"/v1/credit-memos/{m1['id']}/post", {"date": "2026-03-10"}))
    rf = t.ok(
        t.post(
            f"/v1/payments/{pay['id']}/refunds",
            {"amount": "10.00", "method": "ach", "refunded_on": "2026-03-12", "override_reason": "test"},
        ),
        201,
    )
    m2 = t.memo_from(inv, issue_date="2026-03-10", auto_apply=False, lines=[{"invoice_line_id": line, "quantity": "1"}])
    m2 = t.ok(t.post(f"/v1/credit-memos/{m2['id']}/post", {"date": "2026-03-11"}))
    draft = t.memo_from(inv, issue_date="2026-03-10", lines=[{"invoice_line_id": line, "quantity": "1"}])
    goods = t.invoice(
        cid, lines=[{"description": "Gateway", "quantity": "2", "unit_price": "100.00", "unit_cost": "60.00"}]
    )
    rma = t.ok(
        t.post(
            "/v1/returns",
            {
                "invoice_id": goods["id"],
                "reason_code": "damaged_goods",
                "lines": [{"invoice_line_id": goods["lines"][0]["id"], "quantity": "1"}],
            },
        ),
        201,
    )
    sub = subscription(t, cid, issue_date="2026-01-01")
    return {
        "invoice": inv,
        "payment": pay,
        "application": app,
        "memo": m1,
        "refund": rf,
        "to_void": m2,
        "draft": draft,
        "return": rma,
        "subscription": sub,
        "customer_id": cid,
    }


def test_closing_a_period_then_each_dated_action_in_it_is_refused_and_writes_nothing(tenant: Tenant) -> None:
    t = tenant
    d = setup_march(t)
    cid, inv, memo = d["customer_id"], d["invoice"], d["memo"]
    line = inv["lines"][1]["id"]
    closed = t.ok(t.post("/v1/periods/2026-03/close"))
    assert (closed["period"], closed["status"], closed["closed_by"]) == ("2026-03", "closed", t.user_ids["controller"])
    # Today's month too: unapplying, receiving a return and automatic credits are dated today.
    t.ok(t.post(f"/v1/periods/{THIS_MONTH}/close", role="admin"))
    before = snapshot(t)
    march = "2026-03-20"
    attempts: list[tuple[str, Any, str]] = [
        (
            "invoice",
            t.post(
                "/v1/invoices",
                {
                    "customer_id": cid,
                    "currency": "USD",
                    "issue_date": march,
                    "lines": [{"description": "x", "quantity": "1", "unit_price": "1.00"}],
                },
            ),
            "issue_date",
        ),
        (
            "memo from invoice",
            t.post(f"/v1/invoices/{inv['id']}/credit-memos", {"reason_code": "billing_error", "issue_date": march}),
            "issue_date",
        ),
        (
            "standalone memo",
            t.post(
                "/v1/credit-memos",
                {
                    "customer_id": cid,
                    "currency": "USD",
                    "reason_code": "goodwill",
                    "issue_date": march,
                    "lines": [{"description": "Goodwill", "quantity": "1", "unit_price": "5.00"}],
                },
            ),
            "issue_date",
        ),
        (
            "debit memo",
            t.post(
                "/v1/debit-memos",
                {
                    "customer_id": cid,
                    "currency": "USD",
                    "reason_code": "chargeback",
                    "issue_date": march,
                    "lines": [{"description": "Charge-back", "quantity": "1", "unit_price": "5.00"}],
                },
            ),
            "issue_date",
        ),
        ("edit issue date", t.patch(f"/v1/credit-memos/{d['draft']['id']}", {"issue_date": march}), "issue_date"),
        ("post", t.post(f"/v1/credit-memos/{d['draft']['id']}/post", {"date": march}), "date"),
        ("post on its issue date", t.post(f"/v1/credit-memos/{d['draft']['id']}/post"), "date"),
        ("void", t.post(f"/v1/credit-memos/{d['to_void']['id']}/void", {"void_date": march}), "void_date"),
        (
            "apply",
            t.post(
                f"/v1/credit-memos/{memo['id']}/applications",
                {"allocations": [{"invoice_id": inv["id"], "amount": "1.00"}], "applied_on": march},
            ),
            "applied_on",
        ),
        (
            "apply a payment",
            t.post(
                f"/v1/payments/{d['payment']['id']}/applications",
                {"allocations": [{"invoice_id": inv["id"], "amount": "1.00"}], "applied_on": march},
            ),
            "applied_on",
        ),
        (
            "unapply",
            t.delete(f"/v1/payments/{d['payment']['id']}/applications/{d['application']['id']}"),
            "unapplied_on",
        ),
        (
            "refund",
            t.post(
                f"/v1/credit-memos/{memo['id']}/refunds",
                {"amount": "1.00", "method": "ach", "refunded_on": march, "override_reason": "test"},
            ),
            "refunded_on",
        ),
        (
            "refund reversal",
            t.post(f"/v1/refunds/{d['refund']['id']}/reverse", {"reason": "came back", "reversed_on": march}),
            "reversed_on",
        ),
        (
            "payment",
            t.post(
                "/v1/payments",
                {"customer_id": cid, "amount": "5.00", "currency": "USD", "received_on": march, "method": "wire"},
            ),
            "received_on",
        ),
        ("return receipt", t.post(f"/v1/returns/{d['return']['id']}/receive", {}), "date"),
        (
            "automatic credit",
            t.post(
                f"/v1/invoices/{d['subscription']['id']}/proration-credits",
                {
                    "invoice_line_id": d["subscription"]["lines"][0]["id"],
                    "effective_date": "2026-01-17",
                    "new_quantity": "6",
                },
            ),
            "issue_date",
        ),
    ]
    for name, response, field in attempts:
        body = assert_problem(response, 422, "period_closed", field)
        assert body["period"] in ("2026-03", THIS_MONTH), (name, body)
        assert "closed" in body["detail"], (name, body)
    assert snapshot(t) == before
    assert line  # the invoice line the memos credit


def test_a_void_in_a_closed_month_goes_to_the_first_open_one_and_says_so(tenant: Tenant) -> None:
    t = tenant
    inv = t.invoice()
    memo = t.memo_from(inv, issue_date="2026-03-10", auto_apply=False)
    memo = t.ok(t.post(f"/v1/credit-memos/{memo['id']}/post", {"date": "2026-03-10"}))
    t.ok(t.post("/v1/periods/2026-03/close"))
    t.ok(t.post(f"/v1/periods/{THIS_MONTH}/close"))
    voided = t.ok(t.post(f"/v1/credit-memos/{memo['id']}/void", {"reason": "issued in error"}))
    day = first_open_on_or_after(TODAY, {THIS_MONTH})
    assert voided["void_date"] == day.isoformat()
    entries = t.ok(t.get(f"/v1/journal-entries?source_id={memo['id']}"))["data"]
    (reversal,) = [e for e in entries if e["kind"] != "post"]
    assert reversal["date"] == day.isoformat()
    assert reversal["description"] == f"Reversal of {memo['number']}, dated {day}: {THIS_MONTH} is closed"


def test_an_explicit_void_date_in_a_closed_month_is_refused(tenant: Tenant) -> None:
    t = tenant
    inv = t.invoice()
    memo = t.memo_from(inv, issue_date="2026-03-10", auto_apply=False)
    t.ok(t.post(f"/v1/credit-memos/{memo['id']}/post", {"date": "2026-03-10"}))
    t.ok(t.post("/v1/periods/2026-03/close"))
    body = assert_problem(
        t.post(f"/v1/credit-memos/{memo['id']}/void", {"void_date": "2026-03-31"}), 422, "period_closed", "void_date"
    )
    assert body["period"] == "2026-03"
    assert t.ok(t.get(f"/v1/credit-memos/{memo['id']}"))["status"] == "posted"


class TestDateRules:
    def test_a_memo_issued_before_its_invoice_is_refused(self, tenant: Tenant) -> None:
        inv = tenant.invoice()  # 2026-03-02
        before = snapshot(tenant)
        response = tenant.post(
            f"/v1/invoices/{inv['id']}/credit-memos", {"reason_code": "billing_error", "issue_date": "2020-01-01"}
        )
        body = assert_problem(response, 422, "validation_error", "issue_date")
        assert body["errors"][0]["code"] == "before_document"
        assert f"before {inv['number']}'s issue date 2026-03-02" in body["detail"]
        assert snapshot(tenant) == before

    def test_a_posting_before_the_memo_is_refused_in_finance_words(self, tenant: Tenant) -> None:
        inv = tenant.invoice()
        memo = tenant.memo_from(inv, issue_date="2026-03-10")
        before = snapshot(tenant)
        body = assert_problem(
            tenant.post(f"/v1/credit-memos/{memo['id']}/post", {"date": "2020-01-01"}), 422, "validation_error", "date"
        )
        assert (
            body["detail"] == f"date: The posting date 2020-01-01 is before {memo['number']}'s issue date 2026-03-10."
        )
        assert snapshot(tenant) == before
        posted = tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post", {"date": "2026-03-12"}))
        entries = tenant.ok(tenant.get(f"/v1/journal-entries?source_id={memo['id']}"))["data"]
        assert posted["status"] == "posted"
        assert entries[0]["date"] == "2026-03-12"

    def test_settlements_are_dated_on_or_after_what_they_touch(self, tenant: Tenant) -> None:
        t = tenant
        inv = t.invoice()
        memo = t.memo_from(inv, issue_date="2026-03-10", auto_apply=False)
        t.ok(t.post(f"/v1/credit-memos/{memo['id']}/post"))
        before = snapshot(t)
        apply = t.post(
            f"/v1/credit-memos/{memo['id']}/applications",
            {"allocations": [{"invoice_id": inv["id"], "amount": "1.00"}], "applied_on": "2026-03-09"},
        )
        assert_problem(apply, 422, "validation_error", "applied_on")
        refund = t.post(
            f"/v1/credit-memos/{memo['id']}/refunds",
            {"amount": "1.00", "method": "ach", "refunded_on": "2026-03-01", "override_reason": "test"},
        )
        assert_problem(refund, 422, "validation_error", "refunded_on")
        void = t.post(f"/v1/credit-memos/{memo['id']}/void", {"void_date": "2026-03-09"})
        assert_problem(void, 422, "validation_error", "void_date")
        assert snapshot(t) == before
        (app,) = t.ok(
            t.post(
                f"/v1/credit-memos/{memo['id']}/applications",
                {"allocations": [{"invoice_id": inv["id"], "amount": "1.00"}], "applied_on": "2026-03-15"},
            ),
            201,
        )
        early = t.delete(f"/v1/credit-memos/{memo['id']}/applications/{app['id']}?unapplied_on=2026-03-14")
        problem = assert_problem(early, 422, "validation_error", "unapplied_on")
        assert "before the application's date 2026-03-15" in problem["detail"]
        back = t.delete(f"/v1/credit-memos/{memo['id']}/applications/{app['id']}?unapplied_on=2026-03-15")
        assert t.ok(back)["status"] == "reversed"

    def test_a_date_far_in_the_future_is_refused_and_the_limit_is_a_setting(self, tenant: Tenant) -> None:
        t = tenant
        cid = t.customer()["id"]
        ahead = (TODAY + timedelta(days=45)).isoformat()
        body = {
            "customer_id": cid,
            "currency": "USD",
            "issue_date": ahead,
            "lines": [{"description": "x", "quantity": "1", "unit_price": "1.00"}],
        }
        before = snapshot(t)
        problem = assert_problem(t.post("/v1/invoices", body), 422, "validation_error", "issue_date")
        assert problem["errors"][0]["code"] == "too_far_ahead"
        assert snapshot(t) == before
        assert t.ok(t.get("/v1/settings/max-future-days", role="auditor")) == {"max_future_days": 30}
        assert_problem(
            t.client.put("/v1/settings/max-future-days", json={"max_future_days": 60}, headers=t.h()), 403, "forbidden"
        )
        t.ok(t.client.put("/v1/settings/max-future-days", json={"max_future_days": 60}, headers=t.h("admin")))
        t.ok(t.post("/v1/invoices", body), 201)


class TestPeriods:
    def test_list_close_reopen_audited(self, tenant: Tenant) -> None:
        t = tenant
        listed = t.ok(t.get("/v1/periods", role="auditor"))["data"]
        assert listed[0]["period"] == THIS_MONTH
        assert {p["status"] for p in listed} == {"open"}
        assert_problem(t.post("/v1/periods/2026-03/close", role="clerk"), 403, "forbidden")
        assert_problem(t.post("/v1/periods/2026-13/close"), 422, "validation_error", "period")
        t.ok(t.post("/v1/periods/2026-03/close"))
        assert_problem(t.post("/v1/periods/2026-03/close"), 409, "invalid_transition")
        (march,) = [p for p in t.ok(t.get("/v1/periods"))["data"] if p["period"] == "2026-03"]
        assert (march["status"], march["closed_by"]) == ("closed", t.user_ids["controller"])
        assert_problem(t.post("/v1/periods/2026-03/reopen", {}), 422, "validation_error", "reason")
        assert_problem(t.post("/v1/periods/2026-03/reopen", {"reason": "  "}), 422, "validation_error", "reason")
        (still,) = [p for p in t.ok(t.get("/v1/periods"))["data"] if p["period"] == "2026-03"]
        assert still["status"] == "closed"
        back = t.ok(t.post("/v1/periods/2026-03/reopen", {"reason": "Late supplier credit"}, role="admin"))
        assert (back["status"], back["reopen_reason"], back["reopened_by"]) == (
            "open",
            "Late supplier credit",
            t.user_ids["admin"],
        )
        assert_problem(t.post("/v1/periods/2026-03/reopen", {"reason": "again"}), 409, "invalid_transition")
        events = t.ok(t.get("/v1/audit-events?entity_id=2026-03", role="auditor"))["data"]
        assert [e["action"] for e in events] == ["period.closed", "period.reopened"]
        # Open again: a date in it is accepted.
        inv = t.invoice()
        memo = t.memo_from(inv, issue_date="2026-03-10")
        assert t.ok(t.post(f"/v1/credit-memos/{memo['id']}/post"))["status"] == "posted"

    def test_one_company_closing_a_month_does_not_close_it_for_another(self, tenant: Tenant, other: Tenant) -> None:
        tenant.ok(tenant.post("/v1/periods/2026-03/close"))
        assert {p["status"] for p in other.ok(other.get("/v1/periods"))["data"]} == {"open"}
        other.invoice()  # dated 2026-03-02: accepted

    def test_reports_per_period(self, tenant: Tenant) -> None:
        t = tenant
        inv = t.invoice()
        memo = t.memo_from(inv, issue_date="2026-03-10", auto_apply=False)
        t.ok(t.post(f"/v1/credit-memos/{memo['id']}/post"))
        march = t.ok(t.get("/v1/reports/credit-memo-register?period=2026-03"))
        assert [r["number"] for r in march["rows"]] == [memo["number"]]
        assert t.ok(t.get("/v1/reports/credit-memo-register?period=2026-02"))["rows"] == []
        tb = t.ok(t.get("/v1/reports/trial-balance?period=2026-03"))
        assert tb["as_of"] == "2026-03-31"
        assert tb["balanced"]
        assert t.ok(t.get("/v1/reports/trial-balance?period=2026-02"))["rows"] == []
        assert_problem(t.get("/v1/reports/trial-balance?period=2026-3"), 422, "validation_error", "period")
        assert_problem(
            t.get("/v1/reports/trial-balance?period=2026-03&as_of=2026-03-31"), 422, "validation_error", "period"
        )


def test_a_bulk_post_of_a_memo_dated_in_a_closed_month_is_refused_before_it_is_queued(tenant: Tenant) -> None:
    t = tenant
    inv = t.invoice()
    memo = t.memo_from(inv, issue_date="2026-03-10")
    t.ok(t.post("/v1/periods/2026-03/close"))
    body = assert_problem(
        t.post("/v1/credit-memos/bulk-post", {"memo_ids": [memo["id"]]}), 422, "period_closed", "memo_ids[0]"
    )
    assert body["period"] == "2026-03"
    assert t.ok(t.get(f"/v1/credit-memos/{memo['id']}"))["status"] == "draft"
