"""The memo document's routes: the HTML print view and the PDF (presentation/documents.py renders both and holds
the print rule, as for the API's ``document`` endpoint). Printing or downloading a posted or void memo marks it
printed and records an event; a memo not yet final is a watermarked preview (services/memos/printing.py). A user
without the print permission (an auditor) gets the same document without any change."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from creditmemo.domain.documents import Memo
from creditmemo.presentation.documents import may_print, pdf_of, policy_for, print_memo
from creditmemo.services.actors import Actor
from creditmemo.web.core import ViewerDep, WebRoute, db_of

router = APIRouter(route_class=WebRoute)


def _render(request: Request, actor: Actor, memo_id: str, fmt: str) -> tuple[Memo, str]:
    """Print (a final memo, when this user may) and render in one transaction: the event and the document
    agree. A memo not yet final is a preview (services/memos/printing.py)."""
    with db_of(request).uow(readonly=not may_print(actor)) as uow:
        return print_memo(uow, actor, memo_id, fmt)


@router.get("/memos/{memo_id}/print", include_in_schema=False)
def memo_print(request: Request, memo_id: str, v: ViewerDep) -> Response:
    _, html = _render(request, v.actor, memo_id, "html")
    return HTMLResponse(html, headers={"Content-Security-Policy": policy_for(html)})


@router.get("/memos/{memo_id}/pdf", include_in_schema=False)
def memo_pdf(request: Request, memo_id: str, v: ViewerDep) -> Response:
    memo, html = _render(request, v.actor, memo_id, "pdf")
    pdf = pdf_of(html)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{memo.number}.pdf"'}
    )
