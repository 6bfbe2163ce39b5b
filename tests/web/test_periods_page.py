"""The Periods page (issue 17 item 2) in a real browser: a controller sees the months, closes one after a
confirmation, sees it closed with who closed it, cannot reopen it without a reason, reopens it with one; a
clerk sees the page without the buttons. Linked from the navigation."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from creditmemo.services.actors import system_actor
from creditmemo.services.periods import list_periods
from tests.web.conftest import Site, confirm, shot, sign_in


def _oldest_listed(site: Site) -> str:
    """The oldest month the page lists: no other browser test dates a document there."""
    with site.db.uow(readonly=True) as uow:
        return list_periods(uow, system_actor(site.company_id, "t"))[-1].period


def _status(site: Site, period: str) -> str:
    with site.db.uow(readonly=True) as uow:
        return {p.period: p.status for p in list_periods(uow, system_actor(site.company_id, "t"))}[period]


@pytest.mark.journey
def test_a_controller_closes_and_reopens_a_month(site: Site, new_page: Any) -> None:
    month = _oldest_listed(site)
    page = new_page()
    sign_in(page, site.users["controller"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Periods").click()
    page.wait_for_url("**/periods")
    row = page.locator(f"tr[data-period='{month}']")
    expect(row.locator(".badge")).to_have_text("open")
    row.get_by_role("button", name=f"Close {month}").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Close {month}: from now on nothing can be dated in it")
    dialog.get_by_role("button", name="Cancel").click()
    assert _status(site, month) == "open"  # cancelled: nothing sent

    row.get_by_role("button", name=f"Close {month}").click()
    confirm(page, f"Close {month}")
    expect(page.get_by_role("status")).to_have_text(f"{month} closed.")
    row = page.locator(f"tr[data-period='{month}']")
    expect(row.locator(".badge")).to_have_text("closed")
    assert _status(site, month) == "closed"
    shot(page, "periods-closed")

    # Reopening needs a reason: the browser asks for one, and the server refuses a blank one too.
    reason = row.get_by_label(f"Reason to reopen {month}")
    expect(reason).to_have_attribute("required", "")
    reason.evaluate("el => el.removeAttribute('required')")
    reason.fill("   ")
    row.get_by_role("button", name="Reopen").click()
    expect(page.locator(f"tr[data-period='{month}'] #err-reason")).to_contain_text("reopened")
    assert _status(site, month) == "closed"

    row = page.locator(f"tr[data-period='{month}']")
    row.get_by_label(f"Reason to reopen {month}").fill("Late supplier credit")
    row.get_by_role("button", name="Reopen").click()
    expect(page.get_by_role("status")).to_have_text(f"{month} reopened.")
    row = page.locator(f"tr[data-period='{month}']")
    expect(row.locator(".badge")).to_have_text("open")
    expect(row).to_contain_text("Late supplier credit")
    assert _status(site, month) == "open"


def test_a_clerk_sees_the_months_without_the_buttons(site: Site, new_page: Any) -> None:
    page = new_page()
    sign_in(page, site.users["clerk"])
    page.goto("/periods")
    expect(page.get_by_test_id("periods")).to_be_visible()
    expect(page.get_by_role("button", name="Reopen")).to_have_count(0)
    expect(page.locator("button", has_text="Close ")).to_have_count(0)
    expect(page.get_by_text("Only a controller or an admin closes and reopens periods.")).to_be_visible()
