"""Invoice import (issue 13 item 1), service level on both engines: the invoices are issue_invoice's (same totals,
tax, journal entry, balance, audit), numbered in one gapless range; a re-run creates nothing; every bad row is
reported with its row and field and costs only its own invoice; a file that stopped half-way (a database
failure in its second chunk) is finished by running it again; unreadable files are refused whole."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.inputs import InvoiceLineInput
from creditmemo.services.actors import Actor
from creditmemo.services.audit_trail import verify_audit_chain
from creditmemo.services.customers import create_customer
from creditmemo.services.imports.invoices import ImportInterruptedError, ImportReport, import_invoices
from creditmemo.services.imports.sources import read_file
from creditmemo.services.invoices import issue_invoice
from creditmemo.services.reports import reconcile
from creditmemo.store.tables import audit_events, customers, invoices, journal_entries
from creditmemo.store.uow import Database

HEADER = "external_id,customer_external_id,customer_name,currency,issue_date,description,quantity,unit_price,tax_rate\n"


def run(db: Database, actor: Actor, text: str | bytes, **kw: object) -> ImportReport:
    data = text.encode() if isinstance(text, str) else text
    return import_invoices(db, actor, read_file(data, "csv"), **kw)  # type: ignore[arg-type]  # options by keyword


def rows(n: int, start: int = 0) -> str:
    """``n`` invoices of two lines each, for two customers created on the fly."""
    out = []
    for i in range(start, start + n):
        c = f"CRM-{i % 2}"
        out.append(f"B-{i:03d},{c},Customer {i % 2},USD,2026-03-02,Plan,1,100.00,8.25\n")
        out.append(f"B-{i:03d},{c},,USD,2026-03-02,Hours,4,50.00,\n")
    return "".join(out)


def test_imported_invoices_are_issued_like_single_ones(db: Database, controller: Actor) -> None:
    report = run(db, controller, HEADER + rows(3))
    assert (report.created, report.already_present, report.rejected, report.errors) == (3, 0, 0, [])
    assert (report.lines, report.customers_created) == (6, 2)
    with db.uow() as uow:
        by_hand = issue_invoice(
            uow,
            controller,
            customer_id=uow.customers.by_external_ids(controller.company_id, ["CRM-0"])["CRM-0"].id,
            currency="USD",
            issue_date="2026-03-02",
            lines=[InvoiceLineInput("Plan", "1", "100.00", tax_rate="8.25"), InvoiceLineInput("Hours", "4", "50.00")],
        )
    with db.uow(readonly=True) as uow:
        imported = uow.invoices.get(controller.company_id, report.invoices[0].id)
        assert (imported.subtotal, imported.tax_total, imported.total) == (
            by_hand.subtotal,
            by_hand.tax_total,
            by_hand.total,
        )
        assert [(x.net, x.tax, x.revenue_account) for x in imported.lines] == [
            (x.net, x.tax, x.revenue_account) for x in by_hand.lines
        ]
        mine = uow.journal.for_source(controller.company_id, imported.id)[0]
        theirs = uow.journal.for_source(controller.company_id, by_hand.id)[0]
        assert mine.description == f"Invoice {imported.number}"
        assert [(x.account, x.debit, x.credit) for x in mine.lines] == [
            (x.account, x.debit, x.credit) for x in theirs.lines
        ]
        # one gapless range, in file order, then the single issue
        assert [i.number for i in report.invoices] == ["INV-000001", "INV-000002", "INV-000003"]
        assert by_hand.number == "INV-000004"
        balances: dict[str, int] = dict(
            (str(r[0]), int(r[1]))
            for r in uow.conn.execute(
                select(customers.c.external_id, customers.c.balance_minor).where(
                    customers.c.company_id == controller.company_id
                )
            ).all()
        )
        assert balances == {"CRM-0": 3 * 30825, "CRM-1": 30825}  # 308.25 per invoice: two imported, one by hand
        actions = uow.conn.execute(
            select(audit_events.c.action).where(audit_events.c.company_id == controller.company_id)
        ).scalars()
        assert sorted(a for a in actions if a != "company.created") == ["customer.created"] * 2 + ["invoice.issued"] * 4
        assert reconcile(uow, controller).ok
        assert verify_audit_chain(uow, controller.company_id) is None


def test_rerunning_a_file_creates_nothing_and_says_so(db: Database, controller: Actor) -> None:
    assert run(db, controller, HEADER + rows(4), chunk_size=3).created == 4
    again = run(db, controller, HEADER + rows(4), chunk_size=3)
    assert (again.created, again.already_present, again.rejected, again.customers_created) == (0, 4, 0, 0)
    with db.uow(readonly=True) as uow:
        count = len(uow.conn.execute(select(invoices.c.id).where(invoices.c.company_id == controller.company_id)).all())
    assert count == 4


def test_the_first_half_then_the_whole_file(db: Database, controller: Actor) -> None:
    assert run(db, controller, HEADER + rows(3)).created == 3
    report = run(db, controller, HEADER + rows(6))
    assert (report.created, report.already_present, report.customers_created) == (3, 3, 0)
    assert [i.number for i in report.invoices] == ["INV-000004", "INV-000005", "INV-000006"]


def test_every_bad_row_is_reported_and_costs_only_its_invoice(db: Database, controller: Actor) -> None:
    text = (
        HEADER
        + "A-1,C1,One,USD,2026-03-02,Good,1,10.00,\n"  # row 1: fine
        + "A-2,C1,One,USD,2026-03-02,Good,1,10.00,\n"  # rows 2-3: one bad line rejects the whole invoice
        + 'A-2,C1,One,USD,2026-03-02,Bad,1,"12,50",\n'
        + "A-3,C1,One,EUR,2026-03-02,Wrong currency for C1,1,10.00,\n"  # row 4: C1 is billed in USD
        + "A-4,C2,Two,XYZ,2026-13-01,Bad,x,10.00,abc\n"  # row 5: four errors, all reported
        + "A-5,C1,One,USD,2026-03-02,Fine too,2,5.00,\n"  # row 6: fine, same chunk as the bad ones
    )
    report = run(db, controller, text)
    assert (report.created, report.rejected) == (2, 3)
    assert [i.external_id for i in report.invoices] == ["A-1", "A-5"]
    found = {(e.row, e.field, e.code) for e in report.errors}
    assert found == {
        (3, "unit_price", "invalid_decimal"),
        (4, "currency", "currency_mismatch"),
        (4, "exchange_rate", "rate_missing"),  # and no EUR rate: every error is reported
        (5, "currency", "unknown_currency"),
        (5, "issue_date", "invalid_date"),
        (5, "quantity", "invalid_decimal"),
        (5, "tax_rate", "invalid_decimal"),
    }
    assert str(next(e for e in report.errors if e.row == 3)).startswith("row 3, field unit_price: ")


def test_a_duplicated_external_id_rejects_both_invoices(db: Database, controller: Actor) -> None:
    text = (
        HEADER
        + "D-1,C1,One,USD,2026-03-02,First,1,10.00,\n"
        + "D-2,C1,One,USD,2026-03-02,Other,1,10.00,\n"
        + "D-1,C1,One,USD,2026-03-02,Again,1,10.00,\n"
    )
    report = run(db, controller, text)
    assert (report.created, report.rejected) == (1, 2)
    assert {(e.row, e.field, e.code) for e in report.errors} == {
        (1, "external_id", "duplicate"),
        (3, "external_id", "duplicate"),
    }


def test_rows_of_one_invoice_must_agree_on_its_header(db: Database, controller: Actor) -> None:
    text = HEADER + "H-1,C1,One,USD,2026-03-02,A,1,10.00,\nH-1,C1,One,USD,2026-03-09,B,1,10.00,\n"
    report = run(db, controller, text)
    assert report.created == 0
    assert [(e.row, e.field, e.code) for e in report.errors] == [(2, "issue_date", "conflict")]


def test_a_bom_quoted_newlines_and_json(db: Database, controller: Actor) -> None:
    text = "\ufeff" + HEADER + 'Q-1,C1,One,USD,2026-03-02,"Two\nlines",1,10.00,\nQ-2,C1,One,USD,2026-03-02,X,1,1.00,\n'
    report = run(db, controller, text.encode("utf-8"))
    assert (report.created, report.errors) == (2, [])
    with db.uow(readonly=True) as uow:
        assert uow.invoices.get(controller.company_id, report.invoices[0].id).lines[0].description == "Two\nlines"
        assert report.invoices[1].row == 2  # rows are records, not physical lines
    body = b'[{"external_id": "J-1", "customer_external_id": "C1", "currency": "USD", "issue_date": "2026-03-02",'
    body += b' "lines": [{"description": "A", "quantity": "1", "unit_price": "ten"}]}]'
    report = import_invoices(db, controller, read_file(body, "json"))
    assert [(e.row, e.field, e.code) for e in report.errors] == [(1, "lines[0].unit_price", "invalid_decimal")]


def test_unreadable_files_are_refused_whole(db: Database, controller: Actor) -> None:
    with pytest.raises(ValidationFailedError) as err:
        read_file(HEADER.encode() + "Z-1,C1,Café,USD,2026-03-02,X,1,1.00,\n".encode("latin-1"), "csv")
    assert (err.value.errors[0].field, err.value.errors[0].code) == ("file", "encoding")
    with pytest.raises(ValidationFailedError) as err:
        read_file(b"external_id,currency,amount\nX,USD,1\n", "csv")
    messages = {e.message for e in err.value.errors}
    assert "Missing column issue_date." in messages
    assert "Unknown column 'amount'." in messages
    with pytest.raises(ValidationFailedError):
        read_file(b'{"not": "an array"}', "json")


def test_customers_are_matched_by_external_id_and_by_id(db: Database, controller: Actor) -> None:
    with db.uow() as uow:
        known = create_customer(uow, controller, name="Known", currency="USD")
    text = (
        "external_id,customer_id,customer_external_id,customer_name,currency,issue_date,description,quantity,unit_price\n"
        f"K-1,{known.id},,,USD,2026-03-02,X,1,1.00\n"
        "K-2,,NEW-1,,USD,2026-03-02,X,1,1.00\n"  # new customer without a name
        "K-3,cus_nope,,,USD,2026-03-02,X,1,1.00\n"
    )
    report = import_invoices(db, controller, read_file(text.encode(), "csv"))
    assert report.created == 1
    assert {(e.row, e.field, e.code) for e in report.errors} == {
        (2, "customer_name", "required"),
        (3, "customer_id", "not_found"),
    }


def test_a_dry_run_checks_everything_and_keeps_nothing(db: Database, controller: Actor) -> None:
    report = run(db, controller, HEADER + rows(2) + "X-1,C1,One,USD,2026-03-02,Bad,1,-1,\n", dry_run=True)
    assert (report.dry_run, report.created, report.rejected) == (True, 2, 1)
    with db.uow(readonly=True) as uow:
        assert (
            uow.conn.execute(select(invoices.c.id).where(invoices.c.company_id == controller.company_id)).first()
            is None
        )
    assert run(db, controller, HEADER + rows(2)).invoices[0].number == "INV-000001"  # no number was used


def test_a_database_failure_mid_file_keeps_the_first_chunk_and_a_rerun_finishes(
    db: Database, controller: Actor
) -> None:
    with db.uow() as uow:
        cust = create_customer(uow, controller, name="Blocker", currency="USD")
        blocker = issue_invoice(
            uow,
            controller,
            customer_id=cust.id,
            currency="USD",
            issue_date="2026-03-01",
            lines=[InvoiceLineInput("x", "1", "1.00")],
        )
    assert blocker.number == "INV-000001"
    # The number the second chunk (invoices 3 and 4) will take is already used: its transaction fails in the database.
    with db.uow() as uow:
        uow.conn.execute(update(invoices).where(invoices.c.id == blocker.id).values(number="INV-000004"))
    with pytest.raises(ImportInterruptedError) as err:
        run(db, controller, HEADER + rows(6), chunk_size=2)
    assert err.value.report.created == 2
    assert "Run the same file again" in str(err.value)
    with db.uow() as uow:
        uow.conn.execute(update(invoices).where(invoices.c.id == blocker.id).values(number="INV-000001"))
    report = run(db, controller, HEADER + rows(6), chunk_size=2)
    assert (report.created, report.already_present, report.rejected) == (4, 2, 0)
    with db.uow(readonly=True) as uow:
        numbers = sorted(
            uow.conn.execute(select(invoices.c.number).where(invoices.c.company_id == controller.company_id)).scalars()
        )
        assert numbers == [f"INV-{n:06d}" for n in range(1, 8)]  # gapless: the failed chunk gave its range back
        sequenced = uow.conn.execute(
            select(journal_entries.c.export_seq).where(journal_entries.c.company_id == controller.company_id)
        ).scalars()
        assert sorted(sequenced) == list(range(1, 8))
        assert reconcile(uow, controller).ok


def test_several_processes_import_whole_customers_each(db: Database, controller: Actor) -> None:
    """``jobs`` on PostgreSQL (ignored on SQLite): every invoice once, numbers gapless, books and chain intact."""
    text = HEADER + "".join(
        f"P-{i:03d},CUST-{i % 5},Customer {i % 5},USD,2026-03-02,Plan,1,10.00,8.25\n" for i in range(24)
    )
    report = run(db, controller, text, chunk_size=3, jobs=2)
    assert (report.created, report.rejected, report.customers_created) == (24, 0, 5)
    again = run(db, controller, text, chunk_size=3, jobs=2)
    assert (again.created, again.already_present) == (0, 24)
    with db.uow(readonly=True) as uow:
        numbers = sorted(
            uow.conn.execute(select(invoices.c.number).where(invoices.c.company_id == controller.company_id)).scalars()
        )
        assert numbers == [f"INV-{n:06d}" for n in range(1, 25)]
        assert reconcile(uow, controller).ok
        assert verify_audit_chain(uow, controller.company_id) is None


def test_nul_characters_are_row_errors_not_database_failures(db: Database, controller: Actor) -> None:
    text = (
        HEADER
        + "N-1,C\x00,One,USD,2026-03-02,Bad\x00,1,1.00,\n"
        + "N\x00,C1,One,USD,2026-03-02,Id,1,1.00,\n"
        + "N-2,C1,One,USD,2026-03-02,Good,1,1.00,\n"
    )
    report = run(db, controller, text)
    assert report.created == 1
    assert {(e.row, e.field, e.code) for e in report.errors} == {
        (1, "customer_external_id", "invalid"),
        (1, "description", "invalid"),
        (2, "external_id", "invalid"),
    }
