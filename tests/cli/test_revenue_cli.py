"""`creditmemo revenue recognize --through DATE [--company]` as a user runs it (the console script, both
engines): one line per month recognized, then nothing to do; `creditmemo reconcile` keeps passing."""

from __future__ import annotations

import json

from creditmemo.domain.inputs import InvoiceLineInput
from creditmemo.ids import new_id
from creditmemo.services.actors import system_actor
from creditmemo.services.companies import create_company
from creditmemo.services.customers import create_customer
from creditmemo.services.invoices import issue_invoice
from creditmemo.store.uow import Database
from tests.cli.test_sla_import import cli


def test_recognize_then_nothing_left_and_the_books_reconcile(db: Database) -> None:
    slug = new_id("rv").lower().replace("_", "-")[:40]
    with db.uow() as uow:
        company = create_company(uow, slug=slug, name="GreenField Analytics")
        actor = system_actor(company.id)
        customer = create_customer(uow, actor, name="Acme", currency="USD")
        issue_invoice(
            uow,
            actor,
            customer_id=customer.id,
            currency="USD",
            issue_date="2026-01-01",
            lines=[
                InvoiceLineInput(
                    "Annual subscription", "1", "1200.00", service_start="2026-01-01", service_end="2026-12-31"
                )
            ],
        )

    first = cli(db, "revenue", "recognize", "--through", "2026-03-31", "--company", slug, "--json")
    assert first.returncode == 0, first.stderr
    (run,) = json.loads(first.stdout)
    assert [(e["month"], e["amount"]) for e in run["entries"]] == [
        ("2026-01", "101.92"),
        ("2026-02", "92.05"),
        ("2026-03", "101.92"),
    ]

    again = cli(db, "revenue", "recognize", "--through", "2026-03-31", "--company", slug)
    assert again.returncode == 0, again.stderr
    assert f"{slug}: nothing to recognize through 2026-03-31" in again.stdout

    checked = cli(db, "reconcile", "--company", slug)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_bad_date_exits_1_naming_the_field(db: Database) -> None:
    slug = new_id("rv").lower().replace("_", "-")[:40]
    with db.uow() as uow:
        create_company(uow, slug=slug, name="Prism Telecom")
    result = cli(db, "revenue", "recognize", "--through", "2026-13-01", "--company", slug)
    assert result.returncode == 1
    assert "through" in result.stderr
