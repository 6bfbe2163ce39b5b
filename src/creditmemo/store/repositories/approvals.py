"""Approval decisions: one row per approve / reject / recall / not-required, tied to a memo version."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, insert, select

from creditmemo.domain.approval import Approval, Decision
from creditmemo.store.tables import approvals

_insert = insert(approvals)
_of_memo = (
    select(approvals)
    .where(approvals.c.company_id == bindparam("b_company"), approvals.c.memo_id == bindparam("b_memo"))
    .order_by(approvals.c.created_at, approvals.c.id)
)


class ApprovalRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, company_id: str, approval: Approval) -> None:
        self.conn.execute(
            _insert,
            {
                "id": approval.id,
                "company_id": company_id,
                "memo_id": approval.memo_id,
                "memo_version": approval.memo_version,
                "decision": str(approval.decision),
                "tier": approval.tier,
                "actor_id": approval.actor_id,
                "comment": approval.comment,
                "created_at": approval.created_at,
            },
        )

    def for_memo(self, company_id: str, memo_id: str) -> list[Approval]:
        rows = self.conn.execute(_of_memo, {"b_company": company_id, "b_memo": memo_id}).mappings()
        return [
            Approval(
                id=r["id"],
                memo_id=r["memo_id"],
                memo_version=r["memo_version"],
                decision=Decision(r["decision"]),
                tier=r["tier"],
                actor_id=r["actor_id"],
                comment=r["comment"],
                created_at=r["created_at"],
            )
            for r in rows
        ]
