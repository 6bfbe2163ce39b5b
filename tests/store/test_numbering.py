"""Gapless numbering at the store level (rule 6): one counter per (company, document type), advanced in
the creating transaction, given back by a rollback."""

from __future__ import annotations

import pytest

from creditmemo.services.companies import create_company
from creditmemo.store import numbering
from creditmemo.store.uow import Database


class Boom(Exception):
    pass


def take(db: Database, company_id: str, doc_type: str) -> str:
    with db.uow() as uow:
        return numbering.next_number(uow.conn, company_id, doc_type)


def test_each_company_and_document_type_counts_on_its_own(db, company_id):
    with db.uow() as uow:
        other = create_company(uow, slug=f"{company_id[-20:]}-b".lower(), name="Other Co").id
    assert [take(db, company_id, "credit_memo") for _ in range(3)] == ["CM-000001", "CM-000002", "CM-000003"]
    assert take(db, company_id, "debit_memo") == "DM-000001"
    assert take(db, other, "credit_memo") == "CM-000001"
    assert [take(db, company_id, d) for d in ("invoice", "payment", "refund")] == [
        "INV-000001",
        "PAY-000001",
        "RF-000001",
    ]
    assert take(db, company_id, "credit_memo") == "CM-000004"


def test_a_rolled_back_transaction_gives_its_number_back(db, company_id):
    assert take(db, company_id, "credit_memo") == "CM-000001"
    taken = []

    def take_two_then_fail() -> None:
        with db.uow() as uow:
            taken.append(numbering.next_number(uow.conn, company_id, "credit_memo"))
            taken.append(numbering.next_number(uow.conn, company_id, "credit_memo"))
            raise Boom

    with pytest.raises(Boom):
        take_two_then_fail()
    assert taken == ["CM-000002", "CM-000003"]
    assert take(db, company_id, "credit_memo") == "CM-000002"


def test_format():
    assert numbering.format_number("credit_memo", 1) == "CM-000001"
    assert numbering.format_number("debit_memo", 1234567) == "DM-1234567"
