"""/v1/users and API keys: admins add users and issue or revoke keys. A new key is in the creating
response only (never stored in plain text, so that response is not kept for Idempotency-Key replays)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response

from creditmemo.api.deps import Call, IdempotentCall
from creditmemo.api.problems import problems
from creditmemo.api.schemas.users import ApiKeyCreate, ApiKeyOut, SignInLockoutOut, UserCreate, UserOut, UserUpdate
from creditmemo.services import sign_in_limits
from creditmemo.services import users as svc
from creditmemo.store.uow import UnitOfWork

router = APIRouter(tags=["users and keys"])
Id = Annotated[str, Path(max_length=40)]


@router.post("/users", status_code=201, response_model=UserOut, responses=problems(403, 409, 413))
def create_user(body: UserCreate, ctx: IdempotentCall) -> Response:
    return ctx.write(
        lambda uow: UserOut.of(
            svc.create_user(
                uow,
                ctx.actor,
                email=body.email,
                role=body.role,
                name=body.name,
                privileges=list(body.privileges),
                password=body.password,
            )
        ),
        status=201,
        body=body.model_copy(update={"password": None}),
    )


@router.get("/users", response_model=list[UserOut], responses=problems(403))
def list_users(ctx: Call) -> Response:
    from pydantic import RootModel

    return ctx.read(lambda uow: RootModel[list[UserOut]]([UserOut.of(u) for u in svc.list_users(uow, ctx.actor)]))


@router.patch("/users/{user_id}", response_model=UserOut, responses=problems(403, 404, 409))
def update_user(user_id: Id, body: UserUpdate, ctx: IdempotentCall) -> Response:
    """Change a user's role, privileges or active flag (fields left out stay): the user's API keys and web
    sessions carry the change from their next request, in every server process."""
    return ctx.write(
        lambda uow: UserOut.of(
            svc.update_user(
                uow,
                ctx.actor,
                user_id,
                role=body.role,
                privileges=None if body.privileges is None else list(body.privileges),
                active=body.active,
            )
        ),
        body=body,
    )


@router.post(
    "/users/{user_id}/api-keys",
    status_code=201,
    response_model=ApiKeyOut,
    responses=problems(403, 404, 413),
    summary="Issue an API key for a user (shown once; Idempotency-Key is not honoured here)",
)
def create_api_key(user_id: Id, ctx: Call, body: ApiKeyCreate | None = None) -> Response:
    return ctx.write(
        lambda uow: ApiKeyOut.of(svc.create_api_key(uow, ctx.actor, user_id, name=None if body is None else body.name)),
        status=201,
        idempotent=False,
    )


@router.delete("/api-keys/{key_id}", status_code=204, responses=problems(403, 404))
def revoke_api_key(key_id: Id, ctx: Call) -> Response:
    def run(uow: UnitOfWork) -> Any:
        svc.revoke_api_key(uow, ctx.actor, key_id)  # moves auth_version: refused at once in every process
        return None

    return ctx.write(run, status=204, idempotent=False)


@router.get(
    "/sign-in-lockouts",
    response_model=list[SignInLockoutOut],
    responses=problems(403),
    summary="Sign-in lockouts of the company's e-mails in the last 30 days, newest first (admins)",
)
def list_sign_in_lockouts(ctx: Call) -> Response:
    from pydantic import RootModel

    return ctx.read(
        lambda uow: RootModel[list[SignInLockoutOut]](
            [SignInLockoutOut.of(lock) for lock in sign_in_limits.lockouts(uow, ctx.actor)]
        )
    )
