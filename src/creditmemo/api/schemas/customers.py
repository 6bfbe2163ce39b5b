from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StrictInt

from creditmemo.api.schemas.common import Currency, In, MoneyStr, Out, ShortText, money
from creditmemo.domain.documents import Customer


class CustomerCreate(In):
    model_config = In.model_config | {
        "json_schema_extra": {
            "examples": [{"name": "Acme Corp", "currency": "USD", "payment_terms_days": 30, "email": "ap@acme.example"}]
        }
    }
    name: ShortText
    currency: Currency
    payment_terms_days: Annotated[StrictInt, Field(ge=0, le=365)] = 30
    email: Annotated[str, Field(max_length=254)] | None = None
    auto_apply_credit: bool | None = Field(
        None,
        description="Apply this customer's account credit to each new invoice: true, false, or null to follow "
        "the company's setting (/v1/settings/account-credit).",
    )


class CustomerUpdate(In):
    """PATCH: only what is sent changes."""

    auto_apply_credit: bool | None = Field(None, description="true, false, or null to follow the company's setting.")


class CustomerOut(Out):
    object: str = "customer"
    id: str
    name: str
    currency: str
    balance: MoneyStr
    available_credit: MoneyStr
    payment_terms_days: int
    email: str | None
    created_at: datetime | None
    auto_apply_credit: bool | None = None

    @classmethod
    def of(cls, c: Customer) -> CustomerOut:
        return cls(
            id=c.id,
            name=c.name,
            currency=c.currency,
            balance=money(c.balance),
            available_credit=money(c.available_credit),
            payment_terms_days=c.payment_terms_days,
            email=c.email,
            created_at=c.created_at,
            auto_apply_credit=c.auto_apply_credit,
        )
