"""Customers and their running balances (kept in the same transaction as every posting)."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, insert, select, update

from creditmemo.domain.documents import Customer
from creditmemo.domain.errors import NotFoundError
from creditmemo.store.mapping import customer_from_row
from creditmemo.store.tables import customers


_by_id = select(customers).where(customers.c.company_id == bindparam("b_company"), customers.c.id == bindparam("b_id"))
_where = (customers.c.company_id == bindparam("b_company"), customers.c.id == bindparam("b_id"))
_balance = customers.c.balance_minor + bindparam("b_balance")
_available = customers.c.available_credit_minor + bindparam("b_available")
_ADJUST = {  # (balance moves, available credit moves) -> statement
    (True, False): update(customers).where(*_where).values(balance_minor=_balance),
    (False, True): update(customers).where(*_where).values(available_credit_minor=_available),
    (True, True): update(customers).where(*_where).values(balance_minor=_balance, available_credit_minor=_available),
}


class CustomerRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, customer: Customer) -> None:
        self.conn.execute(insert(customers).values(
            id=customer.id, company_id=customer.company_id, name=customer.name, email=customer.email,
            currency=customer.currency, payment_terms_days=customer.payment_terms_days,
            balance_minor=0, available_credit_minor=0, created_at=customer.created_at))

    def get(self, company_id: str, customer_id: str) -> Customer:
        row = self.conn.execute(_by_id, {"b_company": company_id, "b_id": customer_id}).mappings().first()
        if row is None:
            raise NotFoundError("customer", customer_id)
        return customer_from_row(row)

    def list(self, company_id: str, *, limit: int = 100, after: str | None = None) -> list[Customer]:
        stmt = select(customers).where(customers.c.company_id == company_id)
        if after:
            stmt = stmt.where(customers.c.id > after)
        rows = self.conn.execute(stmt.order_by(customers.c.id).limit(limit)).mappings().all()
        return [customer_from_row(r) for r in rows]

    def adjust(self, company_id: str, customer_id: str, *, balance: int = 0, available_credit: int = 0) -> None:
        """Add deltas (minor units) atomically: no read-modify-write, so racing posts cannot lose one."""
        if balance or available_credit:
            self.conn.execute(_ADJUST[bool(balance), bool(available_credit)], {
                "b_company": company_id, "b_id": customer_id, "b_balance": balance, "b_available": available_credit})
