"""Applications of a credit source (credit memo, payment) to a debit document (invoice, debit memo).
Insert and mark reversed only; never deleted (rule 7)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from creditmemo.domain.dating import Use
from creditmemo.domain.errors import NotFoundError
from creditmemo.domain.settlement import Application, ApplicationStatus, SourceType, TargetType
from creditmemo.store.locking import locked
from creditmemo.store.mapping import money
from creditmemo.store.tables import applications, invoices, memos


def _as_date(value: object) -> date | None:
    """A MAX() of a date column: a date (SQLite may answer its ISO text), or None when there are no rows."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def application_from_row(r: Mapping[Any, Any]) -> Application:
    return Application(
        id=r["id"],
        company_id=r["company_id"],
        source_type=SourceType(r["source_type"]),
        source_id=r["source_id"],
        target_type=TargetType(r["target_type"]),
        target_id=r["target_id"],
        customer_id=r["customer_id"],
        amount=money(r["amount_minor"], r["currency"]),
        status=ApplicationStatus(r["status"]),
        applied_on=r["applied_on"],
        created_by=r["created_by"],
        created_at=r["created_at"],
        reversed_at=r["reversed_at"],
        reversed_by=r["reversed_by"],
        reversed_on=r["reversed_on"],
        functional_source_minor=r["functional_source_minor"],
        functional_target_minor=r["functional_target_minor"],
        discount=money(r["discount_minor"], r["currency"]) if r["discount_minor"] else None,
        functional_discount_minor=r["functional_discount_minor"],
    )


_insert_applications = insert(applications)
_memo = select(memos).where(
    memos.c.company_id == bindparam("b_company"), memos.c.id == bindparam("b_id"), memos.c.kind == bindparam("b_kind")
)
_LOCK_MEMO = {False: _memo, True: locked(_memo)}


def _locked(stmt: Any) -> tuple[Any, Any]:
    return stmt, locked(stmt)


# Targets locked in id order: an expanding IN, compiled once.
_invoices_by_ids = _locked(
    select(invoices)
    .where(invoices.c.company_id == bindparam("b_company"), invoices.c.id.in_(bindparam("b_ids", expanding=True)))
    .order_by(invoices.c.id)
)
_credit_memos_by_ids = _locked(
    select(memos)
    .where(
        memos.c.company_id == bindparam("b_company"),
        memos.c.id.in_(bindparam("b_ids", expanding=True)),
        memos.c.kind == "credit",
    )
    .order_by(memos.c.id)
)
_debit_memos_by_ids = _locked(
    select(memos)
    .where(
        memos.c.company_id == bindparam("b_company"),
        memos.c.id.in_(bindparam("b_ids", expanding=True)),
        memos.c.kind == "debit",
    )
    .order_by(memos.c.id)
)


