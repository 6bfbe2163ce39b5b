"""Cursor pagination (limit <= 100, starting_after), filters and sort on lists."""

from __future__ import annotations

from tests.api.conftest import Tenant, assert_problem


def _walk(tenant: Tenant, path: str) -> list[str]:
    ids, cursor = [], None
    while True:
        sep = "&" if "?" in path else "?"
        page = tenant.ok(tenant.get(path + (f"{sep}starting_after={cursor}" if cursor else "")))
        ids += [d["id"] for d in page["data"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            return ids
        cursor = page["next_cursor"]
        assert cursor == page["data"][-1]["id"]


def test_pages_cover_every_item_once_in_order(tenant: Tenant) -> None:
    cust = tenant.customer()
    for i in range(5):
        tenant.customer(name=f"C{i}")
    inv = tenant.invoice(customer_id=cust["id"])
    memos = [
        tenant.memo_from(inv, lines=[{"invoice_line_id": inv["lines"][1]["id"], "quantity": "1"}]) for _ in range(4)
    ]
    all_customers = _walk(tenant, "/v1/customers?limit=2")
    assert len(all_customers) == 6
    assert all_customers == sorted(all_customers)
    newest_first = _walk(tenant, "/v1/credit-memos?limit=3")
    assert newest_first == [m["id"] for m in reversed(memos)]
    assert _walk(tenant, "/v1/credit-memos?limit=1&sort=number") == [m["id"] for m in memos]
    assert len(_walk(tenant, "/v1/journal-entries?limit=1")) == 1  # the invoice's entry
    assert len(_walk(tenant, "/v1/audit-events?limit=2")) >= 12


def test_filters_and_sorts(tenant: Tenant) -> None:
    a, b = tenant.customer(name="A"), tenant.customer(name="B")
    inv_a, inv_b = tenant.invoice(customer_id=a["id"]), tenant.invoice(customer_id=b["id"])
    small = tenant.memo_from(inv_a, lines=[{"invoice_line_id": inv_a["lines"][0]["id"], "amount": "5.00"}])
    big = tenant.memo_from(
        inv_a,
        reason_code="price_correction",
        lines=[{"invoice_line_id": inv_a["lines"][1]["id"]}],
        issue_date="2026-03-15",
    )
    other = tenant.memo_from(inv_b, lines=[{"invoice_line_id": inv_b["lines"][1]["id"], "quantity": "1"}])
    tenant.ok(tenant.post(f"/v1/credit-memos/{other['id']}/post"))

    def ids(query: str) -> list[str]:
        return [m["id"] for m in tenant.ok(tenant.get(f"/v1/credit-memos?{query}"))["data"]]

    assert ids("status=posted") == [other["id"]]
    assert ids(f"customer_id={a['id']}&sort=id") == [small["id"], big["id"]]
    assert ids(f"invoice_id={inv_b['id']}") == [other["id"]]
    assert ids("reason_code=price_correction") == [big["id"]]
    assert ids(f"number={small['number']}") == [small["id"]]
    assert ids("issued_from=2026-03-15&issued_to=2026-03-15") == [big["id"]]
    assert ids(f"customer_id={a['id']}&sort=-total") == [big["id"], small["id"]]
    assert ids(f"customer_id={a['id']}&sort=total") == [small["id"], big["id"]]
    invoices = tenant.ok(tenant.get(f"/v1/invoices?customer_id={b['id']}"))["data"]
    assert [i["id"] for i in invoices] == [inv_b["id"]]
    assert tenant.ok(tenant.get(f"/v1/invoices?number={inv_a['number']}"))["data"][0]["id"] == inv_a["id"]
    entries = tenant.ok(tenant.get(f"/v1/journal-entries?source_type=credit_memo&source_id={other['id']}"))["data"]
    assert [e["source_id"] for e in entries] == [other["id"]]


def test_bad_page_parameters_are_422(tenant: Tenant) -> None:
    for query, field in (
        ("limit=101", "limit"),
        ("limit=0", "limit"),
        ("sort=colour", "sort"),
        ("status=lost", "status"),
        ("starting_after=cm_unknown", "starting_after"),
        ("issued_from=2026-13-01", "issued_from"),
    ):
        assert_problem(tenant.get(f"/v1/credit-memos?{query}"), 422, "validation_error", field=field)
    assert_problem(
        tenant.get("/v1/customers?starting_after=cus_unknown"), 422, "validation_error", field="starting_after"
    )
