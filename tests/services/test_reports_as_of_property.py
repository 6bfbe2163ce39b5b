"""Issue 16 item 1, as a property on both engines: for random sequences of invoices, credit and debit memos,
applications, unapplications, payments, refunds and voids on random dates, the AR aging's net total as of any
date (amount due less unapplied credit) equals the AR control account as of that date, per currency; in the
company currency that is the trial balance's AR row.

What is compared, and why: the aging is in each document's currency, the trial balance in the company's. The
documents here are in the company currency (USD), so the trial balance's AR row must equal the aging exactly;
the per-currency comparison is against the AR journal lines' document-currency amounts (what the trial balance
sums at booked rates), which is what must hold for foreign currencies too (realized exchange differences move
only functional amounts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditmemo.domain.chart import AccountRole
from creditmemo.domain.errors import DomainError
from creditmemo.domain.inputs import FreeLineInput
from creditmemo.domain.settlement import AllocationInput
from creditmemo.ids import new_id
from creditmemo.services.actors import system_actor
from creditmemo.services.companies import create_company
from creditmemo.services.customers import create_customer
from creditmemo.services.invoices import issue_invoice
from creditmemo.services.memos.create import create_debit_memo, create_standalone_credit_memo
from creditmemo.services.memos.post import post_memo
from creditmemo.services.memos.void import void_memo
from creditmemo.services.reports import aging_documents, ar_aging, credit_memo_register, trial_balance
from creditmemo.services.settlement.applications import apply_credit, unapply
from creditmemo.services.settlement.payments import record_payment
from creditmemo.services.settlement.refunds import refund, reverse_refund
from creditmemo.store.uow import Database
from tests.builders import line

START = date.today() - timedelta(days=150)
SPAN = 120  # documents and settlements fall on START .. START + SPAN (all in the past)

early = st.integers(0, SPAN // 2)  # documents mostly come first, settlements later: more of them stand a while
late = st.integers(SPAN // 4, SPAN)
cents = st.integers(1, 50_000)
pick = st.integers(0, 10_000)  # an index into what exists, modulo its count
share = st.sampled_from(["all", "half"])
apply_op = st.tuples(st.just("apply"), late, pick, pick, share)
documents = st.tuples(st.sampled_from(["invoice", "credit_memo", "debit_memo", "payment"]), early, cents, pick)
settlements = st.one_of(
    apply_op,
    apply_op,
    apply_op,
    st.tuples(st.just("unapply"), st.integers(1, 30), pick),  # days after the application
    st.tuples(st.just("refund"), late, pick, share),
    st.tuples(st.just("reverse_refund"), st.integers(0, 30), pick),  # days after the refund
    st.tuples(st.just("void"), late, pick),
)
# the documents first (mostly early dates), then the settlements (later), then a few more of each
ops = st.builds(
    lambda first, then, more: first + then + more,
    st.lists(documents, min_size=3, max_size=8),
    st.lists(settlements, min_size=3, max_size=14),
    st.lists(st.one_of(documents, settlements), max_size=4),
)


@dataclass
class Doc:
    kind: str  # invoice | credit_memo | debit_memo | payment
    id: str
    customer_id: str
    on: date
    minor: int
    void_on: date | None = None


@dataclass
class Move:
    """An application (source -> target) or a refund (source only), as the test recorded it."""

    source: Doc
    target: Doc | None
    minor: int
    on: date
    undone_on: date | None = None

    def stood(self, as_of: date) -> bool:
        """Dated on or before ``as_of``, not undone by then, and its documents not voided by then."""
        docs = [self.source] if self.target is None else [self.source, self.target]
        voided = any(d.void_on is not None and d.void_on <= as_of for d in docs)
        return self.on <= as_of and (self.undone_on is None or self.undone_on > as_of) and not voided


def _amount(minor: int) -> str:
    return str(Decimal(minor) / 100)


class Books:
    """One company with two customers, driven through the services; an operation the rules refuse (a domain
    error: nothing left to apply, a memo that cannot be voided, ...) is skipped, as a user would be told."""

    def __init__(self, db: Database) -> None:
        self.db = db
        with db.uow() as uow:
            self.company_id = create_company(uow, slug=new_id("p").lower().replace("_", "-")[:40], name="P").id
            self.actor = system_actor(self.company_id, "property")
            self.customers = [create_customer(uow, self.actor, name=f"C{i}", currency="USD").id for i in range(2)]
        self.docs: list[Doc] = []
        self.apps: list[tuple[str, Move]] = []
        self.refunds: list[tuple[str, Move]] = []
        self.dates: set[date] = {START - timedelta(days=1)}

    def run(self, op: tuple[Any, ...]) -> None:
        on = START + timedelta(days=op[1])
        try:
            with self.db.uow() as uow:
                when = self._run(uow, op, on)
        except DomainError:
            return
        if when is not None:
            self.dates.add(when)

    def _of(self, kinds: tuple[str, ...], index: int) -> Doc | None:
        found = [d for d in self.docs if d.kind in kinds]
        return found[index % len(found)] if found else None

    def _run(self, uow: Any, op: tuple[Any, ...], on: date) -> date | None:
        """Do one operation; the date it took effect (None: nothing done)."""
        kind, a = op[0], self.actor
        if kind in ("invoice", "credit_memo", "debit_memo", "payment"):
            customer = self.customers[1 if op[3] % 4 == 3 else 0]  # mostly one customer: more to settle
            amount = _amount(op[2])
            if kind == "invoice":
                doc_id = issue_invoice(
                    uow, a, customer_id=customer, currency="USD", issue_date=on, lines=[line("1", amount)]
                ).id
            elif kind == "payment":
                doc_id = record_payment(
                    uow, a, customer_id=customer, amount=amount, currency="USD", received_on=on, method="wire"
                ).id
            else:
                make = create_standalone_credit_memo if kind == "credit_memo" else create_debit_memo
                draft = make(
                    uow,
                    a,
                    customer_id=customer,
                    currency="USD",
                    reason_code="goodwill" if kind == "credit_memo" else "billing_error",
                    issue_date=on,
                    lines=[FreeLineInput("Line", "1", amount)],
                )
                doc_id = post_memo(uow, a, draft.id).id
            self.docs.append(Doc(kind, doc_id, customer, on, op[2]))
            return on
        elif kind == "apply":
            source = self._of(("credit_memo", "payment"), op[2])
            targets = [
                d
                for d in self.docs
                if source is not None and d.kind in ("invoice", "debit_memo") and d.customer_id == source.customer_id
            ]
            if source is None or not targets:
                return None
            target = targets[op[3] % len(targets)]
            left = self._available(uow, source)
            due = self._due(uow, target)
            minor = min(left, due) if op[4] == "all" else min(left, due) // 2
            if minor <= 0:
                return None
            when = max(on, source.on, target.on)
            target_type = "invoice" if target.kind == "invoice" else "debit_memo"
            made = apply_credit(
                uow,
                a,
                source_type=source.kind,
                source_id=source.id,
                allocations=[AllocationInput(target_type, target.id, _amount(minor), take_discount=False)],
                on=when,
            )
            self.apps += [(app.id, Move(source, target, minor, when)) for app in made]
            return when
        elif kind == "unapply":
            if not self.apps:
                return None
            app_id, move = self.apps[op[2] % len(self.apps)]
            if move.undone_on is not None:
                return None
            undone_on = move.on + timedelta(days=op[1])
            unapply(uow, a, app_id, on=undone_on)
            move.undone_on = undone_on
            return undone_on
        elif kind == "refund":
            source = self._of(("credit_memo", "payment"), op[2])
            if source is None:
                return None
            left = self._available(uow, source)
            minor = left if op[3] == "all" else left // 2
            if minor <= 0:
                return None
            refunded = refund(
                uow,
                a,
                source_type=source.kind,
                source_id=source.id,
                amount=_amount(minor),
                method="ach",
                refunded_on=max(on, source.on),
                override_reason="property test",
            )
            self.refunds.append((refunded.id, Move(source, None, minor, max(on, source.on))))
            return max(on, source.on)
        elif kind == "reverse_refund":
            if not self.refunds:
                return None
            refund_id, move = self.refunds[op[2] % len(self.refunds)]
            if move.undone_on is not None:
                return None
            undone_on = move.on + timedelta(days=op[1])
            reverse_refund(uow, a, refund_id, reason="property test", on=undone_on)
            move.undone_on = undone_on
            return undone_on
        elif kind == "void":
            memo = self._of(("credit_memo", "debit_memo"), op[2])
            if memo is None:
                return None
            voided = void_memo(uow, a, memo.id, on=max(on, memo.on), reason="property test")
            memo.void_on = voided.void_date
            return voided.void_date
        return None

    def _available(self, uow: Any, source: Doc) -> int:
        if source.kind == "payment":
            p = uow.payments.get(self.company_id, source.id)
            return int((p.amount - p.amount_applied - p.amount_refunded).to_minor())
        m = uow.memos.get(self.company_id, source.id)
        return int(m.amount_available.to_minor()) if str(m.status) == "posted" else 0

    def _due(self, uow: Any, target: Doc) -> int:
        if target.kind == "invoice":
            return int(uow.invoices.get(self.company_id, target.id).amount_due.to_minor())
        m = uow.memos.get(self.company_id, target.id)
        return int((m.total - m.amount_applied).to_minor()) if str(m.status) == "posted" else 0

    def open_on(self, as_of: date) -> dict[str, int]:
        """Per document standing on the date: what was open on it then (due, or credit left), from what the
        test did."""
        result = {}
        moves = [m for _, m in self.apps] + [m for _, m in self.refunds]
        for doc in self.docs:
            if doc.on > as_of or (doc.void_on is not None and doc.void_on <= as_of):
                continue
            if doc.kind in ("invoice", "debit_memo"):
                result[doc.id] = doc.minor - sum(m.minor for m in moves if m.target is doc and m.stood(as_of))
            else:
                result[doc.id] = doc.minor - sum(m.minor for m in moves if m.source is doc and m.stood(as_of))
        return result

    def expected(self, as_of: date) -> dict[str, tuple[int, int, int]]:
        """Per customer, (amount due, unapplied credit, open invoices and debit memos) as of the date."""
        result = {c: (0, 0, 0) for c in self.customers}
        open_on = self.open_on(as_of)
        for doc in self.docs:
            if doc.id not in open_on:
                continue
            due, credit, n = result[doc.customer_id]
            if doc.kind in ("invoice", "debit_memo"):
                due, n = due + open_on[doc.id], n + (open_on[doc.id] != 0)
            else:
                credit += open_on[doc.id]
            result[doc.customer_id] = (due, credit, n)
        return result

    def check(self) -> None:
        wanted = set(self.dates) | {d + timedelta(days=1) for d in self.dates} | {date.today()}
        with self.db.uow(readonly=True) as uow:
            ar = uow.companies.get(self.company_id).account(AccountRole.AR)
            for as_of in sorted(wanted):
                aging = ar_aging(uow, self.actor, as_of=as_of)
                net = {t.currency: t.net.to_minor() for t in aging.totals}
                ledger = {c: v for c, v in uow.reports.ar_by_currency(self.company_id, ar, as_of).items() if v}
                assert {c: v for c, v in net.items() if v} == ledger, as_of
                tb = trial_balance(uow, self.actor, as_of=as_of)
                tb_ar = sum((r.balance.to_minor() for r in tb.rows if r.account == ar), 0)
                assert tb_ar == net.get("USD", 0), as_of
                rows = {r.customer_id: r for r in aging.rows}
                expected = self.expected(as_of)
                for customer in self.customers:  # and per customer: what the test did, and its AR sub-ledger
                    row = rows.get(customer)
                    seen = (
                        (0, 0, 0)
                        if row is None
                        else (row.total_due.to_minor(), row.unapplied_credit.to_minor(), row.open_documents)
                    )
                    assert seen == expected[customer], (as_of, customer)
                    assert (0 if row is None else row.net.to_minor()) == uow.reports.ar_opening(
                        self.company_id, customer, ar, as_of + timedelta(days=1)
                    ), (as_of, customer)
                # and document by document (the aging's documents, read from today's totals less later events)
                docs, more = aging_documents(uow, self.actor, as_of=as_of)
                assert not more
                open_on = self.open_on(as_of)
                wanted_docs = {
                    d.id: open_on[d.id]
                    for d in self.docs
                    if d.kind in ("invoice", "debit_memo") and open_on.get(d.id, 0) != 0
                }
                assert {d.document_id: d.amount_due.to_minor() for d in docs} == wanted_docs, as_of
                # and the credit memo register as of the date: what each credit memo had left then
                register = credit_memo_register(uow, self.actor, end=as_of)
                left = {r.memo_id: r.amount_available.to_minor() for r in register.rows if r.status == "posted"}
                assert left == {
                    d.id: open_on[d.id] for d in self.docs if d.kind == "credit_memo" and d.id in open_on
                }, as_of


def test_aging_as_of_any_date_equals_the_ar_control_account(db: Database) -> None:
    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(ops)
    def run(sequence: list[tuple[Any, ...]]) -> None:
        books = Books(db)
        for op in sequence:
            books.run(op)
        books.check()

    run()
