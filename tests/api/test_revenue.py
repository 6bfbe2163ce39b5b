"""Revenue schedules and per-line recognition reversal (issue 12, ASC 606) through the real app, on both
engines: the worked example exactly as written, the split of partial and prorated credits, void, the
recognition run's idempotency and its refusals."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest

from creditmemo.services.actors import system_actor
from creditmemo.services.reports import reconcile
from creditmemo.store.uow import Database
from tests.api.conftest import Tenant, assert_problem


def annual(tenant: Tenant, *, amount: str = "1200.00", tax_rate: str | None = None, **line: Any) -> dict[str, Any]:
    """1,200.00 for 2026-01-01..2026-12-31 (365 days), invoiced 2026-01-01."""
    body_line = {
        "description": "Annual subscription",
        "quantity": "1",
        "unit_price": amount,
        "service_start": "2026-01-01",
        "service_end": "2026-12-31",
        **line,
    }
    if tax_rate is not None:
        body_line["tax_rate"] = tax_rate
    cid = tenant.customer()["id"]
    body = {"customer_id": cid, "currency": "USD", "issue_date": "2026-01-01", "lines": [body_line]}
    return tenant.ok(tenant.post("/v1/invoices", body), 201)


def entries(tenant: Tenant, **query: str) -> list[dict[str, Any]]:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return tenant.ok(tenant.get(f"/v1/journal-entries?limit=100&sort=id&{qs}"))["data"]


def legs(entry: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(account, Dr|Cr, amount) of each line."""
    return {
        (ln["account"], "Dr" if ln["debit"] != "0.00" else "Cr", ln["debit"] if ln["debit"] != "0.00" else ln["credit"])
        for ln in entry["lines"]
    }


def recognize(tenant: Tenant, through: str, role: str = "controller") -> dict[str, Any]:
    return tenant.ok(tenant.post("/v1/revenue/recognize", {"through": through}, role=role))


def balance(tenant: Tenant, account: str) -> str:
    tb = tenant.ok(tenant.get("/v1/reports/trial-balance"))
    assert tb["balanced"]
    return next((r["balance"] for r in tb["rows"] if r["account"] == account), "0.00")


def full_credit(tenant: Tenant, invoice: dict[str, Any], on: str) -> dict[str, Any]:
    return tenant.memo_from(invoice, issue_date=on, post=True)


class TestWorkedExample:
    def test_recognized_through_march_then_a_full_credit_on_april_first(self, tenant: Tenant) -> None:
        inv = annual(tenant)
        (issued,) = entries(tenant, source_id=inv["id"])
        assert legs(issued) == {("1200", "Dr", "1200.00"), ("2400", "Cr", "1200.00")}  # deferred, not revenue

        run = recognize(tenant, "2026-03-31")
        assert [(e["month"], e["amount"]) for e in run["entries"]] == [
            ("2026-01", "101.92"),
            ("2026-02", "92.05"),
            ("2026-03", "101.92"),
        ]
        assert balance(tenant, "4000") == "-295.89"  # 1,200 x 90 / 365, credit balance
        assert balance(tenant, "2400") == "-904.11"

        memo = full_credit(tenant, inv, "2026-04-01")
        assert (memo["status"], memo["total"]) == ("posted", "1200.00")
        (posting,) = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/journal-entries"))
        assert legs(posting) == {
            ("4900", "Dr", "295.89"),  # recognized: from revenue (the sales-returns contra account)
            ("2400", "Dr", "904.11"),  # deferred: from deferred revenue
            ("1200", "Cr", "1200.00"),
        }
        assert balance(tenant, "2400") == "0.00"

        later = recognize(tenant, "2026-12-31")
        assert (later["run_id"], later["entries"]) == (None, [])  # nothing more is recognized afterwards
        assert balance(tenant, "4000") == "-295.89"
        assert balance(tenant, "4900") == "295.89"

    def test_void_reverses_the_split_exactly_and_the_rest_is_recognized_again(self, tenant: Tenant) -> None:
        inv = annual(tenant)
        recognize(tenant, "2026-03-31")
        memo = full_credit(tenant, inv, "2026-04-01")
        # unapplied on or before the void's date: a void may not precede its memo's unapplication (issue 16 item 1)
        path = f"/v1/credit-memos/{memo['id']}/applications/{_app(tenant, memo)}?unapplied_on=2026-04-02"
        tenant.ok(tenant.delete(path))
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/void", {"void_date": "2026-04-02"}))
        _posting, reversal = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/journal-entries"))
        assert legs(reversal) == {("4900", "Cr", "295.89"), ("2400", "Cr", "904.11"), ("1200", "Dr", "1200.00")}
        assert balance(tenant, "2400") == "-904.11"
        run = recognize(tenant, "2026-12-31")
        assert sum(Decimal(e["amount"]) for e in run["entries"]) == Decimal("904.11")
        assert balance(tenant, "2400") == "0.00"
        assert balance(tenant, "4000") == "-1200.00"


