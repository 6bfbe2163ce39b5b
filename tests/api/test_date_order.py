"""Settlement dates in order (issue 16 item 1, issue 17 item 1), through the API on both engines. Reports as of a
date count what is dated on or before it, so no settlement event may be dated before what it touches:

- a void not before the memo's last settlement event (an application, an unapplication, a refund, a refund's
  reversal), else the as-of reports show a voided memo applied after its void;
- an application, automatic ones too (a "next invoice" credit, account credit on a new invoice), not before its
  credit document nor the invoice or debit memo it settles;
- an unapplication not before its application, a refund not before its memo or payment, a refund's reversal not
  before the refund.

Each refusal is a 422 ``validation_error`` whose field error has the code ``before_document`` and whose message
names both dates; nothing is written."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.api.conftest import Tenant, assert_problem

TODAY = date.today()


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def ahead(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


@pytest.fixture
def cust(tenant: Tenant) -> str:
    """A new customer's id, the tenant's."""
    return str(tenant.customer()["id"])


def invoice(t: Tenant, customer_id: str, price: str, issued: str, **line: str) -> dict[str, Any]:
    body = {
        "customer_id": customer_id,
        "currency": "USD",
        "issue_date": issued,
        "lines": [{"description": "Seats", "quantity": "1", "unit_price": price, **line}],
    }
    return t.ok(t.post("/v1/invoices", body), 201)


def standalone(t: Tenant, customer_id: str, price: str, issued: str, *, kind: str = "credit") -> dict[str, Any]:
    """A posted standalone memo (a credit memo kept as account credit, or a debit memo)."""
    body = {
        "customer_id": customer_id,
        "currency": "USD",
        "reason_code": "goodwill" if kind == "credit" else "chargeback",
        "issue_date": issued,
        "post": True,
        "lines": [{"description": "Adjustment", "quantity": "1", "unit_price": price}],
    }
    return t.ok(t.post(f"/v1/{kind}-memos", body), 201)


def payment(t: Tenant, customer_id: str, amount: str, on: str) -> dict[str, Any]:
    body = {"customer_id": customer_id, "amount": amount, "currency": "USD", "received_on": on, "method": "wire"}
    return t.ok(t.post("/v1/payments", body), 201)


def refused(response: Any, field: str, *dates: str) -> None:
    """A 422 naming ``field``, with the ``before_document`` code and a message naming every one of ``dates``."""
    body = assert_problem(response, 422, "validation_error", field=field)
    [error] = [e for e in body["errors"] if e["field"] == field]
    assert error["code"] == "before_document", body
    for day in dates:
        assert day in error["message"], (day, error["message"])


def apply(t: Tenant, source: str, target_id: str, amount: str, on: str, *, key: str = "invoice_id") -> dict[str, Any]:
    """One application of ``amount`` from ``source`` (a memo's or payment's path) to one target, dated ``on``."""
    body = {"allocations": [{key: target_id, "amount": amount}], "applied_on": on}
    apps: list[dict[str, Any]] = t.ok(t.post(f"{source}/applications", body), 201)
    [app] = apps
    return app


def unapply(t: Tenant, source: str, app: dict[str, Any], on: str) -> Any:
    """The response to reversing the application ``app`` of ``source``, dated ``on``."""
    return t.client.delete(f"{source}/applications/{app['id']}?unapplied_on={on}", headers=t.h())


def applications_of(t: Tenant, path: str) -> list[dict[str, Any]]:
    return t.ok(t.get(f"{path}/applications"))


class TestVoid:
    def test_a_void_before_the_memos_unapplication_is_refused(self, tenant: Tenant, cust: str) -> None:
        memo = standalone(tenant, cust, "50.00", ago(60))
        inv = invoice(tenant, cust, "80.00", ago(60))
        app = apply(tenant, f"/v1/credit-memos/{memo['id']}", inv["id"], "50.00", ago(50))
        back = unapply(tenant, f"/v1/credit-memos/{memo['id']}", app, ago(20))
        assert tenant.ok(back)["reversed_on"] == ago(20)

        refused(
            tenant.post(f"/v1/credit-memos/{memo['id']}/void", {"void_date": ago(30)}), "void_date", ago(30), ago(20)
        )
        assert tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}"))["status"] == "posted"  # nothing written
        voided = tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/void", {"void_date": ago(20)}))
        assert (voided["status"], voided["void_date"]) == ("void", ago(20))

    def test_a_void_before_a_refunds_reversal_is_refused(self, tenant: Tenant, cust: str) -> None:
        inv = invoice(tenant, cust, "100.00", ago(70))
        pay = payment(tenant, cust, "100.00", ago(70))
        apply(tenant, f"/v1/payments/{pay['id']}", inv["id"], "100.00", ago(70))
        memo = tenant.memo_from(inv, auto_apply=False, issue_date=ago(60), post=True)
        rf = tenant.ok(
            tenant.post(
                f"/v1/credit-memos/{memo['id']}/refunds", {"amount": "40.00", "method": "ach", "refunded_on": ago(50)}
            ),
            201,
        )
        tenant.ok(tenant.post(f"/v1/refunds/{rf['id']}/reverse", {"reason": "ACH returned", "reversed_on": ago(10)}))

        refused(
            tenant.post(f"/v1/credit-memos/{memo['id']}/void", {"void_date": ago(40)}), "void_date", ago(40), ago(10)
        )
        assert tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}"))["status"] == "posted"
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/void", {"void_date": ago(10)}))

    def test_a_debit_memo_is_not_voided_before_a_payments_unapplication_from_it(
        self, tenant: Tenant, cust: str
    ) -> None:
        debit = standalone(tenant, cust, "30.00", ago(60), kind="debit")
        pay = payment(tenant, cust, "30.00", ago(55))
        app = apply(tenant, f"/v1/payments/{pay['id']}", debit["id"], "30.00", ago(50), key="debit_memo_id")
        tenant.ok(unapply(tenant, f"/v1/payments/{pay['id']}", app, ago(15)))

        refused(
            tenant.post(f"/v1/debit-memos/{debit['id']}/void", {"void_date": ago(30)}), "void_date", ago(30), ago(15)
        )
        assert tenant.ok(tenant.get(f"/v1/debit-memos/{debit['id']}"))["status"] == "posted"
        tenant.ok(tenant.post(f"/v1/debit-memos/{debit['id']}/void", {"void_date": ago(15)}))

    def test_a_void_without_a_date_after_a_future_dated_unapplication_takes_that_date(
        self, tenant: Tenant, cust: str
    ) -> None:
        """No date given: the void is dated today, or the memo's last settlement event when that is later."""
        memo = standalone(tenant, cust, "20.00", ago(5))
        inv = invoice(tenant, cust, "20.00", ago(5))
        app = apply(tenant, f"/v1/credit-memos/{memo['id']}", inv["id"], "20.00", ago(5))
        tenant.ok(unapply(tenant, f"/v1/credit-memos/{memo['id']}", app, ahead(3)))
        voided = tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/void", {}))
        assert voided["void_date"] == ahead(3)


