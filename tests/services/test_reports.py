"""Reports: customer statement, AR aging, credit memo register, trial balance, reconciliation
(issue 3 item 7). Both engines; each test's company holds only its own documents."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from creditmemo.domain.errors import NotFoundError, ValidationFailedError
from creditmemo.domain.inputs import FreeLineInput
from creditmemo.domain.money import Money
from creditmemo.domain.settlement import AllocationInput, bucket_for
from creditmemo.services.invoices import issue_invoice
from creditmemo.services.memos.create import create_debit_memo, create_standalone_credit_memo
from creditmemo.services.memos.post import post_memo
from creditmemo.services.reports import (
    AgingRow,
    ar_aging,
    credit_memo_register,
    customer_statement,
    reconcile,
    trial_balance,
)
from creditmemo.services.settlement.applications import apply_credit
from creditmemo.services.settlement.payments import record_payment
from creditmemo.services.settlement.refunds import refund
from creditmemo.store.tables import customers, invoices, journal_lines
from tests.builders import credit, customer, line, post

AS_OF = date(2026, 4, 30)


def usd(s: str) -> Money:
    return Money(Decimal(s), "USD")


def issue(db, actor, customer_id, price, issued, due=None):
    with db.uow() as uow:
        return issue_invoice(
            uow,
            actor,
            customer_id=customer_id,
            currency="USD",
            issue_date=issued,
            due_date=due,
            lines=[line("1", price)],
        )


def pay(db, actor, customer_id, amount, on, *allocs):
    with db.uow() as uow:
        p = record_payment(
            uow, actor, customer_id=customer_id, amount=amount, currency="USD", received_on=on, method="wire"
        )
        if allocs:
            apply_credit(uow, actor, source_type="payment", source_id=p.id, allocations=list(allocs), on=on)
    return p


def memo(db, actor, customer_id, price, issued, reason="goodwill", post_it=True):
    with db.uow() as uow:
        m = create_standalone_credit_memo(
            uow,
            actor,
            customer_id=customer_id,
            currency="USD",
            reason_code=reason,
            issue_date=issued,
            lines=[FreeLineInput("Credit", "1", price)],
        )
        return post_memo(uow, actor, m.id) if post_it else m


class TestCustomerStatement:
    def test_opening_every_document_and_settlement_closing(self, db, controller):
        cus = customer(db, controller)
        i1 = issue(db, controller, cus.id, "100.00", date(2026, 1, 10))
        i2 = issue(db, controller, cus.id, "200.00", date(2026, 2, 5))
        pay(
            db,
            controller,
            cus.id,
            "150.00",
            date(2026, 2, 10),
            AllocationInput("invoice", i1.id, "100.00"),
            AllocationInput("invoice", i2.id, "50.00"),
        )
        m = memo(db, controller, cus.id, "30.00", date(2026, 2, 20))
        with db.uow() as uow:
            refund(
                uow,
                controller,
                source_type="credit_memo",
                source_id=m.id,
                amount="10.00",
                method="ach",
                refunded_on=date(2026, 2, 25),
                override_reason="statement test",
            )
        issue(db, controller, cus.id, "70.00", date(2026, 3, 3))  # after the period
        with db.uow(readonly=True) as uow:
            st = customer_statement(uow, controller, cus.id, start="2026-02-01", end="2026-02-28")
        assert st.opening_balance == usd("100.00")
        assert [
            (line.kind, line.number, str(line.debit.amount), str(line.credit.amount), str(line.balance.amount))
            for line in st.lines
        ] == [
            ("invoice", i2.number, "200.00", "0.00", "300.00"),
            ("payment", "PAY-000001", "0.00", "150.00", "150.00"),
            ("application", "PAY-000001", "0.00", "0.00", "150.00"),
            ("application", "PAY-000001", "0.00", "0.00", "150.00"),
            ("credit_memo", m.number, "0.00", "30.00", "120.00"),
            ("refund", "RF-000001", "10.00", "0.00", "130.00"),
        ]
        assert st.closing_balance == usd("130.00")
        assert st.balance_now == usd("200.00")  # includes the March invoice
        assert sorted(line.description for line in st.lines[2:4]) == [
            f"PAY-000001 applied to {i1.number}: 100.00",
            f"PAY-000001 applied to {i2.number}: 50.00",
        ]

    def test_closing_over_all_time_equals_the_customer_balance(self, db, controller):
        cus = customer(db, controller)
        issue(db, controller, cus.id, "100.00", date(2026, 1, 10))
        memo(db, controller, cus.id, "25.00", date(2026, 1, 12))
        with db.uow(readonly=True) as uow:
            st = customer_statement(uow, controller, cus.id, start="2000-01-01", end="2099-12-31")
            balance = uow.customers.get(controller.company_id, cus.id).balance
        assert (st.opening_balance, st.closing_balance, balance) == (usd("0.00"), usd("75.00"), usd("75.00"))

    def test_period_must_not_end_before_it_starts(self, db, controller):
        cus = customer(db, controller)
        with pytest.raises(ValidationFailedError) as err, db.uow(readonly=True) as uow:
            customer_statement(uow, controller, cus.id, start="2026-02-01", end="2026-01-01")
        assert err.value.field == "end"


class TestArAging:
    def test_bucket_boundaries_in_days_past_due(self):
        assert [bucket_for(AS_OF - timedelta(days=d), AS_OF) for d in (-5, 0, 1, 30, 31, 60, 61, 90, 91)] == [
            "current",
            "current",
            "days_1_30",
            "days_1_30",
            "days_31_60",
            "days_31_60",
            "days_61_90",
            "days_61_90",
            "days_over_90",
        ]

    def test_buckets_per_customer_and_total_with_credits_shown_separately(self, db, controller):
        acme = customer(db, controller, name="Acme")
        zeta = customer(db, controller, name="Zeta")
        issued = date(2025, 12, 1)
        for days, price in ((0, "100.00"), (30, "200.00"), (31, "300.00"), (90, "400.00"), (91, "500.00")):
            issue(db, controller, acme.id, price, issued, AS_OF - timedelta(days=days))
        part = issue(db, controller, zeta.id, "80.00", issued, AS_OF - timedelta(days=45))
        pay(db, controller, zeta.id, "30.00", date(2026, 4, 1), AllocationInput("invoice", part.id, "30.00"))
        paid = issue(db, controller, zeta.id, "60.00", issued, AS_OF - timedelta(days=10))
        pay(db, controller, zeta.id, "60.00", date(2026, 4, 1), AllocationInput("invoice", paid.id, "60.00"))
        issue(db, controller, zeta.id, "999.00", date(2026, 5, 1))  # issued after as_of: not aged
        with db.uow() as uow:
            dm = create_debit_memo(
                uow,
                controller,
                customer_id=zeta.id,
                currency="USD",
                reason_code="chargeback",
                issue_date="2026-04-20",
                lines=[FreeLineInput("Charge-back", "1", "15.00")],
            )
            post_memo(uow, controller, dm.id)
        memo(db, controller, acme.id, "40.00", date(2026, 4, 2))  # unapplied credit
        memo(db, controller, acme.id, "5.00", date(2026, 4, 3), post_it=False)  # draft: nothing
        with db.uow(readonly=True) as uow:
            aging = ar_aging(uow, controller, as_of=AS_OF)
        a, z = aging.rows
        assert (a.customer_name, z.customer_name) == ("Acme", "Zeta")

        def buckets(r: AgingRow) -> list[str]:
            return [str(x.amount) for x in (r.current, r.days_1_30, r.days_31_60, r.days_61_90, r.days_over_90)]

        assert buckets(a) == ["100.00", "200.00", "300.00", "400.00", "500.00"]
        assert (a.total_due, a.unapplied_credit, a.net, a.open_documents) == (
            usd("1500.00"),
            usd("40.00"),
            usd("1460.00"),
            5,
        )
        assert buckets(z) == ["0.00", "15.00", "50.00", "0.00", "0.00"]
        assert (z.total_due, z.open_documents) == (usd("65.00"), 2)
        [total] = aging.totals
        assert buckets(total) == ["100.00", "215.00", "350.00", "400.00", "500.00"]
        assert (total.currency, total.total_due, total.unapplied_credit) == ("USD", usd("1565.00"), usd("40.00"))


class TestCreditMemoRegister:
    def test_filters_and_totals(self, db, controller):
        acme = customer(db, controller, name="Acme")
        other = customer(db, controller, name="Other")
        memo(db, controller, acme.id, "10.00", date(2026, 1, 5), reason="goodwill")
        memo(db, controller, acme.id, "20.00", date(2026, 2, 5), reason="promotion")
        memo(db, controller, other.id, "40.00", date(2026, 2, 6), reason="goodwill")
        memo(db, controller, acme.id, "80.00", date(2026, 2, 7), reason="goodwill", post_it=False)
        with db.uow(readonly=True) as uow:
            everything = credit_memo_register(uow, controller)
            feb = credit_memo_register(uow, controller, start="2026-02-01", end="2026-02-28")
            goodwill_posted = credit_memo_register(uow, controller, reason_code="goodwill", status="posted")
            acme_only = credit_memo_register(uow, controller, customer_id=acme.id)
        assert [r.total.amount for r in everything.rows] == [Decimal(x) for x in ("10.00", "20.00", "40.00", "80.00")]
        [t] = everything.totals
        assert (t.count, t.total, t.currency) == (4, usd("150.00"), "USD")
        assert [r.total for r in feb.rows] == [usd("20.00"), usd("40.00"), usd("80.00")]
        assert [(r.customer_name, r.total) for r in goodwill_posted.rows] == [
            ("Acme", usd("10.00")),
            ("Other", usd("40.00")),
        ]
        assert goodwill_posted.totals[0].total == usd("50.00")
        assert acme_only.totals[0].count == 3
        assert everything.rows[3].amount_available == usd("0.00")  # a draft holds no money
        assert not everything.truncated


class TestTrialBalance:
    def test_from_journal_lines_and_balanced(self, db, controller):
        cus = customer(db, controller)
        inv = issue(db, controller, cus.id, "100.00", date(2026, 1, 10))
        pay(db, controller, cus.id, "100.00", date(2026, 2, 1), AllocationInput("invoice", inv.id, "100.00"))
        with db.uow(readonly=True) as uow:
            tb = trial_balance(uow, controller)
            jan = trial_balance(uow, controller, as_of="2026-01-31")
        assert tb.balanced
        assert jan.balanced
        assert [(r.account, str(r.debit.amount), str(r.credit.amount)) for r in tb.rows] == [
            ("1100", "100.00", "0.00"),
            ("1200", "100.00", "100.00"),
            ("4000", "0.00", "100.00"),
        ]
        assert [(r.account, str(r.balance.amount)) for r in jan.rows] == [("1200", "100.00"), ("4000", "-100.00")]


class TestReconcile:
    def _busy_company(self, db, controller):
        cus = customer(db, controller)
        inv = issue(db, controller, cus.id, "300.00", date(2026, 1, 10))
        posted = post(
            db,
            controller,
            credit(db, controller, inv, [__import__("tests.builders").builders.by_amount(inv, 0, "50.00")]),
        )
        pay(db, controller, cus.id, "100.00", date(2026, 2, 1), AllocationInput("invoice", inv.id, "100.00"))
        m = memo(db, controller, cus.id, "500.00", date(2026, 2, 2))
        with db.uow() as uow:
            refund(uow, controller, source_type="credit_memo", source_id=m.id, amount="100.00", method="ach")
        return cus, inv, posted

    def test_ok_after_settlements(self, db, controller):
        self._busy_company(db, controller)
        with db.uow(readonly=True) as uow:
            result = reconcile(uow, controller)
        assert (result.ok, result.problems) == (True, ())

    def test_reports_a_customer_balance_that_drifted(self, db, controller):
        cus, _, _ = self._busy_company(db, controller)
        with db.uow() as uow:
            uow.conn.execute(
                update(customers).where(customers.c.id == cus.id).values(balance_minor=customers.c.balance_minor + 1)
            )
        with db.uow(readonly=True) as uow:
            result = reconcile(uow, controller)
        assert not result.ok
        assert any(p.startswith("AR control account 1200") for p in result.problems)
        assert any(p.startswith("customer Acme: balance") for p in result.problems)

    def test_reports_running_totals_that_disagree_with_records(self, db, controller):
        _, inv, _ = self._busy_company(db, controller)
        with db.uow() as uow:
            uow.conn.execute(
                update(invoices)
                .where(invoices.c.id == inv.id)
                .values(amount_paid_minor=invoices.c.amount_paid_minor - 1)
            )
        with db.uow(readonly=True) as uow:
            result = reconcile(uow, controller)
        assert [p for p in result.problems if p.startswith("invoice")] == [
            f"invoice {inv.number}: stored credited/paid 5000/9999, records say 5000/10000 (minor units)"
        ]

    def test_reports_an_unbalanced_entry(self, db, controller):
        _, _inv, _ = self._busy_company(db, controller)
        with db.uow() as uow:
            uow.conn.execute(
                update(journal_lines)
                .where(journal_lines.c.company_id == controller.company_id, journal_lines.c.account_code == "4000")
                .values(credit_minor=journal_lines.c.credit_minor + 7)
            )
        with db.uow(readonly=True) as uow:
            result = reconcile(uow, controller)
        assert any("does not balance" in p for p in result.problems)


class TestReportsFromTheCli:
    """The reports and the reconciliation are reachable from the CLI; reconcile exits 1 on a problem."""

    def _cli(self, db, controller, *args: str):
        from typer.testing import CliRunner

        from creditmemo.cli import app

        with db.uow(readonly=True) as uow:
            slug = uow.companies.get(controller.company_id).slug
        url = db.engine.url.render_as_string(hide_password=False)
        return CliRunner().invoke(app, [*args, "--company", slug, "--database-url", url])

    def test_reconcile_exit_status_and_json_reports(self, db, controller):
        import json

        cus = customer(db, controller, name="Cli Co")
        inv = issue(db, controller, cus.id, "100.00", date(2026, 1, 10))
        pay(db, controller, cus.id, "40.00", date(2026, 2, 1), AllocationInput("invoice", inv.id, "40.00"))
        ok = self._cli(db, controller, "reconcile")
        assert ok.exit_code == 0, ok.output
        aging = json.loads(self._cli(db, controller, "report", "aging", "--as-of", "2026-04-30", "--json").stdout)
        assert aging["totals"][0]["days_61_90"] == "60.00"
        st = json.loads(
            self._cli(
                db,
                controller,
                "report",
                "statement",
                "Cli Co",
                "--start",
                "2026-01-01",
                "--end",
                "2026-12-31",
                "--json",
            ).stdout
        )
        assert (st["opening_balance"], st["closing_balance"]) == ("0.00", "60.00")
        tb = json.loads(self._cli(db, controller, "report", "trial-balance", "--json").stdout)
        assert tb["balanced"] is True
        assert self._cli(db, controller, "report", "register", "--json").exit_code == 0
        with db.uow() as uow:
            uow.conn.execute(
                update(customers).where(customers.c.id == cus.id).values(balance_minor=customers.c.balance_minor + 1)
            )
        bad = self._cli(db, controller, "reconcile")
        assert bad.exit_code == 1


class TestCompanyIsolation:
    def test_reports_see_only_their_own_company(self, db, controller):
        from creditmemo.ids import new_id
        from creditmemo.services.actors import system_actor
        from creditmemo.services.companies import create_company

        with db.uow() as uow:
            other = system_actor(create_company(uow, slug=new_id("o").lower().replace("_", "-")[:40], name="Other").id)
        theirs = customer(db, other, name="Theirs")
        issue(db, other, theirs.id, "900.00", date(2026, 1, 1))
        memo(db, other, theirs.id, "50.00", date(2026, 1, 2))
        mine = customer(db, controller, name="Mine")
        issue(db, controller, mine.id, "100.00", date(2026, 1, 1))
        with db.uow(readonly=True) as uow:
            aging = ar_aging(uow, controller, as_of=AS_OF)
            register = credit_memo_register(uow, controller)
            tb = trial_balance(uow, controller)
            result = reconcile(uow, controller)
            with pytest.raises(NotFoundError) as err:
                customer_statement(uow, controller, theirs.id, start="2026-01-01", end="2026-12-31")
        assert [r.customer_name for r in aging.rows] == ["Mine"]
        assert (register.rows, register.totals) == ((), ())
        assert [(r.account, str(r.balance.amount)) for r in tb.rows] == [("1200", "100.00"), ("4000", "-100.00")]
        assert result.ok
        assert err.value.code == "not_found"
