"""Bulk posting: queue many memos to ready_to_post in one transaction; the worker posts them."""

from __future__ import annotations

from collections.abc import Sequence

from creditmemo.domain.documents import Memo
from creditmemo.domain.errors import DomainError, ValidationFailedError
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.memos.approval import ensure_cleared_for_posting
from creditmemo.services.memos.post import queue_post
from creditmemo.services.settings import load_policy
from creditmemo.store.uow import UnitOfWork

MAX_BULK = 10_000


def bulk_post(uow: UnitOfWork, actor: Actor, memo_ids: Sequence[str]) -> list[Memo]:
    """All or nothing: every memo must be postable (draft needing no approval, or approved); the
    first that is not fails the whole request, its error naming ``memo_ids[i]``. Memos are locked
    in id order so two bulk requests over the same memos cannot deadlock."""
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
    queued: dict[str, Memo] = {}
    for memo_id in sorted(index):
        try:
            memo = uow.memos.get(actor.company_id, memo_id, for_update=True)
            ensure_cleared_for_posting(uow, memo, policy)
            queued[memo_id] = queue_post(uow, actor, memo)
        except DomainError as e:
            e.field = f"memo_ids[{index[memo_id]}]"
            raise
    return [queued[memo_id] for memo_id in memo_ids]