class ApplicationRepository:
    def __init__(self, conn: Connection, *, row_locks: bool) -> None:
        self.conn = conn
        self.row_locks = row_locks

    def add_many(self, items: list[Application]) -> None:
        if not items:
            return
        self.conn.execute(
            _insert_applications,
            [
                {
                    "id": a.id,
                    "company_id": a.company_id,
                    "source_type": str(a.source_type),
                    "source_id": a.source_id,
                    "target_type": str(a.target_type),
                    "target_id": a.target_id,
                    "customer_id": a.customer_id,
                    "currency": a.currency,
                    "amount_minor": a.amount.to_minor(),
                    "functional_source_minor": a.functional_source_minor,
                    "functional_target_minor": a.functional_target_minor,
                    "discount_minor": a.discount_taken.to_minor(),
                    "functional_discount_minor": a.functional_discount_minor,
                    "status": str(a.status),
                    "applied_on": a.applied_on,
                    "created_by": a.created_by,
                    "created_at": a.created_at,
                }
                for a in items
            ],
        )

    def get(self, company_id: str, application_id: str, *, for_update: bool = False) -> Application:
        stmt = select(applications).where(applications.c.company_id == company_id, applications.c.id == application_id)
        if for_update and self.row_locks:
            stmt = locked(stmt)
        row = self.conn.execute(stmt).mappings().first()
        if row is None:
            raise NotFoundError("application", application_id)
        return application_from_row(row)

    def mark_reversed(self, application: Application, *, by: str | None, at: datetime, on: date) -> None:
        self.conn.execute(
            update(applications)
            .where(
                applications.c.company_id == application.company_id,
                applications.c.id == application.id,
            )
            .values(status=str(ApplicationStatus.REVERSED), reversed_at=at, reversed_by=by, reversed_on=on)
        )

    def list(
        self,
        company_id: str,
        *,
        source_id: str | None = None,
        target_id: str | None = None,
        customer_id: str | None = None,
        limit: int = 1000,
    ) -> list[Application]:
        stmt = select(applications).where(applications.c.company_id == company_id)
        if source_id is not None:
            stmt = stmt.where(applications.c.source_id == source_id)
        if target_id is not None:
            stmt = stmt.where(applications.c.target_id == target_id)
        if customer_id is not None:
            stmt = stmt.where(applications.c.customer_id == customer_id)
        rows = self.conn.execute(stmt.order_by(applications.c.created_at, applications.c.id).limit(limit))
        return [application_from_row(r) for r in rows.mappings()]

    # Settlement dates (domain/dating.py), read under the documents' locks.
    def latest_dates(self, company_id: str, document_id: str) -> tuple[date | None, date | None]:
        """The last application date and the last unapplication date of the applications from or to a
        document (all of them, however many; a void may not be dated before either)."""
        stmt = select(func.max(applications.c.applied_on), func.max(applications.c.reversed_on)).where(
            applications.c.company_id == company_id,
            (applications.c.source_id == document_id) | (applications.c.target_id == document_id),
        )
        applied, reversed_ = self.conn.execute(stmt).one()
        return _as_date(applied), _as_date(reversed_)

    def released_after(self, company_id: str, document_ids: Sequence[str], day: date) -> set[str]:
        """The documents among ``document_ids`` (sources or targets) with an unapplication dated after ``day``:
        the only ones whose amount a use dated ``day`` may find not yet free (domain/dating.py)."""
        if not document_ids:
            return set()
        stmt = select(applications.c.source_id, applications.c.target_id).where(
            applications.c.company_id == company_id,
            applications.c.reversed_on > day,
            applications.c.source_id.in_(document_ids) | applications.c.target_id.in_(document_ids),
        )
        found = {i for row in self.conn.execute(stmt) for i in row}
        return found & set(document_ids)

    def uses(self, company_id: str, document_id: str, *, as_target: bool) -> Sequence[Use]:
        """Every application from (or, ``as_target``, to) a document as a use of its amount: from its date until
        its unapplication's; to a target it takes the amount and the settlement discount."""
        side = applications.c.target_id if as_target else applications.c.source_id
        amount = (
            applications.c.amount_minor + applications.c.discount_minor if as_target else applications.c.amount_minor
        )
        stmt = select(applications.c.applied_on, applications.c.reversed_on, amount).where(
            applications.c.company_id == company_id, side == document_id
        )
        return [Use(_as_date(on) or date.min, _as_date(until), int(m)) for on, until, m in self.conn.execute(stmt)]

    # Lean, locked reads of both sides (headers only: no lines), in the caller's lock order.
    def lock_memo(self, company_id: str, memo_id: str, kind: str) -> Mapping[Any, Any]:
        row = (
            self.conn.execute(_LOCK_MEMO[self.row_locks], {"b_company": company_id, "b_id": memo_id, "b_kind": kind})
            .mappings()
            .first()
        )
        if row is None:
            raise NotFoundError(f"{kind}_memo", memo_id)
        return row

    def lock_invoices(self, company_id: str, ids: Sequence[str]) -> dict[str, Mapping[Any, Any]]:
        return self._lock_many(_invoices_by_ids, company_id, ids, "invoice")

    def lock_debit_memos(self, company_id: str, ids: Sequence[str]) -> dict[str, Mapping[Any, Any]]:
        return self._lock_many(_debit_memos_by_ids, company_id, ids, "debit_memo")

    def read_many(self, entity: str, company_id: str, ids: Sequence[str]) -> dict[str, Mapping[Any, Any]]:
        """The same rows as the ``lock_*`` methods, read without a lock (a preview in a read-only transaction);
        ``entity``: invoice, credit_memo or debit_memo."""
        stmts = {"invoice": _invoices_by_ids, "credit_memo": _credit_memos_by_ids, "debit_memo": _debit_memos_by_ids}
        return self._lock_many(stmts[entity], company_id, ids, entity, lock=False)

    def _lock_many(
        self, stmts: tuple[Any, Any], company_id: str, ids: Sequence[str], entity: str, *, lock: bool = True
    ) -> dict[str, Mapping[Any, Any]]:
        """Rows locked in id order, so two requests touching the same targets cannot deadlock."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        result = self.conn.execute(stmts[self.row_locks and lock], {"b_company": company_id, "b_ids": wanted})
        rows: dict[str, Mapping[Any, Any]] = {r["id"]: r for r in result.mappings()}
        for target_id in wanted:
            if target_id not in rows:
                raise NotFoundError(entity, target_id)
        return rows

    def lock_credit_memos(self, company_id: str, ids: Sequence[str]) -> dict[str, Mapping[Any, Any]]:
        return self._lock_many(_credit_memos_by_ids, company_id, [*ids], "credit_memo")

    # Account credit used automatically (services/settlement/account_credit.py): candidates, read without
    # locks; the caller locks the ones it picks, in the lock order, and reads them again under the lock.
    def open_credit_memo_ids(self, company_id: str, customer_id: str, currency: str) -> Sequence[str]:
        """Posted credit memos of a customer in a currency with money left, oldest first."""
        c = memos.c
        available = c.total_minor - c.amount_applied_minor - c.amount_refunded_minor
        stmt = (
            select(c.id)
            .where(
                c.company_id == company_id,
                c.customer_id == customer_id,
                c.currency == currency,
                c.kind == "credit",
                c.status == "posted",
                available > 0,
            )
            .order_by(c.issue_date, c.number)
        )
        return list(self.conn.execute(stmt).scalars())

    def open_debit_memo_ids(self, company_id: str, customer_id: str, currency: str) -> Sequence[str]:
        """Posted debit memos of a customer in a currency with something due (unlocked candidates)."""
        c = memos.c
        stmt = (
            select(c.id)
            .where(
                c.company_id == company_id,
                c.customer_id == customer_id,
                c.currency == currency,
                c.kind == "debit",
                c.status == "posted",
                c.total_minor - c.amount_applied_minor > 0,
            )
            .order_by(c.issue_date, c.number)
        )
        return list(self.conn.execute(stmt).scalars())

    def oldest_open_targets(
        self, company_id: str, customer_id: str, currency: str, limit: int
    ) -> tuple[Sequence[tuple[str, str]], int]:
        """The ``limit`` open items of ``open_invoice_ids`` and ``open_debit_memo_ids`` due first, as (type, id) in
        the order (due date, issue date, number, id), type invoice or debit_memo (a debit memo is due on its issue
        date), and how many open items there are: a preview reads the oldest ones only, sorted and counted here
        rather than in Python (services/settlement/oldest_first.py)."""
        i, m = invoices.c, memos.c
        due = i.total_minor - i.amount_credited_minor - i.amount_paid_minor - i.discount_taken_minor
        inv_where = [i.company_id == company_id, i.customer_id == customer_id, i.currency == currency]
        inv_where += [i.status == "issued", due > 0]
        dm_where = [m.company_id == company_id, m.customer_id == customer_id, m.currency == currency]
        dm_where += [m.kind == "debit", m.status == "posted", m.total_minor - m.amount_applied_minor > 0]
        inv = select(i.id, i.due_date, i.issue_date, i.number).where(*inv_where)
        dms = select(m.id, m.issue_date, m.issue_date.label("d"), m.number).where(*dm_where)
        keys = [
            ("invoice", r[0], r[1], r[2], r[3])
            for r in self.conn.execute(inv.order_by(i.due_date, i.issue_date, i.number, i.id).limit(limit))
        ]
        keys += [
            ("debit_memo", r[0], r[1], r[2], r[3])
            for r in self.conn.execute(dms.order_by(m.issue_date, m.number, m.id).limit(limit))
        ]
        keys.sort(key=lambda k: (k[2], k[3], k[4], k[1]))
        count = self.conn.execute(
            select(
                select(func.count()).where(*inv_where).scalar_subquery(),
                select(func.count()).where(*dm_where).scalar_subquery(),
            )
        ).one()
        return [(k[0], k[1]) for k in keys[:limit]], int(count[0]) + int(count[1])

    def open_invoice_ids(
        self,
        company_id: str,
        customer_id: str,
        currency: str,
        *,
        issued_from: date | None = None,
        exclude: str | None = None,
    ) -> Sequence[str]:
        """Issued invoices of a customer in a currency with something due, oldest first."""
        c = invoices.c
        due = c.total_minor - c.amount_credited_minor - c.amount_paid_minor - c.discount_taken_minor
        stmt = (
            select(c.id)
            .where(
                c.company_id == company_id,
                c.customer_id == customer_id,
                c.currency == currency,
                c.status == "issued",
                due > 0,
            )
            .order_by(c.issue_date, c.number)
        )
        if issued_from is not None:
            stmt = stmt.where(c.issue_date >= issued_from)
        if exclude is not None:
            stmt = stmt.where(c.id != exclude)
        return list(self.conn.execute(stmt).scalars())
