"""Gapless document numbers (rule 6): a counter row per (company, document type), advanced inside the
creating transaction. A rollback gives the number back, so no gaps; creates of one type in one company
serialise on that row from the moment it is advanced until the commit (docs/CONCURRENCY.md).

To keep that hold short, a unit of work may *defer* its numbers (PostgreSQL, pipeline mode, an edge that
can resolve them: the API): ``Numbers.take`` then returns a token, the document's insert advances the
counter itself (a CTE in the INSERT, sent in the commit's flight), and the few texts that carry the
number (the journal entry's description, the audit event, the stored Idempotency-Key response) are
written with a server-side ``replace`` of the token by the number just inserted. No client work happens
while the counter is held. After the commit the edge reads the numbers back to finish its response."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import (
    Connection,
    Insert,
    Table,
    Text,
    bindparam,
    cast,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from creditmemo.store.tables import invoices, memos, number_sequences, payments, refunds, return_authorizations

PREFIXES: Final = {
    "invoice": "INV",
    "credit_memo": "CM",
    "debit_memo": "DM",
    "payment": "PAY",
    "refund": "RF",
    "return": "RMA",
}
TABLES: Final[Mapping[str, Table]] = {
    "invoice": invoices,
    "credit_memo": memos,
    "debit_memo": memos,
    "payment": payments,
    "refund": refunds,
    "return": return_authorizations,
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
    conn.execute(
        insert(number_sequences),
        [{"company_id": company_id, "doc_type": doc_type, "next_value": 1} for doc_type in PREFIXES],
    )


def next_number(conn: Connection, company_id: str, doc_type: str) -> str:
    value = conn.execute(_advance, {"b_company": company_id, "b_type": doc_type}).scalar_one()
    return format_number(doc_type, value - 1)


def reserve(conn: Connection, company_id: str, doc_type: str, count: int) -> list[str]:
    """``count`` consecutive numbers in one statement (a bulk import's chunk, issue 13): the counter moves once.
    Take them last, as any number (docs/CONCURRENCY.md step 5a); a rollback gives the whole range back."""
    if count <= 0:
        return []
    after = conn.execute(
        update(number_sequences)
        .where(number_sequences.c.company_id == company_id, number_sequences.c.doc_type == doc_type)
        .values(next_value=number_sequences.c.next_value + count)
        .returning(number_sequences.c.next_value)
    ).scalar_one()
    return [format_number(doc_type, value) for value in range(after - count, after)]


@dataclass(frozen=True, slots=True)
class Reservation:
    token: str
    company_id: str
    doc_type: str
    doc_id: str

    def number_sql(self) -> ColumnElement[Any]:
        """The number, read from the document's row (inserted earlier in the same transaction)."""
        table = TABLES[self.doc_type]
        return (
            select(table.c.number)
            .where(table.c.company_id == self.company_id, table.c.id == self.doc_id)
            .scalar_subquery()
        )


class Numbers:
    """The document numbers one unit of work takes: real ones, or tokens when deferred (module docstring)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.deferred = False
        self.reserved: dict[str, Reservation] = {}
        self.taken: dict[str, str] = {}  # token -> number, once committed
        self._nonce = os.urandom(6).hex()

    def take(self, company_id: str, doc_type: str, doc_id: str) -> str:
        if not self.deferred:
            return next_number(self.conn, company_id, doc_type)
        token = f"#number:{self._nonce}:{len(self.reserved)}#"
        self.reserved[token] = Reservation(token, company_id, doc_type, doc_id)
        return token

    def fill_in(self, text: str) -> str:
        """``text`` (a response written before the commit) with the numbers the commit gave its tokens."""
        return resolve(text, self.taken)

    def reservation(self, value: str | None) -> Reservation | None:
        return self.reserved.get(value) if value and self.reserved else None

    def carries(self, text: str | None) -> bool:
        return bool(self.reserved) and text is not None and "#number:" in text and self._nonce in text

    def text_sql(self, text: str, name: str) -> ColumnElement[Any]:
        """``text`` as a SQL expression with each token replaced by its document's number."""
        expr: ColumnElement[Any] = bindparam(name, text, type_=Text)
        for token, reservation in self.reserved.items():
            if token in text:
                expr = func.replace(expr, token, reservation.number_sql())
        return expr

    def queue_read_back(self, conn: Connection) -> Callable[[], dict[str, str]]:
        """In pipeline mode, queue the reads of the numbers just before the COMMIT, on a driver cursor (so
        nothing waits for them); the returned function, called after the commit, collects token -> number."""
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        cursors = []
        for token, r in self.reserved.items():
            table = TABLES[r.doc_type]
            compiled = (
                select(table.c.number)
                .where(table.c.company_id == r.company_id, table.c.id == r.doc_id)
                .compile(dialect=conn.dialect)
            )
            cursor = dbapi.cursor()
            cursor.execute(str(compiled), compiled.params)
            cursors.append((token, cursor))

        def collect() -> dict[str, str]:
            taken = {}
            for token, cursor in cursors:
                row = cursor.fetchone()
                cursor.close()
                assert row is not None, "a reserved number's document is missing after its commit"
                taken[token] = row[0]
            return taken

        return collect


def resolve(text: str, numbers: Mapping[str, str]) -> str:
    """``text`` with each deferred number's token replaced by the number it got."""
    for token, number in numbers.items():
        text = text.replace(token, number)
    return text


_numbered_inserts: dict[tuple[str, str], Insert] = {}


def numbered_insert(table: Table, doc_type: str) -> Insert:
    """INSERT of one document whose number the statement takes itself: a CTE advances the counter and the
    number is formatted from it (CM-000042) in the database. Parameters: ``v_<column>`` for each of the
    table's columns but ``number``, plus n_company and n_type. (Prefixed: a parameter named like a column of
    number_sequences, e.g. company_id, would otherwise also be SET by the UPDATE in the CTE.)"""
    key = (table.name, doc_type)
    if key not in _numbered_inserts:
        advanced = (
            update(number_sequences)
            .where(
                number_sequences.c.company_id == bindparam("n_company"),
                number_sequences.c.doc_type == bindparam("n_type"),
            )
            .values(next_value=number_sequences.c.next_value + bindparam("n_one", 1))
            .returning((number_sequences.c.next_value - bindparam("n_one2", 1)).label("value"))
            .cte("advanced")
        )
        digits = cast(advanced.c.value, Text)
        width = func.greatest(bindparam("n_width", 6), func.length(digits))
        number = bindparam("n_prefix", f"{PREFIXES[doc_type]}-", type_=Text) + func.lpad(
            digits, width, bindparam("n_zero", "0", type_=Text)
        )
        columns = [c for c in table.c if c.name != "number"]
        chosen = select(*[bindparam(f"v_{c.name}", type_=c.type) for c in columns], number).select_from(advanced)
        _numbered_inserts[key] = insert(table).from_select([*[c.name for c in columns], "number"], chosen)
    return _numbered_inserts[key]
