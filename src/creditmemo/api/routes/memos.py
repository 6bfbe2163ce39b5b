"""/v1/credit-memos and /v1/debit-memos: create, preview, list, read, edit, the lifecycle verbs, journal
entries, applications and refunds. Both kinds share one router factory (same lifecycle, DESIGN §2)."""

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from creditmemo.api.deps import Call, Ctx, IdempotentCall
from creditmemo.api.problems import problems
from creditmemo.api.schemas.common import ActionBody, Page, page
from creditmemo.api.schemas.ledger import ApprovalOut, AuditEventOut, JournalEntryOut
from creditmemo.api.schemas.memos import (
    BulkPostBody,
    CreditMemoCreate,
    DebitMemoCreate,
    DiscardBody,
    FromInvoiceCreate,
    MemoLineIn,
    MemoOut,
    MemoUpdate,
    PostBody,
    SentBody,
    VoidBody,
    memo_out,
)
from creditmemo.api.schemas.settlement import (
    ApplicationCreate,
    ApplicationId,
    ApplicationOut,
    RefundCreate,
    RefundOut,
    UnappliedOn,
)
from creditmemo.domain.approval import ApprovalPolicy
from creditmemo.domain.documents import Memo, MemoKind
from creditmemo.domain.errors import FieldError, ValidationFailedError
from creditmemo.domain.inputs import CreditLineInput, FreeLineInput
from creditmemo.domain.parsing import parse_date
from creditmemo.presentation import csv_export
from creditmemo.services import lists
from creditmemo.services.lists import MAX_LIMIT
from creditmemo.services.memos import approval, bulk, create, discard, edit, post, printing, read, reissue, void
from creditmemo.services.settings import load_policy
from creditmemo.services.settlement import applications, refunds
from creditmemo.store.uow import UnitOfWork

MemoId = Annotated[str, Path(max_length=40)]
Q = Annotated[str | None, Query(max_length=40)]
DateQ = Annotated[str | None, Query(max_length=10, examples=["2026-03-01"])]
Status = Literal["draft", "pending_approval", "approved", "ready_to_post", "posted", "void", "discarded"]
Sort = Literal[
    "id", "-id", "created_at", "-created_at", "number", "-number", "issue_date", "-issue_date", "total", "-total"
]


def _refuse_ignored(lines: list[MemoLineIn], *, from_invoice: bool) -> None:
    """A field this kind of line does not take is refused, never silently dropped (issue 17)."""
    why = (
        "A line from an invoice takes its description, price, tax rate and account from the invoice line; "
        "send quantity or amount only."
        if from_invoice
        else "A free line has a description, quantity, unit price and tax rate; amount and restock need an "
        "invoice line."
    )
    errors = [
        FieldError(f"lines[{i}].{name}", "not_allowed", why)
        for i, line in enumerate(lines)
        for name in line.ignored_fields(from_invoice=from_invoice)
    ]
    if errors:
        raise ValidationFailedError(errors)


def credit_lines(lines: list[MemoLineIn] | None) -> list[CreditLineInput] | None:
    if lines is None:
        return None
    _refuse_ignored(lines, from_invoice=True)
    return [line.credit_input() for line in lines]


def free_lines(lines: list[MemoLineIn] | None) -> list[FreeLineInput]:
    if lines is None:
        raise ValidationFailedError.single("lines", "At least one line is required.", "required")
    _refuse_ignored(lines, from_invoice=False)
    return [line.free_input() for line in lines]


def edit_lines(lines: list[MemoLineIn]) -> list[CreditLineInput] | list[FreeLineInput]:
    """Lines naming invoice lines edit a memo from an invoice; the others are free lines."""
    if any(line.invoice_line_id is not None for line in lines):
        return credit_lines(lines) or []
    return free_lines(lines)