class TestAutomaticApplications:
    def test_account_credit_on_a_backdated_invoice_is_applied_on_the_credits_date(
        self, tenant: Tenant, cust: str
    ) -> None:
        """A memo of 10 days ago goes, with automatic use of account credit, to an invoice dated 30 days ago:
        the application is dated the memo's date, not the invoice's (the credit did not exist then)."""
        tenant.ok(
            tenant.client.put(
                "/v1/settings/account-credit", json={"auto_apply_credit": True}, headers=tenant.h("admin")
            )
        )
        memo = standalone(tenant, cust, "50.00", ago(10))
        inv = invoice(tenant, cust, "200.00", ago(30))
        assert inv["amount_credited"] == "50.00"
        [app] = applications_of(tenant, f"/v1/credit-memos/{memo['id']}")
        assert app["applied_on"] == ago(10)

    def test_a_next_invoice_credit_is_not_applied_before_the_credit_memo(self, tenant: Tenant, cust: str) -> None:
        """A downgrade effective 25 days ago, credited 5 days ago "to the next invoice"; the next invoice is
        issued dated 20 days ago: its application is dated the memo's date."""
        period = {"service_start": ago(40), "service_end": ago(11)}
        first = invoice(tenant, cust, "300.00", ago(40), **period)
        memo = tenant.ok(
            tenant.post(
                f"/v1/invoices/{first['id']}/proration-credits",
                {
                    "invoice_line_id": first["lines"][0]["id"],
                    "effective_date": ago(25),
                    "new_quantity": "0",
                    "apply_to_next_invoice": True,
                    "issue_date": ago(5),
                    "post": True,
                },
            ),
            201,
        )
        assert (memo["issue_date"], memo["amount_applied"]) == (ago(5), "0.00")
        nxt = invoice(tenant, cust, "300.00", ago(20))
        assert nxt["amount_credited"] == memo["total"]
        [app] = applications_of(tenant, f"/v1/credit-memos/{memo['id']}")
        assert (app["invoice_id"], app["applied_on"]) == (nxt["id"], ago(5))

    def test_posting_a_next_invoice_credit_does_not_date_its_application_before_a_later_invoice(
        self, tenant: Tenant, cust: str
    ) -> None:
        """The customer's next invoice is already issued, dated 5 days ahead; a "next invoice" credit posted
        today goes to it on that invoice's date, not today."""
        period = {"service_start": ago(40), "service_end": ago(11)}
        first = invoice(tenant, cust, "300.00", ago(40), **period)
        nxt = invoice(tenant, cust, "300.00", ahead(5))
        memo = tenant.ok(
            tenant.post(
                f"/v1/invoices/{first['id']}/proration-credits",
                {
                    "invoice_line_id": first["lines"][0]["id"],
                    "effective_date": ago(25),
                    "new_quantity": "0",
                    "apply_to_next_invoice": True,
                    "post": True,
                },
            ),
            201,
        )
        assert memo["amount_applied"] == memo["total"]
        [app] = applications_of(tenant, f"/v1/credit-memos/{memo['id']}")
        assert (app["invoice_id"], app["applied_on"]) == (nxt["id"], ahead(5))
        rec = tenant.ok(tenant.get("/v1/reports/reconciliation", role="auditor"))
        assert rec["ok"] is True, rec

    def test_a_manual_application_before_either_document_is_refused(self, tenant: Tenant, cust: str) -> None:
        memo = standalone(tenant, cust, "50.00", ago(10))
        inv = invoice(tenant, cust, "80.00", ago(20))
        body = {"allocations": [{"invoice_id": inv["id"], "amount": "50.00"}], "applied_on": ago(15)}
        refused(tenant.post(f"/v1/credit-memos/{memo['id']}/applications", body), "applied_on", ago(15), ago(10))
        later = invoice(tenant, cust, "80.00", ago(3))
        body = {"allocations": [{"invoice_id": later["id"], "amount": "50.00"}], "applied_on": ago(5)}
        refused(tenant.post(f"/v1/credit-memos/{memo['id']}/applications", body), "applied_on", ago(5), ago(3))
        assert applications_of(tenant, f"/v1/credit-memos/{memo['id']}") == []


