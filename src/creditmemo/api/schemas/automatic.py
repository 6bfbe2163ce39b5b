"""Automatic credits (issue 11): the bodies of a proration credit and an SLA credit, the SLA policy and the
company's automatic use of account credit."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, RootModel, StrictBool, StrictInt

from creditmemo.api.schemas.common import DecimalStr, Id, In, Out, ShortText

PostFlag = Annotated[
    StrictBool,
    Field(
        description=(
            "Post at once (when the approval policy allows; otherwise the memo is submitted and waits for approval)."
        )
    ),
]
NextInvoice = Annotated[
    StrictBool,
    Field(
        description=(
            "Do not apply the credit to the invoice it credits: apply it to the customer's next invoice (the "
            "oldest open one issued on or after the effective date, when it is posted; else the next one issued)."
        )
    ),
]


class ProrationCreate(In):
    """POST /v1/invoices/{id}/proration-credits: a downgrade in the middle of a line's service period."""

    model_config = In.model_config | {
        "json_schema_extra": {
            "examples": [
                {"invoice_line_id": "il_01jd…", "effective_date": "2026-01-17", "new_quantity": "6", "post": True}
            ]
        }
    }
    invoice_line_id: Id
    effective_date: Annotated[str, Field(max_length=10, examples=["2026-01-17"])]
    new_quantity: DecimalStr | None = None
    new_unit_price: DecimalStr | None = None
    apply_to_next_invoice: NextInvoice = False
    post: PostFlag = False
    external_reference: ShortText | None = Field(None, description="The subscription change in the billing system.")
    issue_date: Annotated[str | None, Field(max_length=10, examples=["2026-01-17"])] = Field(
        None, description="The memo's date (default today, or the invoice's date when later)."
    )


class SlaCreditCreate(In):
    """POST /v1/customers/{id}/sla-credits: an outage credited from the plan's value and the SLA policy."""

    model_config = In.model_config | {
        "json_schema_extra": {
            "examples": [
                {"invoice_line_id": "il_01jd…", "outage_minutes": 2160, "incident_reference": "INC-4821", "post": True}
            ]
        }
    }
    invoice_line_id: Id
    outage_minutes: StrictInt = Field(gt=0, description="Minutes of outage within the line's service period.")
    incident_reference: ShortText = Field(description="One credit per incident and customer.")
    apply_to_next_invoice: NextInvoice = False
    post: PostFlag = False


class SlaPolicyDoc(RootModel[dict[str, Any]]):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "tiers": [
                        {"below_uptime": "99.9", "credit_percent": "10"},
                        {"below_uptime": "99.0", "credit_percent": "25"},
                        {"below_uptime": "95.0", "credit_percent": "100"},
                    ]
                }
            ]
        }
    }


class AccountCreditSetting(In):
    auto_apply_credit: StrictBool = Field(
        description=(
            "Apply a customer's account credit (posted credit memos left with auto_apply) to each new invoice, oldest "
            "memo first. A customer's own auto_apply_credit overrides it."
        )
    )


class AccountCreditOut(Out):
    auto_apply_credit: bool