def _create_credit(uow: UnitOfWork, ctx: Ctx, body: CreditMemoCreate, *, build_only: bool) -> Memo:
    common: dict[str, Any] = {
        "reason_code": body.reason_code,
        "memo_text": body.memo,
        "reference": body.reference,
        "issue_date": body.issue_date,
        "auto_apply": body.auto_apply,
        "metadata": body.metadata,
    }
    if body.invoice_id is not None:
        if body.source == "standalone":
            raise ValidationFailedError.single("source", "A memo with an invoice_id has source invoice or return.")
        if body.exchange_rate is not None:
            raise ValidationFailedError.single("exchange_rate", "A memo from an invoice takes the invoice's rate.")
        if build_only:
            return create.build_credit_memo_from_invoice(
                uow,
                ctx.actor,
                body.invoice_id,
                lines=credit_lines(body.lines),
                source=body.source or "invoice",
                currency=body.currency,
                customer_id=body.customer_id,
                **common,
            )
        return create.create_credit_memo_from_invoice(
            uow,
            ctx.actor,
            body.invoice_id,
            lines=credit_lines(body.lines),
            source=body.source or "invoice",
            currency=body.currency,
            customer_id=body.customer_id,
            post=body.post,
            **common,
        )
    if body.source not in (None, "standalone"):
        raise ValidationFailedError.single("invoice_id", f"A {body.source} memo needs the invoice_id.", "required")
    if body.customer_id is None:
        raise ValidationFailedError.single("customer_id", "A standalone memo needs a customer_id.", "required")
    kwargs = dict(
        customer_id=body.customer_id,
        currency=body.currency,
        exchange_rate=body.exchange_rate,
        lines=free_lines(body.lines),
        **common,
    )
    if build_only:
        return create.build_free_memo(uow, ctx.actor, MemoKind.CREDIT, **kwargs)
    return create.create_standalone_credit_memo(uow, ctx.actor, post=body.post, **kwargs)


