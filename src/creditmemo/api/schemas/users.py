"""Users and API keys (admins manage them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from creditmemo.api.schemas.common import In, Out
from creditmemo.services.sign_in_limits import Lockout
from creditmemo.services.users import IssuedKey, User

RoleName = Literal["clerk", "manager", "vp", "controller", "auditor", "admin"]


class UserCreate(In):
    model_config = In.model_config | {
        "json_schema_extra": {
            "examples": [{"email": "clerk@acme.example", "role": "clerk", "privileges": ["create_multiline_memo"]}]
        }
    }
    email: Annotated[str, Field(max_length=254)]
    role: RoleName
    name: Annotated[str, Field(max_length=200)] | None = None
    privileges: Annotated[list[Literal["create_multiline_memo"]], Field(max_length=10)] = []  # noqa: RUF012  # pydantic copies it
    password: Annotated[str, Field(min_length=8, max_length=200)] | None = None


class UserUpdate(In):
    model_config = In.model_config | {"json_schema_extra": {"examples": [{"role": "auditor"}, {"active": False}]}}
    role: RoleName | None = None
    privileges: Annotated[list[Literal["create_multiline_memo"]], Field(max_length=10)] | None = None
    active: bool | None = None


class UserOut(Out):
    object: str = "user"
    id: str
    email: str
    name: str
    role: str
    privileges: list[str]
    active: bool

    @classmethod
    def of(cls, u: User) -> UserOut:
        return cls(
            id=u.id, email=u.email, name=u.name, role=str(u.role), privileges=sorted(u.privileges), active=u.active
        )


class ApiKeyCreate(In):
    name: Annotated[str, Field(max_length=200)] | None = None


class ApiKeyOut(Out):
    object: str = "api_key"
    id: str
    user_id: str
    key: str | None = Field(None, description="Only in the response that creates the key; stored hashed.")

    @classmethod
    def of(cls, k: IssuedKey) -> ApiKeyOut:
        return cls(id=k.id, user_id=k.user_id, key=k.key)


class SignInLockoutOut(Out):
    object: str = "sign_in_lockout"
    id: str
    scope: Literal["email", "address"] = Field(description="What was locked out: an e-mail or a client address.")
    subject: str = Field(description="The e-mail or the client address.")
    email: str | None = Field(None, description="The e-mail tried at the failure that started the lockout.")
    failures: int
    locked_at: datetime
    until: datetime = Field(description="When the lockout ends: its oldest counted failure leaves the window.")
    active: bool

    @classmethod
    def of(cls, lock: Lockout) -> SignInLockoutOut:
        return cls(
            id=lock.id,
            scope="email" if lock.scope == "email" else "address",
            subject=lock.subject,
            email=lock.email,
            failures=lock.failures,
            locked_at=lock.locked_at,
            until=lock.until,
            active=lock.active,
        )
