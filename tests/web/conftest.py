"""Browser tests: the real app under uvicorn (a background thread, a free 127.0.0.1 port) driven by Playwright
with Debian's Chromium. Two sites are served for the whole session, each seeded alike: one on a SQLite file,
one on a PostgreSQL database of its own (``{TEST_POSTGRES_URL}_web``), started only when a test asks for it.

``site`` is the SQLite one, except for the tests marked ``journey`` (one per main feature, issue 16 item 9):
those run once per engine of CREDITMEMO_TEST_ENGINES, ``site`` being each engine's. Running every browser test
on both engines would double tests/web (about 4 more minutes on the 2-core machine) and take the CI run past its
15 minutes; the pages run the same services the service and API tests cover on both engines, so the journeys
carry the engine's part in the browser. ``engine_site`` (any test) is the same per-engine site, for tests whose
subject is the database's part, as in double submits. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from creditmemo.domain.inputs import InvoiceLineInput
from creditmemo.services.actors import system_actor
from creditmemo.services.customers import create_customer
from creditmemo.services.invoices import issue_invoice
from creditmemo.services.users import ensure_company_user
from creditmemo.store import migrate
from creditmemo.store.uow import Database
from tests.conftest import ENGINES, PG_URL, _fresh_postgres

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "correct horse battery"
ROLES = ("clerk", "manager", "vp", "controller", "auditor", "admin")


@dataclass
class Site:
    url: str
    db: Database
    company_id: str
    other_company_id: str
    users: dict[str, str]  # role -> e-mail
    invoices: dict[str, Any] = field(default_factory=dict)
    customer_id: str = ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


BIG_LINES = [
    InvoiceLineInput("Annual platform subscription", "1", "12000.00", tax_rate="8.25"),
    InvoiceLineInput("Implementation services (hours)", "40", "150.00", tax_rate="8.25"),
    InvoiceLineInput("Hardware gateway", "5", "499.00", tax_rate="8.25", unit_cost="310.00"),
]


def _seed(db: Database) -> tuple[str, str, dict[str, str], dict[str, Any], str]:
    users = {}
    with db.uow() as uow:
        for role in ROLES:
            privileges = ["create_multiline_memo"] if role == "clerk" else []
            u = ensure_company_user(
                uow, "web-co", f"{role}@web.test", role, privileges, company_name="Web Test Co", password=PASSWORD
            )
            users[role] = u.email
        ensure_company_user(uow, "web-co", "clerk1@web.test", "clerk", [], password=PASSWORD)
        users["single_line_clerk"] = "clerk1@web.test"
        other = ensure_company_user(
            uow, "web-other", "controller@other.test", "controller", company_name="Other Co", password=PASSWORD
        )
        users["other"] = other.email
        company_id = uow.companies.id_for_slug("web-co")
        assert company_id is not None
    actor = system_actor(company_id, "test seeder")
    today = db.clock().date()
    with db.uow() as uow:
        customer = create_customer(uow, actor, name="Acme Corp", currency="USD", payment_terms_days=30)
        small = issue_invoice(
            uow,
            actor,
            customer_id=customer.id,
            currency="USD",
            issue_date=today - timedelta(days=40),
            lines=[InvoiceLineInput("Support plan", "1", "1000.00", tax_rate="8.25")],
        )
        big = issue_invoice(
            uow, actor, customer_id=customer.id, currency="USD", issue_date=today - timedelta(days=10), lines=BIG_LINES
        )
    return company_id, other.company_id, users, {"small": small, "big": big}, customer.id


def _require_chromium() -> None:
    """A missing Chromium fails the browser tests (never a silent skip) unless CREDITMEMO_SKIP_BROWSER_TESTS=1."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CREDITMEMO_SKIP_BROWSER_TESTS") == "1":
        pytest.skip("CREDITMEMO_SKIP_BROWSER_TESTS=1 and Debian's Chromium is not installed")
    pytest.fail(
        "Debian's Chromium is not installed: apt-get install chromium (scripts/test does it as root), "
        "or set CREDITMEMO_SKIP_BROWSER_TESTS=1 to skip the browser tests",
        pytrace=False,
    )


