"""Server-rendered pages (Jinja2 + htmx) over the same services, mounted at / by the API app."""

from __future__ import annotations

from typing import Any


def mount(app: Any) -> None:
    """Attach the web UI's routes and static files to the FastAPI ``app`` (which holds ``state.db``)."""
    from fastapi.staticfiles import StaticFiles

    from creditmemo.web import site
    from creditmemo.web.core import HERE
    from creditmemo.web.routes import (
        approvals,
        auth,
        automatic,
        chart,
        customers,
        dashboard,
        documents,
        edit,
        exports,
        integrations,
        invoice_new,
        invoices,
        lists,
        memos,
        payments,
        periods,
        rates,
        reports,
        returns,
        revenue,
        webhooks,
    )

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (
        auth,
        dashboard,
        lists,
        exports,
        customers,  # before invoices: /customers/new before /customers/{id}
        invoice_new,  # and /invoices/new before /invoices/{id}
        payments,
        invoices,
        automatic,
        returns,
        revenue,
        edit,
        memos,
        documents,
        approvals,
        periods,
        reports,
        integrations,
        rates,
        chart,
        webhooks,
        site,
    ):
        app.include_router(module.router)
    site.install_not_found_page(app)