def _app(tenant: Tenant, memo: dict[str, Any]) -> str:
    apps = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/applications"))
    data = apps["data"] if isinstance(apps, dict) else apps
    return str(data[0]["id"])


class TestSplits:
    def test_a_credit_before_any_run_takes_the_elapsed_days_from_revenue(self, tenant: Tenant) -> None:
        inv = annual(tenant)
        memo = full_credit(tenant, inv, "2026-04-01")
        (posting,) = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/journal-entries"))
        assert legs(posting) == {("4900", "Dr", "295.89"), ("2400", "Dr", "904.11"), ("1200", "Cr", "1200.00")}
        run = recognize(tenant, "2026-12-31")  # January to March are still to move out of deferred revenue
        assert [(e["month"], e["amount"]) for e in run["entries"]] == [
            ("2026-01", "101.92"),
            ("2026-02", "92.05"),
            ("2026-03", "101.92"),
        ]
        assert (balance(tenant, "2400"), balance(tenant, "4000"), balance(tenant, "4900")) == (
            "0.00",
            "-295.89",
            "295.89",
        )

    def test_a_memo_dated_before_recognized_months_takes_them_from_revenue(self, tenant: Tenant) -> None:
        inv = annual(tenant)
        recognize(tenant, "2026-06-30")
        memo = full_credit(tenant, inv, "2026-02-01")  # dated before months already recognized
        (posting,) = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/journal-entries"))
        recognized = "595.07"  # January to June, recognized by the run: 1,200 x 181 / 365
        assert legs(posting) == {("4900", "Dr", recognized), ("2400", "Dr", "604.93"), ("1200", "Cr", "1200.00")}
        assert balance(tenant, "2400") == "0.00"
        assert recognize(tenant, "2026-12-31")["entries"] == []

    def test_tax_is_unaffected(self, tenant: Tenant) -> None:
        inv = annual(tenant, tax_rate="10")
        memo = full_credit(tenant, inv, "2026-04-01")
        (posting,) = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/journal-entries"))
        assert legs(posting) == {
            ("4900", "Dr", "295.89"),
            ("2400", "Dr", "904.11"),
            ("2200", "Dr", "120.00"),
            ("1200", "Cr", "1320.00"),
        }

    def test_a_prorated_credit_takes_the_days_it_covers(self, tenant: Tenant) -> None:
        cid = tenant.customer()["id"]
        line = {
            "description": "Seats",
            "quantity": "12",
            "unit_price": "100.00",
            "service_start": "2026-01-01",
            "service_end": "2026-01-31",
        }
        body = {"customer_id": cid, "currency": "USD", "issue_date": "2026-01-01", "lines": [line]}
        inv = tenant.ok(tenant.post("/v1/invoices", body), 201)
        memo = tenant.ok(
            tenant.post(
                f"/v1/invoices/{inv['id']}/proration-credits",
                {
                    "invoice_line_id": inv["lines"][0]["id"],
                    "effective_date": "2026-01-17",
                    "new_quantity": "6",
                    "issue_date": "2026-01-17",  # credited on the day of the downgrade
                },
            ),
            201,
        )
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post", {"date": "2026-01-17"}))
        (posting,) = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/journal-entries"))
        # 290.32 covers 2026-01-17..31, none of it elapsed on the 17th: all from deferred revenue
        assert legs(posting) == {("2400", "Dr", "290.32"), ("1200", "Cr", "290.32")}
        run = recognize(tenant, "2026-01-31")
        assert [(e["month"], e["amount"]) for e in run["entries"]] == [("2026-01", "909.68")]
        assert balance(tenant, "2400") == "0.00"

    def test_a_line_without_a_period_is_recognized_at_issue_as_before(self, tenant: Tenant) -> None:
        inv = tenant.invoice()
        (issued,) = entries(tenant, source_id=inv["id"])
        assert ("4000", "Cr", "300.00") in legs(issued)
        memo = tenant.memo_from(inv, post=True)
        (posting,) = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/journal-entries"))
        assert ("4900", "Dr", "300.00") in legs(posting)

    def test_reasons_set_to_the_line_account_reverse_to_its_revenue_account(self, tenant: Tenant) -> None:
        tenant.ok(
            tenant.client.put(
                "/v1/settings/line-account-reasons",
                json={"reasons": ["billing_error"]},
                headers=tenant.h("admin"),
            )
        )
        inv = annual(tenant, revenue_account="4100")
        memo = full_credit(tenant, inv, "2026-04-01")
        (posting,) = tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/journal-entries"))
        assert legs(posting) == {("4100", "Dr", "295.89"), ("2400", "Dr", "904.11"), ("1200", "Cr", "1200.00")}


