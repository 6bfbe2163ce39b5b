"""Credit and debit memos (one table, `kind` tells them apart) and their lines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, literal_column, select, tuple_, update

from creditmemo.domain.documents import Memo, MemoKind
from creditmemo.domain.errors import NotFoundError
from creditmemo.store.locking import locked, touch
from creditmemo.store.mapping import MEMO_HEADER_FIELDS, later_release, memo_from_row, memo_line_to_row, memo_to_row
from creditmemo.store.numbering import Numbers, numbered_insert
from creditmemo.store.repositories.listing import WithLines, filter_conditions, keyset_page, lines_by_parent
from creditmemo.store.repositories.lookup import by_id_or
from creditmemo.store.tables import memo_lines, memos

# Statements built once (their compiled form and cache key are reused): the hot path runs them per request.
_insert_memo = insert(memos)
_insert_lines = insert(memo_lines)
_with_lines = WithLines(memos, memo_lines, memo_lines.c.memo_id)
_GET = {False: _with_lines.query, True: _with_lines.query.where(memos.c.kind == bindparam("b_kind"))}
_touch = touch(memos, memos.c.version, memos.c.company_id == bindparam("b_company"), memos.c.id == bindparam("b_id"))
_save_header = (
    update(memos)
    .where(memos.c.id == bindparam("b_id"), memos.c.company_id == bindparam("b_company"))
    .values({k: bindparam(f"v_{k}") for k in MEMO_HEADER_FIELDS})
)
_save_line_amounts = (
    update(memo_lines)
    .where(memo_lines.c.company_id == bindparam("b_company"), memo_lines.c.id == bindparam("b_id"))
    .values(net_minor=bindparam("v_net"), tax_minor=bindparam("v_tax"))
)
_adjust_settlement = (
    update(memos)
    .where(memos.c.company_id == bindparam("b_company"), memos.c.id == bindparam("b_id"))
    .values(
        amount_applied_minor=memos.c.amount_applied_minor + bindparam("b_applied"),
        amount_refunded_minor=memos.c.amount_refunded_minor + bindparam("b_refunded"),
    )
)
# The same, for an unapplication or a refund reversal: the memo's latest release date too (migration 0027).
_adjust_settlement_released = _adjust_settlement.values(released_on=later_release(memos.c.released_on))
# The status is a literal so the planner can use the partial index ix_memos_ready_to_post.
_claim = (
    select(memos.c.company_id, memos.c.id)
    .where(memos.c.status == literal_column("'ready_to_post'"))
    .order_by(memos.c.updated_at, memos.c.id)
    .limit(1)
)
_claim_locked = _claim.with_for_update(skip_locked=True, key_share=True)


def _entity(kind: MemoKind) -> str:
    return f"{kind}_memo"


def memo_with_lines(rows: Sequence[Any]) -> Memo:
    """One memo from the rows of ``_with_lines`` (header repeated on each line row)."""
    return memo_from_row(*_with_lines.split(rows))


class MemoRepository:
    def __init__(self, conn: Connection, *, row_locks: bool, numbers: Numbers | None = None) -> None:
        self.conn = conn
        self.row_locks = row_locks
        self.numbers = numbers

    def add(self, memo: Memo) -> None:
        row = memo_to_row(memo)
        reservation = self.numbers.reservation(memo.number) if self.numbers else None
        if reservation is None:
            self.conn.execute(_insert_memo, row)
        else:  # the number is taken by the insert itself, in the commit's flight (store/numbering.py)
            params = {f"v_{k}": v for k, v in row.items() if k != "number"}
            self.conn.execute(
                numbered_insert(memos, reservation.doc_type),
                {**params, "n_company": reservation.company_id, "n_type": reservation.doc_type},
            )
        self._insert_lines(memo)

    def _insert_lines(self, memo: Memo) -> None:
        if memo.lines:
            self.conn.execute(_insert_lines, [memo_line_to_row(line, memo.id, memo.company_id) for line in memo.lines])

    def find(self, company_id: str, ref: str) -> tuple[str, MemoKind] | None:
        """(id, kind) of the memo numbered ``ref`` (CM-000001, DM-000001) or with that id."""
        row = by_id_or(self.conn, memos, company_id, ref, memos.c.number, memos.c.kind)
        return None if row is None else (row[0], MemoKind(row[1]))

    def get(self, company_id: str, memo_id: str, kind: MemoKind | None = None, *, for_update: bool = False) -> Memo:
        """The memo with its lines, one round trip; ``for_update`` locks it first (store/locking.py)."""
        params = {"b_company": company_id, "b_id": memo_id, "b_kind": None if kind is None else str(kind)}
        if for_update and self.row_locks:
            self.conn.execute(_touch, params)
        rows = self.conn.execute(_GET[kind is not None], params).mappings().all()
        if not rows:
            raise NotFoundError(_entity(kind) if kind else "memo", memo_id)
        return memo_with_lines(rows)

    def save(self, memo: Memo, *, replace_lines: bool = False) -> None:
        """Write the header (and, when asked, the lines) of an existing memo."""
        row = memo_to_row(memo)
        params = {f"v_{k}": row[k] for k in MEMO_HEADER_FIELDS}
        params.update(b_id=memo.id, b_company=memo.company_id)
        self.conn.execute(_save_header, params)
        if replace_lines:
            # Draft edits and discards replace lines; posted lines are never touched (rule 4).
            self.conn.execute(
                delete(memo_lines).where(memo_lines.c.company_id == memo.company_id, memo_lines.c.memo_id == memo.id)
            )
            self._insert_lines(memo)

    def save_notes(self, memo: Memo) -> None:
        """Only the text and the metadata (issue 17): what may change in any status. Nothing else is written, so
        a ready_to_post memo keeps its place in the worker's queue."""
        self.conn.execute(
            update(memos)
            .where(memos.c.company_id == memo.company_id, memos.c.id == memo.id)
            .values(memo_text=memo.memo_text, metadata=dict(memo.metadata))
        )

    def link_reissue(self, company_id: str, voided_id: str, draft_id: str) -> None:
        """Void and reissue: the voided memo and its replacement point at each other (links, no amounts: the
        voided memo's figures never change, rule 4)."""
        for memo_id, values in ((voided_id, {"replaced_by_id": draft_id}), (draft_id, {"replaces_id": voided_id})):
            self.conn.execute(
                update(memos).where(memos.c.company_id == company_id, memos.c.id == memo_id).values(**values)
            )

    def by_incident(self, company_id: str, customer_id: str, incident_reference: str) -> Memo | None:
        """The credit memo answering an SLA incident of a customer (one at most: a unique key says so)."""
        memo_id = self.conn.execute(
            select(memos.c.id).where(
                memos.c.company_id == company_id,
                memos.c.customer_id == customer_id,
                memos.c.incident_reference == incident_reference,
            )
        ).scalar_one_or_none()
        return None if memo_id is None else self.get(company_id, memo_id)

    def credited_incidents(
        self, company_id: str, incidents: Sequence[tuple[str, str]], *, chunk: int = 500
    ) -> set[tuple[str, str]]:
        """Which (customer id, incident reference) pairs already have their credit memo: a bulk import skips
        them without a transaction each (the per-row check still guards a concurrent run)."""
        found: set[tuple[str, str]] = set()
        wanted = sorted(set(incidents))
        for i in range(0, len(wanted), chunk):
            rows = self.conn.execute(
                select(memos.c.customer_id, memos.c.incident_reference).where(
                    memos.c.company_id == company_id,
                    tuple_(memos.c.customer_id, memos.c.incident_reference).in_(wanted[i : i + chunk]),
                )
            )
            found.update((r.customer_id, r.incident_reference) for r in rows)
        return found

    def get_many(
        self, company_id: str, memo_ids: list[str], *, for_update: bool = False, chunk: int = 500
    ) -> dict[str, Memo]:
        """Memos by id (missing ids are absent), locked in id order: two queries per ``chunk`` ids."""
        found: dict[str, Memo] = {}
        ordered = sorted(set(memo_ids))
        for i in range(0, len(ordered), chunk):
            part = ordered[i : i + chunk]
            stmt = select(memos).where(memos.c.company_id == company_id, memos.c.id.in_(part)).order_by(memos.c.id)
            rows = self.conn.execute(locked(stmt) if for_update and self.row_locks else stmt).mappings().all()
            by_memo: dict[str, list[object]] = {}
            for line in self.conn.execute(
                select(memo_lines)
                .where(memo_lines.c.company_id == company_id, memo_lines.c.memo_id.in_([r["id"] for r in rows]))
                .order_by(memo_lines.c.memo_id, memo_lines.c.line_no)
            ).mappings():
                by_memo.setdefault(line["memo_id"], []).append(line)
            for r in rows:
                found[r["id"]] = memo_from_row(r, by_memo.get(r["id"], []))  # type: ignore[arg-type]  # result rows are mappings
        return found

    def save_many(self, batch: list[Memo]) -> None:
        """Write the headers of existing memos in one executemany (bulk post)."""
        if not batch:
            return
        params = []
        for memo in batch:
            row = memo_to_row(memo)
            params.append(
                {**{f"v_{k}": row[k] for k in MEMO_HEADER_FIELDS}, "b_id": memo.id, "b_company": memo.company_id}
            )
        self.conn.execute(_save_header, params)

    def save_line_amounts(self, memo: Memo) -> None:
        """Re-priced amounts at post (rule 2: the completing credit takes the remaining tax)."""
        if memo.lines:
            self.conn.execute(
                _save_line_amounts,
                [
                    {
                        "b_company": memo.company_id,
                        "b_id": line.id,
                        "v_net": line.net.to_minor(),
                        "v_tax": line.tax.to_minor(),
                    }
                    for line in memo.lines
                ],
            )

    def add_applied(self, company_id: str, deltas: Mapping[str, int], *, released_on: date | None = None) -> None:
        """Add to memos' applied totals (a credit memo as source, a debit memo as target; negative when
        unapplied), in one round of statements. ``released_on``: an unapplication's date, which moves each memo's
        latest release date too."""
        if released_on is None:
            rows = [
                {"b_company": company_id, "b_id": i, "b_applied": a, "b_refunded": 0}
                for i, a in sorted(deltas.items())
                if a
            ]
            if rows:
                self.conn.execute(_adjust_settlement, rows)
            return
        released = [
            {"b_company": company_id, "b_id": i, "b_applied": a, "b_refunded": 0, "b_released": released_on}
            for i, a in sorted(deltas.items())
        ]
        if released:
            self.conn.execute(_adjust_settlement_released, released)

    def adjust_settlement(
        self, company_id: str, memo_id: str, *, applied: int = 0, refunded: int = 0, released_on: date | None = None
    ) -> None:
        """Add to a memo's applied and refunded totals; ``released_on``: a refund reversal's date, which moves the
        memo's latest release date too."""
        params = {"b_company": company_id, "b_id": memo_id, "b_applied": applied, "b_refunded": refunded}
        if released_on is None:
            self.conn.execute(_adjust_settlement, params)
        else:
            self.conn.execute(_adjust_settlement_released, {**params, "b_released": released_on})

    def claim_next_ready(self) -> tuple[str, str] | None:
        """(company_id, id) of the oldest memo in ready_to_post, locked for this transaction. PostgreSQL
        skips rows other workers hold (FOR UPDATE SKIP LOCKED); SQLite's BEGIN IMMEDIATE already
        serialises writers, so there it is a plain select (one worker)."""
        stmt = _claim_locked if self.row_locks else _claim
        row = self.conn.execute(stmt).first()
        return None if row is None else (row[0], row[1])

    def list(
        self,
        company_id: str,
        *,
        kind: MemoKind,
        filters: dict[str, object],
        sort: str = "-id",
        starting_after: str | None = None,
        limit: int = 20,
    ) -> tuple[list[Memo], bool]:
        """A page of memos with their lines (one query for the lines of the whole page)."""
        c = memos.c
        where = [
            c.kind == str(kind),
            *filter_conditions(
                filters,
                {
                    "status": c.status,
                    "customer_id": c.customer_id,
                    "invoice_id": c.invoice_id,
                    "reason_code": c.reason_code,
                    "number": c.number,
                },
                c.issue_date,
            ),
        ]
        rows, more = keyset_page(
            self.conn,
            memos,
            company_id,
            where,
            sort=sort,
            starting_after=starting_after,
            limit=limit,
            columns={
                "id": c.id,
                "created_at": c.created_at,
                "number": c.number,
                "issue_date": c.issue_date,
                "total": c.total_minor,
            },
        )
        by_memo = lines_by_parent(self.conn, memo_lines, company_id, memo_lines.c.memo_id, [r["id"] for r in rows])
        return [memo_from_row(r, by_memo[r["id"]]) for r in rows], more
