"""Credit and debit memos over HTTP: create (from an invoice, standalone, chosen lines), preview, edit,
every lifecycle verb, journal entries, applications, refunds; payments and reports."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.api.conftest import Tenant, assert_problem


def _lines(entries: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(line["account"], line["debit"], line["credit"]) for e in entries for line in e["lines"]]


class TestCreate:
    def test_from_invoice_prepopulates_every_line(self, tenant: Tenant) -> None:
        inv = tenant.invoice()
        memo = tenant.memo_from(inv, memo="All of it")
        assert memo["object"] == "credit_memo"
        assert memo["number"] == "CM-000001"
        assert memo["status"] == "draft"
        assert [line["invoice_line_id"] for line in memo["lines"]] == [line["id"] for line in inv["lines"]]
        assert (memo["subtotal"], memo["tax_total"], memo["total"]) == ("300.00", "10.00", "310.00")
        assert memo["allowed_actions"] == ["submit", "post", "discard"]
        assert memo["currency"] == "USD"
        assert memo["exchange_rate"] == "1"
        assert memo["memo"] == "All of it"
        assert memo["amount_available"] == "0.00"
        assert memo["settlement_status"] == "unapplied"

    def test_fields_a_line_does_not_take_are_refused_not_ignored(self, tenant: Tenant) -> None:
        """Issue 17: a line from an invoice inherits description, price, tax rate and account; sending one is a
        422 naming it, and nothing is created. A free line refuses amount and restock the same way."""
        inv = tenant.invoice()
        line = inv["lines"][0]["id"]
        for extra in ({"tax_rate": "0"}, {"unit_price": "1.00"}, {"description": "Cheaper"}, {"account_code": "4000"}):
            body = {"reason_code": "billing_error", "lines": [{"invoice_line_id": line, "quantity": "1", **extra}]}
            field = f"lines[0].{next(iter(extra))}"
            assert_problem(tenant.post(f"/v1/invoices/{inv['id']}/credit-memos", body), 422, "validation_error", field)
            assert_problem(
                tenant.post("/v1/credit-memos", {**body, "invoice_id": inv["id"]}), 422, "validation_error", field
            )
        free = {"customer_id": inv["customer_id"], "currency": "USD", "reason_code": "goodwill"}
        extras: tuple[dict[str, Any], ...] = ({"amount": "5.00"}, {"restock": True})
        for extra in extras:
            line_in = {"description": "Goodwill", "quantity": "1", "unit_price": "10.00", **extra}
            body = {**free, "lines": [{"description": "Fine", "quantity": "1", "unit_price": "1.00"}, line_in]}
            field = f"lines[1].{next(iter(extra))}"
            assert_problem(tenant.post("/v1/credit-memos", body), 422, "validation_error", field)
        assert tenant.ok(tenant.get("/v1/credit-memos"))["data"] == []  # nothing was created

    def test_with_invoice_id_and_chosen_lines(self, tenant: Tenant) -> None:
        inv = tenant.invoice()
        memo = tenant.ok(
            tenant.post(
                "/v1/credit-memos",
                {
                    "invoice_id": inv["id"],
                    "reason_code": "price_correction",
                    "lines": [{"invoice_line_id": inv["lines"][1]["id"], "quantity": "1"}],
                },
            ),
            201,
        )
        assert memo["source"] == "invoice"
        assert memo["invoice_id"] == inv["id"]
        assert [(line["quantity"], line["net_amount"]) for line in memo["lines"]] == [("1", "50.00")]

    def test_standalone(self, tenant: Tenant) -> None:
        cust = tenant.customer()
        memo = tenant.ok(
            tenant.post(
                "/v1/credit-memos",
                {
                    "customer_id": cust["id"],
                    "currency": "USD",
                    "reason_code": "goodwill",
                    "lines": [{"description": "Goodwill", "quantity": "1", "unit_price": "25.00", "tax_rate": "8.25"}],
                },
            ),
            201,
        )
        assert memo["source"] == "standalone"
        assert memo["total"] == "27.06"
        assert_problem(
            tenant.post(
                "/v1/credit-memos",
                {
                    "currency": "USD",
                    "reason_code": "goodwill",
                    "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}],
                },
            ),
            422,
            "validation_error",
            field="customer_id",
        )
        assert_problem(
            tenant.post("/v1/credit-memos", {"customer_id": cust["id"], "currency": "USD", "reason_code": "goodwill"}),
            422,
            "validation_error",
            field="lines",
        )

    def test_preview_writes_nothing_and_takes_no_number(self, db: Any, tenant: Tenant) -> None:
        inv = tenant.invoice()
        events_before = len(tenant.ok(tenant.get("/v1/audit-events?limit=100"))["data"])
        preview = tenant.ok(
            tenant.post("/v1/credit-memos/preview", {"invoice_id": inv["id"], "reason_code": "billing_error"})
        )
        assert preview["number"] is None
        assert preview["total"] == "310.00"
        assert preview["allowed_actions"] == []
        standalone = tenant.ok(
            tenant.post(
                "/v1/credit-memos/preview",
                {
                    "customer_id": inv["customer_id"],
                    "currency": "USD",
                    "reason_code": "goodwill",
                    "lines": [{"description": "x", "quantity": "2", "unit_price": "5.00"}],
                },
            )
        )
        assert standalone["total"] == "10.00"
        assert tenant.ok(tenant.get("/v1/credit-memos"))["data"] == []
        assert len(tenant.ok(tenant.get("/v1/audit-events?limit=100"))["data"]) == events_before
        assert tenant.memo_from(inv)["number"] == "CM-000001"
        assert_problem(
            tenant.post("/v1/credit-memos/preview", {"invoice_id": inv["id"], "reason_code": "nope"}),
            422,
            "validation_error",
            field="reason_code",
        )


class TestEditAndLifecycle:
    def test_patch_changes_only_what_is_sent(self, tenant: Tenant) -> None:
        inv = tenant.invoice()
        memo = tenant.memo_from(inv, memo="first", reference="R-1")
        edited = tenant.ok(
            tenant.patch(
                f"/v1/credit-memos/{memo['id']}",
                {"memo": "second", "lines": [{"invoice_line_id": inv["lines"][0]["id"], "amount": "40.00"}]},
            )
        )
        assert edited["memo"] == "second"
        assert edited["reference"] == "R-1"
        assert edited["total"] == "44.00"
        assert edited["version"] == memo["version"] + 1
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))
        # Past draft only the text and the metadata change (issue 17); the amounts are final (rule 4).
        assert tenant.ok(tenant.patch(f"/v1/credit-memos/{memo['id']}", {"memo": "late"}))["memo"] == "late"
        assert_problem(
            tenant.patch(f"/v1/credit-memos/{memo['id']}", {"reference": "R-2"}), 409, "posted_is_final", "reference"
        )

    def test_post_writes_the_whole_entry_and_auto_applies(self, tenant: Tenant) -> None:
        inv = tenant.invoice()
        memo = tenant.memo_from(inv, issue_date="2026-03-10")
        posted = tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post", {"date": "2026-03-10"}))
        assert posted["status"] == "posted"
        assert posted["allowed_actions"] == []  # applied in full: a void needs it unapplied first (memo_settled)
        assert posted["amount_applied"] == "310.00"
        assert posted["settlement_status"] == "applied"
        entries = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/journal-entries"))
        assert entries[0]["date"] == "2026-03-10"
        assert _lines(entries) == [("4900", "300.00", "0.00"), ("2200", "10.00", "0.00"), ("1200", "0.00", "310.00")]
        apps = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/applications"))
        assert [(a["invoice_id"], a["amount"], a["status"]) for a in apps] == [(inv["id"], "310.00", "active")]
        invoice = tenant.ok(tenant.get(f"/v1/invoices/{inv['id']}"))
        assert (invoice["amount_credited"], invoice["amount_due"], invoice["payment_status"]) == (
            "310.00",
            "0.00",
            "paid",
        )

    def test_unapply_then_void_reverses_the_entry(self, tenant: Tenant) -> None:
        inv = tenant.invoice()
        memo = tenant.memo_from(inv)
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))
        assert_problem(tenant.post(f"/v1/credit-memos/{memo['id']}/void", {}), 409, "memo_settled")
        app = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/applications"))[0]
        assert_problem(tenant.delete(f"/v1/credit-memos/{memo['id']}/applications/app_other"), 404, "not_found")
        assert (
            tenant.ok(tenant.delete(f"/v1/credit-memos/{memo['id']}/applications/{app['id']}"))["status"] == "reversed"
        )
        voided = tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/void", {"reason": "Wrong customer"}))
        assert voided["status"] == "void"
        assert voided["allowed_actions"] == []
        entries = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/journal-entries"))
        assert [e["kind"] for e in entries] == ["post", "void"]
        assert _lines(entries)[3:] == [
            ("4900", "0.00", "300.00"),
            ("2200", "0.00", "10.00"),
            ("1200", "310.00", "0.00"),
        ]

    def test_apply_to_another_invoice_and_refund(self, tenant: Tenant) -> None:
        inv = tenant.invoice()
        other_inv = tenant.invoice(customer_id=inv["customer_id"])
        memo = tenant.memo_from(inv, auto_apply=False, lines=[{"invoice_line_id": inv["lines"][0]["id"]}])
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))
        apps = tenant.ok(
            tenant.post(
                f"/v1/credit-memos/{memo['id']}/applications",
                {"allocations": [{"invoice_id": other_inv["id"], "amount": "60.00"}]},
            ),
            201,
        )
        assert apps[0]["credit_memo_id"] == memo["id"]
        assert apps[0]["amount"] == "60.00"
        assert_problem(
            tenant.post(
                f"/v1/credit-memos/{memo['id']}/applications",
                {"allocations": [{"invoice_id": other_inv["id"], "amount": "60.00"}]},
            ),
            422,
            "insufficient_available",
        )
        assert_problem(
            tenant.post(f"/v1/credit-memos/{memo['id']}/applications", {"allocations": [{"amount": "1.00"}]}),
            422,
            "validation_error",
            field="allocations[0]",
        )
        # pay the first invoice so money can go back where it came in
        pay = tenant.ok(
            tenant.post(
                "/v1/payments",
                {
                    "customer_id": inv["customer_id"],
                    "amount": "310.00",
                    "currency": "USD",
                    "received_on": "2026-03-05",
                    "method": "wire",
                },
            ),
            201,
        )
        tenant.ok(
            tenant.post(
                f"/v1/payments/{pay['id']}/applications",
                {"allocations": [{"invoice_id": inv["id"], "amount": "310.00"}]},
            ),
            201,
        )
        limited = assert_problem(
            tenant.post(f"/v1/credit-memos/{memo['id']}/refunds", {"amount": "50.00", "method": "ach"}),
            422,
            "refund_limit",
            field="amount",
        )
        assert limited["limits"] == ["customer_net_credit"]
        refund = tenant.ok(
            tenant.post(
                f"/v1/credit-memos/{memo['id']}/refunds",
                {"amount": "50.00", "method": "ach", "reference": "ACH-1", "override_reason": "Customer asked"},
            ),
            201,
        )
        assert refund["credit_memo_id"] == memo["id"]
        assert refund["amount"] == "50.00"
        assert [r["id"] for r in tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/refunds"))] == [refund["id"]]
        after = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}"))
        assert (after["amount_applied"], after["amount_refunded"], after["amount_available"]) == (
            "60.00",
            "50.00",
            "0.00",
        )
        assert after["settlement_status"] == "applied"

    def test_submit_reject_recall_discard(self, tenant: Tenant) -> None:
        inv = tenant.invoice(lines=[{"description": "Big", "quantity": "1", "unit_price": "9000.00"}])
        memo = tenant.memo_from(inv, role="clerk")
        assert_problem(tenant.post(f"/v1/credit-memos/{memo['id']}/post"), 409, "approval_required")
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/submit", role="clerk"))
        rejected = tenant.ok(
            tenant.post(f"/v1/credit-memos/{memo['id']}/reject", {"comment": "too much"}, role="manager")
        )
        assert rejected["status"] == "draft"
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/submit", role="clerk"))
        assert tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/recall", role="clerk"))["status"] == "draft"
        assert_problem(
            tenant.post(f"/v1/credit-memos/{memo['id']}/discard", {}), 422, "validation_error", field="reason"
        )
        discarded = tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/discard", {"reason": "duplicate"}))
        assert discarded["status"] == "discarded"
        assert discarded["lines"] == []
        assert discarded["number"] == memo["number"]

    def test_bulk_post_queues_for_the_worker(self, tenant: Tenant) -> None:
        a = tenant.memo_from(tenant.invoice())
        b = tenant.memo_from(tenant.invoice())
        queued = tenant.ok(tenant.post("/v1/credit-memos/bulk-post", {"memo_ids": [a["id"], b["id"]]}))
        assert [m["status"] for m in queued] == ["ready_to_post", "ready_to_post"]
        assert_problem(
            tenant.post("/v1/credit-memos/bulk-post", {"memo_ids": [a["id"]]}, role="clerk"), 403, "forbidden"
        )


class TestDebitMemos:
    def test_preview_and_bulk_post_exist_for_debit_memos_too(self, tenant: Tenant) -> None:
        """Issue 17 item 8: POST /v1/debit-memos/preview writes nothing; /v1/debit-memos/bulk-post queues debit
        memos and refuses a credit memo's id, naming it."""
        cust = tenant.customer()
        body = {
            "customer_id": cust["id"],
            "currency": "USD",
            "reason_code": "chargeback",
            "lines": [{"description": "Charge-back", "quantity": "1", "unit_price": "80.00"}],
        }
        preview = tenant.ok(tenant.post("/v1/debit-memos/preview", body))
        assert (preview["total"], preview["number"]) == ("80.00", None)
        assert tenant.ok(tenant.get("/v1/debit-memos"))["data"] == []
        a = tenant.ok(tenant.post("/v1/debit-memos", body), 201)
        b = tenant.ok(tenant.post("/v1/debit-memos", body), 201)
        assert a["number"] == "DM-000001"  # the preview took no number
        credit = tenant.memo_from(tenant.invoice())
        assert_problem(
            tenant.post("/v1/debit-memos/bulk-post", {"memo_ids": [a["id"], credit["id"]]}),
            404,
            "not_found",
            field="memo_ids[1]",
        )
        queued = tenant.ok(tenant.post("/v1/debit-memos/bulk-post", {"memo_ids": [a["id"], b["id"]]}))
        assert [m["status"] for m in queued] == ["ready_to_post", "ready_to_post"]
        assert_problem(
            tenant.post("/v1/credit-memos/bulk-post", {"memo_ids": [a["id"]]}), 404, "not_found", field="memo_ids[0]"
        )

    def test_same_verbs_and_a_credit_memo_pays_it(self, tenant: Tenant) -> None:
        cust = tenant.customer()
        debit = tenant.ok(
            tenant.post(
                "/v1/debit-memos",
                {
                    "customer_id": cust["id"],
                    "currency": "USD",
                    "reason_code": "chargeback",
                    "lines": [{"description": "Charge-back", "quantity": "1", "unit_price": "80.00"}],
                },
            ),
            201,
        )
        assert debit["object"] == "debit_memo"
        assert debit["number"] == "DM-000001"
        assert debit["amount_due"] == "0.00"
        assert_problem(tenant.get(f"/v1/credit-memos/{debit['id']}"), 404, "not_found")
        edited = tenant.ok(tenant.patch(f"/v1/debit-memos/{debit['id']}", {"reference": "CB-9"}))
        assert edited["reference"] == "CB-9"
        posted = tenant.ok(tenant.post(f"/v1/debit-memos/{debit['id']}/post"))
        assert posted["status"] == "posted"
        assert posted["amount_due"] == "80.00"
        assert sorted(_lines(tenant.ok(tenant.get(f"/v1/debit-memos/{debit['id']}/journal-entries")))) == [
            ("1200", "80.00", "0.00"),
            ("4000", "0.00", "80.00"),
        ]
        credit = tenant.ok(
            tenant.post(
                "/v1/credit-memos",
                {
                    "customer_id": cust["id"],
                    "currency": "USD",
                    "reason_code": "goodwill",
                    "lines": [{"description": "Offset", "quantity": "1", "unit_price": "80.00"}],
                },
            ),
            201,
        )
        tenant.ok(tenant.post(f"/v1/credit-memos/{credit['id']}/post"))
        tenant.ok(
            tenant.post(
                f"/v1/credit-memos/{credit['id']}/applications",
                {"allocations": [{"debit_memo_id": debit["id"], "amount": "80.00"}]},
            ),
            201,
        )
        assert tenant.ok(tenant.get(f"/v1/debit-memos/{debit['id']}"))["amount_due"] == "0.00"
        assert len(tenant.ok(tenant.get(f"/v1/debit-memos/{debit['id']}/applications"))) == 1
        listed = tenant.ok(tenant.get("/v1/debit-memos"))["data"]
        assert [m["id"] for m in listed] == [debit["id"]]
        other = tenant.ok(
            tenant.post(
                "/v1/debit-memos",
                {
                    "customer_id": cust["id"],
                    "currency": "USD",
                    "reason_code": "chargeback",
                    "lines": [{"description": "x", "quantity": "1", "unit_price": "1.00"}],
                },
            ),
            201,
        )
        assert (
            tenant.ok(tenant.post(f"/v1/debit-memos/{other['id']}/discard", {"reason": "no"}))["status"] == "discarded"
        )


