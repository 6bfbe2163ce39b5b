"""Discarding a draft or pending memo: a reason is required, the lines go, header and number stay (rule 7)."""

from __future__ import annotations

from dataclasses import replace

from creditmemo.domain.documents import Memo, MemoKind
from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.lifecycle import Action, next_status
from creditmemo.domain.money import Money
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.memos.actions import ensure_allowed
from creditmemo.services.returns.release import give_back
from creditmemo.store.uow import UnitOfWork


def discard_memo(uow: UnitOfWork, actor: Actor, memo_id: str, *, reason: object, kind: MemoKind | None = None) -> Memo:
    authorize(actor, Permission.DISCARD_MEMO)
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 2000:
        raise ValidationFailedError.single("reason", "A discard reason (1 to 2000 characters) is required.", "required")
    memo = uow.memos.get(actor.company_id, memo_id, kind, for_update=True)
    ensure_allowed(uow, actor, memo, Action.DISCARD)
    status = next_status(memo.status, Action.DISCARD, f"{memo.kind} memo")
    give_back(uow, actor, memo, "discarded")  # a memo from a return: the return can be credited again
    zero = Money.zero(memo.currency)
    discarded = replace(
        memo,
        status=status,
        lines=(),
        subtotal=zero,
        tax_total=zero,
        total=zero,
        discard_reason=reason.strip(),
        updated_at=uow.now(),
        version=memo.version + 1,
    )
    uow.memos.save(discarded, replace_lines=True)
    audit.record(
        uow,
        actor,
        f"{memo.kind}_memo.discarded",
        f"{memo.kind}_memo",
        memo.id,
        {
            "status": [str(memo.status), str(status)],
            "reason": [None, discarded.discard_reason],
            "lines": [len(memo.lines), 0],
            "total": [str(memo.total.amount), "0"],
        },
    )
    return discarded
