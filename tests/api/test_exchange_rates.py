"""The exchange-rate table (issue 15 items 1-2) through the API on both engines: set and list rates by role,
the rate a document takes (the latest on or before its date) unless the request gives one, rate_missing
naming the currency and the date, a memo from an invoice keeping the invoice's rate, company isolation."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Tenant, assert_problem


def put(t: Tenant, currency: str, day: str, rate: str, role: str = "controller") -> Any:
    return t.client.put(f"/v1/exchange-rates/{currency}/{day}", json={"rate": rate}, headers=t.h(role))


def eur_customer(t: Tenant) -> str:
    return str(t.customer("EUR", name="Ironclad GmbH")["id"])


def invoice(t: Tenant, customer_id: str, day: str, **extra: Any) -> Any:
    body = {
        "customer_id": customer_id,
        "currency": "EUR",
        "issue_date": day,
        "lines": [{"description": "Machining", "quantity": "1", "unit_price": "1000.00"}],
        **extra,
    }
    return t.post("/v1/invoices", body)


def test_set_replace_and_list_rates_by_role(tenant: Tenant) -> None:
    first = tenant.ok(put(tenant, "EUR", "2026-03-01", "1.08"))
    assert (first["currency"], first["date"], first["rate"]) == ("EUR", "2026-03-01", "1.08")
    tenant.ok(put(tenant, "EUR", "2026-03-10", "1.12", role="admin"))
    tenant.ok(put(tenant, "GBP", "2026-03-01", "1.27"))
    tenant.ok(put(tenant, "EUR", "2026-03-01", "1.0825"))  # replaced, not added
    listed = tenant.ok(tenant.get("/v1/exchange-rates?currency=EUR", role="auditor"))["data"]
    assert [(r["date"], r["rate"]) for r in listed] == [("2026-03-01", "1.0825"), ("2026-03-10", "1.12")]
    window = tenant.ok(tenant.get("/v1/exchange-rates?from=2026-03-02&to=2026-03-31"))["data"]
    assert [(r["currency"], r["date"]) for r in window] == [("EUR", "2026-03-10")]
    events = tenant.ok(tenant.get("/v1/audit-events?entity_id=EUR:2026-03-01"))["data"]
    assert [e["changes"]["rate"] for e in events] == [[None, "1.08"], ["1.08", "1.0825"]]
    assert_problem(put(tenant, "EUR", "2026-03-02", "1.1", role="clerk"), 403, "forbidden")
    assert_problem(put(tenant, "EUR", "2026-03-02", "1.1", role="auditor"), 403, "forbidden")


def test_bad_rates_name_the_field_and_write_nothing(tenant: Tenant) -> None:
    assert_problem(put(tenant, "EUR", "2026-03-01", "0"), 422, "validation_error", field="rate")
    assert_problem(put(tenant, "EUR", "2026-03-01", "-1.2"), 422, "validation_error", field="rate")
    assert_problem(put(tenant, "EUR", "2026-03-01", "1.12345678901"), 422, "validation_error", field="rate")
    assert_problem(put(tenant, "EUR", "2026-13-01", "1.1"), 422, "validation_error", field="date")
    assert_problem(put(tenant, "XXX", "2026-03-01", "1.1"), 422, "validation_error", field="currency")
    assert_problem(put(tenant, "USD", "2026-03-01", "1.1"), 422, "validation_error", field="currency")  # own
    assert_problem(tenant.get("/v1/exchange-rates?from=2026-04-01&to=2026-03-01"), 422, "validation_error", "from")
    assert tenant.ok(tenant.get("/v1/exchange-rates"))["data"] == []


def test_documents_take_the_rate_of_their_date_unless_given(tenant: Tenant) -> None:
    customer = eur_customer(tenant)
    tenant.ok(put(tenant, "EUR", "2026-03-01", "1.08"))
    tenant.ok(put(tenant, "EUR", "2026-03-10", "1.12"))

    inv = tenant.ok(invoice(tenant, customer, "2026-03-05"), 201)
    assert inv["exchange_rate"] == "1.08"  # the latest on or before 2026-03-05
    given = tenant.ok(invoice(tenant, customer, "2026-03-05", exchange_rate="1.3"), 201)
    assert given["exchange_rate"] == "1.3"
    payment = tenant.ok(
        tenant.post(
            "/v1/payments",
            {
                "customer_id": customer,
                "amount": "10.00",
                "currency": "EUR",
                "received_on": "2026-03-12",
                "method": "wire",
            },
        ),
        201,
    )
    assert payment["exchange_rate"] == "1.12"
    standalone = tenant.ok(
        tenant.post(
            "/v1/credit-memos",
            {
                "customer_id": customer,
                "currency": "EUR",
                "reason_code": "goodwill",
                "issue_date": "2026-03-11",
                "lines": [{"description": "Goodwill", "quantity": "1", "unit_price": "50.00"}],
            },
        ),
        201,
    )
    assert standalone["exchange_rate"] == "1.12"
    # Seed 004: a memo from an invoice keeps the invoice's rate, whatever the table says on its own date.
    from_invoice = tenant.memo_from(inv, issue_date="2026-03-11")
    assert from_invoice["exchange_rate"] == "1.08"

    missing = assert_problem(invoice(tenant, customer, "2026-02-27"), 422, "rate_missing", field="exchange_rate")
    assert "EUR" in missing["detail"]
    assert "2026-02-27" in missing["detail"]
    assert (missing["currency"], missing["date"]) == ("EUR", "2026-02-27")
    assert len(tenant.ok(tenant.get(f"/v1/invoices?customer_id={customer}"))["data"]) == 2  # nothing written


def test_the_worked_example_with_rates_from_the_table(tenant: Tenant) -> None:
    """Issue 15 (a) with no rate on the requests: the invoice takes 1.10 (its date), the payment 1.05."""
    customer = eur_customer(tenant)
    tenant.ok(put(tenant, "EUR", "2026-03-02", "1.10"))
    tenant.ok(put(tenant, "EUR", "2026-03-20", "1.05"))
    inv = tenant.ok(invoice(tenant, customer, "2026-03-02"), 201)
    pay = tenant.ok(
        tenant.post(
            "/v1/payments",
            {
                "customer_id": customer,
                "amount": "1000.00",
                "currency": "EUR",
                "received_on": "2026-03-20",
                "method": "wire",
            },
        ),
        201,
    )
    (app,) = tenant.ok(
        tenant.post(
            f"/v1/payments/{pay['id']}/applications", {"allocations": [{"invoice_id": inv["id"], "amount": "1000.00"}]}
        ),
        201,
    )
    (entry,) = tenant.ok(tenant.get(f"/v1/journal-entries?source_id={app['id']}"))["data"]
    loss = [ln for ln in entry["lines"] if ln["account"] == "7200"]
    assert [ln["functional_debit"] for ln in loss] == ["50.00"]


def test_another_company_never_sees_the_rates(tenant: Tenant, other: Tenant) -> None:
    tenant.ok(put(tenant, "EUR", "2026-03-01", "1.08"))
    assert other.ok(other.get("/v1/exchange-rates"))["data"] == []
    other_customer = eur_customer(other)
    assert_problem(invoice(other, other_customer, "2026-03-05"), 422, "rate_missing", field="exchange_rate")


def test_fx_exposure_revalues_open_items_at_the_rate_of_as_of(tenant: Tenant) -> None:
    """Open EUR: an invoice of 1,000.00 at 1.10 less an unused payment of 200.00 at 1.05 = 800.00 EUR booked at
    890.00 USD; at the table's 1.20 of 2026-03-31 that is 960.00, an unrealized gain of 70.00. A currency with
    no rate yet is listed without a revaluation. Nothing is booked."""
    customer = eur_customer(tenant)
    tenant.ok(invoice(tenant, customer, "2026-03-02", exchange_rate="1.10"), 201)
    tenant.ok(
        tenant.post(
            "/v1/payments",
            {
                "customer_id": customer,
                "amount": "200.00",
                "currency": "EUR",
                "exchange_rate": "1.05",
                "received_on": "2026-03-20",
                "method": "wire",
            },
        ),
        201,
    )
    gbp = tenant.customer("GBP", name="Sheffield Ltd")["id"]
    tenant.ok(
        tenant.post(
            "/v1/invoices",
            {
                "customer_id": gbp,
                "currency": "GBP",
                "exchange_rate": "1.27",
                "issue_date": "2026-03-03",
                "lines": [{"description": "Tooling", "quantity": "1", "unit_price": "100.00"}],
            },
        ),
        201,
    )
    tenant.invoice()  # home currency: not exposure
    tenant.ok(put(tenant, "EUR", "2026-03-31", "1.20"))
    entries_before = len(tenant.ok(tenant.get("/v1/journal-entries?limit=100"))["data"])

    report = tenant.ok(tenant.get("/v1/reports/fx-exposure?as_of=2026-03-31", role="auditor"))
    assert (report["as_of"], report["functional_currency"]) == ("2026-03-31", "USD")
    eur, gbp_row = report["currencies"]
    assert eur == {
        "currency": "EUR",
        "open": "800.00",
        "booked": "890.00",
        "rate": "1.2",
        "revalued": "960.00",
        "unrealized": "70.00",
    }
    assert (gbp_row["currency"], gbp_row["open"], gbp_row["booked"], gbp_row["rate"]) == (
        "GBP",
        "100.00",
        "127.00",
        None,
    )
    assert len(tenant.ok(tenant.get("/v1/journal-entries?limit=100"))["data"]) == entries_before
    early = tenant.ok(tenant.get("/v1/reports/fx-exposure?as_of=2026-03-10"))["currencies"]
    assert [(c["currency"], c["open"]) for c in early] == [("EUR", "1000.00"), ("GBP", "100.00")]  # payment later
    assert_problem(tenant.get("/v1/reports/fx-exposure?as_of=soon"), 422, "validation_error", field="as_of")
