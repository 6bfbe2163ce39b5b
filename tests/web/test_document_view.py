"""The HTML print view of the memo document in the browser (issue 18 item 4): a line with a 300-character word
and a long reference wrap inside the page on a desktop and on a phone, the amount columns stay in view, and the
customer's legal details are shown. Screenshots go to test-artifacts/screenshots/. (The PDF itself is tested
page by page in tests/api/test_document.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from creditmemo.domain.inputs import FreeLineInput
from creditmemo.services.actors import system_actor
from creditmemo.services.customers import create_customer
from creditmemo.services.memos.create import create_standalone_credit_memo
from tests.web.conftest import Site, shot, sign_in

LONG_WORD = "Q" + "abcdefghijklmnopqrstuvwxyz" * 11 + "end"  # 290 letters, no break opportunity


def _long_memo(site: Site) -> Any:
    actor = system_actor(site.company_id, "test seeder")
    with site.db.uow() as uow:
        customer = create_customer(
            uow,
            actor,
            name="Wide Words Ltd",
            currency="USD",
            legal={"legal_name": "Wide Words Limited", "city": "Dublin", "postal_code": "D02 X285", "country": "IE"},
        )
        return create_standalone_credit_memo(
            uow,
            actor,
            customer_id=customer.id,
            currency="USD",
            reason_code="goodwill",
            reference="R" * 200,
            lines=[FreeLineInput(f"Line {n}: {LONG_WORD}", "3", "1234.56", tax_rate="8.25") for n in range(1, 4)],
        )


@pytest.mark.parametrize(("width", "name"), [(1280, "30-document-desktop"), (390, "31-document-phone")])
def test_the_print_view_wraps_long_words_inside_the_page(site: Site, new_page: Any, width: int, name: str) -> None:
    memo = _long_memo(site)
    page = new_page(width=width, height=900)
    sign_in(page, site.users["clerk"])
    page.goto(f"/memos/{memo.id}/print")
    expect(page.get_by_test_id("watermark")).to_have_text("DRAFT")
    expect(page.get_by_test_id("customer")).to_contain_text("Wide Words Limited")
    expect(page.get_by_test_id("customer")).to_contain_text("D02 X285 Dublin")
    expect(page.get_by_test_id("customer")).to_contain_text("Ireland")
    shot(page, name)
    # What sticks out, if anything (outside the lines table, which may scroll inside its own box on a phone).
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
              .filter(e => !e.closest('.lines-wrap'))
              .filter(e => e.getBoundingClientRect().right > innerWidth + 1 || e.scrollWidth > e.clientWidth + 1)
              .map(e => e.tagName + '.' + e.className)"""
    )
    assert wide == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, "the page never scrolls sideways"
    # No cell's content spills out of its cell: long words wrap, amounts fit their columns.
    spill = page.evaluate(
        """() => [...document.querySelectorAll('table.lines td, table.lines th, .details-table td')]
              .filter(td => td.scrollWidth > td.clientWidth + 1).map(td => td.textContent.slice(0, 40))"""
    )
    assert spill == []
    description = page.locator("table.lines td.text").first.bounding_box()
    assert description is not None
    assert description["width"] >= 150, "the description column stays readable"
    if width >= 800:  # the whole table in view on a desktop (a phone scrolls it inside its box)
        cells = "[...document.querySelectorAll('table.lines td')]"
        right = page.evaluate(f"Math.max(...{cells}.map(td => td.getBoundingClientRect().right))")
        assert right <= width
