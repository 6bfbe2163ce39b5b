"""Creating memos: a credit memo from an invoice (or a return against it), a standalone credit memo,
and a debit memo. Drafts are checked against posted credit when saved (rule 1). With ``post=True`` the
memo is created and posted in one transaction (or submitted, when the approval policy applies, or
queued, over the line limit): the invoice is then locked when it is read, and everything the posting
decides is read before the number is taken (docs/CONCURRENCY.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from creditmemo.domain.documents import Invoice, Memo, MemoKind, MemoSource
from creditmemo.domain.errors import CustomerMismatchError, ValidationFailedError
from creditmemo.domain.inputs import CreditLineInput, FreeLineInput
from creditmemo.domain.settlement import Party
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.memos import build
from creditmemo.services.memos.post import Route, plan_post, post_new, route_new, write_invoice_side, write_memo_side
from creditmemo.store.uow import UnitOfWork


def memo_summary(memo: Memo) -> dict[str, object]:
    summary: dict[str, object] = {
        "number": [None, memo.number],
        "status": [None, str(memo.status)],
        "source": [None, str(memo.source)],
        "reason_code": [None, memo.reason_code],
        "total": [None, str(memo.total.amount)],
        "currency": [None, memo.currency],
        "lines": [None, len(memo.lines)],
    }
    if memo.return_id is not None:
        summary["return_id"] = [None, memo.return_id]
    if memo.incident_reference is not None:
        summary["incident_reference"] = [None, memo.incident_reference]
    if memo.apply_to_next_invoice:
        summary["apply_to_next_invoice"] = [None, True]
    if memo.computation is not None:
        summary["computation"] = [None, dict(memo.computation)]
    return summary


def _store_new(uow: UnitOfWork, actor: Actor, memo: Memo) -> Memo:
    # The number is taken last so the counter row is held for as short a time as possible.
    doc_type = f"{memo.kind}_memo"
    memo = replace(memo, number=uow.numbers.take(actor.company_id, doc_type, memo.id))
    uow.memos.add(memo)
    audit.record(uow, actor, f"{doc_type}.created", doc_type, memo.id, memo_summary(memo))
    return memo


def create_new(
    uow: UnitOfWork,
    actor: Actor,
    memo: Memo,
    *,
    post: bool,
    invoice: Invoice | None = None,
    next_invoices: Sequence[Party] | None = None,
) -> Memo:
    """Store a built draft: numbered and audited; with ``post`` posted at once (or submitted, or queued)."""
    if not post:
        return _store_new(uow, actor, memo)
    route = route_new(uow, actor, memo)
    if route is not Route.POST:
        return post_new(uow, actor, _store_new(uow, actor, memo), route)
    # Create and post: everything is worked out and the invoice side written before the number is taken,
    # so the counter is held only while the memo's own rows are queued and the transaction commits.
    plan = plan_post(uow, actor, memo, invoice=invoice, next_invoices=next_invoices)
    write_invoice_side(uow, plan)
    doc_type = f"{memo.kind}_memo"
    number = uow.numbers.take(actor.company_id, doc_type, memo.id)
    draft, posted = replace(memo, number=number), replace(plan.posted, number=number)
    uow.memos.add(posted)  # inserted in its posted state: lines re-priced, totals final
    audit.record(uow, actor, f"{doc_type}.created", doc_type, memo.id, memo_summary(draft))
    return write_memo_side(uow, actor, replace(plan, draft=draft, posted=posted), inserted=True)


def build_credit_memo_from_invoice(
    uow: UnitOfWork,
    actor: Actor,
    invoice_id: str,
    *,
    reason_code: object,
    lines: Sequence[CreditLineInput] | None = None,
    memo_text: object = None,
    reference: object = None,
    issue_date: object = None,
    auto_apply: object = True,
    source: object = "invoice",
    currency: object = None,
    customer_id: object = None,
    lock: bool = False,
    metadata: object = None,
) -> Memo:
    """The draft that would be created (unnumbered, unsaved): create and preview share it."""
    return _from_invoice(
        uow,
        actor,
        invoice_id,
        reason_code=reason_code,
        lines=lines,
        memo_text=memo_text,
        reference=reference,
        issue_date=issue_date,
        auto_apply=auto_apply,
        source=source,
        currency=currency,
        customer_id=customer_id,
        lock=lock,
        metadata=metadata,
    )[0]


def _from_invoice(
    uow: UnitOfWork,
    actor: Actor,
    invoice_id: str,
    *,
    reason_code: object,
    lines: Sequence[CreditLineInput] | None,
    memo_text: object,
    reference: object,
    issue_date: object,
    auto_apply: object,
    source: object,
    currency: object,
    customer_id: object,
    lock: bool,
    not_before: Sequence[build.periods.Bound] = (),
    metadata: object = None,
) -> tuple[Memo, Invoice]:
    authorize(actor, Permission.CREATE_MEMO)
    if source not in ("invoice", "return"):
        raise ValidationFailedError.single("source", "A memo from an invoice has source invoice or return.", "invalid")
    invoice = uow.invoices.get(actor.company_id, invoice_id, for_update=lock)
    if customer_id is not None and customer_id != invoice.customer_id:
        raise CustomerMismatchError("The invoice belongs to another customer.", field="customer_id")
    build.check_invoice_currency(invoice, currency)
    head = build.header(
        uow,
        actor,
        MemoKind.CREDIT,
        reason_code=reason_code,
        memo_text=memo_text,
        reference=reference,
        issue_date=issue_date,
        auto_apply=auto_apply,
        not_before=[build.invoice_bound(invoice), *not_before],
        metadata=metadata,
    )
    built = build.lines_from_invoice(invoice, lines, restock=source == "return")
    build.check_line_privilege(actor, len(built))
    memo = build.new_memo(
        actor=actor,
        kind=MemoKind.CREDIT,
        number="",
        customer_id=invoice.customer_id,
        source=MemoSource(source),
        head=head,
        currency=invoice.currency,
        rate=invoice.exchange_rate,
        lines=built,
        invoice_id=invoice.id,
        now_=uow.now(),
    )
    return memo, invoice


def create_credit_memo_from_invoice(
    uow: UnitOfWork,
    actor: Actor,
    invoice_id: str,
    *,
    post: bool = False,
    reason_code: object,
    lines: Sequence[CreditLineInput] | None = None,
    memo_text: object = None,
    reference: object = None,
    issue_date: object = None,
    auto_apply: object = True,
    source: object = "invoice",
    currency: object = None,
    customer_id: object = None,
    return_id: str | None = None,
    not_before: Sequence[build.periods.Bound] = (),
    metadata: object = None,
) -> Memo:
    """A draft with every line of the invoice pre-populated, or the chosen lines narrowed by
    quantity or amount. Currency and exchange rate are the invoice's (rule 3). ``post``: see the module.
    ``return_id``: the return authorization it credits (services/returns/credit.py, which locked it)."""
    if post:
        authorize(actor, Permission.POST_MEMO)  # before the invoice is locked
    memo, invoice = _from_invoice(
        uow,
        actor,
        invoice_id,
        reason_code=reason_code,
        lines=lines,
        memo_text=memo_text,
        reference=reference,
        issue_date=issue_date,
        auto_apply=auto_apply,
        source=source,
        currency=currency,
        customer_id=customer_id,
        lock=post,
        not_before=not_before,
        metadata=metadata,
    )
    if return_id is not None:
        memo = replace(memo, return_id=return_id)
    return create_new(uow, actor, memo, post=post, invoice=invoice)


def build_free_memo(
    uow: UnitOfWork,
    actor: Actor,
    kind: MemoKind,
    *,
    customer_id: str,
    currency: object,
    reason_code: object,
    lines: Sequence[FreeLineInput],
    exchange_rate: object = None,
    memo_text: object = None,
    reference: object = None,
    issue_date: object = None,
    invoice_id: str | None = None,
    auto_apply: object = True,
    metadata: object = None,
) -> Memo:
    authorize(actor, Permission.CREATE_MEMO)
    company = uow.companies.get(actor.company_id)
    customer = uow.customers.get(actor.company_id, customer_id)
    bounds = []
    if invoice_id is not None:  # a debit memo may refer to an invoice it corrects
        invoice = uow.invoices.get(actor.company_id, invoice_id)
        bounds.append(build.invoice_bound(invoice))
        if invoice.customer_id != customer.id:
            raise CustomerMismatchError("The invoice belongs to another customer.", field="invoice_id")
        build.check_invoice_currency(invoice, currency)
        exchange_rate = invoice.exchange_rate if exchange_rate is None else exchange_rate
    head = build.header(
        uow,
        actor,
        kind,
        reason_code=reason_code,
        memo_text=memo_text,
        reference=reference,
        issue_date=issue_date,
        auto_apply=auto_apply,
        not_before=bounds,
        metadata=metadata,
    )
    cur, rate = build.standalone_currency(uow, company, customer.currency, currency, exchange_rate, head.issue_date)
    built = build.free_lines(uow, actor.company_id, lines, cur, kind)
    build.check_line_privilege(actor, len(built))
    return build.new_memo(
        actor=actor,
        kind=kind,
        number="",
        customer_id=customer.id,
        source=MemoSource.STANDALONE,
        head=head,
        currency=cur,
        rate=rate,
        lines=built,
        invoice_id=invoice_id,
        now_=uow.now(),
    )


def create_standalone_credit_memo(uow: UnitOfWork, actor: Actor, *, post: bool = False, **kwargs: Any) -> Memo:
    """Free lines against no invoice: Dr the reason's account, Cr AR when posted."""
    return create_new(uow, actor, build_free_memo(uow, actor, MemoKind.CREDIT, **kwargs), post=post)


def create_debit_memo(uow: UnitOfWork, actor: Actor, *, post: bool = False, **kwargs: Any) -> Memo:
    """Raises what the customer owes: Dr AR, Cr the reason's account when posted."""
    return create_new(uow, actor, build_free_memo(uow, actor, MemoKind.DEBIT, **kwargs), post=post)
