"""Automatic credits (issue 11, seed 000) through the real app, on both engines: the prorated downgrade credit
(290.32) and the SLA outage credit (750.00) exactly as written, their refusals (nothing written), "apply to the
next invoice", and automatic use of account credit when an invoice is issued or on demand."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from creditmemo.store.uow import Database
from tests.api.conftest import Tenant, assert_problem


def subscription(
    tenant: Tenant,
    customer_id: str | None = None,
    *,
    qty: str = "12",
    price: str = "100.00",
    start: str = "2026-01-01",
    end: str = "2026-01-31",
    issue_date: str = "2026-01-01",
    tax_rate: str | None = None,
) -> dict[str, Any]:
    cid = customer_id or tenant.customer()["id"]
    line = {"description": "Seats", "quantity": qty, "unit_price": price, "service_start": start, "service_end": end}
    if tax_rate is not None:
        line["tax_rate"] = tax_rate
    body = {"customer_id": cid, "currency": "USD", "issue_date": issue_date, "lines": [line]}
    return tenant.ok(tenant.post("/v1/invoices", body), 201)


def memos_of(tenant: Tenant, invoice_id: str) -> list[dict[str, Any]]:
    return tenant.ok(tenant.get(f"/v1/credit-memos?invoice_id={invoice_id}"))["data"]


class TestProration:
    def test_the_worked_example_credits_290_32_for_the_unused_days(self, tenant: Tenant) -> None:
        inv = subscription(tenant)
        line = inv["lines"][0]
        assert (line["service_start"], line["service_end"]) == ("2026-01-01", "2026-01-31")
        memo = tenant.ok(
            tenant.post(
                f"/v1/invoices/{inv['id']}/proration-credits",
                {"invoice_line_id": line["id"], "effective_date": "2026-01-17", "new_quantity": "6"},
            ),
            201,
        )
        assert (memo["status"], memo["reason_code"], memo["total"]) == ("draft", "downgrade_proration", "290.32")
        (memo_line,) = memo["lines"]
        assert (memo_line["net_amount"], memo_line["service_start"], memo_line["service_end"]) == (
            "290.32",
            "2026-01-17",
            "2026-01-31",
        )
        assert {k: memo["computation"][k] for k in ("days_in_period", "unused_days", "credit_net")} == {
            "days_in_period": 31,
            "unused_days": 15,
            "credit_net": "290.32",
        }
        events = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/events"))
        assert events[0]["changes"]["computation"][1]["credit_net"] == "290.32"

    def test_posted_at_once_it_applies_to_its_invoice_and_taxes_follow_the_line(self, tenant: Tenant) -> None:
        inv = subscription(tenant, tax_rate="10")
        memo = tenant.ok(
            tenant.post(
                f"/v1/invoices/{inv['id']}/proration-credits",
                {
                    "invoice_line_id": inv["lines"][0]["id"],
                    "effective_date": "2026-01-17",
                    "new_quantity": "6",
                    "post": True,
                    "external_reference": "SUB-77 change 3",
                },
            ),
            201,
        )
        assert (memo["status"], memo["subtotal"], memo["tax_total"], memo["total"]) == (
            "posted",
            "290.32",
            "29.03",
            "319.35",
        )
        assert (memo["amount_applied"], memo["reference"]) == ("319.35", "SUB-77 change 3")
        assert tenant.ok(tenant.get(f"/v1/invoices/{inv['id']}"))["amount_due"] == str(f"{1320 - 319.35:.2f}")

    @pytest.mark.parametrize(
        ("body", "status", "code", "field"),
        [
            ({"effective_date": "2026-02-01", "new_quantity": "6"}, 422, "validation_error", "effective_date"),
            ({"effective_date": "2026-01-17", "new_quantity": "14"}, 422, "validation_error", "new_quantity"),
            ({"effective_date": "2026-01-17", "new_unit_price": "150"}, 422, "validation_error", "new_unit_price"),
            ({"effective_date": "2026-01-17"}, 422, "validation_error", "new_quantity"),
            ({"effective_date": "17/01/2026", "new_quantity": "6"}, 422, "validation_error", "effective_date"),
        ],
    )
    def test_refusals_write_nothing(
        self, tenant: Tenant, body: dict[str, Any], status: int, code: str, field: str
    ) -> None:
        inv = subscription(tenant)
        body = {"invoice_line_id": inv["lines"][0]["id"], **body}
        assert_problem(tenant.post(f"/v1/invoices/{inv['id']}/proration-credits", body), status, code, field)
        assert memos_of(tenant, inv["id"]) == []

    def test_a_line_without_a_period_and_another_companys_invoice(self, tenant: Tenant, other: Tenant) -> None:
        plain = tenant.invoice()
        assert_problem(
            tenant.post(
                f"/v1/invoices/{plain['id']}/proration-credits",
                {"invoice_line_id": plain["lines"][0]["id"], "effective_date": "2026-03-05", "new_quantity": "0"},
            ),
            422,
            "validation_error",
            "invoice_line_id",
        )
        theirs = subscription(other)
        assert_problem(
            tenant.post(
                f"/v1/invoices/{theirs['id']}/proration-credits",
                {"invoice_line_id": theirs["lines"][0]["id"], "effective_date": "2026-01-17", "new_quantity": "6"},
            ),
            404,
            "not_found",
        )
        assert memos_of(other, theirs["id"]) == []

    def test_over_credit_of_the_line_is_refused(self, tenant: Tenant) -> None:
        inv = subscription(tenant)
        line_id = inv["lines"][0]["id"]
        tenant.ok(
            tenant.post(
                f"/v1/invoices/{inv['id']}/credit-memos",
                {
                    "reason_code": "billing_error",
                    "post": True,
                    "lines": [{"invoice_line_id": line_id, "amount": "1000.00"}],
                },
            ),
            201,
        )
        assert_problem(
            tenant.post(
                f"/v1/invoices/{inv['id']}/proration-credits",
                {"invoice_line_id": line_id, "effective_date": "2026-01-17", "new_quantity": "6"},
            ),
            422,
            "over_credit",
        )


class TestSlaCredit:
    def test_the_worked_example_credits_750_00_and_shows_the_computation(self, tenant: Tenant) -> None:
        inv = subscription(tenant, qty="1", price="3000.00")
        memo = tenant.ok(
            tenant.post(
                f"/v1/customers/{inv['customer_id']}/sla-credits",
                {"invoice_line_id": inv["lines"][0]["id"], "outage_minutes": 2160, "incident_reference": "INC-4821"},
            ),
            201,
        )
        assert (memo["reason_code"], memo["total"], memo["incident_reference"]) == ("sla_credit", "750.00", "INC-4821")
        c = memo["computation"]
        assert (c["minutes_in_period"], c["uptime_percent"], c["credit_percent"]) == (44640, "95.16", "25")

    def test_one_credit_per_incident_the_second_names_the_first(self, tenant: Tenant) -> None:
        inv = subscription(tenant, qty="1", price="3000.00")
        body = {"invoice_line_id": inv["lines"][0]["id"], "outage_minutes": 2160, "incident_reference": "INC-9"}
        first = tenant.ok(tenant.post(f"/v1/customers/{inv['customer_id']}/sla-credits", body), 201)
        problem = assert_problem(
            tenant.post(f"/v1/customers/{inv['customer_id']}/sla-credits", {**body, "outage_minutes": 60}),
            409,
            "duplicate_incident",
            "incident_reference",
        )
        assert first["number"] in problem["detail"]
        assert len(memos_of(tenant, inv["id"])) == 1

    @pytest.mark.parametrize(("minutes", "code"), [(10, "no_credit_due"), (44_641, "validation_error")])
    def test_no_credit_due_and_absurd_outages_write_nothing(self, tenant: Tenant, minutes: int, code: str) -> None:
        inv = subscription(tenant, qty="1", price="3000.00")
        assert_problem(
            tenant.post(
                f"/v1/customers/{inv['customer_id']}/sla-credits",
                {"invoice_line_id": inv["lines"][0]["id"], "outage_minutes": minutes, "incident_reference": "INC-1"},
            ),
            422,
            code,
            "outage_minutes",
        )
        assert memos_of(tenant, inv["id"]) == []

    def test_a_line_of_another_customer_is_not_found(self, tenant: Tenant) -> None:
        inv = subscription(tenant, qty="1", price="3000.00")
        someone_else = tenant.customer()
        assert_problem(
            tenant.post(
                f"/v1/customers/{someone_else['id']}/sla-credits",
                {"invoice_line_id": inv["lines"][0]["id"], "outage_minutes": 2160, "incident_reference": "INC-2"},
            ),
            404,
            "not_found",
            "invoice_line_id",
        )

    def test_the_policy_is_the_admins_and_drives_the_percent(self, tenant: Tenant) -> None:
        assert tenant.ok(tenant.get("/v1/settings/sla-policy"))["tiers"][0] == {
            "below_uptime": "99.9",
            "credit_percent": "10",
        }
        policy = {"tiers": [{"below_uptime": "99.5", "credit_percent": "50"}]}
        assert_problem(
            tenant.client.put("/v1/settings/sla-policy", json=policy, headers=tenant.h("controller")), 403, "forbidden"
        )
        bad = tenant.client.put("/v1/settings/sla-policy", json={"tiers": []}, headers=tenant.h("admin"))
        assert_problem(bad, 422, "validation_error", "tiers")
        assert tenant.ok(tenant.client.put("/v1/settings/sla-policy", json=policy, headers=tenant.h("admin")))[
            "tiers"
        ] == [{"below_uptime": "99.5", "credit_percent": "50"}]
        inv = subscription(tenant, qty="1", price="3000.00")
        memo = tenant.ok(
            tenant.post(
                f"/v1/customers/{inv['customer_id']}/sla-credits",
                {"invoice_line_id": inv["lines"][0]["id"], "outage_minutes": 2160, "incident_reference": "INC-3"},
            ),
            201,
        )
        assert memo["total"] == "1500.00"

    @pytest.mark.postgres_only
    def test_two_requests_for_one_incident_at_once_give_one_credit(self, db: Database, tenant: Tenant) -> None:
        inv = subscription(tenant, qty="1", price="3000.00")
        body = {"invoice_line_id": inv["lines"][0]["id"], "outage_minutes": 2160, "incident_reference": "INC-race"}
        results: list[Any] = []
        barrier = threading.Barrier(4)

        def go() -> None:
            barrier.wait(10)
            results.append(tenant.post(f"/v1/customers/{inv['customer_id']}/sla-credits", body))

        threads = [threading.Thread(target=go) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(30)
        assert sorted(r.status_code for r in results) == [201, 409, 409, 409]
        assert {r.json()["code"] for r in results if r.status_code == 409} == {"duplicate_incident"}
        assert len(memos_of(tenant, inv["id"])) == 1


class TestNextInvoiceAndAccountCredit:
    def test_a_next_invoice_credit_waits_for_the_next_invoice_and_then_pays_it(self, tenant: Tenant) -> None:
        jan = subscription(tenant)
        memo = tenant.ok(
            tenant.post(
                f"/v1/invoices/{jan['id']}/proration-credits",
                {
                    "invoice_line_id": jan["lines"][0]["id"],
                    "effective_date": "2026-01-17",
                    "new_quantity": "6",
                    "post": True,
                    "apply_to_next_invoice": True,
                },
            ),
            201,
        )
        assert (memo["status"], memo["amount_applied"], memo["apply_to_next_invoice"]) == ("posted", "0.00", True)
        assert tenant.ok(tenant.get(f"/v1/invoices/{jan['id']}"))["amount_due"] == "1200.00"
        feb = subscription(
            tenant, jan["customer_id"], qty="6", start="2026-02-01", end="2026-02-28", issue_date="2026-02-01"
        )
        assert (feb["amount_credited"], feb["amount_due"]) == ("290.32", "309.68")
        apps = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/applications"))
        assert [(a["invoice_id"], a["amount"]) for a in apps] == [(feb["id"], "290.32")]
        assert tenant.ok(tenant.get(f"/v1/customers/{jan['customer_id']}"))["available_credit"] == "0.00"

    def test_posting_a_next_invoice_credit_pays_an_open_invoice_issued_after_the_change(self, tenant: Tenant) -> None:
        jan = subscription(tenant)
        later = subscription(
            tenant,
            jan["customer_id"],
            qty="1",
            price="100.00",
            start="2026-01-20",
            end="2026-01-31",
            issue_date="2026-01-20",
        )
        memo = tenant.ok(
            tenant.post(
                f"/v1/invoices/{jan['id']}/proration-credits",
                {
                    "invoice_line_id": jan["lines"][0]["id"],
                    "effective_date": "2026-01-17",
                    "new_quantity": "6",
                    "apply_to_next_invoice": True,
                },
            ),
            201,
        )
        posted = tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))
        assert (posted["amount_applied"], posted["amount_available"]) == ("100.00", "190.32")
        assert tenant.ok(tenant.get(f"/v1/invoices/{later['id']}"))["amount_due"] == "0.00"
        assert tenant.ok(tenant.get(f"/v1/invoices/{jan['id']}"))["amount_due"] == "1200.00"

    def test_account_credit_is_used_on_the_next_invoice_when_switched_on(self, tenant: Tenant) -> None:
        cust = tenant.customer()
        goodwill = tenant.ok(
            tenant.post(
                "/v1/credit-memos",
                {
                    "customer_id": cust["id"],
                    "currency": "USD",
                    "reason_code": "goodwill",
                    "post": True,
                    "lines": [{"description": "Goodwill", "quantity": "1", "unit_price": "50.00"}],
                },
            ),
            201,
        )
        first = tenant.invoice(cust["id"], lines=[{"description": "Plan", "quantity": "1", "unit_price": "200.00"}])
        assert first["amount_due"] == "200.00"  # off by default: the credit stays unused
        assert_problem(
            tenant.client.put(
                "/v1/settings/account-credit", json={"auto_apply_credit": True}, headers=tenant.h("controller")
            ),
            403,
            "forbidden",
        )
        tenant.ok(
            tenant.client.put(
                "/v1/settings/account-credit", json={"auto_apply_credit": True}, headers=tenant.h("admin")
            )
        )
        second = tenant.invoice(cust["id"], lines=[{"description": "Plan", "quantity": "1", "unit_price": "200.00"}])
        assert (second["amount_credited"], second["amount_due"]) == ("50.00", "150.00")
        apps = tenant.ok(tenant.get(f"/v1/credit-memos/{goodwill['id']}/applications"))
        assert [a["invoice_id"] for a in apps] == [second["id"]]

    def test_a_customer_can_opt_out_and_credit_is_applied_on_demand(self, tenant: Tenant) -> None:
        tenant.ok(
            tenant.client.put(
                "/v1/settings/account-credit", json={"auto_apply_credit": True}, headers=tenant.h("admin")
            )
        )
        cust = tenant.customer()
        assert (
            tenant.ok(tenant.patch(f"/v1/customers/{cust['id']}", {"auto_apply_credit": False}))["auto_apply_credit"]
            is False
        )
        tenant.ok(
            tenant.post(
                "/v1/credit-memos",
                {
                    "customer_id": cust["id"],
                    "currency": "USD",
                    "reason_code": "goodwill",
                    "post": True,
                    "lines": [{"description": "Goodwill", "quantity": "1", "unit_price": "50.00"}],
                },
            ),
            201,
        )
        old = tenant.invoice(cust["id"], lines=[{"description": "A", "quantity": "1", "unit_price": "30.00"}])
        new = tenant.invoice(cust["id"], lines=[{"description": "B", "quantity": "1", "unit_price": "40.00"}])
        assert (old["amount_due"], new["amount_due"]) == ("30.00", "40.00")
        apps = tenant.ok(tenant.post(f"/v1/customers/{cust['id']}/apply-credit"))
        assert [(a["invoice_id"], a["amount"]) for a in apps] == [(old["id"], "30.00"), (new["id"], "20.00")]
        assert tenant.ok(tenant.get(f"/v1/invoices/{new['id']}"))["amount_due"] == "20.00"
        assert tenant.ok(tenant.post(f"/v1/customers/{cust['id']}/apply-credit")) == []
        rec = tenant.ok(tenant.get("/v1/reports/reconciliation", role="auditor"))
        assert rec["ok"] is True, rec
