"""The credit memo from a return: a draft (or, with ``post``, posted) credit memo whose lines are the
received, not yet credited quantities at the invoice lines' price, discount and tax (rules 1 and 2 as for
any memo from an invoice), restocked lines carrying their unit cost (Dr inventory / Cr COGS at posting).
A return is credited once: its quantities are taken when the memo is created and given back only when
that memo is discarded or voided.

Locks (docs/CONCURRENCY.md): the return first (two memos racing for its received quantity: the second
waits, then finds nothing left); with ``post``, then its invoice; the number counter last. Discarding or
voiding a memo from a return locks the memo, then the return, then (void) the invoice."""

from __future__ import annotations

from dataclasses import replace

from creditmemo.domain.documents import Memo
from creditmemo.domain.inputs import CreditLineInput
from creditmemo.domain.returns import credited, status_after, to_credit
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.memos import build
from creditmemo.services.memos.create import create_credit_memo_from_invoice
from creditmemo.store.uow import UnitOfWork


def create_credit_memo_from_return(
    uow: UnitOfWork,
    actor: Actor,
    return_id: str,
    *,
    reason_code: object = None,
    memo_text: object = None,
    issue_date: object = None,
    auto_apply: object = True,
    post: bool = False,
) -> Memo:
    authorize(actor, Permission.CREATE_MEMO)
    if post:
        authorize(actor, Permission.POST_MEMO)
    ret = uow.returns.get(actor.company_id, return_id, for_update=True)
    taking = to_credit(ret)  # invalid_transition: nothing received, or all of it credited already
    quantities = {line.invoice_line_id: line.to_credit for line in taking}
    lines = credited(ret, quantities)
    now = uow.now()
    updated = replace(ret, status=status_after(lines), lines=lines, updated_at=now, version=ret.version + 1)
    uow.returns.save(updated)  # before the memo takes its number: the counter is held last
    memo = create_credit_memo_from_invoice(
        uow,
        actor,
        ret.invoice_id,
        post=post,
        reason_code=ret.reason_code if reason_code is None else reason_code,
        lines=[CreditLineInput(line.invoice_line_id, quantity=line.to_credit, restock=line.restock) for line in taking],
        memo_text=memo_text,
        reference=ret.case_reference,
        issue_date=issue_date,
        auto_apply=auto_apply,
        source="return",
        return_id=ret.id,
        not_before=build.return_bound(ret.received_at, ret.number),
    )
    audit.record(
        uow,
        actor,
        "return.credited",
        "return",
        ret.id,
        {
            "status": [str(ret.status), str(updated.status)],
            "credit_memo_id": [None, memo.id],
            "quantities": [None, {k: str(v) for k, v in quantities.items()}],
        },
    )
    return memo
