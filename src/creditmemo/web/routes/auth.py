"""Sign in with e-mail and password; sign out. The sign-in form is protected by a double-submit
CSRF cookie (there is no session yet); every later form by the session's CSRF token."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import Response

from creditmemo.domain.errors import TooManyAttemptsError
from creditmemo.services import sign_in_limits
from creditmemo.services.web_sessions import SESSION_LIFETIME, sign_in, sign_out
from creditmemo.web.core import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SIGNIN_CSRF_COOKIE,
    FormDep,
    ViewerDep,
    WebRoute,
    WriterDep,
    db_of,
    new_csrf,
    redirect,
    render,
    safe_path,
    secure_cookies,
)

router = APIRouter(route_class=WebRoute)


def _safe_next(target: object) -> str:
    """Only paths on this site (never //host or a scheme): no open redirect."""
    return safe_path(target) or "/"


def _form(
    request: Request, *, email: str = "", error: str | None = None, status: int = 200, next_: object = None
) -> Response:
    token = new_csrf()
    response = render(
        request,
        "sign_in.html",
        status,
        csrf_token=token,
        email=email,
        error=error,
        next=_safe_next(next_ or request.query_params.get("next")),
    )
    response.set_cookie(
        SIGNIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/sign-in",
        max_age=3600,
    )
    return response


@router.get("/sign-in", include_in_schema=False)
def sign_in_page(request: Request) -> Response:
    return _form(request)


@router.post("/sign-in", include_in_schema=False)
def sign_in_submit(request: Request, form: FormDep) -> Response:
    sent, expected = str(form.get(CSRF_FIELD) or ""), request.cookies.get(SIGNIN_CSRF_COOKIE) or ""
    email = str(form.get("email") or "").strip()
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        return _form(
            request, email=email, error="The form expired. Please sign in again.", status=403, next_=form.get("next")
        )
    address = request.client.host if request.client else None
    try:
        signed = db_of(request).transact(
            lambda uow: sign_in(uow, email=email, password=form.get("password"), address=address)
        )
    except TooManyAttemptsError as e:
        minutes = max(1, -(-e.retry_after // 60))
        response = _form(
            request,
            email=email,
            error=f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
            status=429,
            next_=form.get("next"),
        )
        response.headers["Retry-After"] = str(e.retry_after)
        return response
    if signed is None:
        return _form(
            request, email=email, error="E-mail or password is not correct.", status=401, next_=form.get("next")
        )
    response = redirect(_safe_next(form.get("next")))
    response.set_cookie(
        SESSION_COOKIE,
        signed.token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
        max_age=int(SESSION_LIFETIME.total_seconds()),
    )
    response.delete_cookie(SIGNIN_CSRF_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out", include_in_schema=False)
def sign_out_submit(request: Request, v: WriterDep) -> Response:
    db_of(request).transact(lambda uow: sign_out(uow, v.token))
    response = redirect("/sign-in")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/settings/security", include_in_schema=False)
def security_page(request: Request, v: ViewerDep) -> Response:
    """Admins: the sign-in lockouts of the company's e-mails (GET /v1/sign-in-lockouts is the same list)."""
    with db_of(request).uow(readonly=True) as uow:
        locks = sign_in_limits.lockouts(uow, v.actor)
    return render(
        request,
        "security.html",
        200,
        lockouts=locks,
        window_minutes=int(sign_in_limits.WINDOW.total_seconds() // 60),
        email_limit=sign_in_limits.EMAIL_LIMIT,
        address_limit=sign_in_limits.ADDRESS_LIMIT,
    )
