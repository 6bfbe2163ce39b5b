"""What the site serves besides its pages: the API reference at /docs from the Swagger UI files the
package ships (no CDN: it works offline), and the HTML not-found page for a browser that asks for a path
that does not exist (an API client still gets application/problem+json)."""

from __future__ import annotations

import inspect
from typing import Any, cast

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from creditmemo.web.core import PAGE_HEADERS, env, render

router = APIRouter()


@router.get("/docs", include_in_schema=False)
def api_docs() -> HTMLResponse:
    return HTMLResponse(env.get_template("docs.html").render())


def wants_html(request: Request) -> bool:
    """A browser's navigation (it asks for text/html), never a request under the API's /v1."""
    if request.url.path == "/v1" or request.url.path.startswith("/v1/"):
        return False
    return "text/html" in request.headers.get("accept", "")


def install_not_found_page(app: Any) -> None:
    """Wrap the API's handler of HTTP errors: a 404 a browser navigated to becomes the HTML page."""
    api_handler = app.exception_handlers[StarletteHTTPException]

    async def handler(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and wants_html(request):
            response = render(request, "error.html", 404, title="Not found", message="There is no such page.")
            response.headers.update(PAGE_HEADERS)
            return response
        result = api_handler(request, exc)
        if inspect.isawaitable(result):
            result = await result
        return cast(Response, result)

    app.add_exception_handler(StarletteHTTPException, handler)
