from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from creditmemo.api.schemas.common import (
    Currency,
    DecimalStr,
    Id,
    In,
    Metadata,
    MoneyStr,
    Out,
    RateStr,
    SettlementDiscountOut,
    ShortText,
    Text,
    dec,
    money,
)
from creditmemo.domain.documents import Invoice, InvoiceLine
from creditmemo.domain.terms import discount_offer


class InvoiceLineIn(In):
    description: Annotated[str, Field(max_length=500)]
    quantity: DecimalStr
    unit_price: DecimalStr
    discount: MoneyStr | None = None
    tax_rate: RateStr | None = None
    unit_cost: DecimalStr | None = None
    item: ShortText | None = None
    revenue_account: Annotated[str, Field(max_length=20)] | None = None
    deferred_revenue_account: Annotated[str, Field(max_length=20)] | None = Field(
        None,
        description="A line with a service period is issued to deferred revenue and recognized ratably by day; "
        "default: the company's deferred revenue account (2400).",
    )
    service_start: Annotated[str, Field(max_length=10, examples=["2026-01-01"])] | None = Field(
        None, description="First day of the period a subscription line bills for (with service_end)."
    )
    service_end: Annotated[str, Field(max_length=10, examples=["2026-01-31"])] | None = Field(
        None, description="Last day of that period, inclusive."
    )


class InvoiceCreate(In):
    model_config = In.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "customer_id": "cus_01jd…",
                    "currency": "USD",
                    "issue_date": "2026-03-02",
                    "lines": [
                        {
                            "description": "Annual subscription",
                            "quantity": "1",
                            "unit_price": "1200.00",
                            "tax_rate": "8.25",
                        }
                    ],
                }
            ]
        }
    }
    customer_id: Id
    currency: Currency
    issue_date: Annotated[str, Field(max_length=10, examples=["2026-03-02"])]
    due_date: Annotated[str, Field(max_length=10)] | None = None
    exchange_rate: DecimalStr | None = None
    memo: Text | None = None
    lines: Annotated[list[InvoiceLineIn], Field(min_length=1, max_length=1000)]
    metadata: Metadata | None = None


class InvoiceLineOut(Out):
    id: str
    line_no: int
    description: str
    item: str | None
    quantity: DecimalStr
    unit_price: DecimalStr
    discount: MoneyStr
    net_amount: MoneyStr
    tax_rate: RateStr
    tax_amount: MoneyStr
    total: MoneyStr
    revenue_account: str
    deferred_revenue_account: str | None = None
    unit_cost: DecimalStr | None
    credited_quantity: DecimalStr
    credited_amount: MoneyStr
    service_start: date | None = None
    service_end: date | None = None

    @classmethod
    def of(cls, line: InvoiceLine) -> InvoiceLineOut:
        credited = (line.credited_net.amount if line.credited_net else 0) + (
            line.credited_tax.amount if line.credited_tax else 0
        )
        return cls(
            id=line.id,
            line_no=line.line_no,
            description=line.description,
            item=line.item,
            quantity=dec(line.quantity),
            unit_price=dec(line.unit_price),
            discount=money(line.discount),
            net_amount=money(line.net),
            tax_rate=dec(line.tax_rate),
            tax_amount=money(line.tax),
            total=money(line.total),
            revenue_account=line.revenue_account,
            deferred_revenue_account=line.deferred_revenue_account,
            unit_cost=dec(line.unit_cost),
            credited_quantity=dec(line.credited_quantity),
            credited_amount=format(credited, "f"),
            service_start=line.service_start,
            service_end=line.service_end,
        )


class InvoiceOut(Out):
    object: str = "invoice"
    id: str
    number: str
    status: str
    customer_id: str
    currency: str
    exchange_rate: DecimalStr
    issue_date: date
    due_date: date
    subtotal: MoneyStr
    tax_total: MoneyStr
    total: MoneyStr
    amount_credited: MoneyStr
    amount_paid: MoneyStr
    amount_due: MoneyStr
    payment_status: str
    memo: str | None
    created_at: datetime | None
    metadata: dict[str, str] = Field(default_factory=dict, description="Your key-value map.")
    lines: list[InvoiceLineOut]
    settlement_discount: SettlementDiscountOut | None = Field(
        None, description="The potential settlement discount stored at issue (credit terms), and its last day."
    )
    discount_available: MoneyStr = Field(
        "0",
        description="What a payment on or before the discount date may still take off (credit memos from "
        "the invoice reduce it in proportion; none once taken).",
    )
    discount_taken: MoneyStr = Field("0", description="Settlement discount taken by payments.")

    @classmethod
    def of(cls, i: Invoice, *, functional_currency: str | None = None) -> InvoiceOut:
        d = i.settlement_discount
        return cls(
            id=i.id,
            number=i.number,
            status=i.status,
            customer_id=i.customer_id,
            currency=i.currency,
            exchange_rate=dec(i.exchange_rate),
            issue_date=i.issue_date,
            due_date=i.due_date,
            subtotal=money(i.subtotal),
            tax_total=money(i.tax_total),
            total=money(i.total),
            amount_credited=money(i.amount_credited),
            amount_paid=money(i.amount_paid),
            amount_due=money(i.amount_due),
            payment_status=i.payment_status,
            memo=i.memo,
            created_at=i.created_at,
            metadata=dict(i.metadata),
            lines=[InvoiceLineOut.of(line) for line in i.lines],
            settlement_discount=SettlementDiscountOut.of(d, functional_currency),
            discount_available=money(
                discount_offer(
                    potential=None if d is None else d.amount,
                    total=i.total,
                    credited=i.credited_by_memos,
                    taken=i.taken,
                    due=i.amount_due,
                )
            ),
            discount_taken=money(i.taken),
        )