class TestRecognitionRun:
    def test_running_twice_posts_nothing_the_second_time(self, tenant: Tenant) -> None:
        annual(tenant)
        first = recognize(tenant, "2026-01-31")
        assert [(e["month"], e["amount"]) for e in first["entries"]] == [("2026-01", "101.92")]
        again = recognize(tenant, "2026-01-31")
        assert (again["run_id"], again["entries"]) == (None, [])
        assert len(entries(tenant, source_type="revenue_run")) == 1

    def test_through_a_date_before_the_last_run_is_nothing_to_do(self, tenant: Tenant) -> None:
        annual(tenant)
        recognize(tenant, "2026-06-30")
        earlier = recognize(tenant, "2026-02-28")
        assert (earlier["run_id"], earlier["entries"]) == (None, [])

    def test_one_entry_per_month_balanced_per_account(self, tenant: Tenant) -> None:
        annual(tenant)
        annual(tenant, amount="365.00", revenue_account="4100")
        run = recognize(tenant, "2026-01-31")
        (entry,) = entries(tenant, source_type="revenue_run")
        assert run["entries"][0]["journal_entry_id"] == entry["id"]
        assert legs(entry) == {("2400", "Dr", "132.92"), ("4000", "Cr", "101.92"), ("4100", "Cr", "31.00")}

    def test_only_a_controller_runs_it_and_it_is_audited(self, tenant: Tenant) -> None:
        annual(tenant)
        for role in ("clerk", "auditor", "admin"):
            assert_problem(tenant.post("/v1/revenue/recognize", {"through": "2026-01-31"}, role=role), 403, "forbidden")
        run = recognize(tenant, "2026-01-31")
        events = tenant.ok(tenant.get(f"/v1/audit-events?entity_id={run['run_id']}"))["data"]
        assert [e["action"] for e in events] == ["revenue.recognized"]

    @pytest.mark.postgres_only
    def test_concurrent_runs_one_posts_the_others_do_nothing(self, db: Database, tenant: Tenant) -> None:
        """Four clients at once (PostgreSQL: real concurrency; the session fails on any deadlock)."""
        for _ in range(3):
            annual(tenant)
        results: list[Any] = []
        barrier = threading.Barrier(4)

        def go() -> None:
            barrier.wait(10)
            results.append(tenant.post("/v1/revenue/recognize", {"through": "2026-12-31"}))

        threads = [threading.Thread(target=go) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        assert [r.status_code for r in results] == [200, 200, 200, 200]
        posted = [r.json() for r in results if r.json()["run_id"] is not None]
        assert len(posted) == 1
        assert len(posted[0]["entries"]) == 12
        assert len(entries(tenant, source_type="revenue_run")) == 12
        assert balance(tenant, "2400") == "0.00"
        assert balance(tenant, "4000") == "-3600.00"

    @pytest.mark.postgres_only
    def test_memos_posted_while_runs_recognize_leave_the_books_reconciled(self, db: Database, tenant: Tenant) -> None:
        """Credits and runs at once (PostgreSQL): no deadlock, no error; after every commit deferred revenue agrees
        with the schedules, and once a last run is made nothing is left deferred."""
        invoices = [annual(tenant) for _ in range(4)]
        drafts = [tenant.memo_from(inv, issue_date="2026-04-01") for inv in invoices]
        results: list[Any] = []
        barrier = threading.Barrier(6)

        def post(memo_id: str) -> None:
            barrier.wait(10)
            results.append(tenant.post(f"/v1/credit-memos/{memo_id}/post"))

        def run(through: str) -> None:
            barrier.wait(10)
            results.append(tenant.post("/v1/revenue/recognize", {"through": through}))

        threads = [threading.Thread(target=post, args=(m["id"],)) for m in drafts]
        threads += [threading.Thread(target=run, args=(d,)) for d in ("2026-06-30", "2026-12-31")]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        assert sorted(r.status_code for r in results) == [200] * 6, [r.text for r in results if r.status_code != 200]
        with db.uow(readonly=True) as uow:
            assert reconcile(uow, system_actor(tenant.company_id)).ok
        recognize(tenant, "2026-12-31")
        assert balance(tenant, "2400") == "0.00"
        with db.uow(readonly=True) as uow:
            assert reconcile(uow, system_actor(tenant.company_id)).ok

    def test_a_foreign_currency_line_moves_at_the_invoice_rate(self, db: Database, tenant: Tenant) -> None:
        cid = tenant.customer("EUR")["id"]
        line = {
            "description": "Annual subscription",
            "quantity": "1",
            "unit_price": "1200.00",
            "service_start": "2026-01-01",
            "service_end": "2026-12-31",
        }
        body = {
            "customer_id": cid,
            "currency": "EUR",
            "issue_date": "2026-01-01",
            "exchange_rate": "1.1",
            "lines": [line],
        }
        tenant.ok(tenant.post("/v1/invoices", body), 201)
        run = recognize(tenant, "2026-01-31")
        (entry,) = entries(tenant, source_type="revenue_run")
        assert (run["entries"][0]["currency"], entry["currency"], entry["exchange_rate"]) == ("EUR", "EUR", "1.1")
        assert {
            (ln["account"], ln["debit"], ln["functional_debit"]) for ln in entry["lines"] if ln["debit"] != "0.00"
        } == {("2400", "101.92", "112.11")}
        with db.uow(readonly=True) as uow:
            assert reconcile(uow, system_actor(tenant.company_id)).ok

    def test_a_bad_date_names_the_field(self, tenant: Tenant) -> None:
        problem = assert_problem(
            tenant.post("/v1/revenue/recognize", {"through": "2026-02-30"}), 422, "validation_error"
        )
        assert problem["field"] == "through"

    def test_another_company_is_untouched(self, tenant: Tenant, other: Tenant) -> None:
        annual(tenant)
        assert recognize(other, "2026-12-31")["entries"] == []
        assert len(recognize(tenant, "2026-12-31")["entries"]) == 12


class TestBadInput:
    def test_a_period_that_ends_before_it_starts_names_the_field(self, tenant: Tenant) -> None:
        cid = tenant.customer()["id"]
        line = {
            "description": "Backwards",
            "quantity": "1",
            "unit_price": "10.00",
            "service_start": "2026-02-01",
            "service_end": "2026-01-31",
        }
        body = {"customer_id": cid, "currency": "USD", "issue_date": "2026-01-01", "lines": [line]}
        problem = assert_problem(tenant.post("/v1/invoices", body), 422, "validation_error")
        assert [e["field"] for e in problem["errors"]] == ["lines[0].service_end"]


class TestReports:
    def test_deferred_revenue_per_customer_and_account_reconciles_to_the_ledger(self, tenant: Tenant) -> None:
        inv = annual(tenant)
        annual(tenant, amount="365.00", deferred_revenue_account="2400")
        recognize(tenant, "2026-03-31")
        full_credit(tenant, inv, "2026-04-01")
        report = tenant.ok(tenant.get("/v1/reports/deferred-revenue?as_of=2026-04-30"))
        assert report["reconciled"] is True
        assert report["recognized_through"] == "2026-03-31"
        assert [(r["account"], r["amount"]) for r in report["rows"]] == [("2400", "0.00"), ("2400", "275.00")]
        assert report["totals"] == [{"account": "2400", "currency": "USD", "schedules": "275.00", "ledger": "275.00"}]

    def test_the_waterfall_shows_recognized_and_the_credits_effect_per_month(self, tenant: Tenant) -> None:
        inv = annual(tenant)
        recognize(tenant, "2026-03-31")
        full_credit(tenant, inv, "2026-04-01")
        recognize(tenant, "2026-12-31")
        rows = tenant.ok(tenant.get("/v1/reports/revenue-waterfall?from=2026-01-01&to=2026-04-30"))["rows"]
        assert [(r["month"], r["recognized"], r["credits"], r["net"], r["deferred_end"]) for r in rows] == [
            ("2026-01", "101.92", "0.00", "101.92", "1098.08"),
            ("2026-02", "92.05", "0.00", "92.05", "1006.03"),
            ("2026-03", "101.92", "0.00", "101.92", "904.11"),
            ("2026-04", "0.00", "-295.89", "-295.89", "0.00"),
        ]
        assert rows[3]["credits_deferred"] == "-904.11"

    def test_a_range_that_ends_before_it_starts_names_the_field(self, tenant: Tenant) -> None:
        problem = assert_problem(
            tenant.get("/v1/reports/revenue-waterfall?from=2026-05-01&to=2026-04-30"), 422, "validation_error"
        )
        assert problem["field"] == "to"

    def test_reconcile_checks_deferred_revenue_against_the_schedules(self, db: Database, tenant: Tenant) -> None:
        inv = annual(tenant)
        recognize(tenant, "2026-03-31")
        memo = full_credit(tenant, inv, "2026-04-01")
        with db.uow(readonly=True) as uow:
            result = reconcile(uow, system_actor(tenant.company_id))
        assert result.ok, result.problems
        assert any("deferred revenue" in c for c in result.checks)
        assert memo["status"] == "posted"

    def test_the_invoice_schedule_shows_each_month_recognized_deferred_and_credited(
        self, tenant: Tenant, other: Tenant
    ) -> None:
        inv = annual(tenant)
        recognize(tenant, "2026-03-31")
        tenant.memo_from(
            inv,
            issue_date="2026-04-01",
            post=True,
            lines=[{"invoice_line_id": inv["lines"][0]["id"], "amount": "600.00"}],
        )
        (line,) = tenant.ok(tenant.get(f"/v1/invoices/{inv['id']}/revenue-schedule"))["lines"]
        assert (line["net_amount"], line["deferred_account"], len(line["months"])) == ("1200.00", "2400", 12)
        assert Decimal(line["recognized"]) + Decimal(line["deferred"]) + Decimal(line["credited"]) == Decimal("1200.00")
        assert line["credited"] == "600.00"
        jan, apr = line["months"][0], line["months"][3]
        assert (jan["amount"], jan["recognized"]) == ("101.92", "50.96")  # half credited from revenue
        assert (apr["recognized"], apr["deferred"]) == ("0.00", "49.32")
        assert_problem(other.get(f"/v1/invoices/{inv['id']}/revenue-schedule"), 404, "not_found")

    def test_an_unknown_deferred_revenue_account_names_the_field(self, tenant: Tenant) -> None:
        cid = tenant.customer()["id"]
        line = {
            "description": "Annual subscription",
            "quantity": "1",
            "unit_price": "1200.00",
            "service_start": "2026-01-01",
            "service_end": "2026-12-31",
            "deferred_revenue_account": "9999",
        }
        body = {"customer_id": cid, "currency": "USD", "issue_date": "2026-01-01", "lines": [line]}
        problem = assert_problem(tenant.post("/v1/invoices", body), 422, "validation_error")
        assert problem["field"] == "lines[0].deferred_revenue_account"
