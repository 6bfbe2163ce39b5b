"""Refunds: money paid back against a credit memo's or a payment's available amount. Inserted, and marked reversed
when the money comes back (never deleted)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from creditmemo.domain.errors import NotFoundError
from creditmemo.domain.settlement import Refund, SourceType
from creditmemo.store.locking import locked
from creditmemo.store.mapping import money
from creditmemo.store.tables import memos, refunds


def refund_from_row(r: Mapping[Any, Any]) -> Refund:
    return Refund(
        id=r["id"],
        company_id=r["company_id"],
        number=r["number"],
        source_type=SourceType(r["source_type"]),
        source_id=r["source_id"],
        customer_id=r["customer_id"],
        amount=money(r["amount_minor"], r["currency"]),
        method=r["method"],
        reference=r["reference"],
        refunded_on=r["refunded_on"],
        override_reason=r["override_reason"],
        created_by=r["created_by"],
        created_at=r["created_at"],
        status=r["status"],
        reversed_on=r["reversed_on"],
        reversal_reason=r["reversal_reason"],
        reversed_by=r["reversed_by"],
    )


class RefundRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, r: Refund) -> None:
        self.conn.execute(
            insert(refunds).values(
                id=r.id,
                company_id=r.company_id,
                number=r.number,
                source_type=str(r.source_type),
                source_id=r.source_id,
                customer_id=r.customer_id,
                currency=r.amount.currency,
                amount_minor=r.amount.to_minor(),
                method=r.method,
                reference=r.reference,
                refunded_on=r.refunded_on,
                override_reason=r.override_reason,
                created_by=r.created_by,
                created_at=r.created_at,
            )
        )

    def get(self, company_id: str, refund_id: str, *, for_update: bool = False) -> Refund:
        stmt = select(refunds).where(refunds.c.company_id == company_id, refunds.c.id == refund_id)
        row = self.conn.execute(locked(stmt) if for_update else stmt).mappings().first()
        if row is None:
            raise NotFoundError("refund", refund_id)
        return refund_from_row(row)

    def for_source(self, company_id: str, source_id: str) -> list[Refund]:
        rows = (
            self.conn.execute(
                select(refunds)
                .where(
                    refunds.c.company_id == company_id,
                    refunds.c.source_id == source_id,
                )
                .order_by(refunds.c.created_at, refunds.c.id)
            )
            .mappings()
            .all()
        )
        return [refund_from_row(r) for r in rows]

    def mark_reversed(self, r: Refund, *, on: date, reason: str, by: str | None, at: datetime) -> None:
        self.conn.execute(
            update(refunds)
            .where(refunds.c.company_id == r.company_id, refunds.c.id == r.id)
            .values(status="reversed", reversed_on=on, reversal_reason=reason, reversed_by=by, reversed_at=at)
        )

    def refunded_against_invoice(self, company_id: str, invoice_id: str) -> int:
        """Minor units already refunded from credit memos issued from ``invoice_id``."""
        stmt = (
            select(func.coalesce(func.sum(refunds.c.amount_minor), 0))
            .select_from(refunds.join(memos, memos.c.id == refunds.c.source_id))
            .where(
                refunds.c.company_id == company_id,
                refunds.c.source_type == "credit_memo",
                refunds.c.status == "completed",
                memos.c.company_id == company_id,
                memos.c.invoice_id == invoice_id,
            )
        )
        return int(self.conn.execute(stmt).scalar_one())