class TestReadsAndReports:
    def test_customer_invoice_and_reports(self, tenant: Tenant) -> None:
        inv = tenant.invoice()
        cust = tenant.ok(tenant.get(f"/v1/customers/{inv['customer_id']}"))
        assert (cust["balance"], cust["available_credit"]) == ("310.00", "0.00")
        memo = tenant.memo_from(inv, auto_apply=False, lines=[{"invoice_line_id": inv["lines"][1]["id"]}])
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))
        cust = tenant.ok(tenant.get(f"/v1/customers/{inv['customer_id']}"))
        assert (cust["balance"], cust["available_credit"]) == ("110.00", "200.00")
        statement = tenant.ok(tenant.get(f"/v1/customers/{cust['id']}/statement?start=2026-01-01&end=2030-12-31"))
        assert statement["closing_balance"] == "110.00"
        assert len(statement["lines"]) == 2
        tb = tenant.ok(tenant.get("/v1/reports/trial-balance", role="auditor"))
        assert tb["balanced"] is True
        assert tb["total_debit"] == tb["total_credit"]
        aging = tenant.ok(tenant.get("/v1/reports/ar-aging?as_of=2030-12-31"))
        assert aging["totals"][0]["total_due"] == "310.00"
        assert aging["totals"][0]["unapplied_credit"] == "200.00"
        reg = tenant.ok(tenant.get("/v1/reports/credit-memo-register?status=posted"))
        assert [r["number"] for r in reg["rows"]] == [memo["number"]]
        assert_problem(tenant.get("/v1/reports/ar-aging?as_of=yesterday"), 422, "validation_error", field="as_of")
        assert_problem(
            tenant.get(f"/v1/customers/{cust['id']}/statement?start=2026-05-01&end=2026-01-01"),
            422,
            "validation_error",
            field="end",
        )