def memo_router(kind: MemoKind) -> APIRouter:
    path = f"/{kind}-memos"
    router = APIRouter(prefix=path, tags=[f"{kind} memos"])
    one = problems(403, 404)
    verb = problems(403, 404, 409, 413)

    def out(uow: UnitOfWork, ctx: Ctx, m: Memo, policy: ApprovalPolicy | None = None) -> MemoOut:
        return memo_out(uow, ctx.actor, m, policy)

    @router.get(
        "",
        response_model=Page[MemoOut],
        responses={**problems(403), **csv_export.CSV_RESPONSE},
        name=f"list_{kind}_memos",
    )
    def list_memos(
        ctx: Call,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
        starting_after: Q = None,
        status: Status | None = None,
        customer_id: Q = None,
        invoice_id: Q = None,
        reason_code: Q = None,
        number: Q = None,
        issued_from: DateQ = None,
        issued_to: DateQ = None,
        sort: Sort = "-id",
        fmt: csv_export.Format = "json",
    ) -> Response:
        if fmt == "csv":
            q = csv_export.api_list_query(
                sort,
                status=status,
                customer_id=customer_id,
                invoice_id=invoice_id,
                reason_code=reason_code,
                number=number,
                issued_from=issued_from,
                issued_to=issued_to,
            )
            name = "credit_memos" if kind is MemoKind.CREDIT else "debit_memos"
            return csv_export.list_csv(ctx.db, ctx.actor, name, q, request_id=ctx.request_id)

        def run(uow: UnitOfWork) -> Page[Any]:
            rows, more = lists.list_memos(
                uow,
                ctx.actor,
                kind,
                status=status,
                customer_id=customer_id,
                invoice_id=invoice_id,
                reason_code=reason_code,
                number=number,
                issued_from=issued_from,
                issued_to=issued_to,
                sort=sort,
                starting_after=starting_after,
                limit=limit,
            )
            policy = load_policy(uow, ctx.actor.company_id)  # read once for the page
            return page(MemoOut, [out(uow, ctx, m, policy) for m in rows], more)

        return ctx.read(run)

    @router.get("/{memo_id}", response_model=MemoOut, responses=one, name=f"get_{kind}_memo")
    def get_memo(memo_id: MemoId, ctx: Call) -> Response:
        return ctx.read(lambda uow: out(uow, ctx, read.get_memo(uow, ctx.actor, memo_id, kind)))

    @router.patch(
        "/{memo_id}",
        response_model=MemoOut,
        responses=verb,
        name=f"update_{kind}_memo",
        summary="Edit a draft; past draft only memo (the text) and metadata change (else 409 posted_is_final)",
    )
    def update_memo(memo_id: MemoId, body: MemoUpdate, ctx: Call) -> Response:
        sent = body.model_fields_set
        changes: dict[str, Any] = {
            name: getattr(body, field)
            for field, name in (
                ("reason_code", "reason_code"),
                ("memo", "memo_text"),
                ("reference", "reference"),
                ("issue_date", "issue_date"),
                ("auto_apply", "auto_apply"),
            )
            if field in sent
        }
        if "lines" in sent and body.lines is not None:
            changes["lines"] = edit_lines(body.lines)
        if "metadata" in sent and body.metadata is not None:
            changes["metadata"] = body.metadata
        return ctx.write(
            lambda uow: out(uow, ctx, edit.update_memo(uow, ctx.actor, memo_id, kind=kind, **changes)), idempotent=False
        )

    def action(
        name: str,
        fn: Callable[[UnitOfWork, Ctx, str, Any], Memo],
        body_model: type[Any],
        summary: str,
        *,
        required: bool = False,
    ) -> None:
        if required:

            @router.post(
                f"/{{memo_id}}/{name}",
                response_model=MemoOut,
                responses=verb,
                summary=summary,
                name=f"{name}_{kind}_memo",
            )
            def endpoint(
                memo_id: MemoId,
                body: body_model,  # type: ignore[valid-type]  # the verb's model, chosen at run time for FastAPI
                ctx: IdempotentCall,
            ) -> Response:
                return ctx.write(lambda uow: out(uow, ctx, fn(uow, ctx, memo_id, body)), body=body)
        else:

            @router.post(
                f"/{{memo_id}}/{name}",
                response_model=MemoOut,
                responses=verb,
                summary=summary,
                name=f"{name}_{kind}_memo",
            )
            def endpoint_optional_body(
                memo_id: MemoId,
                ctx: IdempotentCall,
                body: body_model | None = None,  # type: ignore[valid-type]  # as above
            ) -> Response:
                given = body if body is not None else body_model()
                return ctx.write(lambda uow: out(uow, ctx, fn(uow, ctx, memo_id, given)), body=given)

    def comment(body: ActionBody) -> str | None:
        return body.comment

    action(
        "submit",
        lambda uow, ctx, mid, b: approval.submit_memo(uow, ctx.actor, mid, kind=kind, comment=comment(b)),
        ActionBody,
        "Submit for approval (straight to approved when no tier applies)",
    )
    action(
        "approve",
        lambda uow, ctx, mid, b: approval.approve_memo(uow, ctx.actor, mid, kind=kind, comment=comment(b)),
        ActionBody,
        "Approve (role limit must cover the amount; not one's own memo)",
    )
    action(
        "reject",
        lambda uow, ctx, mid, b: approval.reject_memo(uow, ctx.actor, mid, kind=kind, comment=comment(b)),
        ActionBody,
        "Reject back to draft with a comment",
    )
    action(
        "recall",
        lambda uow, ctx, mid, b: approval.recall_memo(uow, ctx.actor, mid, kind=kind, comment=comment(b)),
        ActionBody,
        "Recall a pending or approved memo to draft",
    )
    action(
        "post",
        lambda uow, ctx, mid, b: post.post_memo(
            uow, ctx.actor, mid, kind=kind, on=None if b.date is None else parse_date(b.date, "date")
        ),
        PostBody,
        "Post (journal entry; queued to ready_to_post above the line limit)",
    )
    action(
        "void",
        lambda uow, ctx, mid, b: void.void_memo(uow, ctx.actor, mid, kind=kind, on=b.void_date, reason=b.reason),
        VoidBody,
        "Void a posted memo (reversing entry dated the void date)",
    )

    @router.post(
        "/{memo_id}/sent",
        response_model=MemoOut,
        responses=verb,
        summary="Record that the posted (or void) document was sent, and to whom; a draft is never sent",
        name=f"sent_{kind}_memo",
    )
    def record_sent(memo_id: MemoId, body: SentBody, ctx: IdempotentCall) -> Response:
        return ctx.write(
            lambda uow: out(
                uow, ctx, printing.record_sent(uow, ctx.actor, memo_id, recipient=body.recipient, kind=kind)
            ),
            body=body,
        )

    if kind is MemoKind.CREDIT:

        @router.post(
            "/{memo_id}/reissue",
            status_code=201,
            response_model=MemoOut,
            responses=verb,
            summary="Void a posted memo and create a draft copying its lines (seed 001); both linked",
        )
        def reissue_credit_memo(memo_id: MemoId, ctx: IdempotentCall, body: VoidBody | None = None) -> Response:
            given = body if body is not None else VoidBody()
            return ctx.write(
                lambda uow: out(
                    uow, ctx, reissue.reissue_memo(uow, ctx.actor, memo_id, reason=given.reason, on=given.void_date)[1]
                ),
                status=201,
                body=given,
            )

    action(
        "discard",
        lambda uow, ctx, mid, b: discard.discard_memo(uow, ctx.actor, mid, reason=b.reason, kind=kind),
        DiscardBody,
        "Discard a draft or pending memo (keeps its number)",
        required=True,
    )

    @router.get(
        "/{memo_id}/document",
        responses={
            **problems(403, 404, 409),
            200: {
                "description": "The memo document (seed 004) as HTML or PDF. A posted or void memo is printed "
                "(print status printed, an event); any other status is a watermarked preview, nothing recorded. "
                "`format=ubl`: the e-invoice, a UBL 2.1 CreditNote (credit memo, type 381) or Invoice of type 383 "
                "(debit memo) in the EN 16931 / Peppol BIS 3.0 shape; only a posted or void memo (409 otherwise); "
                "it records nothing.",
                "content": {
                    "text/html": {"schema": {"type": "string"}},
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                    "application/xml": {"schema": {"type": "string"}},
                },
            },
        },
        response_class=Response,
        name=f"{kind}_memo_document",
    )
    def document(memo_id: MemoId, ctx: Call, format: Literal["html", "pdf", "ubl"] = "html") -> Response:
        from creditmemo.presentation.documents import may_print, pdf_of, policy_for, print_memo

        if format == "ubl":
            from creditmemo.services.memos.document import document_facts
            from creditmemo.services.memos.read import get_memo
            from creditmemo.services.memos.ubl import ubl_document

            with ctx.uow(readonly=True) as uow:
                memo = get_memo(uow, ctx.actor, memo_id, kind)
                xml = ubl_document(document_facts(uow, ctx.actor, memo))
            return Response(
                xml,
                media_type="application/xml",
                headers={"Content-Disposition": f'attachment; filename="{memo.number}.xml"'},
            )
        with ctx.uow(readonly=not may_print(ctx.actor)) as uow:
            memo, html = print_memo(uow, ctx.actor, memo_id, format, kind=kind)
        if format == "html":  # its inline style allowed by hash, as on the web's print view
            return Response(
                html, media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": policy_for(html)}
            )
        return Response(
            pdf_of(html),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{memo.number}.pdf"'},
        )

    @router.get(
        "/{memo_id}/journal-entries",
        response_model=list[JournalEntryOut],
        responses=one,
        name=f"{kind}_memo_journal_entries",
    )
    def journal(memo_id: MemoId, ctx: Call) -> Response:
        return ctx.read(
            lambda uow: _list(
                JournalEntryOut, [JournalEntryOut.of(e) for e in read.memo_journal(uow, ctx.actor, memo_id, kind)]
            )
        )

    @router.get("/{memo_id}/events", response_model=list[AuditEventOut], responses=one, name=f"{kind}_memo_events")
    def events(memo_id: MemoId, ctx: Call) -> Response:
        def run(uow: UnitOfWork) -> Any:
            read.get_memo(uow, ctx.actor, memo_id, kind)
            return _list(AuditEventOut, [AuditEventOut.of(e) for e in read.memo_events(uow, ctx.actor, memo_id)])

        return ctx.read(run)

    @router.get("/{memo_id}/approvals", response_model=list[ApprovalOut], responses=one, name=f"{kind}_memo_approvals")
    def approvals(memo_id: MemoId, ctx: Call) -> Response:
        def run(uow: UnitOfWork) -> Any:
            read.get_memo(uow, ctx.actor, memo_id, kind)
            return _list(ApprovalOut, [ApprovalOut.of(a) for a in approval.list_approvals(uow, ctx.actor, memo_id)])

        return ctx.read(run)

    @router.get(
        "/{memo_id}/applications", response_model=list[ApplicationOut], responses=one, name=f"{kind}_memo_applications"
    )
    def list_apps(memo_id: MemoId, ctx: Call) -> Response:
        def run(uow: UnitOfWork) -> Any:
            read.get_memo(uow, ctx.actor, memo_id, kind)
            by = {"source_id": memo_id} if kind is MemoKind.CREDIT else {"target_id": memo_id}
            return _list(
                ApplicationOut, [ApplicationOut.of(a) for a in applications.list_applications(uow, ctx.actor, **by)]
            )

        return ctx.read(run)

    return router


