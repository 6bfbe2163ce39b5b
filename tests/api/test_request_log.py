"""Issue 18, item 11: a request log, one line per request (method, path, status, duration, request id), as
text or as JSON lines with LOG_FORMAT=json; and what `creditmemo serve` says when it starts."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from creditmemo.cli.serve import startup_lines
from creditmemo.request_log import JsonFormatter

CREDITMEMO = str(Path(sys.executable).with_name("creditmemo"))


def _records(caplog: pytest.LogCaptureFixture, path: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "creditmemo.request" and getattr(r, "path", None) == path]


class TestRequestLog:
    def test_one_line_per_request_with_method_path_status_duration_and_id(
        self, client: TestClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="creditmemo.request")
        api = client.get("/v1/customers?q=not-in-the-log")
        page = client.get("/sign-in", headers={"X-Request-ID": "req-from-the-proxy"})
        [api_line] = _records(caplog, "/v1/customers")
        [page_line] = _records(caplog, "/sign-in")
        assert (api_line.method, api_line.status) == ("GET", 401)  # type: ignore[attr-defined]  # a field the request log sets on the record
        assert api_line.request_id == api.headers["x-request-id"]  # type: ignore[attr-defined]  # a field the request log sets on the record
        assert isinstance(api_line.duration_ms, float)  # type: ignore[attr-defined]  # a field the request log sets on the record
        assert api_line.duration_ms >= 0  # type: ignore[attr-defined]  # a field the request log sets on the record
        assert "not-in-the-log" not in api_line.getMessage()
        assert page_line.status == 200  # type: ignore[attr-defined]  # a field the request log sets on the record
        assert page_line.request_id == "req-from-the-proxy" == page.headers["x-request-id"]  # type: ignore[attr-defined]  # a field the request log sets on the record
        assert page_line.getMessage().startswith("GET /sign-in 200 ")
        assert page_line.getMessage().endswith(" ms req-from-the-proxy")

    def test_refused_at_the_edge_is_logged_too(self, client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.INFO, logger="creditmemo.request")
        client.post("/v1/customers", content=b"x" * 10, headers={"Content-Length": "999999999"})
        [line] = _records(caplog, "/v1/customers")
        assert line.status == 413  # type: ignore[attr-defined]  # a field the request log sets on the record

    def test_json_lines(self, client: TestClient) -> None:
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonFormatter())
        logger = logging.getLogger("creditmemo.request")
        logger.addHandler(handler)
        level = logger.level
        logger.setLevel(logging.INFO)
        try:
            response = client.get("/sign-in")
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)
        [entry] = [json.loads(line) for line in stream.getvalue().splitlines()]
        assert {k: entry[k] for k in ("level", "logger", "method", "path", "status", "request_id")} == {
            "level": "INFO",
            "logger": "creditmemo.request",
            "method": "GET",
            "path": "/sign-in",
            "status": 200,
            "request_id": response.headers["x-request-id"],
        }
        assert entry["time"].endswith("+00:00")
        assert isinstance(entry["duration_ms"], float)


class TestStartup:
    def test_the_banner_says_where_to_go_and_hides_the_password(self) -> None:
        lines = startup_lines("127.0.0.1", 8000, 2, "process", "postgresql://app:s3cret@db:5432/books", "text")
        text = "\n".join(lines)
        assert "web UI    http://127.0.0.1:8000/" in text
        assert "docs http://127.0.0.1:8000/docs" in text
        assert "s3cret" not in text
        assert "postgresql://app:***@db:5432/books" in text
        assert "LOG_FORMAT=json" in text

    @pytest.mark.slow
    def test_serve_with_log_format_json_writes_json_lines(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'cm.db'}"
        env = {**os.environ, "DATABASE_URL": url, "LOG_FORMAT": "json"}
        subprocess.run([CREDITMEMO, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen(
            [CREDITMEMO, "serve", "--port", str(port), "--sealer", "thread"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                assert time.monotonic() < deadline, "the server did not start"
                try:
                    answer = httpx.get(f"http://127.0.0.1:{port}/sign-in", timeout=2)
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
        finally:
            proc.terminate()
            out, err = proc.communicate(timeout=30)
        banner = json.loads(out.splitlines()[0])
        assert banner["event"] == "startup"
        assert banner["message"].endswith(f"listening on http://127.0.0.1:{port}")
        entries = [json.loads(line) for line in err.splitlines() if line.strip()]  # every line is JSON
        requests = [e for e in entries if e.get("logger") == "creditmemo.request" and e.get("path") == "/sign-in"]
        assert requests, err
        assert requests[-1]["status"] == 200
        assert requests[-1]["request_id"] == answer.headers["x-request-id"]
