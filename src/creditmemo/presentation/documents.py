"""The printable documents (the memo, seed 004; the customer statement): their HTML, one page layout for the
browser's print view and WeasyPrint's PDF alike (static/document.css inline, allowed by hash in the page's
Content-Security-Policy). One place for the web's print views and the API's ``document`` endpoint, with the print
rule (``print_memo``: a final memo is marked printed in the transaction that renders it, anything else is a
watermarked preview). What a memo document says comes from services/memos/document.py; the layout keeps every
page's text within the page box (issue 18 item 4)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from jinja2 import Environment, FileSystemLoader, select_autoescape

from creditmemo.domain.documents import Memo, MemoKind
from creditmemo.domain.lifecycle import Status
from creditmemo.domain.money import Money
from creditmemo.presentation.formatting import fmt_decimal, fmt_money, fmt_price, label
from creditmemo.presentation.security import CONTENT_SECURITY_POLICY
from creditmemo.services import reports
from creditmemo.services.actors import Actor, Permission
from creditmemo.services.memos.document import DocumentFacts, document_facts
from creditmemo.services.memos.printing import open_document
from creditmemo.store.uow import UnitOfWork

HERE = Path(__file__).parent
env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters.update(money=fmt_money, dec=fmt_decimal, price=fmt_price, label=label)

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


def css_string(text: str) -> str:
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


def print_memo(
    uow: UnitOfWork, actor: Actor, memo_id: str, fmt: str, *, kind: MemoKind | None = None
) -> tuple[Memo, str]:
    """The print rule and the document in one transaction, so the event and the document agree: a final memo is
    marked printed (when ``actor`` may print) and rendered; a memo not yet final is a watermarked preview
    (services/memos/printing.py). ``uow`` is read-only for a user without the print permission: see
    ``may_print``."""
    memo = open_document(uow, actor, memo_id, fmt=fmt, kind=kind)
    return memo, memo_document(uow, actor, memo, fmt)


def may_print(actor: Actor) -> bool:
    """Whether opening a document may write (mark it printed): the unit of work ``print_memo`` needs."""
    return actor.can(Permission.PRINT)


def _document(template: str, footer: str, css: Sequence[str], **context: Any) -> str:
    """A printable document: ``template`` with static/document.css, then ``css``, then the page footer, inline."""
    style = "\n".join(
        [
            (HERE / "static" / "document.css").read_text(),
            *css,
            f"@page {{ @bottom-left {{ content: {css_string(footer)}; }} }}",
        ]
    )
    return env.get_template(template).render(css=style, **context)


def memo_document(uow: UnitOfWork, actor: Actor, memo: Memo, fmt: str) -> str:
    facts = document_facts(uow, actor, memo)
    kind_word = "Credit" if memo.kind == "credit" else "Debit"
    footer = f"{facts.company.legal_name} · {kind_word} memo {memo.number}"
    return _document(
        "document.html",
        footer,
        [column_css(memo)],
        memo=memo,
        facts=facts,
        settlement_text=settlement_text(facts),
        watermark=watermark_of(memo),
        fmt=fmt,
    )


def statement_totals(st: reports.Statement) -> tuple[Money, Money]:
    """The period's debits and credits, as the statement page and its printable document show them."""
    zero = Money.zero(st.currency)
    return sum((ln.debit for ln in st.lines), zero), sum((ln.credit for ln in st.lines), zero)


def statement_document(st: reports.Statement, parties: reports.StatementParties, fmt: str) -> str:
    """The printable statement: templates/statement_document.html on the memo document's layout and stylesheet."""
    company, customer = parties.company, parties.customer
    debits, credits = statement_totals(st)
    footer = f"{company.legal_name} · Statement {customer.legal_name} {st.start} to {st.end}"
    statement_css = (HERE / "static" / "statement.css").read_text()
    context = {"company": company, "customer": customer, "customer_email": parties.customer_email}
    return _document(
        "statement_document.html", footer, [statement_css], st=st, fmt=fmt, debits=debits, credits=credits, **context
    )


def policy_for(html: str) -> str:
    """The site's policy, plus the hash of each inline <style> of this document: the same HTML feeds WeasyPrint,
    which reads no stylesheet by URL from a browser's session, so the style stays inline and only it is allowed."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"
        for css in re.findall(r"<style>(.*?)</style>", html, flags=re.DOTALL)
    ]
    return CONTENT_SECURITY_POLICY.replace("style-src 'self'", " ".join(["style-src 'self'", *hashes]))


def pdf_of(html: str) -> bytes:
    """The PDF of a printable document's HTML."""
    from weasyprint import HTML  # imported on first use: it loads Pango

    return bytes(HTML(string=html, base_url=str(HERE / "static")).write_pdf())