def _list(model: type[Any], items: list[Any]) -> Any:
    from pydantic import RootModel

    return RootModel[list[model]](items)  # type: ignore[valid-type]  # the item model is a run-time argument


credit_router = memo_router(MemoKind.CREDIT)
debit_router = memo_router(MemoKind.DEBIT)
extra = problems(403, 404, 409, 413)


@credit_router.post("", status_code=201, response_model=MemoOut, responses=extra, name="create_credit_memo")
def create_credit_memo(body: CreditMemoCreate, ctx: IdempotentCall) -> Response:
    return ctx.write(
        lambda uow: memo_out(uow, ctx.actor, _create_credit(uow, ctx, body, build_only=False)), status=201, body=body
    )


@credit_router.post(
    "/preview",
    response_model=MemoOut,
    responses=extra,
    name="preview_credit_memo",
    summary="The memo that would be created; nothing is written (no number is taken)",
)
def preview_credit_memo(body: CreditMemoCreate, ctx: IdempotentCall) -> Response:
    return ctx.preview(
        lambda uow: MemoOut.of(_create_credit(uow, ctx, body, build_only=True), allowed=(), preview=True)
    )


def _bulk_post_route(router: APIRouter, kind: MemoKind) -> None:
    @router.post(
        "/bulk-post",
        response_model=list[MemoOut],
        responses=extra,
        name=f"bulk_post_{kind}_memos",
        summary=f"Queue many {kind} memos for posting by the worker (all or nothing)",
    )
    def bulk_post(body: BulkPostBody, ctx: IdempotentCall) -> Response:
        return ctx.write(
            lambda uow: _list(
                MemoOut, [memo_out(uow, ctx.actor, m) for m in bulk.bulk_post(uow, ctx.actor, body.memo_ids, kind)]
            ),
            body=body,
        )


