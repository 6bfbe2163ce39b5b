"""Shared schema pieces: decimal strings, pages, the base models."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar, overload

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from creditmemo.domain.money import Money
from creditmemo.domain.terms import CreditTerms, SettlementDiscount

DECIMAL_PATTERN = r"^-?[0-9]{1,15}(\.[0-9]{1,10})?$"
# Money and other exact numbers travel as strings: "100.00". JSON numbers are refused (no float).
MoneyStr = Annotated[
    str,
    StringConstraints(pattern=DECIMAL_PATTERN, max_length=27),
    Field(json_schema_extra={"format": "decimal"}, examples=["100.00"]),
]
DecimalStr = Annotated[
    str,
    StringConstraints(pattern=DECIMAL_PATTERN, max_length=27),
    Field(json_schema_extra={"format": "decimal"}, examples=["2"]),
]
RateStr = Annotated[
    str,
    StringConstraints(pattern=DECIMAL_PATTERN, max_length=27),
    Field(json_schema_extra={"format": "decimal"}, examples=["8.25"], description='Percent: "8.25" is 8.25%.'),
]
Id = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Text = Annotated[str, StringConstraints(max_length=5000)]
ShortText = Annotated[str, StringConstraints(max_length=200)]
Currency = Annotated[str, StringConstraints(min_length=3, max_length=3), Field(examples=["USD"])]
Metadata = Annotated[
    dict[str, str],
    Field(
        description="Your key-value map: at most 50 keys of at most 40 characters, text values of at most 500.",
        examples=[{"region": "emea", "case": "SR-1042"}],
    ),
]
MetadataPatch = Annotated[
    dict[str, str | None],
    Field(
        description="Changes to the metadata (a JSON merge patch): each key sent is set, a key sent as null is "
        "removed, keys not sent stay.",
        examples=[{"region": "apac", "case": None}],
    ),
]


class MetadataUpdate(BaseModel):
    """PATCH of a document whose only editable part is its metadata (invoices, payments)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    metadata: MetadataPatch


class In(BaseModel):
    """Request bodies: unknown fields are an error (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


def money(m: Money) -> str:
    return format(m.amount, "f")


@overload
def dec(d: Decimal) -> str: ...
@overload
def dec(d: None) -> None: ...
@overload
def dec(d: Decimal | None) -> str | None: ...
def dec(d: Decimal | None) -> str | None:
    if d is None:
        return None
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


T = TypeVar("T")


class Page(Out, Generic[T]):
    object: str = "list"
    data: list[T]
    has_more: bool
    next_cursor: str | None = Field(None, description="Pass as `starting_after` for the next page.")


def page(model: type[Out], data: list[Any], has_more: bool) -> Page[Any]:
    return Page[model](  # type: ignore[valid-type]  # the item model is a run-time argument
        data=data,
        has_more=has_more,
        next_cursor=data[-1].id if has_more and data else None,
    )


class ActionBody(In):
    comment: Annotated[str, StringConstraints(max_length=2000)] | None = None


def iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


JsonObject = dict[str, Any]


class SettlementDiscountOut(Out):
    """The potential settlement discount a document stored when it was issued or posted (issue 15 item 7):
    in its currency and the company's, and the last day a payment earns it."""

    amount: MoneyStr
    functional_amount: MoneyStr | None = Field(None, description="In the company currency, at the booked rate.")
    discount_date: date

    @classmethod
    def of(cls, d: SettlementDiscount | None, functional_currency: str | None) -> SettlementDiscountOut | None:
        if d is None:
            return None
        return cls(
            amount=money(d.amount),
            functional_amount=None if functional_currency is None else money(d.functional(functional_currency)),
            discount_date=d.until,
        )


class CreditTermsDoc(BaseModel):
    """Credit terms, e.g. 2 % 10, net 30: due ``net_days`` after the document date; a payment within
    ``discount_days`` may take ``discount_percent`` off the total."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"net_days": 30, "discount_percent": "2.00", "discount_days": 10}]},
    )
    net_days: Annotated[int, Field(strict=True, description="Whole days, 0 or more.")]
    discount_percent: Annotated[
        str, StringConstraints(max_length=27), Field(examples=["2.00"], description="0 to 100, at most 2 decimals.")
    ] = "0"
    discount_days: Annotated[int, Field(strict=True, description="Whole days, 0 to net_days.")] = 0

    @classmethod
    def of(cls, terms: CreditTerms | None) -> CreditTermsDoc | None:
        if terms is None:
            return None
        return cls.model_validate(terms.to_dict())
