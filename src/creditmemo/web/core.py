"""What every page shares: the Jinja2 environment and its filters, the signed-in user from the session
cookie, CSRF checks on every POST, and one route class that turns domain errors into pages (never a
stack trace)."""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from creditmemo.config import Settings
from creditmemo.domain.errors import DomainError, NotFoundError, ValidationFailedError
from creditmemo.domain.money import minor_units
from creditmemo.presentation.formatting import fmt_datetime, fmt_decimal, fmt_money, fmt_price, label
from creditmemo.presentation.locale import current_locale, negotiate, read_number
from creditmemo.presentation.statuses import status_for  # the one code -> HTTP status table
from creditmemo.services.actors import Actor
from creditmemo.services.web_sessions import WebSession, session_for
from creditmemo.store.uow import Database
from creditmemo.web.messages import CHANGE_LABELS, change_text, finance_words

log = logging.getLogger("creditmemo.web")
HERE = Path(__file__).parent
SESSION_COOKIE = "cm_session"
SIGNIN_CSRF_COOKIE = "cm_signin_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


env.filters.update(money=fmt_money, dec=fmt_decimal, price=fmt_price, dt=fmt_datetime, label=label, change=change_text)
env.filters["exponent"] = minor_units  # digits after the point of a currency (the bulk post total, app.js)
env.globals.update(urlencode=urlencode, quote=quote, change_labels=CHANGE_LABELS)
# The reader's locale as a BCP 47 tag ("de-DE"), for what the browser formats itself (the bulk post total).
env.globals["reader_locale"] = lambda: current_locale.get().replace("_", "-")


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in user as pages see them."""

    session: WebSession
    token: str

    @property
    def actor(self) -> Actor:
        return self.session.actor

    @property
    def csrf(self) -> str:
        return self.session.csrf_token


class Redirect(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class CsrfError(Exception):
    pass


def db_of(request: Request) -> Database:
    return request.app.state.db


def secure_cookies(request: Request) -> bool:
    settings: Settings | None = getattr(request.app.state, "settings", None)
    return bool(settings and settings.secure_cookies) or request.url.scheme == "https"


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    viewer = getattr(request.state, "viewer", None)
    html = env.get_template(template).render(request=request, viewer=viewer, path=request.url.path, **context)
    return HTMLResponse(html, status_code=status)


def viewer(request: Request) -> Viewer:
    """The signed-in user, or a redirect to the sign-in page (htmx requests get HX-Redirect)."""
    token = request.cookies.get(SESSION_COOKIE)
    session = None
    if token:
        with db_of(request).uow(readonly=True) as uow:
            session = session_for(uow, token)
    if session is None or token is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise Redirect("/sign-in?" + urlencode({"next": target}))
    v = Viewer(session, token)
    request.state.viewer = v
    return v


# Numbers as people type them (issue 18 item 8): "1,000.00", or "1.000,00" for a German reader (presentation/locale.py).
# Only the number fields are read so, and only a well-formed number is rewritten; anything else reaches the parser
# as typed and gets its error there. The API stays strict: clients send plain decimal strings.
NUMBER_FIELDS = re.compile(
    r"^(amount|alloc|below|credit|disc|price|qty|tax|received|edit_qty|new_quantity|new_unit_price|outage_minutes|min|max)"
    r"(_\w+)?$"
)


async def form_data(request: Request) -> FormData:
    form = await request.form()
    if not any(NUMBER_FIELDS.match(key) for key in form):
        return form
    return FormData(
        [
            (key, read_number(value) if isinstance(value, str) and NUMBER_FIELDS.match(key) else value)
            for key, value in form.multi_items()
        ]
    )


def writer(
    request: Request, v: Annotated[Viewer, Depends(viewer)], form: Annotated[FormData, Depends(form_data)]
) -> Viewer:
    """A signed-in user whose POST carries the session's CSRF token (form field or htmx header)."""
    sent = str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or "")
    if not sent or not hmac.compare_digest(sent, v.csrf):
        raise CsrfError()
    return v


ViewerDep = Annotated[Viewer, Depends(viewer)]
WriterDep = Annotated[Viewer, Depends(writer)]
FormDep = Annotated[FormData, Depends(form_data)]


def field_errors(err: DomainError) -> dict[str, str]:
    """{field: message} for showing next to inputs; '' holds what belongs to no field."""
    if isinstance(err, ValidationFailedError) and err.errors:
        result: dict[str, str] = {}
        for fe in err.errors:
            result.setdefault(fe.field, finance_words(fe.message))
        return result
    return {err.field or "": finance_words(err.detail)}


def prefixed_errors(prefix: str, err: DomainError) -> dict[str, str]:
    """``field_errors`` keyed ``prefix.field`` (``prefix`` alone for what belongs to no field): the errors of
    one of several forms on a page."""
    return {f"{prefix}.{k}" if k else prefix: m for k, m in field_errors(err).items()}


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def redirect(url: str, request: Request | None = None) -> Response:
    if request is not None and is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def new_csrf() -> str:
    return secrets.token_urlsafe(32)


# Pages are never framed (clickjacking), never sniffed, and do not leak their URLs (ids) to other sites.
# Pages are never cached (they show one user's data); the security headers of every answer are the edge's
# (api/deps.py: CSP, nosniff, frame and referrer policy).
PAGE_HEADERS = {"Cache-Control": "no-store"}


class WebRoute(APIRoute):
    """Pages answer in HTML whatever goes wrong: sign-in redirects, 403 on a bad CSRF token, the
    not-found page for another company's ids, and a page naming the error for any other domain error."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            token = current_locale.set(negotiate(request.headers.get("accept-language")))
            try:
                response = await self._handle(inner, request)
            finally:
                current_locale.reset(token)
            for name, value in PAGE_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return handler

    @staticmethod
    async def _handle(inner: Callable[[Request], Coroutine[Any, Any, Response]], request: Request) -> Response:
        try:
            return await inner(request)
        except Redirect as r:
            return redirect(r.url, request)
        except CsrfError:
            return render(
                request,
                "error.html",
                403,
                title="Form expired",
                message="The form's security token is missing or stale. Reload the page and try again.",
            )
        except NotFoundError:
            return render(request, "error.html", 404, title="Not found", message="There is no such page or document.")
        except DomainError as e:
            status = status_for(e.code)
            return render(
                request,
                "error.html",
                status,
                title=label(e.code).capitalize(),
                message=finance_words(e.detail),
                code=e.code,
            )
        except HTTPException:
            raise
        except Exception:
            rid = str(request.scope.get("state", {}).get("request_id") or "")
            log.exception("web page failed (request %s)", rid)
            return render(
                request,
                "error.html",
                500,
                title="Something went wrong",
                message=f"The page could not be shown. Request id: {rid or 'unknown'}.",
            )


def safe_path(target: object) -> str | None:
    """A path on this site (never //host, a scheme or a backslash): no open redirect."""
    if isinstance(target, str) and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def today(request: Request) -> date:
    return db_of(request).clock().date()


def as_str(form: Mapping[str, Any], key: str) -> str | None:
    value = form.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None
