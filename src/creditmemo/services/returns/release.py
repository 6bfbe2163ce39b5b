"""Giving a return's quantities back when the credit memo made from it is discarded or voided, so the
return can be credited again (by a new memo: a posted memo is corrected only by voiding it, rule 4)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from creditmemo.domain.documents import CreditBy, Memo
from creditmemo.domain.returns import credited, status_after
from creditmemo.services import audit
from creditmemo.services.actors import Actor
from creditmemo.store.uow import UnitOfWork


def give_back(uow: UnitOfWork, actor: Actor, memo: Memo, why: str) -> None:
    """``memo`` (from a return, locked by the caller) is being discarded or voided: its quantities can be
    credited again. Locks the return (after the memo, before the invoice)."""
    if memo.return_id is None:
        return
    ret = uow.returns.get(actor.company_id, memo.return_id, for_update=True)
    quantities: dict[str, Decimal] = {}
    for line in memo.lines:
        if line.invoice_line_id and line.credit_by is CreditBy.QUANTITY and line.quantity is not None:
            quantities[line.invoice_line_id] = quantities.get(line.invoice_line_id, Decimal(0)) + line.quantity
    lines = credited(ret, quantities, sign=-1)
    updated = replace(ret, status=status_after(lines), lines=lines, updated_at=uow.now(), version=ret.version + 1)
    uow.returns.save(updated)
    audit.record(
        uow,
        actor,
        "return.credit_released",
        "return",
        ret.id,
        {
            "status": [str(ret.status), str(updated.status)],
            "credit_memo_id": [None, memo.id],
            "why": [None, why],
            "quantities": [None, {k: str(v) for k, v in quantities.items()}],
        },
    )
