"""Issue 13 item 6 (webhooks part) in the browser: an admin adds an endpoint (the signing secret is shown once),
sees its recent deliveries after the deliverer ran, redelivers an event, disables and deletes it (after a
confirmation); the page reports no Content-Security-Policy violation. Other roles do not get the page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from creditmemo.domain.inputs import CreditLineInput
from creditmemo.ids import new_id
from creditmemo.services.actors import system_actor
from creditmemo.services.memos.create import create_credit_memo_from_invoice
from creditmemo.webhooks import Deliverer
from tests.receiver import Receiver, verify
from tests.web.conftest import Site, confirm, invoice_of_new_customer, shot, sign_in
from tests.web.test_content_security_policy import LISTEN, _violations


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setenv("CREDITMEMO_WEBHOOKS_ALLOW_PRIVATE", "1")
    r = Receiver()
    yield r
    r.stop()


def _memo(site: Site) -> str:
    actor = system_actor(site.company_id, "test seeder")
    inv = invoice_of_new_customer(site, "Hooked Ltd")
    with site.db.uow() as uow:
        return create_credit_memo_from_invoice(
            uow, actor, inv.id, reason_code="goodwill", auto_apply=False,
            lines=[CreditLineInput(inv.lines[0].id, amount="1.00")],
        ).id  # fmt: skip


def _deliver(site: Site) -> None:
    deliverer = Deliverer(site.db, company_ids=[site.company_id])
    try:
        while deliverer.deliver_due() > 0:
            pass
    finally:
        deliverer.close()


def test_add_see_deliveries_redeliver_disable_delete(site: Site, new_page: Any, receiver: Receiver) -> None:
    url = f"{receiver.url}?run={new_id('t')}"  # this test's endpoint among any others of the shared site
    page = new_page()
    page.add_init_script(LISTEN)
    sign_in(page, site.users["admin"])
    page.goto("/settings/webhooks")
    page.get_by_label("URL (https://…)").fill("ftp://nowhere.example/hook")
    page.get_by_label("credit_memo.created").check()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("alert").first).to_contain_text("Only http:// and https:// URLs")
    page.get_by_label("URL (https://…)").fill(url)
    expect(page.get_by_label("credit_memo.created")).to_be_checked()  # kept after the refusal
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_test_id("webhook-secret")).to_contain_text("copy its signing secret now")
    secret = page.get_by_test_id("secret-value").inner_text().strip()
    assert secret.startswith("whsec_")
    shot(page, "webhooks-secret-shown-once")
    page.goto("/settings/webhooks")
    expect(page.get_by_test_id("webhook-secret")).to_have_count(0)  # never again
    assert secret not in page.content()
    endpoint = page.get_by_role("article", name=f"Endpoint {url}")
    expect(endpoint.get_by_test_id("endpoint-status")).to_have_text("active")

    _memo(site)
    _deliver(site)
    page.reload()
    rows = endpoint.get_by_test_id("deliveries").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("credit_memo.created")
    expect(rows.first).to_contain_text("200")
    (first,) = receiver.requests
    assert verify(secret, first.headers["Creditmemo-Signature"], first.body)

    rows.first.get_by_role("button", name="Redeliver").click()
    expect(page.get_by_test_id("webhooks-done")).to_have_text("The event is queued to be sent again.")
    _deliver(site)
    assert [r.json["id"] for r in receiver.requests] == [first.json["id"]] * 2
    page.reload()
    expect(endpoint.get_by_test_id("deliveries").locator("tbody tr")).to_have_count(2)
    shot(page, "webhooks-deliveries")

    endpoint.get_by_role("button", name="Disable").click()
    confirm(page, "Disable")
    expect(endpoint.get_by_test_id("endpoint-status")).to_have_text("disabled")
    endpoint.get_by_role("button", name="Delete").click()
    confirm(page, "Delete")
    expect(page.get_by_test_id("webhooks-done")).to_have_text("Endpoint deleted.")
    expect(page.get_by_role("article", name=f"Endpoint {url}")).to_have_count(0)
    assert _violations(page) == []


def test_only_admins_have_the_page(site: Site, new_page: Any) -> None:
    page = new_page()
    sign_in(page, site.users["controller"])
    expect(page.get_by_role("link", name="Webhooks")).to_have_count(0)
    response = page.goto("/settings/webhooks")
    assert response is not None
    assert response.status == 403