_bulk_post_route(credit_router, MemoKind.CREDIT)
_bulk_post_route(debit_router, MemoKind.DEBIT)


@credit_router.post(
    "/{memo_id}/applications",
    status_code=201,
    response_model=list[ApplicationOut],
    responses=extra,
    name="apply_credit_memo",
)
def apply_credit_memo(memo_id: MemoId, body: ApplicationCreate, ctx: IdempotentCall) -> Response:
    body.check()
    return ctx.write(
        lambda uow: _list(ApplicationOut, body.apply(uow, ctx.actor, "credit_memo", memo_id)), status=201, body=body
    )


@credit_router.delete(
    "/{memo_id}/applications/{application_id}",
    response_model=ApplicationOut,
    responses=extra,
    name="unapply_credit_memo",
)
def unapply_credit_memo(
    memo_id: MemoId,
    application_id: ApplicationId,
    ctx: Call,
    unapplied_on: UnappliedOn = None,
) -> Response:
    def run(uow: UnitOfWork) -> ApplicationOut:
        return ApplicationOut.of(applications.unapply(uow, ctx.actor, application_id, on=unapplied_on, of=memo_id))

    return ctx.write(run, idempotent=False)


@credit_router.post(
    "/{memo_id}/refunds", status_code=201, response_model=RefundOut, responses=extra, name="refund_credit_memo"
)
def refund_credit_memo(memo_id: MemoId, body: RefundCreate, ctx: IdempotentCall) -> Response:
    return ctx.write(lambda uow: body.refund(uow, ctx.actor, "credit_memo", memo_id), status=201, body=body)


