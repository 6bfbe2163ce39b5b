"""Errors as application/problem+json (RFC 9457), from the one table of stable codes to HTTP statuses and titles
(presentation/statuses.py, which the web's error pages use too)."""

from __future__ import annotations

import logging
import re
from typing import Any, Final

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from creditmemo.domain.errors import DomainError, TooManyAttemptsError, ValidationFailedError
from creditmemo.presentation.statuses import DEFAULT_DOMAIN_STATUS as DEFAULT_DOMAIN_STATUS
from creditmemo.presentation.statuses import PROBLEMS as PROBLEMS
from creditmemo.presentation.statuses import status_for as status_for

log = logging.getLogger("creditmemo.api")

PROBLEM_JSON: Final = "application/problem+json"

_MEMBER = re.compile(r"^[a-z_][a-z0-9_]*$")
_RESERVED: Final = frozenset({"type", "title", "status", "detail", "instance", "code", "field", "errors", "request_id"})


class ApiError(DomainError):
    """An error only the HTTP edge raises (credentials, body size); ``code`` per instance."""

    def __init__(
        self, code: str, detail: str, *, field: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail, field=field)
        self.code = code  # type: ignore[misc]  # code is per instance here, a class constant elsewhere
        self.headers = headers or {}


def problem(
    request: Request | None,
    code: str,
    detail: str,
    *,
    field: str | None = None,
    errors: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    status: int | None = None,
) -> JSONResponse:
    status = status or status_for(code)
    title = PROBLEMS.get(code, (status, code.replace("_", " ").capitalize()))[1]
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path if request is not None else None,
        "code": code,
    }
    if field is not None:
        body["field"] = field
    body["errors"] = (
        errors if errors is not None else ([{"field": field, "code": code, "message": detail}] if field else [])
    )
    for key, value in (extra or {}).items():
        if _MEMBER.match(key) and key not in _RESERVED:
            body[key] = _jsonable(value)
    request_id = _request_id(request)
    if request_id:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def _request_id(request: Request | None) -> str | None:
    if request is None:
        return None
    return request.scope.get("state", {}).get("request_id")


def domain_problem(request: Request | None, exc: DomainError) -> JSONResponse:
    errors = [e.as_dict() for e in exc.errors] if isinstance(exc, ValidationFailedError) else None
    code = exc.code
    status = status_for(code)
    if status >= 500:
        log.error("internal domain error %s: %s", code, exc.detail)
        return problem(request, "internal_error", "The server failed to handle this request.", status=500)
    return problem(
        request,
        code,
        exc.detail,
        field=exc.field,
        errors=errors,
        extra=dict(exc.context),
        headers=getattr(exc, "headers", None)
        or ({"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttemptsError) else None),
    )


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "body"


def validation_problem(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = []
    for err in exc.errors():
        field = _field_path(tuple(err.get("loc", ())))
        kind = str(err.get("type", "invalid"))
        message = str(err.get("msg", "Invalid value."))
        if kind == "json_invalid":
            field, message = "body", "The body is not valid JSON."
        errors.append({"field": field, "code": kind, "message": message})
    first = errors[0] if errors else {"field": "body", "message": "Invalid request."}
    return problem(
        request, "validation_error", f"{first['field']}: {first['message']}", field=first["field"], errors=errors
    )


_HTTP_CODES: Final = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
}


def http_problem(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "bad_request" if exc.status_code < 500 else "internal_error")
    detail = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return problem(request, code, detail, status=exc.status_code, headers=getattr(exc, "headers", None))


def data_problem(request: Request, exc: Exception) -> JSONResponse:
    """The database refused a value the schemas let through (a NUL character, a number or date out of the
    column's range): the client's input, so 422, never a 500."""
    log.info("database refused a value on %s %s: %s", request.method, request.url.path, str(exc).splitlines()[0])
    return problem(
        request, "validation_error", "A value is not acceptable (e.g. a NUL character or out of range).", field="body"
    )


def unexpected_problem(request: Request, exc: Exception) -> JSONResponse:
    log.error(
        "unhandled error on %s %s (request %s)", request.method, request.url.path, _request_id(request), exc_info=exc
    )
    return problem(
        request, "internal_error", "The server failed to handle this request; quote the request id.", status=500
    )


def install(app: Any) -> None:
    app.add_exception_handler(DomainError, domain_problem)
    app.add_exception_handler(RequestValidationError, validation_problem)
    app.add_exception_handler(StarletteHTTPException, http_problem)
    app.add_exception_handler(DataError, data_problem)
    app.add_exception_handler(Exception, unexpected_problem)


# OpenAPI: the problem responses each route declares (``responses=problems(404, 409)``).
PROBLEM_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": ["string", "null"]},
        "code": {"type": "string"},
        "field": {"type": ["string", "null"]},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "allowed_actions": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": True,
}
_DESCRIPTIONS: Final = {
    400: "Bad request",
    401: "Missing or invalid API key (`unauthorized`)",
    403: "The role lacks the permission (`forbidden`)",
    404: "Not found, or another company's (`not_found`)",
    409: "State conflict (`invalid_transition`, `approval_required`, `idempotency_conflict`, `memo_settled`)",
    413: "Body larger than the limit (`payload_too_large`)",
    422: "Invalid input or amount rule (`validation_error`, `over_credit`, `over_return`, `insufficient_available`, "
    "`currency_mismatch`, `rate_missing`, `period_closed`)",
    500: "Internal error (with a request id, never a stack trace)",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: 401, 422 and 500 always, plus the given statuses."""
    wanted = sorted({401, 422, 500, *statuses})
    return {
        s: {
            "description": _DESCRIPTIONS.get(s, "Problem"),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for s in wanted
    }
