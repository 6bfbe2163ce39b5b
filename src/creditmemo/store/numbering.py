"""Gapless document numbers (rule 6): a counter row per (company, document type), advanced inside the
creating transaction. A rollback gives the number back, so no gaps; creates of one type in one
company serialise on that row until commit."""

from __future__ import annotations

from typing import Final

from sqlalchemy import Connection, bindparam, insert, update

from creditmemo.store.tables import number_sequences

PREFIXES: Final = {
    "invoice": "INV", "credit_memo": "CM", "debit_memo": "DM", "payment": "PAY", "refund": "RF",
}


_advance = (
    update(number_sequences)
    .where(number_sequences.c.company_id == bindparam("b_company"), number_sequences.c.doc_type == bindparam("b_type"))
    .values(next_value=number_sequences.c.next_value + 1)
    .returning(number_sequences.c.next_value)
)


def format_number(doc_type: str, value: int) -> str:
    return f"{PREFIXES[doc_type]}-{value:06d}"


def seed_sequences(conn: Connection, company_id: str) -> None:
    conn.execute(insert(number_sequences), [
        {"company_id": company_id, "doc_type": doc_type, "next_value": 1} for doc_type in PREFIXES
    ])


def next_number(conn: Connection, company_id: str, doc_type: str) -> str:
    value = conn.execute(_advance, {"b_company": company_id, "b_type": doc_type}).scalar_one()
    return format_number(doc_type, value - 1)
