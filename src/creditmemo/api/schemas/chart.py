"""Reason codes and accounts (issue 17 item 7)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from creditmemo.api.schemas.common import In, Out

Code = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Number = Annotated[str, StringConstraints(min_length=1, max_length=20)]
Name = Annotated[str, StringConstraints(max_length=200)]


class ReasonCodeOut(Out):
    object: str = "reason_code"
    code: str
    description: str
    account: str = Field(description="The account number a memo with this reason posts to (standalone lines).")
    applies_to: str = Field(description="credit, debit or both")
    active: bool = Field(description="Inactive codes stay on the memos that have them; new memos cannot use them.")

    @classmethod
    def of(cls, r: dict[str, Any]) -> ReasonCodeOut:
        return cls(
            code=r["code"],
            description=r["label"],
            account=r["account_code"],
            applies_to=r["applies_to"],
            active=bool(r["active"]),
        )


class ReasonCodeCreate(In):
    model_config = In.model_config | {
        "json_schema_extra": {
            "examples": [{"code": "late_fee_waiver", "description": "Late fee waived", "account": "6100"}]
        }
    }
    code: Code
    description: Name | None = None
    account: Number
    applies_to: Literal["credit", "debit", "both"] = "both"


class ReasonCodeUpdate(In):
    model_config = In.model_config | {"json_schema_extra": {"examples": [{"active": False}]}}
    description: Name | None = None
    account: Number | None = None
    active: bool | None = None


class AccountOut(Out):
    object: str = "account"
    number: str
    name: str
    kind: str = Field(description="asset, liability, equity, revenue or expense")
    role: str | None = Field(description="The posting role it plays (accounts receivable, tax payable, ...), if any.")
    active: bool

    @classmethod
    def of(cls, a: dict[str, Any]) -> AccountOut:
        return cls(number=a["code"], name=a["name"], kind=a["kind"], role=a["role"], active=bool(a["active"]))


class AccountCreate(In):
    model_config = In.model_config | {
        "json_schema_extra": {"examples": [{"number": "6400", "name": "Customer concessions", "kind": "expense"}]}
    }
    number: Number
    name: Name
    kind: Literal["asset", "liability", "equity", "revenue", "expense"]


class AccountUpdate(In):
    model_config = In.model_config | {"json_schema_extra": {"examples": [{"name": "Bad debts", "active": True}]}}
    name: Name | None = None
    active: bool | None = None
