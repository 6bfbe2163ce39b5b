"""Applications, refunds and payments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import Path, Query
from pydantic import Field

from creditmemo.api.schemas.common import Currency, DecimalStr, Id, In, Metadata, MoneyStr, Out, ShortText, dec, money
from creditmemo.api.schemas.memos import DateStr
from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.settlement import AllocationInput, Application, Payment, Refund
from creditmemo.services.actors import Actor
from creditmemo.services.settlement import applications, refunds
from creditmemo.store.uow import UnitOfWork


class AllocationIn(In):
    """Exactly one of ``invoice_id`` and ``debit_memo_id``."""

    invoice_id: Id | None = None
    debit_memo_id: Id | None = None
    amount: MoneyStr
    take_discount: bool | None = Field(
        None,
        description="A payment to an invoice on or before its discount date: true takes the settlement discount "
        "(the amount must be exactly the amount due less the discount; after the date: 422 discount_expired); "
        "omitted: taken when the amount is exactly that; false: never.",
    )


ApplicationId = Annotated[str, Path(max_length=40)]
UnappliedOn = Annotated[str | None, Query(max_length=10, description="The unapplication's date (default today).")]


class ApplicationCreate(In):
    model_config = In.model_config | {
        "json_schema_extra": {"examples": [{"allocations": [{"invoice_id": "inv_01jd…", "amount": "100.00"}]}]}
    }
    allocations: Annotated[list[AllocationIn], Field(min_length=1, max_length=1000)]
    applied_on: DateStr | None = None

    def check(self) -> None:
        """Each allocation names exactly one target (refused before the transaction opens)."""
        for i, a in enumerate(self.allocations):
            if (a.invoice_id is None) == (a.debit_memo_id is None):
                raise ValidationFailedError.single(
                    f"allocations[{i}]", "Give exactly one of invoice_id, debit_memo_id.", "one_target"
                )

    def apply(self, uow: UnitOfWork, actor: Actor, source_type: str, source_id: str) -> list[ApplicationOut]:
        """This request's applications of the credit memo or payment, as the API answers them."""
        self.check()
        allocations = [
            AllocationInput(
                "invoice" if a.invoice_id is not None else "debit_memo",
                a.invoice_id if a.invoice_id is not None else a.debit_memo_id,
                a.amount,
                a.take_discount,
            )
            for a in self.allocations
        ]
        made = applications.apply_credit(
            uow, actor, source_type=source_type, source_id=source_id, allocations=allocations, on=self.applied_on
        )
        return [ApplicationOut.of(a) for a in made]


class ApplicationOut(Out):
    object: str = "application"
    id: str
    credit_memo_id: str | None
    payment_id: str | None
    invoice_id: str | None
    debit_memo_id: str | None
    customer_id: str
    amount: MoneyStr
    discount: MoneyStr = Field(
        "0", description="Settlement discount taken: the target is settled by amount + discount."
    )
    currency: str
    status: str
    applied_on: date
    created_at: datetime | None
    reversed_at: datetime | None
    reversed_on: date | None = Field(None, description="The unapplication's date (null while active).")

    @classmethod
    def of(cls, a: Application) -> ApplicationOut:
        src, tgt = str(a.source_type), str(a.target_type)
        return cls(
            id=a.id,
            credit_memo_id=a.source_id if src == "credit_memo" else None,
            payment_id=a.source_id if src == "payment" else None,
            invoice_id=a.target_id if tgt == "invoice" else None,
            debit_memo_id=a.target_id if tgt == "debit_memo" else None,
            customer_id=a.customer_id,
            amount=money(a.amount),
            discount=money(a.discount_taken),
            currency=a.currency,
            status=str(a.status),
            applied_on=a.applied_on,
            created_at=a.created_at,
            reversed_at=a.reversed_at,
            reversed_on=a.reversed_on,
        )


class RefundReverse(In):
    """POST /v1/refunds/{id}/reverse: the refund's money came back."""

    model_config = In.model_config | {
        "json_schema_extra": {"examples": [{"reason": "Transfer returned by the bank: account closed."}]}
    }
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    reversed_on: DateStr | None = None


class RefundCreate(In):
    model_config = In.model_config | {
        "json_schema_extra": {"examples": [{"amount": "50.00", "method": "ach", "reference": "ACH-7781"}]}
    }
    amount: MoneyStr
    method: Annotated[str, Field(max_length=40)]
    reference: ShortText | None = None
    refunded_on: DateStr | None = None
    override_reason: Annotated[str, Field(max_length=2000)] | None = None

    def refund(self, uow: UnitOfWork, actor: Actor, source_type: str, source_id: str) -> RefundOut:
        """This request's refund of the credit memo or payment, as the API answers it."""
        return RefundOut.of(
            refunds.refund(
                uow,
                actor,
                source_type=source_type,
                source_id=source_id,
                amount=self.amount,
                method=self.method,
                reference=self.reference,
                refunded_on=self.refunded_on,
                override_reason=self.override_reason,
            )
        )


class RefundOut(Out):
    object: str = "refund"
    id: str
    number: str
    credit_memo_id: str | None
    payment_id: str | None
    customer_id: str
    amount: MoneyStr
    currency: str
    method: str
    reference: str | None
    refunded_on: date
    override_reason: str | None
    created_at: datetime | None
    status: Literal["completed", "reversed"]
    reversed_on: date | None
    reversal_reason: str | None

    @classmethod
    def of(cls, r: Refund) -> RefundOut:
        memo = str(r.source_type) == "credit_memo"
        return cls(
            id=r.id,
            number=r.number,
            credit_memo_id=r.source_id if memo else None,
            payment_id=None if memo else r.source_id,
            customer_id=r.customer_id,
            amount=money(r.amount),
            currency=r.amount.currency,
            method=r.method,
            reference=r.reference,
            refunded_on=r.refunded_on,
            override_reason=r.override_reason,
            created_at=r.created_at,
            status="reversed" if r.status == "reversed" else "completed",
            reversed_on=r.reversed_on,
            reversal_reason=r.reversal_reason,
        )


class PaymentCreate(In):
    model_config = In.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "customer_id": "cus_01jd…",
                    "amount": "500.00",
                    "currency": "USD",
                    "received_on": "2026-03-10",
                    "method": "wire",
                    "reference": "WIRE-1234",
                }
            ]
        }
    }
    customer_id: Id
    amount: MoneyStr
    currency: Currency
    received_on: DateStr
    method: Annotated[str, Field(max_length=40)]
    reference: ShortText | None = None
    exchange_rate: DecimalStr | None = None
    metadata: Metadata | None = None


class PaymentOut(Out):
    object: str = "payment"
    id: str
    number: str
    customer_id: str
    currency: str
    exchange_rate: DecimalStr
    amount: MoneyStr
    amount_applied: MoneyStr
    amount_refunded: MoneyStr
    amount_available: MoneyStr
    settlement_status: str
    received_on: date
    method: str
    reference: str | None
    created_at: datetime | None
    metadata: dict[str, str] = Field(default_factory=dict, description="Your key-value map.")

    @classmethod
    def of(cls, p: Payment) -> PaymentOut:
        return cls(
            id=p.id,
            number=p.number,
            customer_id=p.customer_id,
            currency=p.currency,
            exchange_rate=dec(p.exchange_rate),
            amount=money(p.amount),
            amount_applied=money(p.amount_applied),
            amount_refunded=money(p.amount_refunded),
            amount_available=money(p.amount_available),
            settlement_status=p.settlement_status,
            received_on=p.received_on,
            method=p.method,
            reference=p.reference,
            created_at=p.created_at,
            metadata=dict(p.metadata),
        )