@contextmanager
def _serve(db: Database) -> Iterator[Site]:
    """Migrate and seed ``db``, and serve the app on it under uvicorn until the block ends."""
    import uvicorn

    from creditmemo.app import create_app

    migrate.upgrade(db.engine)
    company_id, other_id, users, invoices, customer_id = _seed(db)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield Site(f"http://127.0.0.1:{port}", db, company_id, other_id, users, invoices, customer_id)
    server.should_exit = True
    thread.join(timeout=10)
    db.dispose()


@pytest.fixture(scope="session")
def sqlite_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    _require_chromium()
    with _serve(Database(f"sqlite:///{tmp_path_factory.mktemp('web') / 'web.db'}")) as served:
        yield served


JOURNEY = "journey"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{JOURNEY}: a browser journey run on each engine (tests/web/conftest.py)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked ``journey`` that uses ``site`` runs once per engine."""
    if "site" in metafunc.fixturenames and metafunc.definition.get_closest_marker(JOURNEY) is not None:
        metafunc.parametrize("site", ENGINES, indirect=True, ids=[f"site-{e}" for e in ENGINES])


@pytest.fixture
def site(request: pytest.FixtureRequest) -> Site:
    """The SQLite site, or each engine's for a ``journey`` test."""
    engine = getattr(request, "param", "sqlite")
    served: Site = request.getfixturevalue("sqlite_site" if engine == "sqlite" else "postgres_site")
    return served


@pytest.fixture(scope="session")
def postgres_site() -> Iterator[Site]:
    """The same site on PostgreSQL (a database of its own beside the test database), for the browser tests
    whose subject is the database's part: double submits racing on the same rows."""
    _require_chromium()
    url = f"{PG_URL}_web"
    _fresh_postgres(url)
    with _serve(Database(url)) as served:
        yield served


@pytest.fixture(params=ENGINES)
def engine_site(request: pytest.FixtureRequest) -> Site:
    """The site on each engine of CREDITMEMO_TEST_ENGINES."""
    site: Site = request.getfixturevalue("sqlite_site" if request.param == "sqlite" else "postgres_site")
    return site


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    _require_chromium()
    # Assertions wait as long as actions (10 s, below): two test workers and Chromium share the CI machine's two
    # cores, and the API reference's 1.5 MB Swagger bundle took more than expect's default 5 s to start there.
    expect.set_options(timeout=10_000)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser: Any, site: Site) -> Iterator[Any]:
    """A factory of pages, each in its own context (own cookies), closed after the test."""
    contexts = []

    def make(width: int = 1280, height: int = 900, on: Site | None = None) -> Any:
        ctx = browser.new_context(
            viewport={"width": width, "height": height}, base_url=(on or site).url, accept_downloads=True
        )
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


def sign_in(page: Any, email: str, password: str = PASSWORD) -> None:
    page.goto("/sign-in")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)


def confirm(page: Any, label: str) -> None:
    """Answer the confirmation dialog an irreversible action opens, with its button named ``label``."""
    page.get_by_role("dialog").get_by_role("button", name=label, exact=True).click()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fresh_invoice(site: Site) -> Any:
    """A new three-line invoice of the test customer, for tests that must not share credit."""
    with site.db.uow() as uow:
        return issue_invoice(
            uow,
            system_actor(site.company_id, "test seeder"),
            customer_id=site.customer_id,
            currency="USD",
            issue_date=site.db.clock().date(),
            lines=BIG_LINES,
        )


def invoice_of_new_customer(site: Site, name: str = "Beta Ltd") -> Any:
    """A three-line invoice of a new customer: for tests whose documents must not show up on the shared
    customer's pages (its open invoices, its credit)."""
    actor = system_actor(site.company_id, "test seeder")
    with site.db.uow() as uow:
        customer = create_customer(uow, actor, name=name, currency="USD", payment_terms_days=30)
        return issue_invoice(
            uow, actor, customer_id=customer.id, currency="USD", issue_date=site.db.clock().date(), lines=BIG_LINES
        )


def today_of(site: Site) -> date:
    return site.db.clock().date()
