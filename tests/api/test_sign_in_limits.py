"""Sign-in throttling (issue 16 item 7) through the real app's web sign-in (POST /sign-in), on both engines:
5 wrong passwords for one e-mail, or 20 from one client address, within 15 minutes, and further attempts
get 429 with Retry-After, without running the password hash (services/users.PASSWORD_CHECKS counts argon2
runs); the lockout is one audit event and one row in GET /v1/sign-in-lockouts. Time is the app's clock
(``Database(engine, clock=...)``), moved by the test: no sleeping."""

from __future__ import annotations

import re
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from creditmemo.app import create_app
from creditmemo.ids import new_id
from creditmemo.services import users as users_svc
from creditmemo.services.actors import system_actor
from creditmemo.services.sign_in_limits import ADDRESS_LIMIT, EMAIL_LIMIT, WINDOW
from creditmemo.services.users import ensure_company_user, issue_api_key
from creditmemo.store.tables import audit_events
from creditmemo.store.uow import Database

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    def __init__(self) -> None:
        # Far from the real date and from other tests' clocks: no test sees another's failures in its window.
        self.now = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Site:
    db: Database
    clock: Clock
    app: Any
    slug: str
    company_id: str
    admin_key: str
    clerk_key: str

    def user(self, local: str, role: str = "clerk") -> str:
        email = f"{local}@{self.slug}.test"
        with self.db.uow() as uow:
            ensure_company_user(uow, self.slug, email, role, password=PASSWORD)
        return email

    def browser(self, address: str) -> TestClient:
        return TestClient(self.app, client=(address, 50000), follow_redirects=False)

    def sign_in(self, client: TestClient, email: str, password: str) -> Any:
        page = client.get("/sign-in")
        match = _CSRF.search(page.text)
        assert match, page.text
        return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": match.group(1)})


@pytest.fixture
def site(db: Database) -> Site:
    clock = Clock()
    clocked = Database(db.engine, clock=clock)
    slug = new_id("t").lower().replace("_", "-")[:40]
    with clocked.uow() as uow:
        admin = ensure_company_user(uow, slug, f"admin@{slug}.test", "admin", password=PASSWORD)
        clerk = ensure_company_user(uow, slug, f"clerk@{slug}.test", "clerk", password=PASSWORD)
        actor = system_actor(admin.company_id)
        admin_key = issue_api_key(uow, actor, admin.id).key
        clerk_key = issue_api_key(uow, actor, clerk.id).key
    return Site(clocked, clock, create_app(clocked), slug, admin.company_id, admin_key, clerk_key)


def _address() -> str:
    return "10." + ".".join(str(secrets.randbelow(250)) for _ in range(3))


def _lockout_events(db: Database, company_id: str) -> list[Any]:
    with db.engine.connect() as conn:
        return list(
            conn.execute(
                select(audit_events.c.action, audit_events.c.changes).where(
                    audit_events.c.company_id == company_id, audit_events.c.action == "user.sign_in_locked"
                )
            ).mappings()
        )


def test_sixth_attempt_is_refused_with_retry_after_without_hashing_even_with_the_right_password(site: Site) -> None:
    email = site.user("victim")
    browser = site.browser(_address())
    for _ in range(EMAIL_LIMIT):
        r = site.sign_in(browser, email, "wrong password!")
        assert r.status_code == 401, r.text
        assert "Retry-After" not in r.headers
        site.clock.advance(timedelta(minutes=1))
    assert _lockout_events(site.db, site.company_id)[0]["changes"]["failures"] == [None, EMAIL_LIMIT]

    checks = users_svc.PASSWORD_CHECKS[0]
    r = site.sign_in(browser, email, PASSWORD)  # the right password, 5 minutes after the first failure
    assert r.status_code == 429
    assert r.headers["Retry-After"] == str(int((WINDOW - timedelta(minutes=5)).total_seconds()))  # 600
    assert "Too many failed sign-ins" in r.text
    assert "cm_session" not in r.cookies
    site.clock.advance(timedelta(seconds=30))
    r = site.sign_in(site.browser(_address()), email, "another wrong")  # from another address: the e-mail counts
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "570"
    assert users_svc.PASSWORD_CHECKS[0] == checks  # no argon2 run for a refused attempt

    # One audit event for the lockout, not one per refused attempt; the admin sees it, a clerk may not.
    events = _lockout_events(site.db, site.company_id)
    assert len(events) == 1
    assert events[0]["changes"]["email"] == [None, email]
    admin = site.browser(_address())
    lockouts = admin.get("/v1/sign-in-lockouts", headers={"Authorization": f"Bearer {site.admin_key}"})
    assert lockouts.status_code == 200, lockouts.text
    [lock] = [lk for lk in lockouts.json() if lk["scope"] == "email"]
    assert (lock["subject"], lock["failures"], lock["active"]) == (email, EMAIL_LIMIT, True)
    assert lock["until"].startswith("2026-11-29T09:15:00")
    denied = admin.get("/v1/sign-in-lockouts", headers={"Authorization": f"Bearer {site.clerk_key}"})
    assert denied.status_code == 403


