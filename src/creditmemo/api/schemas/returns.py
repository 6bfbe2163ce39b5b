"""Return authorizations (RMA, issue 10): create, edit, receive, credit, cancel, and the representation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from creditmemo.api.schemas.common import DecimalStr, Id, In, MoneyStr, Out, ShortText, Text, dec
from creditmemo.domain.returns import (
    ReceiptInput,
    ReturnAuthorization,
    ReturnLine,
    ReturnLineInput,
    allowed_return_actions,
)
from creditmemo.services.lists import MemoSummary

DateStr = Annotated[str, Field(max_length=10, examples=["2026-03-02"])]


class ReturnLineIn(In):
    invoice_line_id: Id
    quantity: DecimalStr | None = Field(None, description="Default: everything still returnable on the line.")
    restock: Annotated[
        bool | None,
        Field(
            description="Goes back to stock when received (Dr inventory / Cr COGS at posting). Default: true when "
            "the invoice line has a unit cost (goods); true on a line without one is a validation_error."
        ),
    ] = None

    def input(self) -> ReturnLineInput:
        return ReturnLineInput(self.invoice_line_id, self.quantity, self.restock)


ReturnLines = Annotated[list[ReturnLineIn], Field(min_length=1, max_length=1000)]


class ReturnCreate(In):
    """POST /v1/returns: authorize a return of invoiced quantities."""

    model_config = In.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "invoice_id": "inv_01jd…",
                    "reason_code": "damaged_goods",
                    "case_reference": "CASE-4711",
                    "lines": [{"invoice_line_id": "il_01jd…", "quantity": "1", "restock": True}],
                }
            ]
        }
    }
    invoice_id: Id
    reason_code: ShortText | None = Field(None, description='A credit reason code; default "return".')
    case_reference: ShortText | None = Field(None, description="Free text, e.g. the support case; copied to memos.")
    lines: ReturnLines


class ReturnUpdate(In):
    """PATCH while authorized: only the fields sent change; ``lines`` replaces every line."""

    reason_code: ShortText | None = None
    case_reference: ShortText | None = None
    lines: ReturnLines | None = None


class ReceiptLineIn(In):
    return_line_id: Id
    quantity_received: DecimalStr | None = Field(None, description="Default: all authorized, not yet received.")
    restock: bool | None = Field(None, description="Default: as authorized.")
    condition: Annotated[str, Field(max_length=500)] | None = None

    def input(self) -> ReceiptInput:
        return ReceiptInput(self.return_line_id, self.quantity_received, self.restock, self.condition)


class ReceiveBody(In):
    """No body (or no ``lines``): receive everything authorized and not yet received."""

    model_config = In.model_config | {
        "json_schema_extra": {
            "examples": [
                {},
                {"lines": [{"return_line_id": "rmal_01jd…", "quantity_received": "1", "restock": False}]},
                {"lines": [{"return_line_id": "rmal_01jd…", "quantity_received": "1"}], "cancel_rest": True},
            ]
        }
    }
    lines: Annotated[list[ReceiptLineIn], Field(min_length=1, max_length=1000)] | None = None
    cancel_rest: Annotated[
        bool,
        Field(
            description="What is still not received after this receipt will not come: cancel it (it can be "
            "returned again on another return). Without lines: receive nothing more, cancel the rest."
        ),
    ] = False


class ReturnCreditMemoCreate(In):
    reason_code: Annotated[ShortText | None, Field(description="Default: the return's reason code.")] = None
    memo: Text | None = None
    issue_date: DateStr | None = None
    auto_apply: bool = True
    post: Annotated[bool, Field(description="Create and post (or submit, when the approval policy applies).")] = False


class CancelBody(In):
    model_config = In.model_config | {"json_schema_extra": {"examples": [{"reason": "Customer kept the goods"}]}}
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class ReturnLineOut(Out):
    id: str
    line_no: int
    invoice_line_id: str
    quantity: DecimalStr
    quantity_received: DecimalStr
    quantity_credited: DecimalStr
    quantity_cancelled: DecimalStr
    restock: bool
    condition: str | None

    @classmethod
    def of(cls, line: ReturnLine) -> ReturnLineOut:
        return cls(
            id=line.id,
            line_no=line.line_no,
            invoice_line_id=line.invoice_line_id,
            quantity=dec(line.quantity) or "0",
            quantity_received=dec(line.quantity_received) or "0",
            quantity_credited=dec(line.quantity_credited) or "0",
            quantity_cancelled=dec(line.quantity_cancelled) or "0",
            restock=line.restock,
            condition=line.condition,
        )


class ReturnMemoRef(Out):
    id: str
    number: str
    status: str
    total: MoneyStr


class ReturnOut(Out):
    object: str = "return"
    id: str
    number: str
    status: str
    allowed_actions: list[str]
    invoice_id: str
    customer_id: str
    reason_code: str
    case_reference: str | None
    cancel_reason: str | None
    created_by: str | None
    created_at: datetime | None
    updated_at: datetime | None
    received_at: datetime | None
    cancelled_at: datetime | None
    version: int
    lines: list[ReturnLineOut]
    credit_memos: list[ReturnMemoRef] | None = Field(
        None, description="The credit memos created from the return (null in lists)."
    )

    @classmethod
    def of(cls, r: ReturnAuthorization, memos: list[MemoSummary] | None = None) -> ReturnOut:
        return cls(
            id=r.id,
            number=r.number,
            status=str(r.status),
            allowed_actions=[str(a) for a in allowed_return_actions(r)],
            invoice_id=r.invoice_id,
            customer_id=r.customer_id,
            reason_code=r.reason_code,
            case_reference=r.case_reference,
            cancel_reason=r.cancel_reason,
            created_by=r.created_by,
            created_at=r.created_at,
            updated_at=r.updated_at,
            received_at=r.received_at,
            cancelled_at=r.cancelled_at,
            version=r.version,
            lines=[ReturnLineOut.of(line) for line in r.lines],
            credit_memos=None
            if memos is None
            else [
                ReturnMemoRef(
                    id=m.id,
                    number=m.number,
                    status=m.status,
                    total=format(m.total.amount, "f"),
                )
                for m in memos
            ],
        )
