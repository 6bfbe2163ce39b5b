"""One-time form tokens: every form that writes carries a fresh ``form_token``, and the server runs a token's
request once. A second submit of the same form (a double click, a resent POST) gets the first result: the
redirect the first one answered, stored under the token in the same transaction as the change (the API's
Idempotency-Key store, services/idempotency.py), so two submits can never both commit."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Final

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import FormData

from creditmemo.domain.errors import DomainError, IdempotencyConflictError, NotFoundError
from creditmemo.presentation.statuses import status_for
from creditmemo.services import idempotency
from creditmemo.store.uow import UnitOfWork
from creditmemo.web.core import CSRF_FIELD, Viewer, db_of, env, prefixed_errors, redirect, render

TOKEN_FIELD: Final = "form_token"
_TOKEN: Final = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_LOCATION: Final = 303  # the stored status of a result that is a redirect (its body is the URL)


def new_form_token() -> str:
    return secrets.token_urlsafe(18)


env.globals["form_token"] = new_form_token


class FormTokenError(Exception):
    """The form carries no valid one-time token (a page from before this version, or a hand-made POST)."""


def _key(v: Viewer, form: FormData) -> str:
    token = str(form.get(TOKEN_FIELD) or "")
    if not _TOKEN.match(token):
        raise FormTokenError()
    return f"web:{v.actor.user_id or '-'}:{token}"


def token_is_valid(v: Viewer, form: FormData) -> bool:
    """Whether the form carries a well-formed one-time token (for a form whose request is idempotent by itself,
    e.g. an invoice import, which skips what it already created, and so needs no stored first answer)."""
    try:
        _key(v, form)
    except FormTokenError:
        return False
    return True


def _fingerprint(request: Request, form: FormData) -> str:
    """The path and the form's values (not its tokens): the same token with other values is a conflict."""
    fields = sorted(
        (k, str(val)) for k, val in form.multi_items() if k not in (CSRF_FIELD, TOKEN_FIELD) and isinstance(val, str)
    )
    body = "\n".join(f"{k}={val}" for k, val in fields)
    return idempotency.request_fingerprint("POST", request.url.path, body)


def _location(response: Response) -> str | None:
    if "HX-Redirect" in response.headers:
        return response.headers["HX-Redirect"]
    if 300 <= response.status_code < 400:
        return response.headers.get("location")
    return None


def submit_once(request: Request, v: Viewer, form: FormData, fn: Callable[[UnitOfWork], Response]) -> Response:
    """Run ``fn`` (which writes and answers a redirect, or rolls back and answers a page) once per form token.

    A replay answers the first redirect. A request that loses the race to its twin (the unique key, or a
    domain error because the twin already changed the document) answers the twin's result too."""
    try:
        key = _key(v, form)
    except FormTokenError:
        return _page(request, 400, "Form expired", "This form has no valid one-time token. Reload the page and resend.")
    fingerprint = _fingerprint(request, form)
    actor = v.actor

    def attempt(uow: UnitOfWork) -> Response:
        stored = idempotency.find_response(uow, actor, key, fingerprint)
        if stored is not None and stored is not idempotency.EXPIRED:
            return redirect(stored.body, request)
        response = fn(uow)
        location = _location(response)
        if location is not None:
            idempotency.save_response(
                uow, actor, key, fingerprint, _LOCATION, location, replace=stored is idempotency.EXPIRED
            )
        return response

    request_id = str(request.scope.get("state", {}).get("request_id") or "") or None
    try:
        return db_of(request).transact(attempt, request_id=request_id)
    except IntegrityError:
        twin = _twin(request, v, key, fingerprint)
        if twin is None:
            raise
        return twin
    except IdempotencyConflictError:
        return _page(
            request, 409, "Form already sent", "This form was already sent with other values. Reload the page."
        )
    except DomainError:
        twin = _twin(request, v, key, fingerprint)
        if twin is None:
            raise
        return twin


def submit_change(
    request: Request,
    v: Viewer,
    form: FormData,
    change: Callable[[UnitOfWork], object],
    *,
    then: str,
    page: Callable[..., Response],
    errors: str | Callable[[DomainError], dict[str, str]],
    refill: bool = True,
) -> Response:
    """The usual form that writes: ``change`` once per form token, then a redirect to ``then``. A refusal
    (other than not found, which is the error page's) shows the form's page again: ``page(errors=..., form=...,
    status=...)`` with ``errors(refusal)`` (a string: the refusal's errors keyed ``errors.field``, for one of
    several forms on a page), the form as sent unless ``refill`` is off, and the status the API gives that error
    (``status_for``)."""

    def run(uow: UnitOfWork) -> Response:
        change(uow)
        return redirect(then, request)

    try:
        return submit_once(request, v, form, run)
    except NotFoundError:
        raise
    except DomainError as e:
        shown = prefixed_errors(errors, e) if isinstance(errors, str) else errors(e)
        return page(errors=shown, form=form if refill else None, status=status_for(e.code))


def _twin(request: Request, v: Viewer, key: str, fingerprint: str) -> Response | None:
    with db_of(request).uow(readonly=True) as uow:
        stored = idempotency.find_response(uow, v.actor, key, fingerprint)
    if stored is None or stored is idempotency.EXPIRED:
        return None
    return redirect(stored.body, request)


def _page(request: Request, status: int, title: str, message: str) -> Response:
    return render(request, "error.html", status, title=title, message=message)