class TestUnapplicationsAndRefunds:
    def test_an_unapplication_before_its_application_is_refused(self, tenant: Tenant, cust: str) -> None:
        memo = standalone(tenant, cust, "50.00", ago(30))
        inv = invoice(tenant, cust, "80.00", ago(30))
        app = apply(tenant, f"/v1/credit-memos/{memo['id']}", inv["id"], "50.00", ago(10))
        back = unapply(tenant, f"/v1/credit-memos/{memo['id']}", app, ago(20))
        refused(back, "unapplied_on", ago(20), ago(10))
        assert [a["status"] for a in applications_of(tenant, f"/v1/credit-memos/{memo['id']}")] == ["active"]

    def test_a_refund_before_its_memo_or_payment_is_refused(self, tenant: Tenant, cust: str) -> None:
        memo = standalone(tenant, cust, "50.00", ago(10))
        body = {"amount": "10.00", "method": "ach", "refunded_on": ago(11)}
        refused(tenant.post(f"/v1/credit-memos/{memo['id']}/refunds", body), "refunded_on", ago(11), ago(10))
        pay = payment(tenant, cust, "10.00", ago(10))
        refused(tenant.post(f"/v1/payments/{pay['id']}/refunds", body), "refunded_on", ago(11), ago(10))

    def test_a_refunds_reversal_before_the_refund_is_refused(self, tenant: Tenant, cust: str) -> None:
        pay = payment(tenant, cust, "10.00", ago(30))
        rf = tenant.ok(
            tenant.post(
                f"/v1/payments/{pay['id']}/refunds", {"amount": "10.00", "method": "ach", "refunded_on": ago(10)}
            ),
            201,
        )
        back = tenant.post(f"/v1/refunds/{rf['id']}/reverse", {"reason": "returned", "reversed_on": ago(20)})
        refused(back, "reversed_on", ago(20), ago(10))
        assert tenant.ok(tenant.get(f"/v1/refunds/{rf['id']}"))["status"] == "completed"


