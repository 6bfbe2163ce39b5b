"""Integrations in a real browser (issue 13 item 6): a controller uploads a CSV of invoices on the Imports page,
sees the counts and each rejected row with its row number and field, downloads the rejected rows as CSV, sends
the same file again and is told nothing new was created; the journal page's "Export journal" downloads the
journal lines of a date range as CSV, with the imported invoice's number on its lines."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import Site, shot, sign_in

CSV = (
    "external_id,customer_external_id,customer_name,currency,issue_date,description,quantity,unit_price,tax_rate\n"
    "WEB-1,WEBCUST,Web Imports Ltd,USD,2026-02-03,Widget,2,50.00,8.25\n"
    "WEB-1,WEBCUST,,USD,2026-02-03,Setup,1,25.00,\n"
    'WEB-2,WEBCUST,,USD,2026-02-03,Broken,1,"12,50",\n'
    "WEB-2,WEBCUST,,USD,2026-02-03,Fine line of a broken invoice,1,1.00,\n"
)


class TestImportsAndJournalExport:
    @pytest.mark.journey
    def test_upload_see_errors_download_them_resend_and_export_the_journal(
        self, site: Site, new_page: Any, tmp_path: Path
    ) -> None:
        upload = tmp_path / "invoices.csv"
        upload.write_text(CSV, encoding="utf-8")
        page = new_page()
        sign_in(page, site.users["controller"])
        page.get_by_role("link", name="Imports").click()
        page.wait_for_url(re.compile(r"/imports$"))
        page.get_by_label("CSV file").set_input_files(str(upload))
        page.get_by_role("button", name="Import invoices").click()
        result = page.get_by_test_id("import-result")
        expect(page.get_by_test_id("import-created")).to_have_text("1")
        expect(page.get_by_test_id("import-rejected")).to_have_text("1")
        expect(page.get_by_test_id("import-errors")).to_contain_text("unit_price")
        expect(page.get_by_test_id("import-errors")).to_contain_text("'12,50' is not a decimal number.")
        shot(page, "30-imports")
        with page.expect_download() as info:
            result.get_by_role("button", name="Download the rejected rows (CSV)").click()
        rejected = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
        assert [r["external_id"] for r in rejected] == ["WEB-2", "WEB-2"]  # both rows of the rejected invoice
        assert rejected[0]["import_errors"] == "row 3, field unit_price: '12,50' is not a decimal number."
        assert rejected[1]["import_errors"] == ""

        page.goto("/imports")  # the same file again: nothing new
        page.get_by_label("CSV file").set_input_files(str(upload))
        page.get_by_role("button", name="Import invoices").click()
        expect(page.get_by_test_id("import-created")).to_have_text("0")
        expect(page.get_by_test_id("import-already-present")).to_have_text("1")

        page.get_by_role("link", name="Journal").click()
        page.get_by_label("From", exact=True).fill("2026-02-03")
        page.get_by_label("To", exact=True).fill("2026-02-03")
        with page.expect_download() as info:
            page.get_by_role("button", name="Export journal").click()
        lines = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
        assert {r["source_type"] for r in lines} == {"invoice"}
        assert len({r["source_number"] for r in lines}) == 1
        ar = [r for r in lines if r["account_name"] == "Accounts receivable"]
        assert [(r["debit"], r["credit"], r["currency"]) for r in ar] == [("133.25", "0.00", "USD")]

    def test_an_auditor_can_export_but_not_import(self, site: Site, new_page: Any) -> None:
        page = new_page()
        sign_in(page, site.users["auditor"])
        page.goto("/journal")
        expect(page.get_by_role("button", name="Export journal")).to_be_visible()
        response = page.goto("/imports")
        assert response is not None
        assert response.status == 403


class TestImportProgress:
    def test_a_large_upload_streams_a_progress_step_per_chunk_then_the_result(
        self, site: Site, new_page: Any, tmp_path: Path
    ) -> None:
        rows = [f"PROG-{n},PROGCUST,Progress Imports Ltd,USD,2026-02-04,Line {n},1,1.00,\n" for n in range(1, 1201)]
        upload = tmp_path / "many.csv"
        upload.write_text(CSV.splitlines(keepends=True)[0] + "".join(rows), encoding="utf-8")
        page = new_page()
        sign_in(page, site.users["controller"])
        page.goto("/imports")
        page.get_by_label("CSV file").set_input_files(str(upload))
        page.get_by_role("button", name="Import invoices").click()
        expect(page.get_by_test_id("import-created")).to_have_text("1200")
        progress = page.get_by_test_id("import-progress")
        expect(progress).to_contain_text("Done: 1200 lines read.")
        # 1,200 invoices in chunks of 500: a step after each of the three chunks, only the last line shown.
        steps = progress.locator("progress")
        assert [steps.nth(i).get_attribute("value") for i in range(steps.count())] == ["500", "1000", "1200"]
        assert progress.locator(".import-step:visible").count() == 1
        shot(page, "31-import-progress")
