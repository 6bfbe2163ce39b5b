"""Payments (recorded receipts) and their running applied / refunded totals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, insert, select, update

from creditmemo.domain.errors import NotFoundError
from creditmemo.domain.settlement import Payment
from creditmemo.store.locking import locked
from creditmemo.store.mapping import later_release, money
from creditmemo.store.repositories.listing import keyset_page
from creditmemo.store.repositories.lookup import by_id_or
from creditmemo.store.tables import payments


def payment_from_row(r: Mapping[Any, Any]) -> Payment:
    cur = r["currency"]
    return Payment(
        id=r["id"],
        company_id=r["company_id"],
        number=r["number"],
        customer_id=r["customer_id"],
        currency=cur,
        exchange_rate=r["exchange_rate"],
        amount=money(r["amount_minor"], cur),
        amount_applied=money(r["amount_applied_minor"], cur),
        amount_refunded=money(r["amount_refunded_minor"], cur),
        received_on=r["received_on"],
        method=r["method"],
        reference=r["reference"],
        status=r["status"],
        created_by=r["created_by"],
        created_at=r["created_at"],
        metadata=dict(r["metadata"] or {}),
        released_on=r["released_on"],
    )


class PaymentRepository:
    def __init__(self, conn: Connection, *, row_locks: bool) -> None:
        self.conn = conn
        self.row_locks = row_locks

    def add(self, p: Payment) -> None:
        self.conn.execute(
            insert(payments).values(
                id=p.id,
                company_id=p.company_id,
                number=p.number,
                customer_id=p.customer_id,
                currency=p.currency,
                exchange_rate=p.exchange_rate,
                amount_minor=p.amount.to_minor(),
                amount_applied_minor=p.amount_applied.to_minor(),
                amount_refunded_minor=p.amount_refunded.to_minor(),
                received_on=p.received_on,
                method=p.method,
                reference=p.reference,
                status=p.status,
                created_by=p.created_by,
                created_at=p.created_at,
                metadata=dict(p.metadata),
            )
        )

    def save_metadata(self, company_id: str, doc_id: str, metadata: dict[str, str]) -> None:
        """The metadata alone (issue 17): nothing else of an issued document changes."""
        self.conn.execute(
            update(payments)
            .where(payments.c.company_id == company_id, payments.c.id == doc_id)
            .values(metadata=metadata)
        )

    def find(self, company_id: str, ref: str) -> str | None:
        """The id of the payment numbered ``ref`` (PAY-000001) or with that id."""
        row = by_id_or(self.conn, payments, company_id, ref, payments.c.number)
        return None if row is None else str(row[0])

    def get(self, company_id: str, payment_id: str, *, for_update: bool = False) -> Payment:
        stmt = select(payments).where(payments.c.company_id == company_id, payments.c.id == payment_id)
        if for_update and self.row_locks:
            stmt = locked(stmt)
        row = self.conn.execute(stmt).mappings().first()
        if row is None:
            raise NotFoundError("payment", payment_id)
        return payment_from_row(row)

    def open_ids(self, company_id: str, customer_id: str, currency: str) -> list[str]:
        """A customer's payments in a currency with money not yet applied or refunded, oldest first (unlocked:
        the caller locks the ones it uses with ``lock_many``)."""
        c = payments.c
        available = c.amount_minor - c.amount_applied_minor - c.amount_refunded_minor
        stmt = (
            select(c.id)
            .where(c.company_id == company_id, c.customer_id == customer_id, c.currency == currency, available > 0)
            .order_by(c.received_on, c.number)
        )
        return list(self.conn.execute(stmt).scalars())

    def lock_many(self, company_id: str, ids: Sequence[str], *, lock: bool = True) -> dict[str, Payment]:
        """Payments locked in id order (several credit sources of one transaction, docs/CONCURRENCY.md step 1);
        ``lock`` False: read only (a preview)."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        stmt = (
            select(payments)
            .where(payments.c.company_id == company_id, payments.c.id.in_(wanted))
            .order_by(payments.c.id)
        )
        if self.row_locks and lock:
            stmt = locked(stmt)
        found = {r["id"]: payment_from_row(r) for r in self.conn.execute(stmt).mappings()}
        for payment_id in wanted:
            if payment_id not in found:
                raise NotFoundError("payment", payment_id)
        return found

    def adjust(
        self, company_id: str, payment_id: str, *, applied: int = 0, refunded: int = 0, released_on: date | None = None
    ) -> None:
        """Add to a payment's applied and refunded totals; ``released_on``: an unapplication's or a refund reversal's
        date, which moves the payment's latest release date too (migration 0027)."""
        stmt = (
            update(payments)
            .where(payments.c.company_id == company_id, payments.c.id == payment_id)
            .values(
                amount_applied_minor=payments.c.amount_applied_minor + applied,
                amount_refunded_minor=payments.c.amount_refunded_minor + refunded,
            )
        )
        if released_on is None:
            self.conn.execute(stmt)
        else:
            self.conn.execute(
                stmt.values(released_on=later_release(payments.c.released_on)), {"b_released": released_on}
            )

    def page(
        self,
        company_id: str,
        *,
        filters: dict[str, object],
        sort: str = "-id",
        starting_after: str | None = None,
        limit: int = 20,
    ) -> tuple[list[Payment], bool]:
        """A page of payments (keyset, like every list of /v1)."""
        c = payments.c
        where = [
            col == filters[name]
            for name, col in (("customer_id", c.customer_id), ("number", c.number))
            if filters.get(name) is not None
        ]
        if filters.get("received_from") is not None:
            where.append(c.received_on >= filters["received_from"])
        if filters.get("received_to") is not None:
            where.append(c.received_on <= filters["received_to"])
        rows, more = keyset_page(
            self.conn,
            payments,
            company_id,
            where,
            sort=sort,
            starting_after=starting_after,
            limit=limit,
            columns={"id": c.id, "number": c.number, "received_on": c.received_on, "amount": c.amount_minor},
        )
        return [payment_from_row(r) for r in rows], more
