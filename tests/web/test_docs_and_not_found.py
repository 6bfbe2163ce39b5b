"""Issue 18, item 12: /docs works offline (Swagger UI from the package's own files, no request leaves the
site), and a browser that asks for an unknown path gets the HTML not-found page while API clients still get
application/problem+json."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.web.conftest import Site


class TestDocsOffline:
    def test_the_reference_renders_with_no_request_off_the_site(self, site: Site, new_page: Any) -> None:
        page = new_page()
        elsewhere: list[str] = []
        own = urlsplit(site.url).netloc

        def route(r: Any) -> None:  # the offline machine: anything not served by the site fails
            if urlsplit(r.request.url).netloc != own:
                elsewhere.append(r.request.url)
                r.abort()
            else:
                r.continue_()

        page.route("**/*", route)
        page.goto("/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("creditmemo")
        # .opblock-tag: Swagger UI lists a large API (over ~200 operations) virtualised, without .opblock-tag-section
        expect(page.locator(".opblock-tag").first).to_be_visible()
        expect(page.get_by_text("/v1/customers", exact=True).first).to_be_visible()  # the first tag: on screen
        assert elsewhere == []
        html = page.request.get("/docs").text()
        assert "cdn" not in html.lower()
        assert "<script>" not in html  # no inline script: a CSP can forbid it

    def test_the_assets_are_served_from_the_package(self, site: Site, new_page: Any) -> None:
        page = new_page()
        for name in ("swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui.css", "docs.js"):
            path = f"/static/{name}"
            assert page.request.get(path).status == 200, path


class TestNotFound:
    def test_a_browser_gets_the_html_page(self, site: Site, new_page: Any) -> None:
        page = new_page()
        response = page.goto("/no/such/page")
        assert response is not None
        assert response.status == 404
        assert response.headers["content-type"].startswith("text/html")
        expect(page.locator("h1")).to_have_text("Not found")
        expect(page.get_by_role("link", name="Back to the dashboard")).to_be_visible()