class TestDocument:
    def test_html_and_pdf_mark_the_memo_printed(self, tenant: Tenant) -> None:
        memo = tenant.memo_from(tenant.invoice())
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))
        r = tenant.get(f"/v1/credit-memos/{memo['id']}/document", role="auditor")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/html")
        assert memo["number"] in r.text
        assert tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}"))["print_status"] == "not_printed"
        r = tenant.get(f"/v1/credit-memos/{memo['id']}/document?format=pdf")
        assert r.status_code == 200
        assert r.content.startswith(b"%PDF")
        assert tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}"))["print_status"] == "printed"
        assert_problem(
            tenant.get(f"/v1/credit-memos/{memo['id']}/document?format=docx"), 422, "validation_error", field="format"
        )

    def test_sending_is_recorded_with_its_recipient_only_for_a_final_memo(self, tenant: Tenant) -> None:
        memo = tenant.memo_from(tenant.invoice())
        body = assert_problem(
            tenant.post(f"/v1/credit-memos/{memo['id']}/sent", {"recipient": "ap@acme.example"}),
            409,
            "invalid_transition",
        )
        assert "post" in body["allowed_actions"]
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))
        assert_problem(
            tenant.post(f"/v1/credit-memos/{memo['id']}/sent", {"recipient": "a\nb"}),
            422,
            "validation_error",
            "recipient",
        )
        assert_problem(
            tenant.post(f"/v1/credit-memos/{memo['id']}/sent", {"recipient": "x"}, role="auditor"), 403, "forbidden"
        )
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/sent", {"recipient": "ap@acme.example"}))
        events = tenant.ok(tenant.get(f"/v1/audit-events?entity_id={memo['id']}"))["data"]
        assert [e["changes"] for e in events if e["action"] == "credit_memo.sent"] == [
            {"recipient": [None, "ap@acme.example"]}
        ]

    def test_a_draft_is_previewed_never_printed(self, tenant: Tenant) -> None:
        """Seed 004: only a final document is printed; a draft's document is a watermarked preview."""
        memo = tenant.memo_from(tenant.invoice())
        for fmt in ("html", "pdf"):
            r = tenant.get(f"/v1/credit-memos/{memo['id']}/document?format={fmt}")
            assert r.status_code == 200, r.text
        html = tenant.get(f"/v1/credit-memos/{memo['id']}/document").text
        assert 'data-testid="watermark"' in html
        assert "DRAFT" in html
        assert tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}"))["print_status"] == "not_printed"
        events = tenant.ok(tenant.get(f"/v1/audit-events?entity_id={memo['id']}"))["data"]
        assert not [e for e in events if e["action"].endswith(".printed")]


