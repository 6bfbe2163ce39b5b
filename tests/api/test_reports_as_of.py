"""Reports that are right on any date (issue 16 item 1), through the API on both engines: the AR aging, the
customer statement and the credit memo register as of a date count only the documents and settlements dated on
or before it, so a past date reads the same after later memos, payments, unapplications and refunds."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.api.conftest import Tenant

TODAY = date.today()


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def invoice(t: Tenant, customer_id: str, price: str, issued: str) -> dict[str, Any]:
    body = {
        "customer_id": customer_id,
        "currency": "USD",
        "issue_date": issued,
        "lines": [{"description": "Subscription", "quantity": "1", "unit_price": price}],
    }
    return t.ok(t.post("/v1/invoices", body), 201)


def payment(t: Tenant, customer_id: str, amount: str, on: str) -> dict[str, Any]:
    body = {"customer_id": customer_id, "amount": amount, "currency": "USD", "received_on": on, "method": "wire"}
    return t.ok(t.post("/v1/payments", body), 201)


def ar_of(t: Tenant, as_of: str) -> str:
    tb = t.ok(t.get(f"/v1/reports/trial-balance?as_of={as_of}"))
    return next(r["balance"] for r in tb["rows"] if r["account"] == "1200")


def aging_row(t: Tenant, customer_id: str, as_of: str) -> dict[str, Any]:
    aging = t.ok(t.get(f"/v1/reports/ar-aging?as_of={as_of}"))
    zero = {"total_due": "0.00", "unapplied_credit": "0.00", "net": "0.00"}  # nothing open: no row
    return next((r for r in aging["rows"] if r["customer_id"] == customer_id), zero)


def test_the_issue_example_300_due_100_days_ago_as_the_trial_balance_says(tenant: Tenant) -> None:
    """An invoice of 300.00 issued 200 days ago, with a 50.00 memo and a 100.00 payment applied today: as of
    100 days ago 300.00 was due (the trial balance's AR then), not today's 150.00."""
    customer = tenant.customer(name="As-of Example")["id"]
    inv = invoice(tenant, customer, "300.00", ago(200))
    memo = tenant.memo_from(inv, lines=[{"invoice_line_id": inv["lines"][0]["id"], "amount": "50.00"}])
    posted = tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))
    assert posted["amount_applied"] == "50.00"  # auto-applied to its invoice, today
    pay = payment(tenant, customer, "100.00", TODAY.isoformat())
    body = {"allocations": [{"invoice_id": inv["id"], "amount": "100.00"}]}
    tenant.ok(tenant.post(f"/v1/payments/{pay['id']}/applications", body), 201)
    accounts = tenant.ok(tenant.get("/v1/accounts"))
    listed = accounts["data"] if isinstance(accounts, dict) else accounts
    assert [a["number"] for a in listed if a["role"] == "accounts_receivable"] == ["1200"]

    then = aging_row(tenant, customer, ago(100))
    assert (then["total_due"], then["unapplied_credit"], then["net"]) == ("300.00", "0.00", "300.00")
    # due 30 days after issue (170 days ago): 70 days past due 100 days ago
    assert then["days_61_90"] == "300.00"
    assert ar_of(tenant, ago(100)) == "300.00"

    now = aging_row(tenant, customer, TODAY.isoformat())
    assert (now["total_due"], now["net"]) == ("150.00", "150.00")
    assert ar_of(tenant, TODAY.isoformat()) == "150.00"

    detail = tenant.ok(tenant.get(f"/v1/reports/ar-aging?as_of={ago(100)}&detail=true"))
    assert [(i["number"], i["amount_due"]) for i in detail["invoices"]] == [(inv["number"], "300.00")]


def test_an_unapplication_and_a_refund_count_by_their_dates(tenant: Tenant) -> None:
    """A payment applied 60 days ago and unapplied 20 days ago, then refunded 10 days ago: each date shows
    what stood then, in the aging, the trial balance, the statement and the register."""
    customer = tenant.customer(name="Unapplied Later")["id"]
    inv = invoice(tenant, customer, "200.00", ago(90))
    pay = payment(tenant, customer, "200.00", ago(60))
    body = {"allocations": [{"invoice_id": inv["id"], "amount": "200.00"}], "applied_on": ago(60)}
    app = tenant.ok(tenant.post(f"/v1/payments/{pay['id']}/applications", body), 201)
    app_id = app[0]["id"]
    undone = tenant.ok(tenant.delete(f"/v1/payments/{pay['id']}/applications/{app_id}?unapplied_on={ago(20)}"))
    assert (undone["status"], undone["reversed_on"]) == ("reversed", ago(20))
    tenant.ok(
        tenant.post(
            f"/v1/payments/{pay['id']}/refunds",
            {"amount": "200.00", "method": "ach", "refunded_on": ago(10), "override_reason": "paid twice by mistake"},
        ),
        201,
    )

    def seen(days: int) -> tuple[str, str, str]:
        row = aging_row(tenant, customer, ago(days))
        return row["total_due"], row["unapplied_credit"], row["net"]

    assert seen(70) == ("200.00", "0.00", "200.00")  # before the payment
    assert seen(40) == ("0.00", "0.00", "0.00")  # applied: nothing due
    assert seen(15) == ("200.00", "200.00", "0.00")  # unapplied: due again, the payment unused
    assert seen(5) == ("200.00", "0.00", "200.00")  # refunded: the money went back
    for days, ar in ((70, "200.00"), (40, "0.00"), (15, "0.00"), (5, "200.00")):
        assert ar_of(tenant, ago(days)) == ar

    # the statement ending 30 days ago shows the application active; one ending today shows both
    early = tenant.ok(tenant.get(f"/v1/customers/{customer}/statement?start={ago(100)}&end={ago(30)}"))
    assert [(ln["kind"], ln["status"]) for ln in early["lines"] if ln["kind"] in ("application", "unapplication")] == [
        ("application", "active")
    ]
    late = tenant.ok(tenant.get(f"/v1/customers/{customer}/statement?start={ago(100)}&end={TODAY.isoformat()}"))
    kinds = [(ln["kind"], ln["date"], ln["status"]) for ln in late["lines"]]
    assert ("application", ago(60), "reversed") in kinds
    assert ("unapplication", ago(20), "reversed") in kinds
    assert late["closing_balance"] == "200.00"


def test_the_register_as_of_its_end(tenant: Tenant) -> None:
    """A memo applied and voided after the register's end reads posted and unapplied as of that end."""
    customer = tenant.customer(name="Register As Of")["id"]
    inv = invoice(tenant, customer, "100.00", ago(50))
    memo = tenant.ok(
        tenant.post(
            "/v1/credit-memos",
            {
                "customer_id": customer,
                "currency": "USD",
                "reason_code": "goodwill",
                "issue_date": ago(40),
                "lines": [{"description": "Goodwill", "quantity": "1", "unit_price": "30.00"}],
            },
        ),
        201,
    )
    tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))
    body = {"allocations": [{"invoice_id": inv["id"], "amount": "30.00"}], "applied_on": ago(10)}
    app = tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/applications", body), 201)
    app_id = app[0]["id"]
    tenant.ok(tenant.delete(f"/v1/credit-memos/{memo['id']}/applications/{app_id}?unapplied_on={ago(5)}"))
    tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/void", {"reason": "issued in error", "void_date": ago(2)}))

    def row(end: str, status: str | None = None) -> list[tuple[str, str, str]]:
        query = f"start={ago(60)}&end={end}&customer_id={customer}" + (f"&status={status}" if status else "")
        reg = tenant.ok(tenant.get(f"/v1/reports/credit-memo-register?{query}"))
        return [(r["status"], r["amount_applied"], r["amount_available"]) for r in reg["rows"]]

    assert row(ago(20)) == [("posted", "0.00", "30.00")]
    assert row(ago(8)) == [("posted", "30.00", "0.00")]
    assert row(ago(3)) == [("posted", "0.00", "30.00")]
    assert row(ago(3), "void") == []
    assert row(TODAY.isoformat()) == [("void", "0.00", "0.00")]
    reg = tenant.ok(tenant.get(f"/v1/reports/credit-memo-register?start={ago(60)}&end={ago(8)}&customer_id={customer}"))
    assert [(m["month"], m["count"], m["total"], m["amount_applied"]) for m in reg["by_month"]] == [
        (ago(40)[:7], 1, "30.00", "30.00")
    ]


def test_the_statement_defaults_to_this_month(tenant: Tenant) -> None:
    customer = tenant.customer(name="Default Period")["id"]
    invoice(tenant, customer, "80.00", TODAY.replace(day=1).isoformat())
    st = tenant.ok(tenant.get(f"/v1/customers/{customer}/statement", role="auditor"))
    assert (st["start"], st["end"]) == (TODAY.replace(day=1).isoformat(), TODAY.isoformat())
    assert (st["opening_balance"], st["closing_balance"]) == ("0.00", "80.00")
    only_end = tenant.ok(tenant.get(f"/v1/customers/{customer}/statement?end={ago(40)}"))
    assert only_end["start"] == (TODAY - timedelta(days=40)).replace(day=1).isoformat()
