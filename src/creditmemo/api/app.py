"""The API's FastAPI application: ``create_api(settings | db)``. Routes under /v1, OpenAPI at /openapi.json, every
error as application/problem+json. The application that is served, with the web UI mounted at /, is
``creditmemo.app.create_app``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import creditmemo
from creditmemo.api import problems
from creditmemo.api.deps import EdgeMiddleware, KeyCache
from creditmemo.api.routes import (
    automatic,
    chart,
    customers,
    exchange_rates,
    imports,
    invoices,
    ledger,
    memos,
    payments,
    periods,
    refunds,
    reports,
    returns,
    revenue,
    settings,
    users,
    webhooks,
)
from creditmemo.config import Settings
from creditmemo.request_log import RequestLogMiddleware
from creditmemo.services import idempotency
from creditmemo.store.uow import Database

DESCRIPTION = """Credit and debit memos on a double-entry ledger.

* **Auth**: `Authorization: Bearer <API key>` (`creditmemo apikey create`). Keys belong to users with a
  role (clerk, manager, vp, controller, auditor, admin); another company's documents are 404.
* **Money** travels as decimal strings (`"100.00"`); JSON numbers are refused for amounts.
* **Idempotency-Key** on every POST: a replay returns the first response (header `Idempotent-Replayed`);
  the same key with a different body is `409 idempotency_conflict`. Keys are kept 24 hours.
* **Lists** page with `limit` (≤ 100) and `starting_after` (the `next_cursor` of the previous page).
* **Errors** are `application/problem+json` with a stable `code`, the `field` at fault and `errors[]`.
"""


def create_api(config: Settings | Database | None = None) -> FastAPI:
    """The API app over a Database (tests pass one) or over the Settings' DATABASE_URL."""
    settings = config if isinstance(config, Settings) else Settings()
    # A server's audit trail is sealed after commit, in batches: by its own thread, or by the sealer process
    # `creditmemo serve` runs beside the workers (store/sealer.py).
    db = config if isinstance(config, Database) else Database(settings.database_url, sealing=settings.sealing)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:  # stored Idempotency-Key responses older than the retention (24 h) go at start-up
            with db.uow() as uow:
                idempotency.purge_expired(uow)
        except Exception:  # e.g. a database not migrated yet: requests will say so
            logging.getLogger("creditmemo.api").warning("idempotency purge skipped", exc_info=True)
        if db.sealer is not None:  # events a previous process committed but did not seal
            db.sealer.request(())
        yield
        if db.sealer is not None:
            db.sealer.stop()

    app = FastAPI(
        title="creditmemo",
        version=creditmemo.__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,  # served by the web package from its own Swagger UI files (web/site.py): offline
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.settings = settings
    app.state.key_cache = KeyCache()
    problems.install(app)
    app.add_middleware(EdgeMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(RequestLogMiddleware)  # it sees the request id and every answer
    trusted_proxies = settings.trusted_proxy_list()
    if trusted_proxies:  # outermost: the log, the sign-in limits and the pages see the real client
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted_proxies)
    v1 = APIRouter(prefix="/v1")
    for router in (
        customers.router,
        invoices.router,
        memos.invoice_memos,
        memos.credit_router,
        memos.debit_router,
        payments.router,
        refunds.router,
        ledger.router,
        reports.router,
        settings_router(),
        automatic.router,
        exchange_rates.router,
        imports.router,
        returns.router,
        revenue.router,
        periods.router,
        users.router,
        chart.router,
        webhooks.router,
    ):
        v1.include_router(router)
    app.include_router(v1)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = problems.PROBLEM_SCHEMA
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the schema
    return app


def settings_router() -> APIRouter:
    return settings.router
