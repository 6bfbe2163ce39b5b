"""Server-rendered pages (Jinja2 + htmx) over the same services, mounted at / by the API app."""

from __future__ import annotations

from typing import Any


def mount(app: Any) -> None:
    """Attach the web UI's routes and static files to the FastAPI ``app``."""