class TestFreedAmounts:
    """An amount an unapplication or a refund's reversal frees is free from that date on, not before: an
    application or refund dated earlier would have the memo (or the invoice) used twice over as of the days
    between, more applied than its total in the reports as of those days."""

    def test_an_application_before_the_unapplication_that_freed_the_credit_is_refused(
        self, tenant: Tenant, cust: str
    ) -> None:
        memo = standalone(tenant, cust, "50.00", ago(60))
        first = invoice(tenant, cust, "50.00", ago(60))
        second = invoice(tenant, cust, "50.00", ago(60))
        app = apply(tenant, f"/v1/credit-memos/{memo['id']}", first["id"], "50.00", ago(50))
        tenant.ok(unapply(tenant, f"/v1/credit-memos/{memo['id']}", app, ago(20)))
        body = {"allocations": [{"invoice_id": second["id"], "amount": "50.00"}], "applied_on": ago(30)}
        response = tenant.post(f"/v1/credit-memos/{memo['id']}/applications", body)
        problem = assert_problem(response, 422, "validation_error", field="applied_on")
        assert problem["errors"][0]["code"] == "before_release", problem
        assert ago(30) in problem["errors"][0]["message"]
        assert ago(20) in problem["errors"][0]["message"]
        assert tenant.ok(tenant.get(f"/v1/invoices/{second['id']}"))["amount_due"] == "50.00"  # nothing written
        body["applied_on"] = ago(20)
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/applications", body), 201)

    def test_a_part_never_used_may_be_applied_earlier(self, tenant: Tenant, cust: str) -> None:
        """Only what was in use is bound: a memo of 50.00 with 30.00 applied and unapplied later still had
        20.00 free all along."""
        memo = standalone(tenant, cust, "50.00", ago(60))
        first = invoice(tenant, cust, "30.00", ago(60))
        second = invoice(tenant, cust, "50.00", ago(60))
        app = apply(tenant, f"/v1/credit-memos/{memo['id']}", first["id"], "30.00", ago(50))
        tenant.ok(unapply(tenant, f"/v1/credit-memos/{memo['id']}", app, ago(20)))
        apply(tenant, f"/v1/credit-memos/{memo['id']}", second["id"], "20.00", ago(30))
        body = {"allocations": [{"invoice_id": second["id"], "amount": "0.01"}], "applied_on": ago(30)}
        refused_code = assert_problem(
            tenant.post(f"/v1/credit-memos/{memo['id']}/applications", body), 422, "validation_error"
        )["errors"][0]["code"]
        assert refused_code == "before_release"

    def test_an_invoice_is_not_settled_twice_as_of_a_day_before_its_payment_was_unapplied(
        self, tenant: Tenant, cust: str
    ) -> None:
        inv = invoice(tenant, cust, "40.00", ago(60))
        pay = payment(tenant, cust, "40.00", ago(60))
        app = apply(tenant, f"/v1/payments/{pay['id']}", inv["id"], "40.00", ago(50))
        tenant.ok(unapply(tenant, f"/v1/payments/{pay['id']}", app, ago(10)))
        memo = standalone(tenant, cust, "40.00", ago(40))
        body = {"allocations": [{"invoice_id": inv["id"], "amount": "40.00"}], "applied_on": ago(30)}
        problem = assert_problem(
            tenant.post(f"/v1/credit-memos/{memo['id']}/applications", body), 422, "validation_error", "applied_on"
        )
        assert problem["errors"][0]["code"] == "before_release"
        assert inv["number"] in problem["errors"][0]["message"]

    def test_a_refund_before_the_unapplication_that_freed_the_credit_is_refused(
        self, tenant: Tenant, cust: str
    ) -> None:
        inv = invoice(tenant, cust, "100.00", ago(70))
        pay = payment(tenant, cust, "160.00", ago(70))  # 60.00 more than invoiced: the customer's credit
        apply(tenant, f"/v1/payments/{pay['id']}", inv["id"], "100.00", ago(70))
        memo = standalone(tenant, cust, "60.00", ago(60))
        other = invoice(tenant, cust, "60.00", ago(60))
        app = apply(tenant, f"/v1/credit-memos/{memo['id']}", other["id"], "60.00", ago(50))
        tenant.ok(unapply(tenant, f"/v1/credit-memos/{memo['id']}", app, ago(20)))
        body = {"amount": "60.00", "method": "ach", "refunded_on": ago(30)}
        problem = assert_problem(
            tenant.post(f"/v1/credit-memos/{memo['id']}/refunds", body), 422, "validation_error", "refunded_on"
        )
        assert problem["errors"][0]["code"] == "before_release"
        body["refunded_on"] = ago(20)
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/refunds", body), 201)
