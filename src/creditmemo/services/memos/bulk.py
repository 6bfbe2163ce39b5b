"""Bulk posting: queue many memos to ready_to_post in one transaction; the worker posts them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from creditmemo.domain.documents import Memo, MemoKind
from creditmemo.domain.errors import DomainError, NotFoundError, ValidationFailedError
from creditmemo.domain.lifecycle import Action, next_status
from creditmemo.services import audit, periods
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.memos.actions import ensure_allowed
from creditmemo.services.settings import load_policy
from creditmemo.store.uow import UnitOfWork

MAX_BULK = 10_000


def bulk_post(uow: UnitOfWork, actor: Actor, memo_ids: Sequence[str], kind: MemoKind | None = None) -> list[Memo]:
    """All or nothing: every memo must be postable (draft needing no approval, or approved) and, when
    ``kind`` is given, of that kind; the first that is not fails the whole request, its error naming
    ``memo_ids[i]``. Memos are locked in id order so two bulk requests over the same memos cannot deadlock."""
    authorize(actor, Permission.POST_MEMO)
    if isinstance(memo_ids, (str, bytes)) or not isinstance(memo_ids, Sequence) or not memo_ids:
        raise ValidationFailedError.single("memo_ids", "A non-empty list of memo ids.", "required")
    if len(memo_ids) > MAX_BULK:
        raise ValidationFailedError.single("memo_ids", f"At most {MAX_BULK} memos at once.", "too_many")
    index: dict[str, int] = {}
    for i, memo_id in enumerate(memo_ids):
        if not isinstance(memo_id, str):
            raise ValidationFailedError.single(f"memo_ids[{i}]", "A memo id.", "invalid")
        if memo_id in index:
            raise ValidationFailedError.single(f"memo_ids[{i}]", "Listed twice.", "duplicate")
        index[memo_id] = i
    policy = load_policy(uow, actor.company_id)
    found = uow.memos.get_many(actor.company_id, list(index), for_update=True)  # locked in id order
    queued: dict[str, Memo] = {}
    now = uow.now()
    for memo_id in sorted(index):
        try:
            memo = found.get(memo_id)
            if memo is None or (kind is not None and memo.kind is not kind):
                raise NotFoundError("memo" if kind is None else f"{kind}_memo", memo_id)
            ensure_allowed(uow, actor, memo, Action.POST, policy)
            # The same transition and audit event as post.queue_post; the headers are written together below.
            status = next_status(memo.status, Action.QUEUE_POST, f"{memo.kind} memo")
            # The worker posts it on its issue date: not in a closed period (it checks again when it posts).
            periods.check(uow, actor.company_id, "date", memo.issue_date, what="posting date", future_ok=True)
        except DomainError as e:
            e.field = f"memo_ids[{index[memo_id]}]"
            raise
        queued[memo_id] = replace(memo, status=status, post_error=None, updated_at=now)
        audit.record(
            uow,
            actor,
            f"{memo.kind}_memo.queued_for_posting",
            f"{memo.kind}_memo",
            memo.id,
            {"status": [str(memo.status), str(status)]},
        )
    uow.memos.save_many(list(queued.values()))
    return [queued[memo_id] for memo_id in memo_ids]