class TestPaymentsAndEvents:
    def test_payments_are_listed_with_filters_and_a_cursor(self, tenant: Tenant, other: Tenant) -> None:
        """Issue 17 item 8: GET /v1/payments."""
        acme, zen = tenant.customer(name="Acme")["id"], tenant.customer(name="Zen")["id"]
        for customer, day in ((acme, "2026-03-01"), (acme, "2026-03-15"), (zen, "2026-03-20")):
            tenant.ok(
                tenant.post(
                    "/v1/payments",
                    {
                        "customer_id": customer,
                        "amount": "10.00",
                        "currency": "USD",
                        "received_on": day,
                        "method": "wire",
                    },
                ),
                201,
            )
        everything = tenant.ok(tenant.get("/v1/payments?sort=received_on", role="auditor"))["data"]
        assert [p["received_on"] for p in everything] == ["2026-03-01", "2026-03-15", "2026-03-20"]
        first = tenant.ok(tenant.get(f"/v1/payments?customer_id={acme}&limit=1&sort=number"))
        assert first["has_more"]
        assert [p["number"] for p in first["data"]] == ["PAY-000001"]
        rest = tenant.ok(
            tenant.get(f"/v1/payments?customer_id={acme}&sort=number&starting_after={first['next_cursor']}")
        )
        assert [p["number"] for p in rest["data"]] == ["PAY-000002"]
        assert len(tenant.ok(tenant.get("/v1/payments?received_from=2026-03-10&received_to=2026-03-31"))["data"]) == 2
        assert other.ok(other.get("/v1/payments"))["data"] == []
        assert_problem(tenant.get("/v1/payments?received_from=soon"), 422, "validation_error", field="received_from")

    def test_payment_apply_unapply_refund_and_memo_events(self, tenant: Tenant) -> None:
        inv = tenant.invoice()
        pay = tenant.ok(
            tenant.post(
                "/v1/payments",
                {
                    "customer_id": inv["customer_id"],
                    "amount": "400.00",
                    "currency": "USD",
                    "received_on": "2026-03-05",
                    "method": "wire",
                    "reference": "W-1",
                },
            ),
            201,
        )
        assert (pay["number"], pay["amount_available"], pay["settlement_status"]) == (
            "PAY-000001",
            "400.00",
            "unapplied",
        )
        assert_problem(
            tenant.post(
                "/v1/payments",
                {
                    "customer_id": inv["customer_id"],
                    "amount": "1.00",
                    "currency": "EUR",
                    "received_on": "2026-03-05",
                    "method": "wire",
                },
            ),
            422,
            "currency_mismatch",
        )
        apps = tenant.ok(
            tenant.post(
                f"/v1/payments/{pay['id']}/applications",
                {"allocations": [{"invoice_id": inv["id"], "amount": "310.00"}]},
            ),
            201,
        )
        assert apps[0]["payment_id"] == pay["id"]
        assert apps[0]["credit_memo_id"] is None
        assert tenant.ok(tenant.get(f"/v1/invoices/{inv['id']}"))["payment_status"] == "paid"
        assert [a["id"] for a in tenant.ok(tenant.get(f"/v1/payments/{pay['id']}/applications"))] == [apps[0]["id"]]
        reversed_ = tenant.ok(tenant.delete(f"/v1/payments/{pay['id']}/applications/{apps[0]['id']}"))
        assert reversed_["status"] == "reversed"
        assert_problem(
            tenant.delete(f"/v1/payments/{pay['id']}/applications/{apps[0]['id']}"), 409, "invalid_transition"
        )
        refund = tenant.ok(tenant.post(f"/v1/payments/{pay['id']}/refunds", {"amount": "90.00", "method": "wire"}), 201)
        assert refund["payment_id"] == pay["id"]
        assert tenant.ok(tenant.get(f"/v1/payments/{pay['id']}"))["amount_available"] == "310.00"
        memo = tenant.memo_from(inv)
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))
        events = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/events", role="auditor"))
        assert [e["action"] for e in events] == ["credit_memo.created", "credit_memo.posted"]
        assert events[1]["changes"]["status"] == ["draft", "posted"]

    def test_debit_memo_approval_and_void(self, tenant: Tenant) -> None:
        cust = tenant.customer()
        debit = tenant.ok(
            tenant.post(
                "/v1/debit-memos",
                {
                    "customer_id": cust["id"],
                    "currency": "USD",
                    "reason_code": "chargeback",
                    "lines": [{"description": "Big charge-back", "quantity": "1", "unit_price": "30000.00"}],
                },
                role="clerk",
            ),
            201,
        )
        assert (
            tenant.ok(tenant.post(f"/v1/debit-memos/{debit['id']}/submit", role="clerk"))["status"]
            == "pending_approval"
        )
        assert_problem(tenant.post(f"/v1/debit-memos/{debit['id']}/approve", role="manager"), 403, "forbidden")
        assert tenant.ok(tenant.post(f"/v1/debit-memos/{debit['id']}/approve", role="vp"))["status"] == "approved"
        assert tenant.ok(tenant.post(f"/v1/debit-memos/{debit['id']}/post"))["status"] == "posted"
        later = (date.today() + timedelta(days=20)).isoformat()  # within the 30 days ahead a date may be
        voided = tenant.ok(tenant.post(f"/v1/debit-memos/{debit['id']}/void", {"void_date": later}))
        assert voided["status"] == "void"
        assert voided["void_date"] == later
        kinds = [e["kind"] for e in tenant.ok(tenant.get(f"/v1/debit-memos/{debit['id']}/journal-entries"))]
        assert kinds == ["post", "void"]


