"""/v1/settings: the approval policy, line limit, SLA tiers, account credit and the company's legal details
(admins change them; everyone reads them)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field, RootModel, StrictInt

from creditmemo.api.deps import Call
from creditmemo.api.problems import problems
from creditmemo.api.schemas.automatic import AccountCreditOut, AccountCreditSetting, SlaPolicyDoc
from creditmemo.api.schemas.common import CreditTermsDoc
from creditmemo.api.schemas.customers import LegalDetailsIn, LegalDetailsOut
from creditmemo.domain.dating import MAX_FUTURE_DAYS_LIMIT
from creditmemo.services import settings as svc
from creditmemo.services.settlement import discounts

router = APIRouter(prefix="/settings", tags=["settings"])


class ApprovalPolicyDoc(RootModel[dict[str, Any]]):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "tiers": [
                        {"name": "manager", "above": "5000.00", "min_role": "manager"},
                        {"name": "vp", "above": "25000.00", "min_role": "vp"},
                    ],
                    "role_limits": {"manager": "25000.00", "vp": None, "controller": None},
                }
            ]
        }
    }


@router.get("/approval-policy", response_model=ApprovalPolicyDoc, responses=problems(403))
def get_approval_policy(ctx: Call) -> Response:
    return ctx.read(lambda uow: ApprovalPolicyDoc(svc.get_approval_policy(uow, ctx.actor)))


@router.put("/approval-policy", response_model=ApprovalPolicyDoc, responses=problems(403, 413))
def put_approval_policy(body: ApprovalPolicyDoc, ctx: Call) -> Response:
    return ctx.write(
        lambda uow: ApprovalPolicyDoc(svc.update_approval_policy(uow, ctx.actor, body.root)), idempotent=False
    )


class LineLimit(BaseModel):
    model_config = {"extra": "forbid"}
    background_line_limit: StrictInt = Field(
        ge=1, le=svc.MAX_LINE_LIMIT, description="Memos with more lines are posted by the worker."
    )


@router.get("/background-line-limit", response_model=LineLimit, responses=problems(403))
def get_line_limit(ctx: Call) -> Response:
    return ctx.read(lambda uow: LineLimit(background_line_limit=svc.get_background_line_limit(uow, ctx.actor)))


@router.put("/background-line-limit", response_model=LineLimit, responses=problems(403, 413))
def put_line_limit(body: LineLimit, ctx: Call) -> Response:
    return ctx.write(
        lambda uow: LineLimit(
            background_line_limit=svc.update_background_line_limit(uow, ctx.actor, body.background_line_limit)
        ),
        idempotent=False,
    )


@router.get("/sla-policy", response_model=SlaPolicyDoc, responses=problems(403))
def get_sla_policy(ctx: Call) -> Response:
    return ctx.read(lambda uow: SlaPolicyDoc(svc.get_sla_policy(uow, ctx.actor)))


@router.put("/sla-policy", response_model=SlaPolicyDoc, responses=problems(403, 413))
def put_sla_policy(body: SlaPolicyDoc, ctx: Call) -> Response:
    """Tiers of monthly uptime below which a credit percent applies (admin; audited)."""
    return ctx.write(lambda uow: SlaPolicyDoc(svc.update_sla_policy(uow, ctx.actor, body.root)), idempotent=False)


@router.get("/account-credit", response_model=AccountCreditOut, responses=problems(403))
def get_account_credit(ctx: Call) -> Response:
    return ctx.read(lambda uow: AccountCreditOut(auto_apply_credit=svc.get_auto_apply_credit(uow, ctx.actor)))


@router.put("/account-credit", response_model=AccountCreditOut, responses=problems(403, 413))
def put_account_credit(body: AccountCreditSetting, ctx: Call) -> Response:
    """Apply customers' account credit to each new invoice automatically (admin; audited)."""
    return ctx.write(
        lambda uow: AccountCreditOut(
            auto_apply_credit=svc.update_auto_apply_credit(uow, ctx.actor, body.auto_apply_credit)
        ),
        idempotent=False,
    )


class CompanyLegalDetails(LegalDetailsIn):
    model_config = LegalDetailsIn.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "legal_name": "Acme Corporation Inc.",
                    "address_line1": "1 Market Street",
                    "postal_code": "94105",
                    "city": "San Francisco",
                    "country": "US",
                    "tax_id": "US 12-3456789",
                }
            ]
        }
    }


