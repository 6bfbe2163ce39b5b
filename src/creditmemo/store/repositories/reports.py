"""Report queries: aggregation happens in SQL (GROUP BY over integer minor-unit columns, exact on both
engines), so a report over a million invoices reads a few thousand rows, not a million."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    String,
    and_,
    any_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY

from creditmemo.store.tables import (
    accounts,
    applications,
    customers,
    invoice_lines,
    invoices,
    journal_entries,
    journal_lines,
    memos,
    payments,
    refunds,
)

Row = Mapping[Any, Any]  # a result row: SQLAlchemy keys RowMapping by name or column
PROBLEM_LIMIT = 50
# The orders of the aging's documents (open_documents): key -> the columns before number and id.
DOCUMENT_ORDER: dict[str, Callable[[Any, Any], list[Any]]] = {
    "customer": lambda u, c: [c.c.name, u.c.due_date],
    "number": lambda u, c: [],
    "issue_date": lambda u, c: [u.c.issue_date],
    "due_date": lambda u, c: [u.c.due_date],
    "bucket": lambda u, c: [u.c.due_date],
    "total": lambda u, c: [u.c.total_minor],
    "amount_due": lambda u, c: [u.c.due_minor],
}
# A journal line's entry (company_id first: one shard, and the entry's primary key).
_LINE_ENTRY = (journal_entries.c.company_id == journal_lines.c.company_id) & (
    journal_entries.c.id == journal_lines.c.entry_id
)


class ReportQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # customer statement ------------------------------------------------------------------------
    def ar_opening(self, company_id: str, customer_id: str, ar_account: str, before: date) -> int:
        """The customer's AR before ``before``: its lines' sum, by their entry's date written on each line, read
        from the index (company_id, customer_id, account_code, entry_date) alone (issue 16 item 8, migration 0026;
        joined to every entry for its date it took a second for a customer with 25,714 lines)."""
        jl = journal_lines.c
        stmt = select(func.coalesce(func.sum(jl.debit_minor - jl.credit_minor), 0)).where(
            jl.company_id == company_id,
            jl.customer_id == customer_id,
            jl.account_code == ar_account,
            jl.entry_date < before,
        )
        return int(self.conn.execute(stmt).scalar_one())

    def ar_movements(self, company_id: str, customer_id: str, ar_account: str, start: date, end: date) -> list[Row]:
        je = journal_entries
        stmt = (
            select(
                je.c.id,
                je.c.date,
                je.c.source_type,
                je.c.source_id,
                je.c.kind,
                je.c.description,
                journal_lines.c.debit_minor,
                journal_lines.c.credit_minor,
            )
            .select_from(journal_lines.join(je, _LINE_ENTRY))
            .where(
                journal_lines.c.company_id == company_id,
                journal_lines.c.customer_id == customer_id,
                journal_lines.c.account_code == ar_account,
                journal_lines.c.entry_date >= start,  # the entry's date, on the line: an index range (0026)
                journal_lines.c.entry_date <= end,
            )
            .order_by(je.c.date, je.c.created_at, je.c.id, journal_lines.c.line_no)
        )
        return list(self.conn.execute(stmt).mappings())

    def applications_in_period(self, company_id: str, customer_id: str, start: date, end: date) -> list[Row]:
        """Applications dated in the period, and those unapplied in it (their ``reversed_on`` in it)."""
        a = applications
        stmt = (
            select(a)
            .where(
                a.c.company_id == company_id,
                a.c.customer_id == customer_id,
                or_(
                    and_(a.c.applied_on >= start, a.c.applied_on <= end),
                    and_(a.c.reversed_on >= start, a.c.reversed_on <= end),
                ),
            )
            .order_by(a.c.applied_on, a.c.created_at, a.c.id)
        )
        return list(self.conn.execute(stmt).mappings())

    def document_numbers(self, company_id: str, ids: Iterable[str]) -> dict[str, str]:
        """Numbers of invoices, memos, payments and refunds by id (for statement lines)."""
        wanted = sorted(set(ids))
        found: dict[str, str] = {}
        if wanted and self.conn.dialect.name == "postgresql":
            # one array parameter, one query per table: a statement of the busiest customer names 1,500 documents,
            # and 500 parameters a query (12 queries) cost 0.7 s to compile and send (issue 16 item 8)
            every = bindparam("b_ids", wanted, type_=ARRAY(String()))
            for table in (invoices, memos, payments, refunds):
                rows = self.conn.execute(
                    select(table.c.id, table.c.number).where(
                        table.c.company_id == company_id, table.c.id == any_(every)
                    )
                )
                found.update({r[0]: r[1] for r in rows})
            return found
        for table in (invoices, memos, payments, refunds):
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows = self.conn.execute(
                    select(table.c.id, table.c.number).where(table.c.company_id == company_id, table.c.id.in_(chunk))
                )
                found.update({r[0]: r[1] for r in rows})
        return found

    # AR aging ----------------------------------------------------------------------------------
    def _bucketed(self, due_expr: Any, due_date: Any, bounds: Sequence[date]) -> list[Any]:
        b0, b1, b2, b3 = bounds
        conditions = [
            due_date >= b0,
            and_(due_date < b0, due_date >= b1),
            and_(due_date < b1, due_date >= b2),
            and_(due_date < b2, due_date >= b3),
            due_date < b3,
        ]
        return [func.sum(case((cond, due_expr), else_=literal(0))).label(f"b{i}") for i, cond in enumerate(conditions)]

    # as of a date: documents and settlements dated on or before it (issue 16 item 1) ---------------
    # At a million invoices (issue 16 item 8) nothing here sums every application: what a document owed (or had
    # left) on a date is what it has open today (its running totals) plus the settlement events dated after the
    # date, undone. An event dated on or before the date counts the same then as today, so only the
    # applications applied or unapplied after it, and the refunds made or reversed after it, are read (indexes
    # on those dates). The documents read are the ones open today (partial indexes on "open today") and the
    # ones those later events touched: a document settled today with no event after the date was settled then.
    # This rests on the running totals equalling the records (the reconciliation checks it) and on a memo
    # being voided only once nothing of it is applied or refunded, and not before its last settlement event
    # (services/memos/void.py): an active application never involves a memo voided by the date.
    def _live_applications(self, company_id: str, as_of: date) -> list[Any]:
        """Applications that stood on ``as_of``: dated on or before it, not unapplied by then, and between two
        documents that both still stood (a memo may be voided on a date before the day its application was
        unapplied: from its void on, the ledger holds neither the memo nor what it settled)."""
        a, m = applications.c, memos.c
        voided = (
            select(literal(1))
            .where(
                m.company_id == a.company_id,
                or_(m.id == a.source_id, m.id == a.target_id),
                m.void_date <= as_of,
            )
            .exists()
        )
        return [
            a.company_id == company_id,
            a.applied_on <= as_of,
            or_(a.status == "active", a.reversed_on > as_of),
            ~voided,
        ]

    def _applications_after(self, company_id: str, as_of: date, side: str, customer_id: str | None = None) -> Any:
        """Per document on one side of applications (``target``: invoices and debit memos, amount and
        settlement discount; ``source``: credit memos and payments, amount): what its applications dated or
        unapplied after ``as_of`` count today less what they counted on ``as_of`` (0 for every other one)."""
        a = applications.c
        amount = a.amount_minor + a.discount_minor if side == "target" else a.amount_minor
        today = case((a.status == "active", amount), else_=literal(0))
        then = case((and_(*self._live_applications(company_id, as_of)[1:]), amount), else_=literal(0))
        doc_type, doc_id = (a.target_type, a.target_id) if side == "target" else (a.source_type, a.source_id)
        where = [a.company_id == company_id, or_(a.applied_on > as_of, a.reversed_on > as_of)]
        if customer_id is not None:  # one customer's documents (an application is between one customer's)
            where.append(a.customer_id == customer_id)
        return select(doc_type.label("doc_type"), doc_id.label("doc_id"), (today - then).label("minor")).where(*where)

    def _targets_after(self, company_id: str, as_of: date, customer_id: str | None = None) -> Any:
        """Per invoice and debit memo: what it had open on ``as_of`` less what it has open today, for those
        with an application dated or unapplied after the date (a CTE: doc_type, doc_id, minor)."""
        u = self._applications_after(company_id, as_of, "target", customer_id).subquery()
        return (
            select(u.c.doc_type, u.c.doc_id, cast(func.sum(u.c.minor), BigInteger).label("minor"))
            .group_by(u.c.doc_type, u.c.doc_id)
            .cte("targets_after")
        )

    def _refunds_after(self, company_id: str, as_of: date) -> Any:
        """Per refund made or reversed after ``as_of``: what it counts today less what it counted on the date (a
        refund counts from its date until it was reversed)."""
        r = refunds.c
        today = case((r.status == "completed", r.amount_minor), else_=literal(0))
        then = case(
            (and_(r.refunded_on <= as_of, or_(r.status == "completed", r.reversed_on > as_of)), r.amount_minor),
            else_=literal(0),
        )
        refunded = select(r.source_type.label("doc_type"), r.source_id.label("doc_id"), (today - then).label("minor"))
        return refunded.where(r.company_id == company_id, or_(r.refunded_on > as_of, r.reversed_on > as_of))

    def _sources_after(self, company_id: str, as_of: date) -> Any:
        """Per credit memo and payment: what it had left on ``as_of`` less what it has left today (applications
        and refunds dated or undone after the date; a refund counts from its date until it was reversed)."""
        refunded = self._refunds_after(company_id, as_of)
        u = union_all(self._applications_after(company_id, as_of, "source"), refunded).subquery()
        return (
            select(u.c.doc_type, u.c.doc_id, cast(func.sum(u.c.minor), BigInteger).label("minor"))
            .group_by(u.c.doc_type, u.c.doc_id)
            .cte("sources_after")
        )

    def _as_of_parts(
        self, company_id: str, table: Any, doc_type: str, left: Any, after: Any, where: list[Any]
    ) -> list[tuple[Any, Any, list[Any]]]:
        """(from clause, what was open on the date, conditions) for the documents of ``table``, in two parts: those
        open today (with their later events undone) and those settled today that a later event touched. ``left``:
        what is open on it today (total less what settled or used it, as the partial index writes it)."""
        left_today = left
        open_today = left_today != literal_column("0")  # as the partial index's predicate (store/tables.py)
        mine = (table.c.company_id == company_id) & (after.c.doc_type == doc_type) & (after.c.doc_id == table.c.id)
        due_open = left_today + func.coalesce(after.c.minor, 0)
        due_settled = left_today + after.c.minor
        where = [table.c.company_id == company_id, *where]
        return [
            (table.outerjoin(after, mine), due_open, [*where, open_today, due_open != 0]),
            (after.join(table, mine), due_settled, [*where, left_today == literal_column("0"), due_settled != 0]),
        ]

    def _invoice_parts(self, company_id: str, as_of: date, after: Any) -> list[tuple[Any, Any, list[Any]]]:
        i = invoices.c
        settled = i.amount_credited_minor + i.amount_paid_minor + i.discount_taken_minor
        left = i.total_minor - settled
        return self._as_of_parts(
            company_id, invoices, "invoice", left, after, [i.status == "issued", i.issue_date <= as_of]
        )

    def _memo_parts(self, company_id: str, as_of: date, kind: str, after: Any) -> list[tuple[Any, Any, list[Any]]]:
        m = memos.c
        used = m.amount_applied_minor + m.amount_refunded_minor
        left = m.total_minor - used
        return self._as_of_parts(
            company_id, memos, f"{kind}_memo", left, after, [m.kind == kind, *self._memo_standing(as_of)]
        )

    def _memo_standing(self, as_of: date) -> list[Any]:
        """A memo that stood posted on ``as_of``: its posting entry is dated on or before it and it was not
        voided by then (a void dated after it still counts the memo)."""
        m, je = memos.c, journal_entries.c
        posted = (
            select(literal(1))
            .where(je.company_id == m.company_id, je.source_id == m.id, je.kind == "post", je.date <= as_of)
            .exists()
        )
        return [
            m.status.in_(("posted", "void")),
            m.issue_date <= as_of,
            or_(m.void_date.is_(None), m.void_date > as_of),
            posted,
        ]

    def plain_plans(self) -> None:
        """For the rest of this (read) transaction, no JIT compilation on PostgreSQL: the aging's statements are
        estimated above ``jit_above_cost`` and compiling them took seconds on a loaded machine for queries that
        run in a fraction of that (bench/RESULTS.md, the aging at 1,000,000 invoices)."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(text("SET LOCAL jit = off"))

    def open_invoices_by_customer(self, company_id: str, as_of: date, bounds: Sequence[date]) -> list[Row]:
        i = invoices
        after = self._targets_after(company_id, as_of)
        rows: list[Row] = []
        for source, due, where in self._invoice_parts(company_id, as_of, after):
            stmt = (
                select(i.c.customer_id, func.count().label("n"), *self._bucketed(due, i.c.due_date, bounds))
                .select_from(source)
                .where(*where)
                .group_by(i.c.customer_id)
            )
            rows += self.conn.execute(stmt).mappings().all()
        return rows

    def open_debit_memos_by_customer(self, company_id: str, as_of: date, bounds: Sequence[date]) -> list[Row]:
        m = memos
        after = self._targets_after(company_id, as_of)
        rows: list[Row] = []
        # A debit memo is due on its issue date (payable on receipt).
        for source, due, where in self._memo_parts(company_id, as_of, "debit", after):
            stmt = (
                select(m.c.customer_id, func.count().label("n"), *self._bucketed(due, m.c.issue_date, bounds))
                .select_from(source)
                .where(*where)
                .group_by(m.c.customer_id)
            )
            rows += self.conn.execute(stmt).mappings().all()
        return rows

    def unapplied_credit_by_customer(self, company_id: str, as_of: date) -> dict[str, int]:
        """Posted credit memos and payments dated on or before ``as_of``, less what was applied and refunded of
        them as of that date. Documents are kept when what is left is not zero, either way: an application
        dated back before another was unapplied can leave a document over-used on a past date, and the aging
        then shows it as the ledger has it (its net still equals the AR control account)."""
        m, p = memos, payments
        after = self._sources_after(company_id, as_of)
        used = p.c.amount_applied_minor + p.c.amount_refunded_minor
        left = p.c.amount_minor - used
        parts = [(m.c.customer_id, part) for part in self._memo_parts(company_id, as_of, "credit", after)]
        parts += [
            (p.c.customer_id, part)
            for part in self._as_of_parts(company_id, payments, "payment", left, after, [p.c.received_on <= as_of])
        ]
        result: dict[str, int] = {}
        for customer, (source, left, where) in parts:
            stmt = select(customer, func.sum(left)).select_from(source).where(*where).group_by(customer)
            for customer_id, minor in self.conn.execute(stmt):
                result[customer_id] = result.get(customer_id, 0) + int(minor)
        return result

    def open_invoices_detail(self, company_id: str, as_of: date, limit: int) -> list[Row]:
        """Open invoices issued on or before ``as_of``, one row each (the aging's detail), with what was due on
        that date, the settlement discount stored at issue, what was taken of it and the posted credit of memos
        from it (which reduces the discount in proportion: domain/terms.py)."""
        i, il = invoices.c, invoice_lines.c
        after = self._targets_after(company_id, as_of)
        u = union_all(
            *(
                select(i.id, due.label("due_minor")).select_from(source).where(*where)
                for source, due, where in self._invoice_parts(company_id, as_of, after)
            )
        ).subquery()
        credited = (
            select(func.coalesce(func.sum(il.credited_net_minor + il.credited_tax_minor), 0))
            .where(il.company_id == i.company_id, il.invoice_id == i.id)
            .scalar_subquery()
        )
        stmt = (
            select(
                i.id,
                i.number,
                i.customer_id,
                customers.c.name.label("customer_name"),
                i.currency,
                i.issue_date,
                i.due_date,
                i.total_minor,
                u.c.due_minor,
                i.settlement_discount_minor,
                i.settlement_discount_date,
                i.discount_taken_minor,
                case((i.settlement_discount_minor.is_(None), literal(0)), else_=credited).label("credited_minor"),
            )
            .select_from(
                u.join(invoices, (i.company_id == company_id) & (i.id == u.c.id)).join(
                    customers, (customers.c.company_id == i.company_id) & (customers.c.id == i.customer_id)
                )
            )
            .order_by(customers.c.name, i.due_date, i.number)
            .limit(limit)
        )
        return list(self.conn.execute(stmt).mappings())

    def open_documents(
        self,
        company_id: str,
        as_of: date,
        customer_id: str | None,
        limit: int,
        *,
        due_from: date | None = None,
        due_before: date | None = None,
        order: str = "customer",
        descending: bool = False,
    ) -> list[Row]:
        """The aging's documents one by one: open invoices and posted debit memos as of the date, with what was
        due then (a debit memo is due on its issue date); of one customer, due in [``due_from``, ``due_before``)
        (a bucket), in the order ``order`` (a key of ``DOCUMENT_ORDER``, then number), the first ``limit``."""
        i, m = invoices, memos
        after = self._targets_after(company_id, as_of, customer_id)
        selects = []
        for kind, table, due_date, parts in (
            ("invoice", i, i.c.due_date, self._invoice_parts(company_id, as_of, after)),
            ("debit_memo", m, m.c.issue_date, self._memo_parts(company_id, as_of, "debit", after)),
        ):
            extra = []
            if customer_id is not None:
                extra.append(table.c.customer_id == customer_id)
            if due_from is not None:
                extra.append(due_date >= due_from)
            if due_before is not None:
                extra.append(due_date < due_before)
            selects += [
                select(
                    literal(kind).label("kind"),
                    table.c.id,
                    table.c.number,
                    table.c.customer_id,
                    table.c.currency,
                    table.c.issue_date,
                    due_date.label("due_date"),
                    table.c.total_minor,
                    due.label("due_minor"),
                )
                .select_from(source)
                .where(*where, *extra)
                for source, due, where in parts
            ]
        u = union_all(*selects).subquery()
        keys: list[tuple[Any, bool]] = [(k, True) for k in DOCUMENT_ORDER[order](u, customers)]
        if order == "bucket":  # the later the due date, the nearer the bucket
            keys = [(u.c.due_date, False)]
        ordering = [c.asc() if up != descending else c.desc() for c, up in [*keys, (u.c.number, True), (u.c.id, True)]]
        stmt = (
            select(u, customers.c.name.label("customer_name"))
            .select_from(
                u.join(customers, (customers.c.company_id == company_id) & (customers.c.id == u.c.customer_id))
            )
            .order_by(*ordering)
            .limit(limit)
        )
        return list(self.conn.execute(stmt).mappings())

    def discounts_taken(
        self, company_id: str, start: date | None, end: date | None, customer_id: str | None, limit: int
    ) -> list[Row]:
        """Active applications that took a settlement discount, applied in the period (issue 15 item 9)."""
        a, i, p = applications.c, invoices.c, payments.c
        where = [a.company_id == company_id, a.status == "active", a.discount_minor > 0]
        if start is not None:
            where.append(a.applied_on >= start)
        if end is not None:
            where.append(a.applied_on <= end)
        if customer_id is not None:
            where.append(a.customer_id == customer_id)
        stmt = (
            select(
                a.id,
                a.applied_on,
                a.customer_id,
                customers.c.name.label("customer_name"),
                a.target_id,
                i.number.label("invoice_number"),
                a.source_id,
                p.number.label("payment_number"),
                a.currency,
                a.amount_minor,
                a.discount_minor,
                a.functional_discount_minor,
            )
            .select_from(
                applications.join(invoices, (i.company_id == a.company_id) & (i.id == a.target_id))
                .join(payments, (p.company_id == a.company_id) & (p.id == a.source_id))
                .join(customers, (customers.c.company_id == a.company_id) & (customers.c.id == a.customer_id))
            )
            .where(*where)
            .order_by(a.applied_on, i.number, a.id)
            .limit(limit)
        )
        return list(self.conn.execute(stmt).mappings())

    def discounts_taken_totals(
        self, company_id: str, start: date | None, end: date | None, customer_id: str | None = None
    ) -> list[Row]:
        a = applications.c
        where = [a.company_id == company_id, a.status == "active", a.discount_minor > 0]
        if start is not None:
            where.append(a.applied_on >= start)
        if end is not None:
            where.append(a.applied_on <= end)
        if customer_id is not None:
            where.append(a.customer_id == customer_id)
        stmt = (
            select(
                a.currency,
                func.count().label("n"),
                func.sum(a.discount_minor).label("discount"),
                func.sum(func.coalesce(a.functional_discount_minor, a.discount_minor)).label("functional"),
            )
            .where(*where)
            .group_by(a.currency)
            .order_by(a.currency)
        )
        return list(self.conn.execute(stmt).mappings())

    def customer_choices(self, company_id: str, limit: int = 500) -> list[Row]:
        """Customers by name (id, name, currency) for a report's filter, at most ``limit``."""
        c = customers.c
        stmt = select(c.id, c.name, c.currency).where(c.company_id == company_id).order_by(c.name, c.id).limit(limit)
        return list(self.conn.execute(stmt).mappings())

    def customers_by_id(self, company_id: str, ids: Iterable[str]) -> dict[str, Row]:
        wanted = sorted(set(ids))
        found: dict[str, Row] = {}
        for start in range(0, len(wanted), 1000):
            rows = self.conn.execute(
                select(customers.c.id, customers.c.name, customers.c.currency).where(
                    customers.c.company_id == company_id, customers.c.id.in_(wanted[start : start + 1000])
                )
            ).mappings()
            found.update({r["id"]: r for r in rows})
        return found

    # credit memo register ----------------------------------------------------------------------
    def _register_source(self, company_id: str, as_of: date | None) -> Any:
        """The credit memos with their status and what was applied and refunded of them: today's, or as of a
        date (a memo voided after it was posted then; applications and refunds dated on or before it and not
        undone by then)."""
        m = memos
        if as_of is None:
            return m
        # Today's running totals less what the applications and refunds dated (or undone) after the date changed
        # (as the aging, issue 16 item 8): summing every live application per memo took minutes at 1,000,000.
        a = self._applications_after(company_id, as_of, "source").subquery()
        applied = select(a.c.doc_id, func.sum(a.c.minor).label("minor")).group_by(a.c.doc_id).subquery()
        r = self._refunds_after(company_id, as_of).subquery()
        refunded = select(r.c.doc_id, func.sum(r.c.minor).label("minor")).group_by(r.c.doc_id).subquery()
        status = case((and_(m.c.status == "void", m.c.void_date > as_of), literal("posted")), else_=m.c.status)
        cols = [c for c in m.c if c.name not in ("status", "amount_applied_minor", "amount_refunded_minor")]
        return (
            select(
                *cols,
                status.label("status"),
                cast(m.c.amount_applied_minor - func.coalesce(applied.c.minor, 0), BigInteger).label(
                    "amount_applied_minor"
                ),
                cast(m.c.amount_refunded_minor - func.coalesce(refunded.c.minor, 0), BigInteger).label(
                    "amount_refunded_minor"
                ),
            )
            .select_from(
                m.outerjoin(applied, applied.c.doc_id == m.c.id).outerjoin(refunded, refunded.c.doc_id == m.c.id)
            )
            .where(m.c.company_id == company_id, m.c.kind == "credit", m.c.issue_date <= as_of)
            .subquery()
        )

    def _register_filter(
        self,
        m: Any,
        company_id: str,
        start: date | None,
        end: date | None,
        reason_code: str | None,
        status: str | None,
        customer_id: str | None,
    ) -> list[Any]:
        where = [m.c.company_id == company_id, m.c.kind == "credit"]
        if start is not None:
            where.append(m.c.issue_date >= start)
        if end is not None:
            where.append(m.c.issue_date <= end)
        if reason_code is not None:
            where.append(m.c.reason_code == reason_code)
        if status is not None:
            where.append(m.c.status == status)
        if customer_id is not None:
            where.append(m.c.customer_id == customer_id)
        return where

    def register_rows(self, company_id: str, limit: int, as_of: date | None = None, **filters: Any) -> list[Row]:
        m = self._register_source(company_id, as_of)
        stmt = (
            select(
                m.c.id,
                m.c.number,
                m.c.issue_date,
                m.c.customer_id,
                customers.c.name.label("customer_name"),
                m.c.reason_code,
                m.c.status,
                m.c.currency,
                m.c.subtotal_minor,
                m.c.tax_total_minor,
                m.c.total_minor,
                m.c.amount_applied_minor,
                m.c.amount_refunded_minor,
            )
            .select_from(
                m.join(customers, (customers.c.company_id == m.c.company_id) & (customers.c.id == m.c.customer_id))
            )
            .where(*self._register_filter(m, company_id, **filters))
            .order_by(m.c.issue_date, m.c.number)
            .limit(limit)
        )
        return list(self.conn.execute(stmt).mappings())

    def _month(self, day: Any) -> Any:
        if self.conn.dialect.name == "postgresql":
            return func.to_char(day, "YYYY-MM")
        return func.strftime("%Y-%m", day)

    def register_totals(
        self, company_id: str, by_reason: Any = False, as_of: date | None = None, by_month: bool = False, **filters: Any
    ) -> list[Row]:
        """Per currency (``by_reason``: per reason code and currency; ``by_month``: per month of issue, YYYY-MM,
        and currency) over every matching memo."""
        m = self._register_source(company_id, as_of)
        keys: list[Any] = [m.c.reason_code, m.c.currency] if by_reason else [m.c.currency]
        if by_month:
            keys = [self._month(m.c.issue_date).label("month"), m.c.currency]
        stmt = (
            select(
                *keys,
                func.count().label("n"),
                func.sum(m.c.subtotal_minor).label("subtotal"),
                func.sum(m.c.tax_total_minor).label("tax_total"),
                func.sum(m.c.total_minor).label("total"),
                func.sum(m.c.amount_applied_minor).label("applied"),
                func.sum(m.c.amount_refunded_minor).label("refunded"),
            )
            .where(*self._register_filter(m, company_id, **filters))
            .group_by(*keys)
            .order_by(*keys)
        )
        return list(self.conn.execute(stmt).mappings())

    # trial balance -----------------------------------------------------------------------------
    def account_totals(self, company_id: str, as_of: date | None) -> list[Row]:
        jl, je = journal_lines, journal_entries
        stmt = (
            select(
                jl.c.account_code,
                func.sum(jl.c.functional_debit_minor).label("debit"),
                func.sum(jl.c.functional_credit_minor).label("credit"),
            )
            .where(jl.c.company_id == company_id)
            .group_by(jl.c.account_code)
            .order_by(jl.c.account_code)
        )
        if as_of is not None:
            stmt = stmt.select_from(jl.join(je, _LINE_ENTRY)).where(je.c.date <= as_of)
        return list(self.conn.execute(stmt).mappings())

    def accounts(self, company_id: str) -> dict[str, Row]:
        rows = self.conn.execute(select(accounts).where(accounts.c.company_id == company_id)).mappings()
        return {r["code"]: r for r in rows}

    # reconciliation ----------------------------------------------------------------------------
    def unbalanced_entries(self, company_id: str) -> list[Row]:
        jl = journal_lines
        stmt = (
            select(
                jl.c.entry_id,
                func.sum(jl.c.debit_minor).label("debit"),
                func.sum(jl.c.credit_minor).label("credit"),
                func.sum(jl.c.functional_debit_minor).label("fdebit"),
                func.sum(jl.c.functional_credit_minor).label("fcredit"),
            )
            .where(jl.c.company_id == company_id)
            .group_by(jl.c.entry_id)
            .having(
                or_(
                    func.sum(jl.c.debit_minor) != func.sum(jl.c.credit_minor),
                    func.sum(jl.c.functional_debit_minor) != func.sum(jl.c.functional_credit_minor),
                )
            )
            .limit(PROBLEM_LIMIT)
        )
        return list(self.conn.execute(stmt).mappings())

    def ar_by_currency(self, company_id: str, ar_account: str, as_of: date | None = None) -> dict[str, int]:
        """The AR control account in each document currency (entries dated on or before ``as_of``, if given)."""
        jl, je = journal_lines, journal_entries
        stmt = (
            select(je.c.currency, func.sum(jl.c.debit_minor - jl.c.credit_minor))
            .select_from(jl.join(je, _LINE_ENTRY))
            .where(jl.c.company_id == company_id, jl.c.account_code == ar_account)
            .group_by(je.c.currency)
        )
        if as_of is not None:
            stmt = stmt.where(je.c.date <= as_of)
        return {r[0]: int(r[1]) for r in self.conn.execute(stmt)}

    def customer_balances_by_currency(self, company_id: str) -> dict[str, int]:
        stmt = (
            select(customers.c.currency, func.sum(customers.c.balance_minor))
            .where(customers.c.company_id == company_id)
            .group_by(customers.c.currency)
        )
        return {r[0]: int(r[1]) for r in self.conn.execute(stmt)}

    def ar_by_customer_mismatches(self, company_id: str, ar_account: str) -> list[Row]:
        jl = journal_lines
        ledger = (
            select(jl.c.customer_id, func.sum(jl.c.debit_minor - jl.c.credit_minor).label("ledger"))
            .where(jl.c.company_id == company_id, jl.c.account_code == ar_account)
            .group_by(jl.c.customer_id)
            .subquery()
        )
        stmt = (
            select(
                customers.c.id,
                customers.c.name,
                customers.c.balance_minor,
                func.coalesce(ledger.c.ledger, 0).label("ledger"),
            )
            .select_from(customers.outerjoin(ledger, ledger.c.customer_id == customers.c.id))
            .where(customers.c.company_id == company_id, customers.c.balance_minor != func.coalesce(ledger.c.ledger, 0))
            .limit(PROBLEM_LIMIT)
        )
        rows: list[Row] = list(self.conn.execute(stmt).mappings())
        orphans = self.conn.execute(
            select(func.count()).where(
                jl.c.company_id == company_id, jl.c.account_code == ar_account, jl.c.customer_id.is_(None)
            )
        ).scalar_one()
        if orphans:
            rows.append({"id": None, "name": None, "balance_minor": 0, "ledger": int(orphans)})
        return rows

    def open_foreign_items(self, company_id: str, functional_currency: str, as_of: date) -> list[Row]:
        """Every open document in another currency than the company's, dated on or before ``as_of``, with its
        open amount signed as AR (+ receivable, - credit) and its booked rate (today's running totals, as the
        aging report)."""
        i, m, p = invoices.c, memos.c, payments.c
        parts = [
            select(
                i.currency,
                (i.total_minor - i.amount_credited_minor - i.amount_paid_minor - i.discount_taken_minor).label("open"),
                i.exchange_rate,
            ).where(
                i.company_id == company_id,
                i.status == "issued",
                i.issue_date <= as_of,
                i.currency != functional_currency,
                i.total_minor > i.amount_credited_minor + i.amount_paid_minor + i.discount_taken_minor,
            ),
            select(m.currency, (m.total_minor - m.amount_applied_minor).label("open"), m.exchange_rate).where(
                m.company_id == company_id,
                m.kind == "debit",
                m.status == "posted",
                m.issue_date <= as_of,
                m.currency != functional_currency,
                m.total_minor > m.amount_applied_minor,
            ),
            select(
                m.currency,
                (m.amount_applied_minor + m.amount_refunded_minor - m.total_minor).label("open"),
                m.exchange_rate,
            ).where(
                m.company_id == company_id,
                m.kind == "credit",
                m.status == "posted",
                m.issue_date <= as_of,
                m.currency != functional_currency,
                m.total_minor > m.amount_applied_minor + m.amount_refunded_minor,
            ),
            select(
                p.currency,
                (p.amount_applied_minor + p.amount_refunded_minor - p.amount_minor).label("open"),
                p.exchange_rate,
            ).where(
                p.company_id == company_id,
                p.received_on <= as_of,
                p.currency != functional_currency,
                p.amount_minor > p.amount_applied_minor + p.amount_refunded_minor,
            ),
        ]
        rows: list[Row] = []
        for part in parts:
            rows += self.conn.execute(part).mappings().all()
        return rows

    def functional_ar_residuals(self, company_id: str, ar_account: str) -> list[Row]:
        """Customers with nothing open (every invoice and debit memo settled, every credit memo and payment used)
        whose AR still holds a functional amount: an exchange difference left in AR instead of realized
        (issue 15)."""
        jl, c, i, m, p = journal_lines.c, customers.c, invoices.c, memos.c, payments.c
        functional = func.sum(jl.functional_debit_minor - jl.functional_credit_minor)
        mine = (c.company_id, c.id)
        open_invoice = select(i.id).where(
            i.company_id == mine[0],
            i.customer_id == mine[1],
            i.status == "issued",
            i.total_minor > i.amount_credited_minor + i.amount_paid_minor + i.discount_taken_minor,
        )
        open_memo = select(m.id).where(
            m.company_id == mine[0],
            m.customer_id == mine[1],
            m.status == "posted",
            m.total_minor > m.amount_applied_minor + m.amount_refunded_minor,
        )
        open_payment = select(p.id).where(
            p.company_id == mine[0],
            p.customer_id == mine[1],
            p.amount_minor > p.amount_applied_minor + p.amount_refunded_minor,
        )
        stmt = (
            select(c.id, c.name, functional.label("functional"))
            .select_from(journal_lines.join(customers, (c.company_id == jl.company_id) & (c.id == jl.customer_id)))
            .where(
                jl.company_id == company_id,
                jl.account_code == ar_account,
                ~open_invoice.exists(),
                ~open_memo.exists(),
                ~open_payment.exists(),
            )
            .group_by(c.id, c.name)
            .having(functional != 0)
            .order_by(c.name)
            .limit(PROBLEM_LIMIT)
        )
        return list(self.conn.execute(stmt).mappings())

    # functional open items (issue 15 item 4) -----------------------------------------------------
    def foreign_ar_by_customer(self, company_id: str, ar_account: str, functional_currency: str) -> dict[str, int]:
        """Functional AR per customer on the entries of foreign-currency documents (every source: documents,
        applications, exchange clearing, anything else written to AR in a foreign currency)."""
        jl, je = journal_lines.c, journal_entries.c
        stmt = (
            select(jl.customer_id, func.sum(jl.functional_debit_minor - jl.functional_credit_minor))
            .select_from(journal_lines.join(journal_entries, _LINE_ENTRY))
            .where(jl.company_id == company_id, jl.account_code == ar_account, je.currency != functional_currency)
            .group_by(jl.customer_id)
        )
        return {r[0]: int(r[1]) for r in self.conn.execute(stmt) if r[0] is not None}

    def foreign_booked_by_document(
        self, company_id: str, ar_account: str, functional_currency: str
    ) -> dict[str, tuple[str, int]]:
        """Functional AR each foreign-currency document booked itself: its own entries (post, void) and, for a
        credit source, its refunds' entries. document id -> (customer id, minor units)."""
        jl, je, r = journal_lines.c, journal_entries.c, refunds.c
        doc = func.coalesce(r.source_id, je.source_id)
        stmt = (
            select(doc.label("doc"), jl.customer_id, func.sum(jl.functional_debit_minor - jl.functional_credit_minor))
            .select_from(
                journal_lines.join(journal_entries, _LINE_ENTRY).outerjoin(
                    refunds, (r.company_id == je.company_id) & (r.id == je.source_id) & (je.source_type == "refund")
                )
            )
            .where(
                jl.company_id == company_id,
                jl.account_code == ar_account,
                je.currency != functional_currency,
                je.source_type.in_(("invoice", "credit_memo", "debit_memo", "payment", "refund")),
            )
            .group_by(doc, jl.customer_id)
        )
        return {row[0]: (row[1], int(row[2])) for row in self.conn.execute(stmt)}

    def foreign_active_applications(self, company_id: str, functional_currency: str) -> list[Row]:
        a = applications.c
        stmt = select(
            a.source_id,
            a.target_id,
            a.amount_minor,
            a.discount_minor,
            a.functional_source_minor,
            a.functional_target_minor,
        ).where(a.company_id == company_id, a.status == "active", a.currency != functional_currency)
        return list(self.conn.execute(stmt).mappings())

    def foreign_documents(self, company_id: str, functional_currency: str) -> list[Row]:
        """Every foreign-currency invoice, posted or void memo and payment: id, customer, number, currency,
        booked rate and what is open on it (signed as AR: + receivable, - credit)."""
        i, m, p = invoices.c, memos.c, payments.c
        parts = [
            select(
                i.id,
                i.customer_id,
                i.number,
                i.currency,
                i.exchange_rate,
                (i.total_minor - i.amount_credited_minor - i.amount_paid_minor - i.discount_taken_minor).label("open"),
            ).where(i.company_id == company_id, i.currency != functional_currency, i.status == "issued"),
            select(
                m.id,
                m.customer_id,
                m.number,
                m.currency,
                m.exchange_rate,
                case(
                    (m.status != "posted", literal(0)),
                    (m.kind == "debit", m.total_minor - m.amount_applied_minor),
                    else_=m.amount_applied_minor + m.amount_refunded_minor - m.total_minor,
                ).label("open"),
            ).where(m.company_id == company_id, m.currency != functional_currency, m.status.in_(("posted", "void"))),
            select(
                p.id,
                p.customer_id,
                p.number,
                p.currency,
                p.exchange_rate,
                (p.amount_applied_minor + p.amount_refunded_minor - p.amount_minor).label("open"),
            ).where(p.company_id == company_id, p.currency != functional_currency),
        ]
        rows: list[Row] = []
        for part in parts:
            rows += self.conn.execute(part).mappings().all()
        return rows

    def _applied(self, company_id: str, key: Any, **where: Any) -> Any:
        a = applications
        conds = [a.c.company_id == company_id, a.c.status == "active"]
        conds += [a.c[k] == v for k, v in where.items()]
        return (
            select(
                key.label("doc_id"),
                func.sum(case((a.c.source_type == "credit_memo", a.c.amount_minor), else_=literal(0))).label("by_memo"),
                func.sum(case((a.c.source_type == "payment", a.c.amount_minor), else_=literal(0))).label("by_payment"),
                func.sum(a.c.amount_minor).label("amount"),
                func.sum(a.c.discount_minor).label("discount"),
            )
            .where(*conds)
            .group_by(key)
            .subquery()
        )

    def _refunded(self, company_id: str) -> Any:
        r = refunds
        return (
            select(r.c.source_id.label("doc_id"), func.sum(r.c.amount_minor).label("amount"))
            .where(r.c.company_id == company_id, r.c.status == "completed")  # a reversed refund gave it back
            .group_by(r.c.source_id)
            .subquery()
        )

    def running_total_mismatches(self, company_id: str) -> list[str]:
        """Running totals recomputed from application and refund records, compared with the stored ones."""
        problems: list[str] = []
        i, m, p, c = invoices, memos, payments, customers
        to_inv = self._applied(company_id, applications.c.target_id, target_type="invoice")
        credited, paid = func.coalesce(to_inv.c.by_memo, 0), func.coalesce(to_inv.c.by_payment, 0)
        discount = func.coalesce(to_inv.c.discount, 0)
        for r in self.conn.execute(
            select(
                i.c.number,
                i.c.amount_credited_minor,
                i.c.amount_paid_minor,
                i.c.discount_taken_minor,
                credited.label("c"),
                paid.label("p"),
                discount.label("d"),
            )
            .select_from(i.outerjoin(to_inv, to_inv.c.doc_id == i.c.id))
            .where(
                i.c.company_id == company_id,
                or_(
                    i.c.amount_credited_minor != credited,
                    i.c.amount_paid_minor != paid,
                    i.c.discount_taken_minor != discount,
                ),
            )
            .limit(PROBLEM_LIMIT)
        ).mappings():
            if (r["amount_credited_minor"], r["amount_paid_minor"]) != (r["c"], r["p"]):
                problems.append(
                    f"invoice {r['number']}: stored credited/paid {r['amount_credited_minor']}/"
                    f"{r['amount_paid_minor']}, records say {r['c']}/{r['p']} (minor units)"
                )
            if r["discount_taken_minor"] != r["d"]:
                problems.append(
                    f"invoice {r['number']}: stored settlement discount taken {r['discount_taken_minor']}, "
                    f"applications say {r['d']} (minor units)"
                )
        from_src = self._applied(company_id, applications.c.source_id)
        to_dm = self._applied(company_id, applications.c.target_id, target_type="debit_memo")
        refunded = self._refunded(company_id)
        applied = case(
            (m.c.kind == "credit", func.coalesce(from_src.c.amount, 0)), else_=func.coalesce(to_dm.c.amount, 0)
        )
        back = func.coalesce(refunded.c.amount, 0)
        for r in self.conn.execute(
            select(m.c.number, m.c.amount_applied_minor, m.c.amount_refunded_minor, applied.label("a"), back.label("r"))
            .select_from(
                m.outerjoin(from_src, from_src.c.doc_id == m.c.id)
                .outerjoin(to_dm, to_dm.c.doc_id == m.c.id)
                .outerjoin(refunded, refunded.c.doc_id == m.c.id)
            )
            .where(
                m.c.company_id == company_id,
                or_(m.c.amount_applied_minor != applied, m.c.amount_refunded_minor != back),
            )
            .limit(PROBLEM_LIMIT)
        ).mappings():
            problems.append(
                f"memo {r['number']}: stored applied/refunded {r['amount_applied_minor']}/"
                f"{r['amount_refunded_minor']}, records say {r['a']}/{r['r']} (minor units)"
            )
        p_applied = func.coalesce(from_src.c.amount, 0)
        for r in self.conn.execute(
            select(
                p.c.number, p.c.amount_applied_minor, p.c.amount_refunded_minor, p_applied.label("a"), back.label("r")
            )
            .select_from(
                p.outerjoin(from_src, from_src.c.doc_id == p.c.id).outerjoin(refunded, refunded.c.doc_id == p.c.id)
            )
            .where(
                p.c.company_id == company_id,
                or_(p.c.amount_applied_minor != p_applied, p.c.amount_refunded_minor != back),
            )
            .limit(PROBLEM_LIMIT)
        ).mappings():
            problems.append(
                f"payment {r['number']}: stored applied/refunded {r['amount_applied_minor']}/"
                f"{r['amount_refunded_minor']}, records say {r['a']}/{r['r']} (minor units)"
            )
        left = (
            select(
                m.c.customer_id,
                func.sum(m.c.total_minor - m.c.amount_applied_minor - m.c.amount_refunded_minor).label("available"),
            )
            .where(m.c.company_id == company_id, m.c.kind == "credit", m.c.status == "posted")
            .group_by(m.c.customer_id)
            .subquery()
        )
        available = func.coalesce(left.c.available, 0)
        for r in self.conn.execute(
            select(c.c.name, c.c.available_credit_minor, available.label("a"))
            .select_from(c.outerjoin(left, left.c.customer_id == c.c.id))
            .where(c.c.company_id == company_id, c.c.available_credit_minor != available)
            .limit(PROBLEM_LIMIT)
        ).mappings():
            problems.append(
                f"customer {r['name']}: stored available credit {r['available_credit_minor']}, "
                f"posted memos say {r['a']} (minor units)"
            )
        return problems
