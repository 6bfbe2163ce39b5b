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
from creditmemo.services import idempotency
from creditmemo.services.actors import Actor
from creditmemo.services.users import authenticate_api_key
from creditmemo.store.uow import Database, Numbers, UnitOfWork, is_retryable

JSON = "application/json"
KEY_CACHE_SECONDS = 30.0
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class KeyCache:
    """Presented key digest -> actor, for a short while, so a request does not pay a lookup to authenticate.
    A revoked key or changed role is honoured within ``KEY_CACHE_SECONDS``."""

    def __init__(self, ttl: float = KEY_CACHE_SECONDS, size: int = 10_000) -> None:
        self.ttl, self.size = ttl, size
        self._items: dict[str, tuple[float, Actor]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> Actor | None:
        item = self._items.get(digest)
        if item is None or item[0] < time.monotonic():
            return None
        return item[1]

    def put(self, digest: str, actor: Actor) -> None:
        with self._lock:
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[digest] = (time.monotonic() + self.ttl, actor)

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
    actor = cache.get(digest)
    if actor is None:
        actor = await run_in_threadpool(_lookup, database(request), key)
        if actor is None:
            raise ApiError("unauthorized", "The API key is unknown or revoked.", headers=challenge)
        cache.put(digest, actor)
    return actor


def _lookup(db: Database, key: str) -> Actor | None:
    with db.uow(readonly=True) as uow:
        return authenticate_api_key(uow, key)


@dataclass
class Ctx:
    request: Request
    db: Database
    actor: Actor
    request_id: str
    idempotency_key: str | None = None

    def read(self, fn: Callable[[UnitOfWork], BaseModel]) -> Response:
        with self.db.uow(readonly=True, request_id=self.request_id) as uow:
            result = fn(uow)
        return Response(result.model_dump_json(), media_type=JSON)

    def preview(self, fn: Callable[[UnitOfWork], BaseModel]) -> Response:
        """Build without writing: the transaction is rolled back whatever happens."""
        with self.db.uow(readonly=True, request_id=self.request_id) as uow:
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


def _replay(stored: idempotency.StoredResponse) -> Response:
    return Response(
        stored.body, status_code=stored.status_code, media_type=JSON, headers={"Idempotent-Replayed": "true"}
    )


async def reader(request: Request, actor: Annotated[Actor, Depends(current_actor)]) -> Ctx:
    return Ctx(request, database(request), actor, request_id(request))


async def writer(
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


Reader = Annotated[Ctx, Depends(reader)]
Writer = Annotated[Ctx, Depends(writer)]


# On every answer, pages and API alike (issue 18 item 13). Scripts and styles come only from the site's own
# files: no inline script or style, no eval, so an injected tag does nothing. A response that needs more (the
# printable document's inline style) sets its own Content-Security-Policy, which is then left alone.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
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


__all__ = ["Ctx", "EdgeMiddleware", "KeyCache", "Reader", "Settings", "Writer", "current_actor"]