@router.get("/legal-details", response_model=LegalDetailsOut, responses=problems(403))
def get_legal_details(ctx: Call) -> Response:
    """The company's legal name, address and tax ID, as its credit and debit memo documents show them."""
    return ctx.read(lambda uow: LegalDetailsOut.of_legal(svc.get_legal_details(uow, ctx.actor)))


@router.put("/legal-details", response_model=LegalDetailsOut, responses=problems(403, 413))
def put_legal_details(body: CompanyLegalDetails, ctx: Call) -> Response:
    """Replace the company's legal details (admin; audited; a field left out or null is cleared). Documents
    printed from now on show them."""
    return ctx.write(
        lambda uow: LegalDetailsOut.of_legal(svc.update_legal_details(uow, ctx.actor, body.model_dump())),
        idempotent=False,
    )


class LineAccountReasons(BaseModel):
    model_config = {"extra": "forbid"}
    reasons: list[Annotated[str, Field(max_length=40)]] = Field(
        max_length=200,
        description="Reason codes whose credits on an invoice reverse the recognized part to each invoice line's "
        "own revenue account; every other reason uses the sales-returns contra account (4900).",
    )


@router.get("/line-account-reasons", response_model=LineAccountReasons, responses=problems(403))
def get_line_account_reasons(ctx: Call) -> Response:
    return ctx.read(lambda uow: LineAccountReasons(reasons=svc.get_line_account_reasons(uow, ctx.actor)))


@router.put("/line-account-reasons", response_model=LineAccountReasons, responses=problems(403, 413))
def put_line_account_reasons(body: LineAccountReasons, ctx: Call) -> Response:
    """Route the credits of chosen reasons to the invoice lines' revenue accounts (admin; audited; issue 12)."""
    return ctx.write(
        lambda uow: LineAccountReasons(reasons=svc.update_line_account_reasons(uow, ctx.actor, body.reasons)),
        idempotent=False,
    )


class MaxFutureDays(BaseModel):
    model_config = {"extra": "forbid"}
    max_future_days: StrictInt = Field(
        ge=0, le=MAX_FUTURE_DAYS_LIMIT, description="How many days after today a document may be dated."
    )


@router.get("/max-future-days", response_model=MaxFutureDays, responses=problems(403))
def get_max_future_days(ctx: Call) -> Response:
    return ctx.read(lambda uow: MaxFutureDays(max_future_days=svc.get_max_future_days(uow, ctx.actor)))


@router.put("/max-future-days", response_model=MaxFutureDays, responses=problems(403, 413))
def put_max_future_days(body: MaxFutureDays, ctx: Call) -> Response:
    """No document may be dated more than this many days after today (admin; audited; default 30)."""
    return ctx.write(
        lambda uow: MaxFutureDays(max_future_days=svc.update_max_future_days(uow, ctx.actor, body.max_future_days)),
        idempotent=False,
    )


class CreditTermsSetting(BaseModel):
    """The company's credit terms (null: none); a customer's own terms win (PATCH /v1/customers/{id})."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [{"credit_terms": {"net_days": 30, "discount_percent": "2.00", "discount_days": 10}}]
        },
    }
    credit_terms: CreditTermsDoc | None


@router.get("/credit-terms", response_model=CreditTermsSetting, responses=problems(403))
def get_credit_terms(ctx: Call) -> Response:
    return ctx.read(
        lambda uow: CreditTermsSetting(credit_terms=CreditTermsDoc.of(discounts.get_credit_terms(uow, ctx.actor)))
    )


@router.put("/credit-terms", response_model=CreditTermsSetting, responses=problems(403, 413))
def put_credit_terms(body: CreditTermsSetting, ctx: Call) -> Response:
    """Set the company's credit terms, e.g. 2 % 10, net 30 (admin; audited). Invoices and memos posted from
    now on store their settlement discount from these (or the customer's own) terms."""
    value = None if body.credit_terms is None else body.credit_terms.model_dump()
    return ctx.write(
        lambda uow: CreditTermsSetting(
            credit_terms=CreditTermsDoc.of(discounts.update_credit_terms(uow, ctx.actor, value))
        ),
        idempotent=False,
    )
