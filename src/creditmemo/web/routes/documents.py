"""The memo document (seed 004): an HTML print view and a PDF, both from templates/document.html.
Printing or downloading a posted or void memo marks it printed and records an event; a memo not yet final is a
watermarked preview (services/memos/printing.py). A user without the print permission (an auditor) gets the
same document without any change. What the document says comes from services/memos/document.py; the layout
(static/document.css) keeps every page's text within the page box (issue 18 item 4)."""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache

from babel import Locale
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from creditmemo.api.deps import CONTENT_SECURITY_POLICY
from creditmemo.domain.documents import Memo
from creditmemo.domain.lifecycle import Status
from creditmemo.services.actors import Actor, Permission
from creditmemo.services.memos.document import DocumentFacts, document_facts
from creditmemo.services.memos.printing import open_document
from creditmemo.store.uow import UnitOfWork
from creditmemo.web.core import HERE, ViewerDep, WebRoute, db_of, env, fmt_decimal, fmt_money, fmt_price

router = APIRouter(route_class=WebRoute)

# Column -> its header's longest word (a header wraps between words, never inside one).
_NUMERIC_COLUMNS = {
    "no": "#",
    "qty": "Qty",
    "price": "price",
    "net": "Net",
    "rate": "Tax %",
    "tax": "Tax",
    "total": "Total",
}
# Advance widths in em of DejaVu Sans (static/document.css), the font of the lines table (8.5pt; headers 7.5pt).
_DIGIT_EM = 0.636
_NARROW_EM = 0.318  # group and decimal separators of every locale (, . spaces apostrophes)
_HEADER_EM_PER_CHAR = 0.72 * 7.5 / 8.5  # bold capitals and letters, at the headers' size
_PADDING_EM = 8 / 8.5 + 0.3  # 4pt each side, and a little air


def _text_em(text: str) -> float:
    return sum(_NARROW_EM if c in ",. \u00a0\u202f'\u2019" else _DIGIT_EM for c in text)


@cache
def _country_names() -> dict[str, str]:
    return {str(k): str(v) for k, v in Locale("en").territories.items()}


def country_name(code: str | None) -> str:
    """DE -> Germany (CLDR English names; the code itself when CLDR has none)."""
    return _country_names().get(code or "", code or "")


env.filters["country"] = country_name


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal that is also safe inside a <style> element."""
    out = []
    for c in text:
        if c in '"\\<>&' or ord(c) < 32:
            out.append(f"\\{ord(c):x} ")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def column_css(memo: Memo) -> str:
    """Widths of the numeric columns from the longest value each holds (they never wrap), so the description
    takes what is left of the page, whatever the amounts."""
    values: dict[str, list[str]] = {k: [] for k in _NUMERIC_COLUMNS}
    for line in memo.lines:
        by_quantity = line.credit_by == "quantity"
        values["no"].append(str(line.line_no))
        values["qty"].append(fmt_decimal(line.quantity) if by_quantity else "")
        values["price"].append(fmt_price(line.unit_price, memo.currency) if by_quantity else "")
        values["net"].append(fmt_money(line.net, False))
        values["rate"].append(fmt_decimal(line.tax_rate))
        values["tax"].append(fmt_money(line.tax, False))
        values["total"].append(fmt_money(line.total, False))
    rules = []
    for col, header in _NUMERIC_COLUMNS.items():
        widest = max((_text_em(v) for v in values[col]), default=0.0)
        em = max(widest, len(header) * _HEADER_EM_PER_CHAR) + _PADDING_EM
        rules.append(f"col.c-{col} {{ width: {em:.2f}em; }}")
    return "\n".join(rules)


def settlement_text(facts: DocumentFacts) -> str:
    """ "Applied 500.00 to INV-000004 on 2026-03-12; 41.25 available" (amounts in the memo's currency)."""
    parts = []
    for i in facts.settlement:
        amount = fmt_money(i.amount, False)
        parts.append(
            {
                "applied": f"Applied {amount} to {i.number} on {i.on}",
                "refunded": f"Refunded {amount} ({i.number}) on {i.on}",
                "paid": f"Paid {amount} by {i.number} on {i.on}",
                "credited": f"Credited {amount} by {i.number} on {i.on}",
            }[i.kind]
        )
    if facts.more_settlement:
        parts.append(f"and {facts.more_settlement} more")
    if facts.open_amount is not None:
        left = "available" if facts.memo.kind == "credit" else "due"
        parts.append(f"{fmt_money(facts.open_amount, False)} {left}")
    return "; ".join(parts)


def watermark_of(memo: Memo) -> str | None:
    """Only a posted memo is a clean copy; a void one says VOID, anything not yet final DRAFT."""
    if memo.status is Status.POSTED:
        return None
    if memo.status is Status.VOID:
        return "VOID"
    if memo.status is Status.DISCARDED:
        return "DISCARDED"
    return "DRAFT"


def _document(uow: UnitOfWork, actor: Actor, memo: Memo, fmt: str) -> str:
    facts = document_facts(uow, actor, memo)
    kind_word = "Credit" if memo.kind == "credit" else "Debit"
    footer = f"{facts.company.legal_name} · {kind_word} memo {memo.number}"
    css = "\n".join(
        [
            (HERE / "static" / "document.css").read_text(),
            column_css(memo),
            f"@page {{ @bottom-left {{ content: {_css_string(footer)}; }} }}",
        ]
    )
    return env.get_template("document.html").render(
        memo=memo,
        facts=facts,
        settlement_text=settlement_text(facts),
        watermark=watermark_of(memo),
        css=css,
        fmt=fmt,
    )


def _render(request: Request, actor: Actor, memo_id: str, fmt: str) -> tuple[Memo, str]:
    """Print (a final memo, when this user may) and render in one transaction: the event and the document
    agree. A memo not yet final is a preview (services/memos/printing.py)."""
    readonly = not actor.can(Permission.PRINT)
    with db_of(request).uow(readonly=readonly) as uow:
        memo = open_document(uow, actor, memo_id, fmt=fmt)
        html = _document(uow, actor, memo, fmt)
    return memo, html


def _policy_for(html: str) -> str:
    """The site's policy, plus the hash of each inline <style> of this document: the same HTML feeds WeasyPrint,
    which reads no stylesheet by URL from a browser's session, so the style stays inline and only it is allowed."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"
        for css in re.findall(r"<style>(.*?)</style>", html, flags=re.DOTALL)
    ]
    return CONTENT_SECURITY_POLICY.replace("style-src 'self'", " ".join(["style-src 'self'", *hashes]))


@router.get("/memos/{memo_id}/print", include_in_schema=False)
def memo_print(request: Request, memo_id: str, v: ViewerDep) -> Response:
    _, html = _render(request, v.actor, memo_id, "html")
    return HTMLResponse(html, headers={"Content-Security-Policy": _policy_for(html)})


@router.get("/memos/{memo_id}/pdf", include_in_schema=False)
def memo_pdf(request: Request, memo_id: str, v: ViewerDep) -> Response:
    from weasyprint import HTML  # imported on first use: it loads Pango

    memo, html = _render(request, v.actor, memo_id, "pdf")
    pdf = HTML(string=html, base_url=str(HERE / "static")).write_pdf()
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{memo.number}.pdf"'}
    )
