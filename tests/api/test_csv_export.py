"""CSV exports (issue 16 item 3) on SQLite and PostgreSQL: the API's ``?format=csv`` on the lists and reports,
the web UI's ``<list>.csv`` and ``/reports/*.csv``: content, filters applied, authorization, tenant isolation,
formula-safe cells, and a list streamed in keyset chunks."""

from __future__ import annotations

import csv
import io
from typing import Any

import anyio
from fastapi.testclient import TestClient

from creditmemo.presentation import csv_export
from creditmemo.services.users import actor_for, ensure_company_user
from creditmemo.services.web_sessions import sign_in
from creditmemo.store.repositories.overviews import ListQuery, Overviews
from creditmemo.store.uow import Database
from tests.api.conftest import Tenant, assert_problem

PASSWORD = "a long enough password"


def rows_of(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="')
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def _books(t: Tenant, name: str = "Acme") -> dict[str, Any]:
    """One customer, two invoices of 310.00 (100 + tax 10 %, 4 x 50), a posted memo of 55.00 (50 + tax) and a draft."""
    cus = t.customer(name=name)
    inv1, inv2 = t.invoice(cus["id"]), t.invoice(cus["id"])
    posted = t.memo_from(
        inv1, lines=[{"invoice_line_id": inv1["lines"][0]["id"], "amount": "50.00"}], issue_date="2026-03-10"
    )
    t.ok(t.post(f"/v1/credit-memos/{posted['id']}/post"))
    draft = t.memo_from(
        inv2, lines=[{"invoice_line_id": inv2["lines"][1]["id"], "quantity": "1"}], issue_date="2026-03-11"
    )
    return {"customer": cus, "invoices": [inv1, inv2], "posted": posted, "draft": draft}


class TestListsThroughTheApi:
    def test_memos_csv_has_every_matching_row_with_plain_amounts_and_no_other_company(
        self, tenant: Tenant, other: Tenant
    ) -> None:
        books = _books(tenant)
        _books(other, name="Other Co")
        everything = rows_of(tenant.get("/v1/credit-memos?format=csv&sort=number"))
        assert [r["number"] for r in everything] == sorted(
            [books["posted"]["number"], books["draft"]["number"]]
        )  # the other company's memos are not there
        posted = rows_of(tenant.get("/v1/credit-memos?format=csv&status=posted"))
        assert [(r["number"], r["status"], r["total"], r["currency"]) for r in posted] == [
            (books["posted"]["number"], "posted", "55.00", "USD")
        ]
        assert posted[0]["customer"] == "Acme"
        assert posted[0]["issue_date"] == books["posted"]["issue_date"]
        assert list(posted[0]) == [h for h, _ in csv_export.LIST_COLUMNS["credit_memos"]]
        by_invoice = rows_of(tenant.get(f"/v1/credit-memos?format=csv&invoice_id={books['invoices'][1]['id']}"))
        assert [r["number"] for r in by_invoice] == [books["draft"]["number"]]
        assert rows_of(tenant.get("/v1/debit-memos?format=csv")) == []

    def test_invoices_and_customers_csv(self, tenant: Tenant) -> None:
        books = _books(tenant)
        inv = rows_of(tenant.get(f"/v1/invoices?format=csv&number={books['invoices'][0]['number']}"))
        assert [(r["number"], r["total"], r["amount_credited"], r["amount_due"]) for r in inv] == [
            (books["invoices"][0]["number"], "310.00", "55.00", "255.00")
        ]
        assert len(rows_of(tenant.get("/v1/invoices?format=csv&issued_from=2026-03-02&issued_to=2026-03-02"))) == 2
        assert rows_of(tenant.get("/v1/invoices?format=csv&issued_from=2026-03-03")) == []
        assert_problem(tenant.get("/v1/invoices?format=csv&issued_from=yesterday"), 422, "validation_error")
        customers = rows_of(tenant.get("/v1/customers?format=csv"))
        assert [(r["name"], r["balance"], r["currency"]) for r in customers] == [("Acme", "565.00", "USD")]

    def test_payments_csv(self, tenant: Tenant, other: Tenant) -> None:
        books = _books(tenant)
        other_books = _books(other, name="Other Co")
        for t, cid in ((tenant, books["customer"]["id"]), (other, other_books["customer"]["id"])):
            t.ok(
                t.post(
                    "/v1/payments",
                    {
                        "customer_id": cid,
                        "amount": "60.00",
                        "currency": "USD",
                        "received_on": "2026-03-05",
                        "method": "wire",
                    },
                ),
                201,
            )
        pays = rows_of(tenant.get("/v1/payments?format=csv&received_from=2026-03-01"))
        assert [(r["customer"], r["amount"], r["received_on"], r["method"]) for r in pays] == [
            ("Acme", "60.00", "2026-03-05", "wire")
        ]
        assert (pays[0]["amount_available"], pays[0]["settlement_status"]) == ("60.00", "unapplied")
        assert rows_of(tenant.get("/v1/payments?format=csv&received_from=2026-03-06")) == []
        assert_problem(tenant.get("/v1/payments?format=csv&received_to=soon"), 422, "validation_error", "received_to")

    def test_every_role_may_export_and_nobody_signed_out(self, tenant: Tenant) -> None:
        _books(tenant)
        for role in ("clerk", "manager", "controller", "auditor", "admin"):
            assert len(rows_of(tenant.get("/v1/credit-memos?format=csv", role=role))) == 2
        assert_problem(tenant.client.get("/v1/credit-memos?format=csv"), 401, "unauthorized")
        assert tenant.get("/v1/credit-memos?format=xml").status_code == 422

    def test_a_cell_a_spreadsheet_would_run_starts_with_a_quote(self, tenant: Tenant) -> None:
        tenant.customer(name="=HYPERLINK(1)")
        tenant.customer(name="@SUM(A1)")
        tenant.customer(name="-2+3")
        names = sorted(r["name"] for r in rows_of(tenant.get("/v1/customers?format=csv")))
        assert names == ["'-2+3", "'=HYPERLINK(1)", "'@SUM(A1)"]

    def test_cells(self) -> None:
        from datetime import date
        from decimal import Decimal

        assert csv_export.cell(Decimal("-12.50")) == "-12.50"
        assert csv_export.cell(Decimal("1E+3")) == "1000"
        assert csv_export.cell("-12.50") == "-12.50"  # a number stays a number
        assert csv_export.cell("+1 555 0100") == "'+1 555 0100"
        assert csv_export.cell(date(2026, 3, 2)) == "2026-03-02"
        assert csv_export.cell(None) == ""
        assert csv_export.cell('Müller, "GmbH"') == 'Müller, "GmbH"'


class TestStreamedInChunks:
    def test_chunks_walk_every_row_once_in_order_for_every_sort(self, db: Database, tenant: Tenant) -> None:
        books = _books(tenant)
        for _ in range(3):  # more memos with equal totals, statuses and dates: ties broken by id
            tenant.memo_from(
                books["invoices"][1],
                lines=[{"invoice_line_id": books["invoices"][1]["lines"][1]["id"], "quantity": "1"}],
            )
        with db.uow(readonly=True) as uow:
            queries = Overviews(uow.conn)
            for sort in ("number", "total", "status", "customer", "issue_date", "applied"):
                for descending in (True, False):
                    q = ListQuery(sort=sort, descending=descending, page_size=1000)
                    whole = [r["id"] for r in queries.page("credit_memos", tenant.company_id, q).rows]
                    chunks = list(queries.chunks("credit_memos", tenant.company_id, q, chunk=2))
                    assert [len(c) for c in chunks] == [2, 2, 1]
                    assert [r["id"] for c in chunks for r in c] == whole, (sort, descending)

    def test_the_response_body_is_written_chunk_by_chunk(self, db: Database, tenant: Tenant) -> None:
        _books(tenant)
        with db.uow() as uow:
            actor = actor_for(ensure_company_user(uow, tenant.slug, f"auditor@{tenant.slug}.test", "auditor"))
        response = csv_export.list_csv(db, actor, "credit_memos", ListQuery(), chunk=1)

        async def pieces() -> list[bytes]:
            return [bytes(p) if not isinstance(p, str) else p.encode() async for p in response.body_iterator]

        got = anyio.run(pieces)
        assert len(got) == 3  # the header, then one write per chunk of one row
        assert got[0].decode().startswith("number,customer,")


class TestReportsThroughTheApi:
    def test_aging_trial_balance_register_statement(self, tenant: Tenant, other: Tenant) -> None:
        books = _books(tenant)
        _books(other, name="Other Co")
        aging = rows_of(tenant.get("/v1/reports/ar-aging?as_of=2026-03-31&format=csv"))
        assert [(r["customer"], r["currency"], r["total_due"], r["unapplied_credit"]) for r in aging] == [
            ("Acme", "USD", "565.00", "0.00"),
            ("Total", "USD", "565.00", "0.00"),
        ]
        assert list(aging[0]) == list(csv_export.AGING_HEADER)
        tb = rows_of(tenant.get("/v1/reports/trial-balance?as_of=2026-03-31&format=csv"))
        total = tb[-1]
        assert (total["name"], total["debit"], total["credit"], total["balance"]) == (
            "Total",
            "675.00",
            "675.00",
            "0.00",
        )
        assert {r["account"] for r in tb[:-1]} >= {"1200"}
        register = rows_of(tenant.get("/v1/reports/credit-memo-register?format=csv&status=posted"))
        assert [(r["number"], r["total"], r["amount_applied"], r["amount_available"]) for r in register] == [
            (books["posted"]["number"], "55.00", "55.00", "0.00")
        ]
        assert len(rows_of(tenant.get("/v1/reports/credit-memo-register?format=csv"))) == 2
        statement = rows_of(
            tenant.get(f"/v1/customers/{books['customer']['id']}/statement?start=2026-03-01&end=2026-03-31&format=csv")
        )
        assert statement[0]["kind"] == "opening_balance"
        assert statement[0]["balance"] == "0.00"
        assert statement[-1]["kind"] == "closing_balance"
        assert statement[-1]["balance"] == "565.00"
        assert [r["debit"] for r in statement if r["kind"] == "invoice"] == ["310.00", "310.00"]
        other_customer = other.ok(other.get("/v1/customers"))["data"][0]["id"]
        assert_problem(
            tenant.get(f"/v1/customers/{other_customer}/statement?start=2026-03-01&end=2026-03-31&format=csv"),
            404,
            "not_found",
        )


def _web_client(db: Database, tenant: Tenant, role: str = "auditor") -> TestClient:
    email = f"web-{role}@{tenant.slug}.test"
    with db.uow() as uow:
        ensure_company_user(uow, tenant.slug, email, role, password=PASSWORD)
        signed = sign_in(uow, email=email, password=PASSWORD)
    assert signed is not None
    client = TestClient(tenant.client.app, raise_server_exceptions=False)
    client.cookies.set("cm_session", signed.token)
    return client


class TestWeb:
    def test_list_csv_with_the_page_filters_and_the_link_on_the_page(self, db: Database, tenant: Tenant) -> None:
        books = _books(tenant)
        web = _web_client(db, tenant)
        posted = rows_of(web.get("/credit-memos.csv?status=posted&sort=number&dir=asc&after=x"))
        assert [r["number"] for r in posted] == [books["posted"]["number"]]
        assert len(rows_of(web.get("/credit-memos.csv"))) == 2
        assert [r["amount_due"] for r in rows_of(web.get("/invoices.csv?status=part_paid"))] == ["255.00"]
        assert [r["name"] for r in rows_of(web.get("/customers.csv?q=acm"))] == ["Acme"]
        page = web.get("/credit-memos?status=posted&sort=total")
        assert 'href="/credit-memos.csv?status=posted&amp;sort=total"' in page.text
        bad = web.get("/credit-memos.csv?from=not-a-date", follow_redirects=False)
        assert (bad.status_code, bad.headers["location"]) == (303, "/credit-memos?from=not-a-date")

    def test_reports_csv(self, db: Database, tenant: Tenant, other: Tenant) -> None:
        books = _books(tenant)
        _books(other, name="Other Co")
        web = _web_client(db, tenant, "clerk")
        assert [r["customer"] for r in rows_of(web.get("/reports/ar-aging.csv?as_of=2026-03-31"))] == ["Acme", "Total"]
        assert rows_of(web.get("/reports/trial-balance.csv?as_of=2026-03-31"))[-1]["debit"] == "675.00"
        register = rows_of(web.get("/reports/credit-memo-register.csv?start=2026-03-01&end=2026-03-31&status=posted"))
        assert [r["number"] for r in register] == [books["posted"]["number"]]
        cid = books["customer"]["id"]
        lines = rows_of(web.get(f"/customers/{cid}/statement.csv?start=2026-03-01&end=2026-03-31"))
        assert lines[-1]["balance"] == "565.00"
        other_customer = other.ok(other.get("/v1/customers"))["data"][0]["id"]
        assert web.get(f"/customers/{other_customer}/statement.csv?start=2026-03-01&end=2026-03-31").status_code == 404

    def test_signed_out_is_sent_to_sign_in(self, tenant: Tenant) -> None:
        anonymous = TestClient(tenant.client.app, raise_server_exceptions=False)
        for path in ("/credit-memos.csv", "/reports/ar-aging.csv?as_of=2026-03-31"):
            answer = anonymous.get(path, follow_redirects=False)
            assert answer.status_code in (302, 303)
            assert "/sign-in" in answer.headers["location"]