class TestSettingsApprovalsReconciliation:
    def test_line_limit_approvals_list_and_reconciliation(self, tenant: Tenant) -> None:
        assert tenant.ok(tenant.get("/v1/settings/background-line-limit"))["background_line_limit"] == 250
        r = tenant.client.put(
            "/v1/settings/background-line-limit", json={"background_line_limit": 1}, headers=tenant.h("admin")
        )
        assert tenant.ok(r)["background_line_limit"] == 1
        assert_problem(
            tenant.client.put(
                "/v1/settings/background-line-limit", json={"background_line_limit": 0}, headers=tenant.h("admin")
            ),
            422,
            "validation_error",
            field="background_line_limit",
        )
        memo = tenant.memo_from(tenant.invoice())  # two lines > the limit of 1: queued for the worker
        assert tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))["status"] == "ready_to_post"
        big = tenant.memo_from(
            tenant.invoice(lines=[{"description": "Big", "quantity": "1", "unit_price": "7000.00"}]), role="clerk"
        )
        tenant.ok(tenant.post(f"/v1/credit-memos/{big['id']}/submit", role="clerk"))
        tenant.ok(tenant.post(f"/v1/credit-memos/{big['id']}/approve", {"comment": "ok"}, role="manager"))
        decisions = tenant.ok(tenant.get(f"/v1/credit-memos/{big['id']}/approvals", role="auditor"))
        assert [(d["decision"], d["actor_id"], d["comment"]) for d in decisions][-1] == (
            "approved",
            tenant.user_ids["manager"],
            "ok",
        )
        rec = tenant.ok(tenant.get("/v1/reports/reconciliation", role="auditor"))
        assert rec["ok"] is True
        assert rec["problems"] == []
