"""Customers and their running balances (kept in the same transaction as every posting). A customer row
is one of the company's hot rows: balance moves are collected as deltas during the transaction and
written at commit, in customer id order, just before the audit head (docs/CONCURRENCY.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection, bindparam, insert, select, text, update

from creditmemo.domain.documents import Customer
from creditmemo.domain.errors import NotFoundError
from creditmemo.domain.legal import LegalDetails
from creditmemo.domain.terms import CreditTerms
from creditmemo.store.bulk import insert_rows
from creditmemo.store.locking import locked
from creditmemo.store.mapping import customer_from_row
from creditmemo.store.repositories.lookup import by_id_or
from creditmemo.store.tables import customers

_by_id = select(customers).where(customers.c.company_id == bindparam("b_company"), customers.c.id == bindparam("b_id"))
_by_id_locked = locked(_by_id)
_where = (customers.c.company_id == bindparam("b_company"), customers.c.id == bindparam("b_id"))
_balance = customers.c.balance_minor + bindparam("b_balance")
_available = customers.c.available_credit_minor + bindparam("b_available")
_ADJUST = {  # (balance moves, available credit moves) -> statement
    (True, False): update(customers).where(*_where).values(balance_minor=_balance),
    (False, True): update(customers).where(*_where).values(available_credit_minor=_available),
    (True, True): update(customers).where(*_where).values(balance_minor=_balance, available_credit_minor=_available),
}

# PostgreSQL: many balance moves in one statement (rows already locked in id order by add_balances).
_add_balances = text(
    "UPDATE customers SET balance_minor = customers.balance_minor + d.delta"
    " FROM unnest(CAST(:b_ids AS VARCHAR(40)[]), CAST(:b_deltas AS BIGINT[])) AS d(id, delta)"
    " WHERE customers.company_id = :b_company AND customers.id = d.id"
)


class CustomerRepository:
    def __init__(self, conn: Connection, *, row_locks: bool = False) -> None:
        self.conn = conn
        self.row_locks = row_locks
        self.pending: dict[tuple[str, str], list[int]] = {}  # (company, customer) -> [balance, available]

    def add(self, customer: Customer) -> None:
        self.conn.execute(
            insert(customers).values(
                id=customer.id,
                company_id=customer.company_id,
                name=customer.name,
                email=customer.email,
                currency=customer.currency,
                payment_terms_days=customer.payment_terms_days,
                auto_apply_credit=customer.auto_apply_credit,
                credit_terms=None if customer.credit_terms is None else customer.credit_terms.to_dict(),
                balance_minor=0,
                available_credit_minor=0,
                created_at=customer.created_at,
                **customer.legal.as_dict(),
            )
        )

    def add_many(self, new: Sequence[tuple[Customer, str | None]]) -> None:
        """Customers with their external ids (created by a bulk import, issue 13), one statement."""
        if new:
            insert_rows(
                self.conn,
                customers,
                [
                    {
                        "id": c.id,
                        "company_id": c.company_id,
                        "name": c.name,
                        "email": c.email,
                        "currency": c.currency,
                        "payment_terms_days": c.payment_terms_days,
                        "auto_apply_credit": c.auto_apply_credit,
                        "external_id": ext,
                        "balance_minor": 0,
                        "available_credit_minor": 0,
                        "created_at": c.created_at,
                    }
                    for c, ext in new
                ],
            )

    def add_balances(self, company_id: str, deltas: Mapping[str, int]) -> None:
        """Move many customers' balances at once (a bulk import's chunk, issue 13), as the last write before the
        commit (docs/CONCURRENCY.md step 5b): on PostgreSQL the rows are locked in id order by one statement,
        then moved by one statement; SQLite runs one update per customer."""
        ids = sorted(cid for cid, delta in deltas.items() if delta)
        if not ids:
            return
        if not self.row_locks:
            self.conn.execute(
                _ADJUST[True, False],
                [{"b_company": company_id, "b_id": cid, "b_balance": deltas[cid], "b_available": 0} for cid in ids],
            )
            return
        self.conn.execute(
            locked(
                select(customers.c.id)
                .where(customers.c.company_id == company_id, customers.c.id.in_(ids))
                .order_by(customers.c.id)
            )
        ).all()
        self.conn.execute(
            _add_balances, {"b_company": company_id, "b_ids": ids, "b_deltas": [deltas[cid] for cid in ids]}
        )

    def by_ids(self, company_id: str, ids: Iterable[str]) -> dict[str, Customer]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        stmt = select(customers).where(customers.c.company_id == company_id, customers.c.id.in_(wanted))
        return {r["id"]: customer_from_row(r) for r in self.conn.execute(stmt).mappings()}

    def by_external_ids(self, company_id: str, external_ids: Iterable[str]) -> dict[str, Customer]:
        """The company's customers with these external ids, by external id."""
        wanted = sorted(set(external_ids))
        if not wanted:
            return {}
        stmt = select(customers).where(customers.c.company_id == company_id, customers.c.external_id.in_(wanted))
        return {r["external_id"]: customer_from_row(r) for r in self.conn.execute(stmt).mappings()}

    def find(self, company_id: str, ref: str) -> str | None:
        """The id of the customer named ``ref`` or with that id."""
        row = by_id_or(self.conn, customers, company_id, ref, customers.c.name)
        return None if row is None else str(row[0])

    def get(self, company_id: str, customer_id: str, *, for_update: bool = False) -> Customer:
        """``for_update`` locks the row (a hot row: take it only where docs/CONCURRENCY.md allows, i.e. after
        every document lock). Deltas this transaction collected for the customer are written first."""
        if (company_id, customer_id) in self.pending:
            self.flush()
        stmt = _by_id_locked if for_update and self.row_locks else _by_id
        row = self.conn.execute(stmt, {"b_company": company_id, "b_id": customer_id}).mappings().first()
        if row is None:
            raise NotFoundError("customer", customer_id)
        return customer_from_row(row)

    def credit_terms(self, company_id: str, customer_id: str) -> CreditTerms | None:
        """The customer's own credit terms, read alone: no lock, and no flush of the balance deltas collected
        so far (a posting reads them mid-transaction; its customer row is written at commit, docs/CONCURRENCY.md)."""
        stored = self.conn.execute(
            select(customers.c.credit_terms).where(customers.c.company_id == company_id, customers.c.id == customer_id)
        ).scalar_one_or_none()
        return CreditTerms.stored(stored)

    def list(self, company_id: str, *, limit: int = 100, after: str | None = None) -> list[Customer]:
        stmt = select(customers).where(customers.c.company_id == company_id)
        if after:
            stmt = stmt.where(customers.c.id > after)
        rows = self.conn.execute(stmt.order_by(customers.c.id).limit(limit)).mappings().all()
        return [customer_from_row(r) for r in rows]

    def adjust(self, company_id: str, customer_id: str, *, balance: int = 0, available_credit: int = 0) -> None:
        """Add deltas (minor units), written by ``flush`` at commit as ``SET x = x + delta``: no
        read-modify-write, so racing posts cannot lose one, and the row is locked only at the end."""
        if balance or available_credit:
            delta = self.pending.setdefault((company_id, customer_id), [0, 0])
            delta[0] += balance
            delta[1] += available_credit

    def flush(self) -> None:
        """Write the collected deltas, in (company, customer) order so two transactions touching the same
        customers lock them in the same order."""
        pending, self.pending = self.pending, {}
        for (company_id, customer_id), (balance, available) in sorted(pending.items()):
            if balance or available:
                self.conn.execute(
                    _ADJUST[bool(balance), bool(available)],
                    {"b_company": company_id, "b_id": customer_id, "b_balance": balance, "b_available": available},
                )

    def update_fields(self, company_id: str, customer_id: str, values: dict[str, object]) -> None:
        """Write changed profile fields (name, email, payment terms, credit terms as a dict or None)."""
        if values:
            self.conn.execute(
                update(customers)
                .where(customers.c.company_id == company_id, customers.c.id == customer_id)
                .values(**values)
            )

    def set_auto_apply_credit(self, company_id: str, customer_id: str, value: bool | None) -> None:
        self.conn.execute(
            update(customers)
            .where(customers.c.company_id == company_id, customers.c.id == customer_id)
            .values(auto_apply_credit=value)
        )

    def set_legal_details(self, company_id: str, customer_id: str, legal: LegalDetails) -> None:
        self.conn.execute(
            update(customers)
            .where(customers.c.company_id == company_id, customers.c.id == customer_id)
            .values(**legal.as_dict())
        )
