"""The application ``creditmemo serve`` runs: the API (api/app.py) with the web UI (web/) mounted at /. The one
module that puts the two HTTP edges together, so that neither imports the other
(tests/test_dependency_direction.py); what both present alike is in presentation/."""

from __future__ import annotations

from fastapi import FastAPI

from creditmemo import web
from creditmemo.api.app import create_api
from creditmemo.config import Settings
from creditmemo.store.uow import Database


def create_app(config: Settings | Database | None = None) -> FastAPI:
    """The app over a Database (tests pass one) or over the Settings' DATABASE_URL."""
    app = create_api(config)
    web.mount(app)
    return app
