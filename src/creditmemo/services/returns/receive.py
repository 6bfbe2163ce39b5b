"""Receiving a return: per line the quantity that arrived (at most what is authorized and not yet
received; default everything), whether it goes back to stock, its condition. Locks the return only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from creditmemo.domain.returns import (
    ReceiptInput,
    ReturnAction,
    ReturnAuthorization,
    ensure_return_action,
    receive_lines,
    status_after,
)
from creditmemo.services import audit, periods
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store.uow import UnitOfWork


def receive_return(
    uow: UnitOfWork,
    actor: Actor,
    return_id: str,
    *,
    lines: Sequence[ReceiptInput] | None = None,
    cancel_rest: bool = False,
) -> ReturnAuthorization:
    """``cancel_rest``: what is still not received after this receipt will not come (cancelled); a return
    whose received quantity is all credited is then credited."""
    authorize(actor, Permission.CREATE_MEMO)
    ret = uow.returns.get(actor.company_id, return_id, for_update=True)
    ensure_return_action(ret, ReturnAction.RECEIVE)
    stockable = None
    if lines and any(raw.restock is True for raw in lines):
        invoice = uow.invoices.get(actor.company_id, ret.invoice_id)
        stockable = frozenset(line.id for line in invoice.lines if line.unit_cost is not None)
    received_lines = receive_lines(ret, lines, cancel_rest=cancel_rest, stockable=stockable)
    now = uow.now()
    # A receipt is dated today (its time is received_at): not in a closed period.
    periods.check(uow, actor.company_id, "date", now.date(), what="receipt date")
    received = replace(
        ret,
        status=status_after(received_lines),
        lines=received_lines,
        received_at=now,
        updated_at=now,
        version=ret.version + 1,
    )
    uow.returns.save(received)
    receipt = [
        [
            new.id,
            str(new.quantity_received - old.quantity_received),
            new.restock,
            new.condition,
            str(new.quantity_cancelled - old.quantity_cancelled),
        ]
        for old, new in zip(ret.lines, received_lines, strict=True)
        if new != old
    ]
    audit.record(
        uow,
        actor,
        "return.received",
        "return",
        ret.id,
        {"status": [str(ret.status), str(received.status)], "receipt": [None, receipt]},
    )
    return received
