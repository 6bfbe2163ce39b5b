"""The lists page by keyset and export what they show (issue 16 items 3 and 8), in Chromium: Next and Previous
walk a customer's credit memos 25 at a time, the filters and the sort stay, and Export CSV downloads every
matching memo (not only the page) with the same filters."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from creditmemo.domain.inputs import FreeLineInput
from creditmemo.services.actors import system_actor
from creditmemo.services.memos.create import create_standalone_credit_memo
from tests.web.conftest import Site, invoice_of_new_customer, shot, sign_in


def test_next_previous_and_export(site: Site, new_page: Any) -> None:
    invoice = invoice_of_new_customer(site, "Paging Export Ltd")
    actor = system_actor(site.company_id, "test seeder")
    with site.db.uow() as uow:
        for i in range(27):
            create_standalone_credit_memo(
                uow,
                actor,
                customer_id=invoice.customer_id,
                currency="USD",
                reason_code="goodwill",
                lines=[FreeLineInput(f"Credit {i}", "1", f"{10 + i}.00")],
            )
    page = new_page()
    sign_in(page, site.users["controller"])
    page.goto(f"/credit-memos?customer={invoice.customer_id}&sort=total&dir=desc")
    rows = page.get_by_test_id("list").locator("tbody tr")
    expect(rows).to_have_count(25)
    expect(rows.first).to_contain_text("36.00")
    expect(page.get_by_role("link", name="← Previous")).to_have_count(0)
    shot(page, "list-keyset-first-page")
    page.get_by_role("link", name="Next →").click()
    expect(rows).to_have_count(2)
    expect(rows.last).to_contain_text("10.00")
    expect(page.get_by_role("link", name="Next →")).to_have_count(0)
    assert f"customer={invoice.customer_id}" in page.url
    page.get_by_role("link", name="← Previous").click()
    expect(rows).to_have_count(25)
    expect(rows.first).to_contain_text("36.00")
    link = page.get_by_test_id("export-csv")
    assert link.get_attribute("href") == f"/credit-memos.csv?customer={invoice.customer_id}&sort=total&dir=desc"
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("credit-memos-")
    body = Path(download.path()).read_text(encoding="utf-8")
    exported = list(csv.DictReader(io.StringIO(body)))
    assert [r["total"] for r in exported] == [f"{36 - i}.00" for i in range(27)]
    assert {r["customer"] for r in exported} == {"Paging Export Ltd"}
