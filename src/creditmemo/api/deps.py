"""What routes share: the database, the acting user from the API key, and one unit of work per request
(reads read-only; writes commit when the ``with`` block exits, before the response is sent, and store
the response under the Idempotency-Key in the same transaction)."""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from creditmemo.api.problems import ApiError
from creditmemo.config import Settings
from creditmemo.domain.errors import DomainError
from creditmemo.ids import new_id
from creditmemo.presentation.security import CONTENT_SECURITY_POLICY
from creditmemo.services import idempotency
from creditmemo.services.actors import Actor
from creditmemo.services.users import authenticate_api_key_versioned
from creditmemo.store.uow import Database, Numbers, UnitOfWork, is_retryable

JSON = "application/json"
KEY_CACHE_SECONDS = 30.0
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class KeyCache:
    """Presented key digest -> (actor, the company's ``auth_version`` it was read at), for a short while, so a
    request does not pay a key lookup to authenticate. Each request's unit of work compares the tag with the
    company's current ``auth_version`` (``Ctx.fresh``: read with the company's settings, the statement most
    requests make anyway), so a revoked key, a deactivated user or a changed role is refused or re-read by
    the very next request in every server process; the TTL only bounds how long an unused entry is kept."""

    def __init__(self, ttl: float = KEY_CACHE_SECONDS, size: int = 10_000) -> None:
        self.ttl, self.size = ttl, size
        self._items: dict[str, tuple[float, Actor, int]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> tuple[Actor, int] | None:
        item = self._items.get(digest)
        if item is None or item[0] < time.monotonic():
            return None
        return item[1], item[2]

    def put(self, digest: str, actor: Actor, version: int) -> None:
        with self._lock:
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[digest] = (time.monotonic() + self.ttl, actor, version)

    def drop(self, digest: str) -> None:
        with self._lock:
            self._items.pop(digest, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def database(request: Request) -> Database:
    return request.app.state.db


def request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id") or new_id("req"))


_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer cmk_…`")


async def current_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Actor:
    """Async so a cached key costs no thread hop; a cache miss looks the key up in the thread pool."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError("unauthorized", "Send an API key as `Authorization: Bearer <key>`.", headers=challenge)
    key = credentials.credentials
    digest = hashlib.sha256(key.encode(errors="replace")).hexdigest()
    cache: KeyCache = request.app.state.key_cache
    found = cache.get(digest)
    if found is None:
        found = await run_in_threadpool(_lookup, database(request), key)
        if found is None:
            raise ApiError("unauthorized", "The API key is unknown or revoked.", headers=challenge)
        cache.put(digest, *found)
    actor, version = found
    request.state.api_key = KeyInUse(digest, key, version)
    return actor


@dataclass(frozen=True, slots=True)
class KeyInUse:
    """The request's key and the company ``auth_version`` its cached actor was read at."""

    digest: str
    key: str
    version: int


def _lookup(db: Database, key: str) -> tuple[Actor, int] | None:
    with db.uow(readonly=True) as uow:
        return authenticate_api_key_versioned(uow, key)


@dataclass
class Ctx:
    request: Request
    db: Database
    actor: Actor
    request_id: str
    idempotency_key: str | None = None

    def fresh(self, uow: UnitOfWork) -> None:
        """First thing in each of the request's units of work: the key's cached actor holds only while its
        company's ``auth_version`` is the one it was read at (one single-row read, shared with the company's
        settings and config version, which most requests read anyway). When it moved (a key revoked, a user
        deactivated, a role changed, in any process), the key is looked up again here: refused (401) or the
        actor re-read with its new role."""
        used: KeyInUse | None = getattr(self.request.state, "api_key", None)
        if used is None:
            return
        if uow.companies.auth_version(self.actor.company_id) == used.version:
            return
        cache: KeyCache = self.request.app.state.key_cache
        found = authenticate_api_key_versioned(uow, used.key)
        if found is None:
            cache.drop(used.digest)
            raise ApiError("unauthorized", "The API key is unknown or revoked.", headers={"WWW-Authenticate": "Bearer"})
        cache.put(used.digest, *found)
        self.actor = found[0]
        self.request.state.api_key = KeyInUse(used.digest, used.key, found[1])

    def uow(self, *, readonly: bool = True) -> Any:
        """A unit of work for a route that opens its own, with the key's freshness checked in it."""
        return _FreshUow(self, readonly)

    def read(self, fn: Callable[[UnitOfWork], BaseModel]) -> Response:
        with self.db.uow(readonly=True, request_id=self.request_id) as uow:
            self.fresh(uow)
            result = fn(uow)
        return Response(result.model_dump_json(), media_type=JSON)

    def preview(self, fn: Callable[[UnitOfWork], BaseModel]) -> Response:
        """Build without writing: the transaction is rolled back whatever happens."""
        with self.db.uow(readonly=True, request_id=self.request_id) as uow:
            self.fresh(uow)
            try:
                result = fn(uow)
            finally:
                uow.rollback()
        return Response(result.model_dump_json(), media_type=JSON)

    def write(
        self,
        fn: Callable[[UnitOfWork], BaseModel | None],
        *,
        status: int = 200,
        body: BaseModel | None = None,
        idempotent: bool = True,
    ) -> Response:
        """Run ``fn`` in one transaction (retried by ``Database.transact`` on a deadlock or serialization
        failure) and store the response under the Idempotency-Key in that same transaction."""
        key = self.idempotency_key if idempotent else None
        fingerprint = ""
        if key is not None:
            idempotency.check_key(key)
            payload = body.model_dump_json(exclude_unset=False) if body is not None else ""
            fingerprint = idempotency.request_fingerprint(self.request.method, self.request.url.path, payload)

        numbers: list[Numbers] = []

        def attempt(uow: UnitOfWork) -> Response:
            self.fresh(uow)
            uow.defer_numbers()  # a new document's number is taken in the commit's flight (store/numbering.py)
            numbers[:] = [uow.numbers]
            stored = None
            if key is not None:
                stored = idempotency.find_response(uow, self.actor, key, fingerprint)
                if stored is not None and stored is not idempotency.EXPIRED:
                    return _replay(stored)
            result = fn(uow)
            text = "" if result is None else result.model_dump_json()
            if key is not None:
                idempotency.save_response(
                    uow, self.actor, key, fingerprint, status, text, replace=stored is idempotency.EXPIRED
                )
            if status == 204:
                return Response(status_code=204)
            return Response(text, status_code=status, media_type=JSON)

        try:
            response = self.db.transact(attempt, request_id=self.request_id)
        except IntegrityError:
            # A concurrent request with the same key committed first: answer as its replay.
            replay = self._twin(key, fingerprint)
            if replay is None:
                raise ApiError("conflict", "The request conflicted with a concurrent change; retry it.") from None
            return replay
        except DomainError:
            # The same key sent twice at once: the second waited for the first's locks and then found the
            # document already changed. The first one's response is the answer.
            replay = self._twin(key, fingerprint)
            if replay is None:
                raise
            return replay
        except DBAPIError as e:
            if is_retryable(e):  # still failing after every retry
                raise ApiError("conflict", "The request conflicted with concurrent changes; retry it.") from None
            raise
        if numbers and numbers[0].taken:  # committed: the numbers the documents got
            response = Response(
                numbers[0].fill_in(bytes(response.body).decode()),
                status_code=response.status_code,
                media_type=JSON,
            )
        return response

    def _twin(self, key: str | None, fingerprint: str) -> Response | None:
        if key is None:
            return None
        with self.db.uow(readonly=True, request_id=self.request_id) as uow:
            stored = idempotency.find_response(uow, self.actor, key, fingerprint)
        return None if stored is None or stored is idempotency.EXPIRED else _replay(stored)


class _FreshUow:
    def __init__(self, ctx: Ctx, readonly: bool) -> None:
        self.ctx, self.readonly = ctx, readonly
        self._cm: Any = None

    def __enter__(self) -> UnitOfWork:
        self._cm = self.ctx.db.uow(readonly=self.readonly, request_id=self.ctx.request_id)
        uow: UnitOfWork = self._cm.__enter__()
        try:
            self.ctx.fresh(uow)
        except BaseException as e:
            self._cm.__exit__(type(e), e, e.__traceback__)
            raise
        return uow

    def __exit__(self, *exc: Any) -> Any:
        return self._cm.__exit__(*exc)


def _replay(stored: idempotency.StoredResponse) -> Response:
    return Response(
        stored.body, status_code=stored.status_code, media_type=JSON, headers={"Idempotent-Replayed": "true"}
    )


async def call(request: Request, actor: Annotated[Actor, Depends(current_actor)]) -> Ctx:
    return Ctx(request, database(request), actor, request_id(request))


async def idempotent_call(
    request: Request,
    actor: Annotated[Actor, Depends(current_actor)],
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=255,
            description="Makes the POST safe to retry: a replay returns the first response (24 h).",
        ),
    ] = None,
) -> Ctx:
    return Ctx(request, database(request), actor, request_id(request), idempotency_key)


# What a route is given: ``Call`` for any request; ``IdempotentCall`` also reads the Idempotency-Key header, so a
# POST that creates something can be retried safely (a replay returns the first response). Both may write.
Call = Annotated[Ctx, Depends(call)]
IdempotentCall = Annotated[Ctx, Depends(idempotent_call)]


# On every answer, pages and API alike (the policy: presentation/security.py).
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)


class EdgeMiddleware:
    """Pure ASGI: request ids in and out (X-Request-ID), and the body size limit (413, never a 500)."""

    def __init__(self, app: Any, max_body_bytes: int) -> None:
        self.app = app
        self.max_body = max_body_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = None
        length = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                text = value.decode("latin-1")
                rid = text if _REQUEST_ID.match(text) else None
            elif name == b"content-length":
                length = value
        rid = rid or new_id("req")
        scope.setdefault("state", {})["request_id"] = rid
        header = (b"x-request-id", rid.encode())
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            await _send_problem(
                scope,
                send,
                422,
                "validation_error",
                "NUL characters are not allowed in the URL.",
                rid,
                headers=[header],
            )
            return

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                given = {name.lower() for name, _ in headers}
                extra = [(name, value) for name, value in SECURITY_HEADERS if name not in given]
                message["headers"] = [*headers, header, *extra]
            await send(message)

        if length is not None:
            try:
                too_big = int(length) > self.max_body
            except ValueError:
                too_big = False
            if too_big:
                await _send_problem(
                    scope,
                    send_with_id,
                    413,
                    "payload_too_large",
                    f"The body is larger than {self.max_body} bytes.",
                    rid,
                )
                return
        seen = 0

        async def limited_receive() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise StarletteHTTPException(413, f"The body is larger than {self.max_body} bytes.")
            return message

        await self.app(scope, limited_receive, send_with_id)


async def _send_problem(
    scope: dict[str, Any],
    send: Any,
    status: int,
    code: str,
    detail: str,
    rid: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    import json

    from creditmemo.api.problems import PROBLEM_JSON, PROBLEMS

    body = json.dumps(
        {
            "type": f"/problems/{code}",
            "title": PROBLEMS[code][1],
            "status": status,
            "detail": detail,
            "instance": scope.get("path"),
            "code": code,
            "errors": [],
            "request_id": rid,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


__all__ = ["Call", "Ctx", "EdgeMiddleware", "IdempotentCall", "KeyCache", "Settings", "current_actor"]
