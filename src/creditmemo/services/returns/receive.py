"""Receiving a return: per line the quantity that arrived (at most what is authorized and not yet
received; default everything), whether it goes back to stock, its condition. Locks the return only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from creditmemo.domain.returns import (
    ReceiptInput,
    ReturnAction,
    ReturnAuthorization,
    ReturnStatus,
    ensure_return_action,
    receive_lines,
)
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store.uow import UnitOfWork


def receive_return(
    uow: UnitOfWork, actor: Actor, return_id: str, *, lines: Sequence[ReceiptInput] | None = None
) -> ReturnAuthorization:
    authorize(actor, Permission.CREATE_MEMO)
    ret = uow.returns.get(actor.company_id, return_id, for_update=True)
    ensure_return_action(ret, ReturnAction.RECEIVE)
    received_lines = receive_lines(ret, lines)
    now = uow.now()
    received = replace(
        ret,
        status=ReturnStatus.RECEIVED,
        lines=received_lines,
        received_at=now,
        updated_at=now,
        version=ret.version + 1,
    )
    uow.returns.save(received)
    receipt = [
        [new.id, str(new.quantity_received - old.quantity_received), new.restock, new.condition]
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
