"""Credit and debit memos: create (from an invoice, standalone), edit, actions, and the representation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from creditmemo.api.schemas.common import (
    Currency,
    DecimalStr,
    Id,
    In,
    Metadata,
    MetadataPatch,
    MoneyStr,
    Out,
    RateStr,
    SettlementDiscountOut,
    ShortText,
    Text,
    dec,
    money,
)
from creditmemo.domain.approval import ApprovalPolicy
from creditmemo.domain.documents import Memo, MemoKind, MemoLine
from creditmemo.domain.inputs import CreditLineInput, FreeLineInput
from creditmemo.domain.lifecycle import Action
from creditmemo.domain.money import Money
from creditmemo.services.actors import Actor
from creditmemo.services.companies import functional_currency
from creditmemo.services.memos.actions import allowed_actions_for
from creditmemo.store.uow import UnitOfWork

DateStr = Annotated[str, Field(max_length=10, examples=["2026-03-02"])]
Lines = Annotated[list["MemoLineIn"], Field(min_length=1, max_length=1000)]
PostFlag = Annotated[
    bool,
    Field(
        description=(
            "Create and post in one transaction. The approval policy still applies: a memo that needs approval "
            "is created and submitted (status pending_approval), one over the background line limit is queued "
            "(ready_to_post); the returned status says which."
        )
    ),
]


class MemoLineIn(In):
    """A line from an invoice (``invoice_line_id`` with ``quantity`` or ``amount``), or a free line
    (``description``, ``quantity``, ``unit_price``, ``tax_rate``)."""

    invoice_line_id: Id | None = None
    quantity: DecimalStr | None = None
    amount: MoneyStr | None = None
    restock: bool = False
    description: Annotated[str, Field(max_length=500)] | None = None
    unit_price: DecimalStr | None = None
    tax_rate: DecimalStr | None = None
    account_code: Annotated[str, Field(max_length=20)] | None = None

    def ignored_fields(self, *, from_invoice: bool) -> list[str]:
        """Fields sent that this kind of line does not take: a line from an invoice inherits its description,
        price, tax rate and account; a free line has no invoice line to credit an amount of or restock."""
        unused = ("description", "unit_price", "tax_rate", "account_code") if from_invoice else ("amount",)
        sent = [name for name in unused if getattr(self, name) is not None]
        if not from_invoice and self.restock:
            sent.append("restock")
        return sent

    def credit_input(self) -> CreditLineInput:
        return CreditLineInput(self.invoice_line_id, quantity=self.quantity, amount=self.amount, restock=self.restock)

    def free_input(self) -> FreeLineInput:
        return FreeLineInput(
            self.description, self.quantity, self.unit_price, tax_rate=self.tax_rate, account_code=self.account_code
        )


class FromInvoiceCreate(In):
    """POST /v1/invoices/{id}/credit-memos: every line pre-populated unless ``lines`` narrows them."""

    model_config = In.model_config | {
        "json_schema_extra": {
            "examples": [
                {"reason_code": "billing_error", "memo": "Six hours billed twice."},
                {"reason_code": "billing_error", "post": True},
                {
                    "reason_code": "return",
                    "source": "return",
                    "lines": [{"invoice_line_id": "invl_01jd…", "quantity": "2", "restock": True}],
                },
            ]
        }
    }
    reason_code: ShortText
    source: Literal["invoice", "return"] = "invoice"
    memo: Text | None = None
    reference: ShortText | None = None
    issue_date: DateStr | None = None
    auto_apply: bool = True
    lines: Lines | None = None
    post: PostFlag = False
    metadata: Metadata | None = None


class CreditMemoCreate(In):
    """POST /v1/credit-memos: standalone (customer_id, currency, free lines) or with ``invoice_id`` and
    chosen invoice lines."""

    model_config = In.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "customer_id": "cus_01jd…",
                    "currency": "USD",
                    "reason_code": "goodwill",
                    "lines": [
                        {"description": "Goodwill for delayed delivery", "quantity": "1", "unit_price": "300.00"}
                    ],
                },
                {
                    "invoice_id": "inv_01jd…",
                    "reason_code": "billing_error",
                    "lines": [{"invoice_line_id": "invl_01jd…", "amount": "100.00"}],
                },
            ]
        }
    }
    reason_code: ShortText
    customer_id: Id | None = None
    invoice_id: Id | None = None
    currency: Currency | None = None
    exchange_rate: DecimalStr | None = None
    source: Literal["invoice", "return", "standalone"] | None = None
    memo: Text | None = None
    reference: ShortText | None = None
    issue_date: DateStr | None = None
    auto_apply: bool = True
    lines: Lines | None = None
    post: PostFlag = False
    metadata: Metadata | None = None


class DebitMemoCreate(In):
    model_config = In.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "customer_id": "cus_01jd…",
                    "currency": "USD",
                    "reason_code": "chargeback",
                    "lines": [{"description": "Charge-back", "quantity": "1", "unit_price": "1200.00"}],
                }
            ]
        }
    }
    customer_id: Id
    currency: Currency
    reason_code: ShortText
    invoice_id: Id | None = None
    exchange_rate: DecimalStr | None = None
    memo: Text | None = None
    reference: ShortText | None = None
    issue_date: DateStr | None = None
    lines: Lines
    post: PostFlag = False
    metadata: Metadata | None = None


class MemoUpdate(In):
    """PATCH: only the fields sent change; ``lines`` replaces every line."""

    model_config = In.model_config | {"json_schema_extra": {"examples": [{"memo": "Corrected text"}]}}
    reason_code: ShortText | None = None
    memo: Text | None = None
    reference: ShortText | None = None
    issue_date: DateStr | None = None
    auto_apply: bool | None = None
    lines: Lines | None = None
    metadata: MetadataPatch | None = Field(
        None,
        description="Changes to the metadata (a JSON merge patch: null removes a key). With memo, the only field "
        "that changes past draft, in every status.",
    )


class PostBody(In):
    date: DateStr | None = Field(None, description="Posting date of the journal entry; default the issue date.")


class SentBody(In):
    model_config = In.model_config | {"json_schema_extra": {"examples": [{"recipient": "ap@ironclad.example"}]}}
    recipient: Annotated[str, Field(min_length=1, max_length=320)]


class VoidBody(In):
    void_date: DateStr | None = None
    reason: Annotated[str, Field(max_length=2000)] | None = None


class DiscardBody(In):
    model_config = In.model_config | {"json_schema_extra": {"examples": [{"reason": "Raised in error"}]}}
    reason: Annotated[str, Field(max_length=2000)]


class BulkPostBody(In):
    memo_ids: Annotated[list[Id], Field(min_length=1, max_length=1000)]


class MemoLineOut(Out):
    id: str
    line_no: int
    invoice_line_id: str | None
    description: str
    quantity: DecimalStr | None
    unit_price: DecimalStr | None
    credit_by: str
    net_amount: MoneyStr
    tax_rate: RateStr
    tax_amount: MoneyStr
    total: MoneyStr
    account_code: str | None
    restock: bool
    service_start: date | None = Field(None, description="The part of the invoice line's service period credited.")
    service_end: date | None = None

    @classmethod
    def of(cls, line: MemoLine) -> MemoLineOut:
        return cls(
            id=line.id,
            line_no=line.line_no,
            invoice_line_id=line.invoice_line_id,
            description=line.description,
            quantity=dec(line.quantity),
            unit_price=dec(line.unit_price),
            credit_by=str(line.credit_by),
            net_amount=money(line.net),
            tax_rate=dec(line.tax_rate),
            tax_amount=money(line.tax),
            total=money(line.total),
            account_code=line.account_code,
            restock=line.restock,
            service_start=line.service_start,
            service_end=line.service_end,
        )


class MemoOut(Out):
    object: str = Field(description="credit_memo or debit_memo")
    id: str
    number: str | None = Field(description="Null on a preview (numbers are taken at creation).")
    status: str
    allowed_actions: list[str] = Field(
        description="What the caller may do to the memo now: its role, the lifecycle, the approval policy and "
        "the memo's settlement all agree (empty on a preview)."
    )
    source: str
    customer_id: str
    invoice_id: str | None
    reason_code: str
    currency: str
    exchange_rate: DecimalStr
    issue_date: date
    memo: str | None
    reference: str | None
    subtotal: MoneyStr
    tax_total: MoneyStr
    total: MoneyStr
    amount_applied: MoneyStr
    amount_refunded: MoneyStr
    amount_available: MoneyStr
    amount_due: MoneyStr | None = Field(None, description="Debit memos: what is still owed.")
    settlement_status: str
    print_status: str
    auto_apply: bool
    discard_reason: str | None
    void_date: date | None
    post_error: str | None
    created_by: str | None
    created_at: datetime | None
    updated_at: datetime | None
    posted_at: datetime | None
    posted_by: str | None
    voided_at: datetime | None
    voided_by: str | None
    version: int
    incident_reference: str | None = Field(None, description="SLA credits: the incident it answers.")
    replaces_id: str | None = Field(None, description="Void and reissue: the voided memo this one replaces.")
    replaced_by_id: str | None = Field(None, description="Void and reissue: the memo that replaces this one.")
    apply_to_next_invoice: bool = Field(
        False, description="Applied to the customer's next invoice instead of the invoice it credits."
    )
    computation: dict[str, Any] | None = Field(
        None, description="Automatic credits: how the amount was computed (proration days, SLA uptime and tier)."
    )
    return_id: str | None = Field(None, description="A credit memo from a return: the return authorization.")
    settlement_discount: SettlementDiscountOut | None = Field(
        None,
        description="The potential settlement discount computed at posting (credit terms; a credit memo from a "
        "discounted invoice: its share of the invoice's discount), and its date.",
    )
    metadata: dict[str, str] = Field(default_factory=dict, description="Your key-value map.")
    lines: list[MemoLineOut]

    @classmethod
    def of(
        cls, m: Memo, *, allowed: Sequence[Action], preview: bool = False, functional_currency: str | None = None
    ) -> MemoOut:
        """``allowed``: what the asking actor may do to the memo now (services/memos/actions.py)."""
        return cls(
            object=f"{m.kind}_memo",
            id=m.id,
            number=None if preview else m.number,
            status=str(m.status),
            allowed_actions=[] if preview else [str(a) for a in allowed],
            source=str(m.source),
            customer_id=m.customer_id,
            invoice_id=m.invoice_id,
            reason_code=m.reason_code,
            currency=m.currency,
            exchange_rate=dec(m.exchange_rate),
            issue_date=m.issue_date,
            memo=m.memo_text,
            reference=m.reference,
            subtotal=money(m.subtotal),
            tax_total=money(m.tax_total),
            total=money(m.total),
            amount_applied=money(m.amount_applied),
            amount_refunded=money(m.amount_refunded),
            amount_available=money(m.amount_available if m.kind is MemoKind.CREDIT else Money.zero(m.currency)),
            amount_due=money(m.amount_due) if m.kind is MemoKind.DEBIT else None,
            settlement_status=m.settlement_status,
            print_status=m.print_status,
            auto_apply=m.auto_apply,
            discard_reason=m.discard_reason,
            void_date=m.void_date,
            post_error=m.post_error,
            created_by=m.created_by,
            created_at=m.created_at,
            updated_at=m.updated_at,
            posted_at=m.posted_at,
            posted_by=m.posted_by,
            voided_at=m.voided_at,
            voided_by=m.voided_by,
            version=m.version,
            incident_reference=m.incident_reference,
            replaces_id=m.replaces_id,
            replaced_by_id=m.replaced_by_id,
            apply_to_next_invoice=m.apply_to_next_invoice,
            computation=dict(m.computation) if m.computation is not None else None,
            return_id=m.return_id,
            metadata=dict(m.metadata),
            lines=[MemoLineOut.of(line) for line in m.lines],
            settlement_discount=SettlementDiscountOut.of(m.settlement_discount, functional_currency),
        )


MemoLineIn.model_rebuild()
FromInvoiceCreate.model_rebuild()
CreditMemoCreate.model_rebuild()
DebitMemoCreate.model_rebuild()
MemoUpdate.model_rebuild()


def memo_out(uow: UnitOfWork, actor: Actor, m: Memo, policy: ApprovalPolicy | None = None) -> MemoOut:
    """The memo as ``actor`` sees it, with the actions that actor may take on it now."""
    functional = functional_currency(uow, actor)
    return MemoOut.of(m, allowed=allowed_actions_for(uow, actor, m, policy), functional_currency=functional)
