"""Sign-in failures and lockouts (services/sign_in_limits.py): reference tables, keyed by e-mail or client
address, with the e-mail's company where it is known."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select

from creditmemo.ids import new_id
from creditmemo.store.tables import sign_in_failures, sign_in_lockouts

Row = Mapping[Any, Any]

_window = select(func.count().label("failures"), func.min(sign_in_failures.c.failed_at).label("oldest")).where(
    sign_in_failures.c.scope == bindparam("b_scope"),
    sign_in_failures.c.subject == bindparam("b_subject"),
    sign_in_failures.c.failed_at > bindparam("b_since"),
)
_oldest_kept = (
    select(sign_in_failures.c.failed_at)
    .where(
        sign_in_failures.c.scope == bindparam("b_scope"),
        sign_in_failures.c.subject == bindparam("b_subject"),
        sign_in_failures.c.failed_at > bindparam("b_since"),
    )
    .order_by(sign_in_failures.c.failed_at.desc())
    .limit(1)
    .offset(bindparam("b_skip"))
)


class SignInLimitRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def window(self, scope: str, subject: str, since: datetime) -> tuple[int, datetime | None]:
        """How many failures of ``subject`` are newer than ``since``, and the oldest of them."""
        row = self.conn.execute(_window, {"b_scope": scope, "b_subject": subject, "b_since": since}).first()
        if row is None:
            return 0, None
        return int(row.failures or 0), row.oldest

    def nth_newest(self, scope: str, subject: str, since: datetime, n: int) -> datetime | None:
        """The ``n``-th newest failure (1 = the newest) newer than ``since``: the oldest one a limit of ``n``
        counts; when it leaves the window, fewer than ``n`` remain."""
        return self.conn.execute(
            _oldest_kept, {"b_scope": scope, "b_subject": subject, "b_since": since, "b_skip": n - 1}
        ).scalar_one_or_none()

    def add_failure(self, scope: str, subject: str, company_id: str | None, now: datetime) -> None:
        self.conn.execute(
            insert(sign_in_failures).values(
                id=new_id("sif"), scope=scope, subject=subject, company_id=company_id, failed_at=now
            )
        )

    def forget(self, scope: str, subject: str, *, before: datetime | None = None) -> None:
        """Remove the failures of ``subject`` (only those at or before ``before`` when given)."""
        where = [sign_in_failures.c.scope == scope, sign_in_failures.c.subject == subject]
        if before is not None:
            where.append(sign_in_failures.c.failed_at <= before)
        self.conn.execute(delete(sign_in_failures).where(*where))

    def add_lockout(
        self,
        *,
        scope: str,
        subject: str,
        company_id: str | None,
        email: str | None,
        failures: int,
        now: datetime,
        until: datetime,
    ) -> str:
        lockout_id = new_id("lck")
        self.conn.execute(
            insert(sign_in_lockouts).values(
                id=lockout_id,
                scope=scope,
                subject=subject,
                company_id=company_id,
                email=email,
                failures=failures,
                locked_at=now,
                until=until,
            )
        )
        return lockout_id

    def lockouts(self, company_id: str, since: datetime, limit: int = 200) -> list[Row]:
        return list(
            self.conn.execute(
                select(sign_in_lockouts)
                .where(sign_in_lockouts.c.company_id == company_id, sign_in_lockouts.c.locked_at > since)
                .order_by(sign_in_lockouts.c.locked_at.desc(), sign_in_lockouts.c.id)
                .limit(limit)
            ).mappings()
        )
