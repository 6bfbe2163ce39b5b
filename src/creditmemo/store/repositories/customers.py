"""Customers and their running balances (kept in the same transaction as every posting). A customer row
is one of the company's hot rows: balance moves are collected as deltas during the transaction and
written at commit, in customer id order, just before the audit head (docs/CONCURRENCY.md)."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, insert, select, update

from creditmemo.domain.documents import Customer
from creditmemo.domain.errors import NotFoundError
from creditmemo.domain.legal import LegalDetails
from creditmemo.domain.terms import CreditTerms
from creditmemo.store.locking import locked
from creditmemo.store.mapping import customer_from_row
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