@credit_router.get(
    "/{memo_id}/refunds", response_model=list[RefundOut], responses=problems(403, 404), name="list_credit_memo_refunds"
)
def list_credit_memo_refunds(memo_id: MemoId, ctx: Call) -> Response:
    def run(uow: UnitOfWork) -> Any:
        read.get_memo(uow, ctx.actor, memo_id, MemoKind.CREDIT)
        return _list(RefundOut, [RefundOut.of(r) for r in refunds.list_refunds(uow, ctx.actor, memo_id)])

    return ctx.read(run)


@debit_router.post("", status_code=201, response_model=MemoOut, responses=extra, name="create_debit_memo")
def create_debit_memo(body: DebitMemoCreate, ctx: IdempotentCall) -> Response:
    return ctx.write(
        lambda uow: memo_out(
            uow,
            ctx.actor,
            create.create_debit_memo(
                uow,
                ctx.actor,
                customer_id=body.customer_id,
                currency=body.currency,
                reason_code=body.reason_code,
                invoice_id=body.invoice_id,
                exchange_rate=body.exchange_rate,
                memo_text=body.memo,
                reference=body.reference,
                issue_date=body.issue_date,
                lines=free_lines(body.lines),
                post=body.post,
                metadata=body.metadata,
            ),
        ),
        status=201,
        body=body,
    )


@debit_router.post(
    "/preview",
    response_model=MemoOut,
    responses=extra,
    name="preview_debit_memo",
    summary="The debit memo that would be created; nothing is written (no number is taken)",
)
def preview_debit_memo(body: DebitMemoCreate, ctx: IdempotentCall) -> Response:
    return ctx.preview(
        lambda uow: MemoOut.of(
            create.build_free_memo(
                uow,
                ctx.actor,
                MemoKind.DEBIT,
                customer_id=body.customer_id,
                currency=body.currency,
                reason_code=body.reason_code,
                invoice_id=body.invoice_id,
                exchange_rate=body.exchange_rate,
                memo_text=body.memo,
                reference=body.reference,
                issue_date=body.issue_date,
                lines=free_lines(body.lines),
                metadata=body.metadata,
            ),
            allowed=(),
            preview=True,
        )
    )


invoice_memos = APIRouter(prefix="/invoices", tags=["credit memos"])


@invoice_memos.post(
    "/{invoice_id}/credit-memos",
    status_code=201,
    response_model=MemoOut,
    responses=extra,
    name="create_credit_memo_from_invoice",
    summary="A draft credit memo from an invoice, every line pre-populated unless narrowed",
)
def create_from_invoice(
    invoice_id: Annotated[str, Path(max_length=40)],
    body: FromInvoiceCreate,
    ctx: IdempotentCall,
) -> Response:
    return ctx.write(
        lambda uow: memo_out(
            uow,
            ctx.actor,
            create.create_credit_memo_from_invoice(
                uow,
                ctx.actor,
                invoice_id,
                reason_code=body.reason_code,
                lines=credit_lines(body.lines),
                memo_text=body.memo,
                reference=body.reference,
                issue_date=body.issue_date,
                auto_apply=body.auto_apply,
                source=body.source,
                post=body.post,
                metadata=body.metadata,
            ),
        ),
        status=201,
        body=body,
    )
