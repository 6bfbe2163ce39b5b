"""Customers and their running balances (kept in the same transaction as every posting)."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from creditmemo.domain.documents import Customer
from creditmemo.domain.errors import NotFoundError
from creditmemo.store.mapping import customer_from_row
from creditmemo.store.tables import customers


class CustomerRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, customer: Customer) -> None:
        self.conn.execute(insert(customers).values(
            id=customer.id, company_id=customer.company_id, name=customer.name, email=customer.email,
            currency=customer.currency, payment_terms_days=customer.payment_terms_days,
            balance_minor=0, available_credit_minor=0, created_at=customer.created_at))

    def get(self, company_id: str, customer_id: str) -> Customer:
        row = self.conn.execute(select(customers).where(
            customers.c.company_id == company_id, customers.c.id == customer_id)).mappings().first()
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
        values = {}
        if balance:
            values["balance_minor"] = customers.c.balance_minor + balance
        if available_credit:
            values["available_credit_minor"] = customers.c.available_credit_minor + available_credit
        if values:
            self.conn.execute(update(customers).where(
                customers.c.company_id == company_id, customers.c.id == customer_id).values(**values))
