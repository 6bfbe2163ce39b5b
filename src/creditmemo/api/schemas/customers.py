from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StrictInt, StringConstraints

from creditmemo.api.schemas.common import CreditTermsDoc, Currency, In, MoneyStr, Out, ShortText, money
from creditmemo.domain.documents import Customer
from creditmemo.domain.legal import MAX_LENGTHS, LegalDetails


def _text(name: str, description: str) -> Any:
    return Field(None, description=f"{description} At most {MAX_LENGTHS[name]} characters; null or empty clears it.")


LegalName = Annotated[str, StringConstraints(max_length=MAX_LENGTHS["legal_name"])]
AddressLine = Annotated[str, StringConstraints(max_length=MAX_LENGTHS["address_line1"])]
PostalCode = Annotated[str, StringConstraints(max_length=MAX_LENGTHS["postal_code"])]
City = Annotated[str, StringConstraints(max_length=MAX_LENGTHS["city"])]
Country = Annotated[str, StringConstraints(max_length=MAX_LENGTHS["country"])]
TaxId = Annotated[str, StringConstraints(max_length=MAX_LENGTHS["tax_id"])]


class LegalDetailsIn(In):
    """The legal name, postal address and tax ID the party's documents show (issue 18 item 5)."""

    legal_name: LegalName | None = _text("legal_name", "The registered name, if not the account name.")
    address_line1: AddressLine | None = _text("address_line1", "Street and number.")
    address_line2: AddressLine | None = _text("address_line2", "Building, suite, c/o.")
    postal_code: PostalCode | None = _text("postal_code", "Postal or ZIP code.")
    city: City | None = _text("city", "City or town.")
    country: Country | None = Field(
        None, description="ISO 3166-1 alpha-2 country code (US, DE, JP; any case, stored upper case).", examples=["US"]
    )
    tax_id: TaxId | None = _text("tax_id", "VAT number, EIN or other tax registration.")

    def legal_given(self) -> dict[str, object]:
        """The legal fields the request sent (a PATCH changes only these)."""
        return {name: getattr(self, name) for name in MAX_LENGTHS if name in self.model_fields_set}


class LegalDetailsOut(Out):
    legal_name: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    tax_id: str | None = None

    @classmethod
    def of_legal(cls, legal: LegalDetails) -> LegalDetailsOut:
        return cls.model_validate(legal.as_dict())


class CustomerCreate(LegalDetailsIn):
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
    credit_terms: CreditTermsDoc | None = Field(
        None, description="The customer's own credit terms (null: the company's, /v1/settings/credit-terms)."
    )


class CustomerUpdate(LegalDetailsIn):
    """PATCH: only what is sent changes."""

    name: ShortText | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    payment_terms_days: Annotated[StrictInt, Field(ge=0, le=365)] | None = None
    credit_terms: CreditTermsDoc | None = Field(None, description="null: the company's credit terms apply again.")
    auto_apply_credit: bool | None = Field(None, description="true, false, or null to follow the company's setting.")


class CustomerOut(LegalDetailsOut):
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
    credit_terms: CreditTermsDoc | None = None

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
            legal_name=c.legal.legal_name,
            address_line1=c.legal.address_line1,
            address_line2=c.legal.address_line2,
            postal_code=c.legal.postal_code,
            city=c.legal.city,
            country=c.legal.country,
            tax_id=c.legal.tax_id,
            credit_terms=CreditTermsDoc.of(c.credit_terms),
        )


class PlannedApplicationOut(Out):
    source_type: str  # credit_memo | payment
    source_id: str
    source_number: str
    target_type: str  # invoice | debit_memo
    target_id: str
    target_number: str
    amount: MoneyStr


class OpenDocumentOut(Out):
    type: str  # invoice | debit_memo (open items); credit_memo | payment (credits)
    id: str
    number: str
    dated: str | None
    due_date: str | None = None
    open_amount: MoneyStr  # an item's amount due; a credit's amount available


class CreditPlanOut(Out):
    object: str = "credit_plan"
    customer_id: str
    currency: str
    on: str
    fingerprint: str = Field(description="Send it back to apply exactly this plan; a changed plan is refused (409).")
    total: MoneyStr
    applications: list[PlannedApplicationOut]
    open_items: list[OpenDocumentOut]
    credits: list[OpenDocumentOut]

    @classmethod
    def of(cls, plan: Any) -> CreditPlanOut:
        def doc(p: Any, due: Any = None) -> OpenDocumentOut:
            return OpenDocumentOut(
                type=p.type,
                id=p.id,
                number=p.number,
                dated=None if p.dated is None else p.dated.isoformat(),
                due_date=None if due is None else due.isoformat(),
                open_amount=money(p.open_amount),
            )

        return cls(
            customer_id=plan.customer.id,
            currency=plan.customer.currency,
            on=plan.on.isoformat(),
            fingerprint=plan.fingerprint,
            total=money(plan.total),
            applications=[
                PlannedApplicationOut(
                    source_type=a.source.type,
                    source_id=a.source.id,
                    source_number=a.source.number,
                    target_type=a.target.type,
                    target_id=a.target.id,
                    target_number=a.target.number,
                    amount=money(a.amount),
                )
                for a in plan.applications
            ],
            open_items=[doc(t, plan.due_dates[t.id]) for t in plan.targets],
            credits=[doc(s) for s in plan.sources],
        )


class CreditPlanApply(In):
    fingerprint: Annotated[str, StringConstraints(max_length=64)]
