"""The memo document (seed 004): an HTML print view and a PDF, both from templates/document.html.
Printing or downloading a posted or void memo marks it printed and records an event; a memo not yet final is a
watermarked preview (services/memos/printing.py). A user without the print permission (an auditor) gets the
same document without any change."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from creditmemo.api.deps import CONTENT_SECURITY_POLICY
from creditmemo.domain.documents import Memo
from creditmemo.domain.lifecycle import Status
from creditmemo.services.actors import Actor, Permission
from creditmemo.services.memos.printing import open_document
from creditmemo.store.uow import UnitOfWork
from creditmemo.web.core import HERE, ViewerDep, WebRoute, db_of, env

router = APIRouter(route_class=WebRoute)


def _document(uow: UnitOfWork, actor: Actor, memo: Memo, fmt: str) -> str:
    company = uow.companies.get(actor.company_id)
    customer = uow.customers.get(actor.company_id, memo.customer_id)
    invoice = uow.invoices.get(actor.company_id, memo.invoice_id) if memo.invoice_id else None
    watermark = (
        None
        if memo.status is Status.POSTED
        else "VOID"
        if memo.status is Status.VOID
        else "DISCARDED"
        if memo.status is Status.DISCARDED
        else "DRAFT"
    )
    css = (HERE / "static" / "document.css").read_text()
    return env.get_template("document.html").render(
        memo=memo, company=company, customer=customer, invoice=invoice, watermark=watermark, css=css, fmt=fmt
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
