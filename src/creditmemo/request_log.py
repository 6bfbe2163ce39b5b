"""The request log: one line per request (method, path, status, duration, request id) on the logger
``creditmemo.request``, as text or, with ``LOG_FORMAT=json``, as JSON lines (``JsonFormatter``). The query
string is left out: it can carry what a user searched for."""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import UTC, datetime
from typing import Any, Final

log = logging.getLogger("creditmemo.request")
FIELDS: Final = ("method", "path", "status", "duration_ms", "request_id")
# LogRecord's own attributes: everything else on a record came in through ``extra=``.
_RECORD_ATTRS: Final = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class RequestLogMiddleware:
    """Pure ASGI, outside ``EdgeMiddleware`` (which gives the request its id): logs every HTTP request once
    it is answered, also when the app failed (status 500) or an edge check refused it (413)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_and_note(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            fields = {
                "method": scope.get("method", ""),
                "path": scope.get("path", ""),
                "status": status,
                "duration_ms": round((time.perf_counter() - start) * 1000, 1),
                "request_id": str(scope.get("state", {}).get("request_id") or "-"),
            }
            log.info("%s %s %s %.1f ms %s", *(fields[k] for k in FIELDS), extra=fields)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message and the record's extra fields;
    an exception's traceback goes in ``exc_info`` (the server log only; users never see one)."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRS and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def log_format() -> str:
    """``json`` or ``text``, from ``LOG_FORMAT``."""
    return "json" if os.environ.get("LOG_FORMAT", "").strip().lower() == "json" else "text"
