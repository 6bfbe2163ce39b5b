"""Sign-in limits (issue 16 item 7) as a person meets them, in Chromium on each engine: five wrong passwords for
one e-mail, then the right one is refused with 429 and Retry-After and the page says when to try again (no session
cookie); an admin finds the lockout under Sign-in security. The counting, the windows, the address limit and the
hash not run are tested through the app in tests/api/test_sign_in_limits.py.

Every browser test reaches the site from 127.0.0.1, and 20 failures from one address lock it for everyone: this
journey's requests carry ``X-Forwarded-For`` with an address of its own, from the documentation range (RFC 5737; a
header's text only, nothing is sent there), so its failures are not counted against the other tests' address. The
test site's uvicorn keeps its default ``proxy_headers`` (it believes the header from 127.0.0.1), unlike ``creditmemo
serve`` (TRUSTED_PROXIES); the last assertion says so if that changes."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from creditmemo.services.sign_in_limits import EMAIL_LIMIT, WINDOW
from creditmemo.services.users import ensure_company_user
from creditmemo.store.tables import audit_events, sign_in_failures
from tests.web.conftest import PASSWORD, Site, shot, sign_in


def _attempt(page: Any, email: str, password: str) -> Any:
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_response(lambda r: r.url.endswith("/sign-in") and r.request.method == "POST") as answer:
        page.get_by_role("button", name="Sign in").click()
    return answer.value


@pytest.mark.journey
def test_five_wrong_passwords_lock_the_email_and_an_admin_sees_it(site: Site, new_page: Any) -> None:
    email = f"locked-{uuid.uuid4().hex[:8]}@web.test"
    with site.db.uow() as uow:
        ensure_company_user(uow, "web-co", email, "clerk", password=PASSWORD)

    page = new_page()
    address = f"198.51.100.{1 + secrets.randbelow(250)}"
    page.context.set_extra_http_headers({"X-Forwarded-For": address})
    page.goto("/sign-in")
    for _ in range(EMAIL_LIMIT):
        answer = _attempt(page, email, "not my password")
        assert answer.status == 401
        assert "retry-after" not in answer.headers
        expect(page.get_by_role("alert")).to_have_text("E-mail or password is not correct.")

    answer = _attempt(page, email, PASSWORD)  # the right password, too late
    assert answer.status == 429
    retry_after = int(answer.headers["retry-after"])
    assert 0 < retry_after <= WINDOW.total_seconds()
    expect(page.get_by_role("alert")).to_have_text(
        re.compile(r"^Too many failed sign-ins\. Try again in \d+ minutes?\.$")
    )
    expect(page.get_by_label("E-mail")).to_have_value(email)
    assert [c for c in page.context.cookies() if c["name"] == "cm_session"] == []
    shot(page, "sign-in-locked")

    admin = new_page()
    sign_in(admin, site.users["admin"])
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Sign-in security").click()
    admin.wait_for_url("**/settings/security")
    row = admin.get_by_test_id("lockouts").locator("tbody tr", has_text=email)
    expect(row).to_have_count(1)
    expect(row.locator("[data-label='Of']")).to_have_text(f"e-mail {email}")
    expect(row.locator("[data-label='Failures']")).to_have_text(str(EMAIL_LIMIT))
    expect(row.locator("[data-label='Status']")).to_have_text("locked")
    shot(admin, "settings-security")
    with site.db.engine.connect() as conn:
        changes = conn.execute(
            select(audit_events.c.changes).where(
                audit_events.c.company_id == site.company_id, audit_events.c.action == "user.sign_in_locked"
            )
        ).scalars()
        assert [c["email"][1] for c in changes].count(email) == 1  # one audit event, not one per refusal
        counted = select(func.count()).where(
            sign_in_failures.c.scope == "address", sign_in_failures.c.subject == address
        )
        assert conn.execute(counted).scalar_one() == EMAIL_LIMIT, (
            "the failures were not counted against this journey's X-Forwarded-For address: does the test site's "
            "uvicorn still believe the header from 127.0.0.1 (tests/web/conftest.py)?"
        )