def test_the_lockout_ends_when_the_oldest_counted_failure_leaves_the_window(site: Site) -> None:
    email = site.user("patient")
    browser = site.browser(_address())
    for _ in range(EMAIL_LIMIT):
        assert site.sign_in(browser, email, "wrong password!").status_code == 401
        site.clock.advance(timedelta(minutes=2))
    # Failures at 0, 2, 4, 6, 8 minutes; now 10 minutes: locked for 5 more minutes.
    r = site.sign_in(browser, email, PASSWORD)
    assert (r.status_code, r.headers["Retry-After"]) == (429, "300")
    site.clock.advance(timedelta(minutes=5))  # the failure at 0 leaves the window: 4 remain
    r = site.sign_in(browser, email, "still wrong")
    assert r.status_code == 401  # the hash ran and said no; 5 again, locked again until the failure at 2 leaves
    r = site.sign_in(browser, email, PASSWORD)
    assert (r.status_code, r.headers["Retry-After"]) == (429, "120")
    assert len(_lockout_events(site.db, site.company_id)) == 2  # a new lockout
    site.clock.advance(timedelta(minutes=2))
    r = site.sign_in(browser, email, PASSWORD)
    assert r.status_code == 303, r.text
    assert "cm_session" in r.cookies


def test_a_right_password_clears_the_emails_count_not_the_addresss(site: Site) -> None:
    email = site.user("forgetful")
    own = site.user("guesser")
    address = _address()
    browser = site.browser(address)
    for _ in range(EMAIL_LIMIT - 1):
        assert site.sign_in(browser, email, "wrong password!").status_code == 401
    assert site.sign_in(browser, email, PASSWORD).status_code == 303  # the e-mail's count starts again
    for _ in range(EMAIL_LIMIT - 1):
        assert site.sign_in(site.browser(address), email, "wrong password!").status_code == 401
    assert site.sign_in(site.browser(address), email, "wrong password!").status_code == 401  # the 5th: locked
    assert site.sign_in(site.browser(address), email, PASSWORD).status_code == 429

    # The address has 4 + 5 = 9 failures. Signing in to one's own account does not reset them.
    assert site.sign_in(site.browser(address), own, PASSWORD).status_code == 303
    for i in range(ADDRESS_LIMIT - 9):
        r = site.sign_in(site.browser(address), f"nobody{i}@{site.slug}.test", "wrong password!")
        assert r.status_code == 401, i
    checks = users_svc.PASSWORD_CHECKS[0]
    r = site.sign_in(site.browser(address), own, PASSWORD)  # 20 from the address: refused, right password or not
    assert r.status_code == 429
    assert r.headers["Retry-After"] == str(int(WINDOW.total_seconds()))  # all at the same instant
    assert users_svc.PASSWORD_CHECKS[0] == checks
    assert site.sign_in(site.browser(_address()), own, PASSWORD).status_code == 303  # another address is not
    # The address lockout started at a failure for an e-mail unknown to any company but with this company's
    # domain: no company, so no audit event for it; the e-mail lockout is this company's.
    actions = [e["changes"]["scope"][1] for e in _lockout_events(site.db, site.company_id)]
    assert actions == ["email"]


def test_wrong_passwords_racing_record_one_lockout(site: Site) -> None:
    """Six wrong passwords at once for an e-mail with four failures: the failures are counted one transaction at
    a time (a named lock per e-mail and per address), so exactly one brings the count to five and records the
    lockout, whatever the interleaving; each racing attempt is answered 401 or 429, never an error."""
    email = site.user("raced")
    address = _address()
    for _ in range(EMAIL_LIMIT - 1):
        assert site.sign_in(site.browser(address), email, "wrong password!").status_code == 401
    forms = []
    for _ in range(6):
        browser = site.browser(address)
        token = _CSRF.search(browser.get("/sign-in").text)
        assert token
        forms.append((browser, token.group(1)))
    barrier = threading.Barrier(len(forms))

    def attempt(browser: TestClient, token: str) -> int:
        barrier.wait()
        data = {"email": email, "password": "wrong password!", "csrf_token": token}
        return int(browser.post("/sign-in", data=data).status_code)

    with ThreadPoolExecutor(len(forms)) as pool:
        statuses = list(pool.map(lambda form: attempt(*form), forms))
    assert set(statuses) <= {401, 429}, statuses
    assert 401 in statuses
    assert len(_lockout_events(site.db, site.company_id)) == 1
    assert site.sign_in(site.browser(address), email, PASSWORD).status_code == 429


def test_behind_a_trusted_proxy_each_client_address_is_counted_not_the_proxys(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TRUSTED_PROXIES: the address limit counts the client named by the proxy's X-Forwarded-For, so one
    client's failures do not lock out everyone behind the same proxy; a forwarded header from anyone else is
    ignored (it could be forged)."""
    proxy, client, other = _address(), _address(), _address()
    monkeypatch.setenv("TRUSTED_PROXIES", f"{proxy}, 192.0.2.0/24")
    app = create_app(site.db)
    email = site.user("proxied")

    def via_proxy(forwarded_for: str) -> TestClient:
        return TestClient(
            app, client=(proxy, 50000), follow_redirects=False, headers={"X-Forwarded-For": forwarded_for}
        )

    for i in range(ADDRESS_LIMIT):
        r = site.sign_in(via_proxy(client), f"nobody{i}@{site.slug}.test", "wrong password!")
        assert r.status_code == 401, i
    assert site.sign_in(via_proxy(client), email, PASSWORD).status_code == 429  # the client is limited
    assert site.sign_in(via_proxy(other), email, PASSWORD).status_code == 303  # the proxy's other clients are not

    # Not from a trusted proxy: the header is ignored and the connection's own address is counted.
    forger = _address()
    for i in range(ADDRESS_LIMIT):
        browser = TestClient(app, client=(forger, 50000), follow_redirects=False, headers={"X-Forwarded-For": other})
        assert site.sign_in(browser, f"nobody{i}@{site.slug}.test", "wrong password!").status_code == 401, i
    assert site.sign_in(site.browser(forger), email, PASSWORD).status_code == 429
    assert site.sign_in(via_proxy(other), email, PASSWORD).status_code == 303
