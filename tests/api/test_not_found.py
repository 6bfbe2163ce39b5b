"""Issue 18, item 12: an unknown path is problem+json for API clients (the HTML page is for browsers only:
tests/web/test_docs_and_not_found.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    ("path", "accept"),
    [("/no/such/page", "application/json"), ("/no/such/page", "*/*"), ("/v1/nothing", "text/html")],
)
def test_an_api_client_gets_problem_json(client: TestClient, path: str, accept: str) -> None:
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_a_browser_gets_html(client: TestClient) -> None:
    response = client.get("/no/such/page", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Not found" in response.text
    assert response.headers["x-frame-options"] == "DENY"
