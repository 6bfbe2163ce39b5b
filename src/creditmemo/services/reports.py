"""AR reports: customer statement, AR aging, credit memo register, trial balance, and the
reconciliation check (rule 5: the AR control account equals the sum of customer balances)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final

from creditmemo.domain.chart import AccountRole
from creditmemo.domain.dating import parse_period, period_bounds
from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.money import Money
from creditmemo.domain.parsing import parse_date
from creditmemo.domain.settlement import BUCKETS, bucket_bounds, bucket_for, running_balances
from creditmemo.domain.terms import discount_offer
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.memos.document import Party
from creditmemo.services.revenue_reports import deferred_mismatches
from creditmemo.store.mapping import money
from creditmemo.store.uow import UnitOfWork

REGISTER_LIMIT = 10_000


# statement ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StatementLine:
    date: date
    kind: str  # invoice | credit_memo | debit_memo | payment | refund | application | unapplication
    document_id: str
    number: str
    description: str
    debit: Money  # raises what the customer owes
    credit: Money  # lowers it
    balance: Money  # running balance after this line
    status: str = ""  # for applications: active | reversed (at the period's end); unapplications: reversed


@dataclass(frozen=True, slots=True)
class Statement:
    customer_id: str
    customer_name: str
    currency: str
    start: date
    end: date
    opening_balance: Money
    lines: tuple[StatementLine, ...]
    closing_balance: Money
    balance_now: Money
    available_credit_now: Money


def _period(start: object, end: object, today: date) -> tuple[date, date]:
    """The statement's period; left out, it ends today and starts on the first of the month it ends in."""
    e = today if end is None or end == "" else parse_date(end, "end")
    s = e.replace(day=1) if start is None or start == "" else parse_date(start, "start")
    if e < s:
        raise ValidationFailedError.single("end", "The period ends before it starts.", "out_of_range")
    return s, e


def customer_statement(
    uow: UnitOfWork, actor: Actor, customer_id: str, *, start: object = None, end: object = None
) -> Statement:
    """Opening balance, every AR movement (documents, payments, refunds, voids) and every application
    and unapplication in the period, closing balance. Amounts from the customer's AR sub-ledger, in its
    currency, by the dates of the entries: a period in the past reads the same after later settlements.
    Applications move no balance (both sides are AR) and show with zero debit and credit; an application's
    status is the one it had at the period's end. Without ``start``/``end`` the period is the current month
    to today."""
    authorize(actor, Permission.READ)
    s, e = _period(start, end, uow.now().date())
    customer = uow.customers.get(actor.company_id, customer_id)
    ar = uow.companies.get(actor.company_id).account(AccountRole.AR)
    cur = customer.currency
    opening = money(uow.reports.ar_opening(actor.company_id, customer.id, ar, s), cur)
    moves = uow.reports.ar_movements(actor.company_id, customer.id, ar, s, e)
    apps = uow.reports.applications_in_period(actor.company_id, customer.id, s, e)
    numbers = uow.reports.document_numbers(
        actor.company_id,
        [m["source_id"] for m in moves] + [a["source_id"] for a in apps] + [a["target_id"] for a in apps],
    )
    zero = Money.zero(cur)
    rows: list[tuple[date, int, str, str, str, str, Money, Money, str]] = []
    for m in moves:
        label = (
            m["description"]
            if m["kind"] == "post"
            else f"{m['kind'].capitalize()} of {numbers.get(m['source_id'], '')}"
        )
        rows.append(
            (
                m["date"],
                len(rows),
                m["source_type"],
                m["source_id"],
                numbers.get(m["source_id"], ""),
                label,
                money(m["debit_minor"], cur),
                money(m["credit_minor"], cur),
                "",
            )
        )

    def number_or_id(doc_id: str) -> str:
        return numbers.get(doc_id, doc_id)

    for a in apps:
        src, tgt = number_or_id(a["source_id"]), number_or_id(a["target_id"])
        amount = money(a["amount_minor"], cur).amount
        discount = f", settlement discount {money(a['discount_minor'], cur).amount}" if a["discount_minor"] else ""
        undone = a["reversed_on"]
        if s <= a["applied_on"] <= e:
            rows.append(
                (
                    a["applied_on"],
                    len(rows),
                    "application",
                    a["id"],
                    src,
                    f"{src} applied to {tgt}: {amount}{discount}",
                    zero,
                    zero,
                    "reversed" if undone is not None and undone <= e else "active",
                )
            )
        if undone is not None and s <= undone <= e:
            rows.append(
                (
                    undone,
                    len(rows),
                    "unapplication",
                    a["id"],
                    src,
                    f"{src} unapplied from {tgt}: {amount}{discount}",
                    zero,
                    zero,
                    "reversed",
                )
            )
    rows.sort(key=lambda r: (r[0], r[1]))
    balances = running_balances(opening, [(r[6], r[7]) for r in rows])
    lines = tuple(
        StatementLine(r[0], r[2], r[3], r[4], r[5], r[6], r[7], b, r[8]) for r, b in zip(rows, balances, strict=True)
    )
    return Statement(
        customer.id,
        customer.name,
        cur,
        s,
        e,
        opening,
        lines,
        balances[-1] if balances else opening,
        customer.balance,
        customer.available_credit,
    )


@dataclass(frozen=True, slots=True)
class StatementParties:
    """Who a printed statement is from and to (the memo document's parties: legal names and addresses)."""

    company: Party
    customer: Party
    customer_email: str | None


def statement_parties(uow: UnitOfWork, actor: Actor, customer_id: str) -> StatementParties:
    authorize(actor, Permission.READ)
    company = uow.companies.get(actor.company_id)
    customer = uow.customers.get(actor.company_id, customer_id)
    return StatementParties(
        Party(company.name, uow.companies.legal_details(actor.company_id)),
        Party(customer.name, customer.legal),
        customer.email,
    )


# aging ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AgingRow:
    customer_id: str | None  # None on a currency total row
    customer_name: str
    currency: str
    current: Money
    days_1_30: Money
    days_31_60: Money
    days_61_90: Money
    days_over_90: Money
    total_due: Money
    unapplied_credit: Money  # posted memo credit and payments not yet applied, shown separately
    net: Money  # total_due - unapplied_credit
    open_documents: int

    @property
    def amounts(self) -> tuple[Money, ...]:
        """The buckets, current to over 90 days, then total due, unapplied credit and net: a row's columns."""
        return (
            self.current,
            self.days_1_30,
            self.days_31_60,
            self.days_61_90,
            self.days_over_90,
            self.total_due,
            self.unapplied_credit,
            self.net,
        )


@dataclass(frozen=True, slots=True)
class Aging:
    as_of: date
    rows: tuple[AgingRow, ...]
    totals: tuple[AgingRow, ...]  # one per currency


def _aging_row(customer_id: str | None, name: str, cur: str, buckets: list[int], credit: int, n: int) -> AgingRow:
    due = sum(buckets)
    current, days_1_30, days_31_60, days_61_90, days_over_90 = (money(b, cur) for b in buckets)
    return AgingRow(
        customer_id,
        name,
        cur,
        current,
        days_1_30,
        days_31_60,
        days_61_90,
        days_over_90,
        money(due, cur),
        money(credit, cur),
        money(due - credit, cur),
        n,
    )


def ar_aging(uow: UnitOfWork, actor: Actor, *, as_of: object) -> Aging:
    """Open invoices and posted debit memos by amount due, in buckets of days past due as of a date
    (current, 1-30, 31-60, 61-90, 90+), per customer and per currency. Everything as it stood on ``as_of``
    (issue 16 item 1): documents issued (memos posted, payments received) on or before it, less the
    applications dated on or before it that were not unapplied by then and the refunds likewise; a void
    dated after it does not count. So its net total per currency equals the AR control account as of the
    date (in that currency)."""
    authorize(actor, Permission.READ)
    day = parse_date(as_of, "as_of")
    bounds = bucket_bounds(day)
    uow.reports.plain_plans()
    per: dict[str, list[int]] = {}
    counts: dict[str, int] = {}
    for source in (
        uow.reports.open_invoices_by_customer(actor.company_id, day, bounds),
        uow.reports.open_debit_memos_by_customer(actor.company_id, day, bounds),
    ):
        for r in source:
            acc = per.setdefault(r["customer_id"], [0] * len(BUCKETS))
            for i in range(len(BUCKETS)):
                acc[i] += int(r[f"b{i}"] or 0)
            counts[r["customer_id"]] = counts.get(r["customer_id"], 0) + int(r["n"])
    credits = uow.reports.unapplied_credit_by_customer(actor.company_id, day)
    who = uow.reports.customers_by_id(actor.company_id, set(per) | set(credits))
    rows: list[AgingRow] = []
    totals: dict[str, list[Any]] = {}  # currency -> [buckets, credit, documents]
    for cid in sorted(who, key=lambda c: (who[c]["name"], c)):
        cur = who[cid]["currency"]
        buckets = per.get(cid, [0] * len(BUCKETS))
        rows.append(_aging_row(cid, who[cid]["name"], cur, buckets, credits.get(cid, 0), counts.get(cid, 0)))
        t = totals.setdefault(cur, [[0] * len(BUCKETS), 0, 0])
        t[0] = [a + b for a, b in zip(t[0], buckets, strict=True)]
        t[1] += credits.get(cid, 0)
        t[2] += counts.get(cid, 0)
    total_rows = tuple(_aging_row(None, "Total", cur, t[0], t[1], t[2]) for cur, t in sorted(totals.items()))
    return Aging(day, tuple(rows), total_rows)


@dataclass(frozen=True, slots=True)
class AgingInvoice:
    """One open invoice of the aging's detail, with the settlement discount a payment on the as-of date may
    still take (issue 15 item 9: 0 after its date, once taken, or without terms)."""

    invoice_id: str
    number: str
    customer_id: str
    customer_name: str
    currency: str
    issue_date: date
    due_date: date
    bucket: str
    amount_due: Money
    discount_available: Money
    discount_date: date | None


AGING_DETAIL_LIMIT = 10_000


def aging_detail(
    uow: UnitOfWork, actor: Actor, *, as_of: object, limit: int = AGING_DETAIL_LIMIT
) -> tuple[list[AgingInvoice], bool]:
    """The open invoices behind the aging, one by one (at most ``limit``; the flag says more were left)."""
    authorize(actor, Permission.READ)
    day = parse_date(as_of, "as_of")
    uow.reports.plain_plans()
    raw = uow.reports.open_invoices_detail(actor.company_id, day, limit + 1)
    result = []
    for r in raw[:limit]:
        cur = r["currency"]
        due = money(r["due_minor"], cur)
        until = r["settlement_discount_date"]
        offer = Money.zero(cur)
        if r["settlement_discount_minor"] is not None and until is not None and day <= until:
            offer = discount_offer(
                potential=money(r["settlement_discount_minor"], cur),
                total=money(r["total_minor"], cur),
                credited=money(int(r["credited_minor"]), cur),
                taken=money(r["discount_taken_minor"], cur),
                due=due,
            )
        result.append(
            AgingInvoice(
                r["id"],
                r["number"],
                r["customer_id"],
                r["customer_name"],
                cur,
                r["issue_date"],
                r["due_date"],
                bucket_for(r["due_date"], day),
                due,
                offer,
                until,
            )
        )
    return result, len(raw) > limit


@dataclass(frozen=True, slots=True)
class AgingDocument:
    """One open document behind the aging (an invoice, or a posted debit memo: due on its issue date) with
    what was due on the as-of date and its bucket."""

    kind: str  # invoice | debit_memo
    document_id: str
    number: str
    customer_id: str
    customer_name: str
    currency: str
    issue_date: date
    due_date: date
    bucket: str
    total: Money
    amount_due: Money


AGING_DOCUMENT_ORDERS: Final = ("customer", "number", "issue_date", "due_date", "bucket", "total", "amount_due")


def aging_documents(
    uow: UnitOfWork,
    actor: Actor,
    *,
    as_of: object,
    customer_id: str | None = None,
    bucket: str | None = None,
    limit: int = AGING_DETAIL_LIMIT,
    order: str = "customer",
    descending: bool = False,
) -> tuple[list[AgingDocument], bool]:
    """The open invoices and debit memos behind the aging as of a date, of one customer and one bucket if
    given, the first ``limit`` in the order ``order`` (one of ``AGING_DOCUMENT_ORDERS``, then number; the flag
    says more were left). The database picks them: a customer of 14,000 invoices is not read whole."""
    authorize(actor, Permission.READ)
    day = parse_date(as_of, "as_of")
    if bucket is not None and bucket not in BUCKETS:
        raise ValidationFailedError.single("bucket", f"One of {', '.join(BUCKETS)}.", "invalid_choice")
    if order not in AGING_DOCUMENT_ORDERS:
        raise ValidationFailedError.single("sort", f"One of {', '.join(AGING_DOCUMENT_ORDERS)}.", "invalid_choice")
    uow.reports.plain_plans()
    due_from = due_before = None
    if bucket is not None:  # days past due from the due date: the bucket is a range of due dates
        edges: list[date | None] = [None, *bucket_bounds(day)]
        k = BUCKETS.index(bucket)
        due_from, due_before = (edges[k + 1] if k + 1 < len(edges) else None), edges[k]
    raw = uow.reports.open_documents(
        actor.company_id,
        day,
        customer_id,
        limit + 1,
        due_from=due_from,
        due_before=due_before,
        order=order,
        descending=descending,
    )
    docs = []
    for r in raw[:limit]:
        cur = r["currency"]
        docs.append(
            AgingDocument(
                r["kind"],
                r["id"],
                r["number"],
                r["customer_id"],
                r["customer_name"],
                cur,
                r["issue_date"],
                r["due_date"],
                bucket_for(r["due_date"], day),
                money(r["total_minor"], cur),
                money(r["due_minor"], cur),
            )
        )
    return docs, len(raw) > limit


# settlement discounts taken -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DiscountTaken:
    application_id: str
    applied_on: date
    customer_id: str
    customer_name: str
    invoice_id: str
    invoice_number: str
    payment_id: str
    payment_number: str
    currency: str
    amount: Money  # paid
    discount: Money
    functional_discount_minor: int


@dataclass(frozen=True, slots=True)
class DiscountTotal:
    currency: str
    count: int
    discount: Money
    functional_discount: Money


@dataclass(frozen=True, slots=True)
class DiscountsTaken:
    rows: tuple[DiscountTaken, ...]
    totals: tuple[DiscountTotal, ...]
    functional_currency: str
    truncated: bool


def _discount_totals(uow: UnitOfWork, company_id: str, functional: str, **filters: Any) -> tuple[DiscountTotal, ...]:
    return tuple(
        DiscountTotal(
            t["currency"],
            int(t["n"]),
            money(int(t["discount"]), t["currency"]),
            money(int(t["functional"]), functional),
        )
        for t in uow.reports.discounts_taken_totals(company_id, **filters)
    )


def settlement_discounts(
    uow: UnitOfWork,
    actor: Actor,
    *,
    start: object = None,
    end: object = None,
    customer_id: str | None = None,
    limit: int = REGISTER_LIMIT,
) -> DiscountsTaken:
    """Settlement discounts taken by payments (active applications), by application date; totals per currency
    in the document and the company currency (issue 15 item 9)."""
    authorize(actor, Permission.READ)
    first = None if start is None else parse_date(start, "start")
    last = None if end is None else parse_date(end, "end")
    functional = uow.companies.get(actor.company_id).functional_currency
    raw = uow.reports.discounts_taken(actor.company_id, first, last, customer_id, limit + 1)
    rows = tuple(
        DiscountTaken(
            r["id"],
            r["applied_on"],
            r["customer_id"],
            r["customer_name"],
            r["target_id"],
            r["invoice_number"],
            r["source_id"],
            r["payment_number"],
            r["currency"],
            money(r["amount_minor"], r["currency"]),
            money(r["discount_minor"], r["currency"]),
            int(r["functional_discount_minor"] if r["functional_discount_minor"] is not None else r["discount_minor"]),
        )
        for r in raw[:limit]
    )
    totals = _discount_totals(uow, actor.company_id, functional, start=first, end=last, customer_id=customer_id)
    return DiscountsTaken(rows, totals, functional, len(raw) > limit)


# credit memo register -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RegisterRow:
    memo_id: str
    number: str
    issue_date: date
    customer_id: str
    customer_name: str
    reason_code: str
    status: str
    subtotal: Money
    tax_total: Money
    total: Money
    amount_applied: Money
    amount_refunded: Money
    amount_available: Money


@dataclass(frozen=True, slots=True)
class RegisterTotal:
    currency: str
    count: int
    subtotal: Money
    tax_total: Money
    total: Money
    amount_applied: Money
    amount_refunded: Money


@dataclass(frozen=True, slots=True)
class RegisterReasonTotal:
    """The register totalled by reason (issue 17): one row per reason code and currency."""

    reason_code: str
    description: str
    currency: str
    count: int
    total: Money
    amount_applied: Money
    amount_refunded: Money


@dataclass(frozen=True, slots=True)
class RegisterMonthTotal:
    """The register totalled by month of issue (issue 16 item 2): one row per month (YYYY-MM) and currency."""

    month: str
    currency: str
    count: int
    total: Money
    amount_applied: Money
    amount_refunded: Money


@dataclass(frozen=True, slots=True)
class Register:
    rows: tuple[RegisterRow, ...]
    totals: tuple[RegisterTotal, ...]
    truncated: bool
    # Settlement discounts payments took in the same dates (issue 15 item 9; detail: settlement_discounts).
    discounts_taken: tuple[DiscountTotal, ...] = ()
    by_reason: tuple[RegisterReasonTotal, ...] = ()
    by_month: tuple[RegisterMonthTotal, ...] = ()


def credit_memo_register(
    uow: UnitOfWork,
    actor: Actor,
    *,
    start: object = None,
    end: object = None,
    reason_code: str | None = None,
    status: str | None = None,
    customer_id: str | None = None,
    limit: int = REGISTER_LIMIT,
    period: object = None,
) -> Register:
    """Credit memos by issue date with filters; totals per currency over every matching memo. ``period``
    (YYYY-MM) is its first and last day, instead of ``start`` and ``end``. With an end (or a period) the
    register is as of that day (issue 16 item 1): a memo's status, applied and refunded amounts are those it
    had then (a void dated later leaves it posted; applications and refunds dated later, or unapplications and
    refund reversals dated on or before it, do not count); the ``status`` filter reads that status."""
    authorize(actor, Permission.READ)
    if period is not None:
        if start is not None or end is not None:
            raise ValidationFailedError.single("period", "Give a period or start/end, not both.", "conflict")
        start, end = period_bounds(parse_period(period))
    filters: dict[str, Any] = {
        "start": None if start is None else parse_date(start, "start"),
        "end": None if end is None else parse_date(end, "end"),
        "reason_code": reason_code,
        "status": status,
        "customer_id": customer_id,
        "as_of": None if end is None else parse_date(end, "end"),
    }
    raw = uow.reports.register_rows(actor.company_id, limit + 1, **filters)
    rows = []
    for r in raw[:limit]:
        cur = r["currency"]
        available = (
            r["total_minor"] - r["amount_applied_minor"] - r["amount_refunded_minor"] if r["status"] == "posted" else 0
        )
        rows.append(
            RegisterRow(
                r["id"],
                r["number"],
                r["issue_date"],
                r["customer_id"],
                r["customer_name"],
                r["reason_code"],
                r["status"],
                money(r["subtotal_minor"], cur),
                money(r["tax_total_minor"], cur),
                money(r["total_minor"], cur),
                money(r["amount_applied_minor"], cur),
                money(r["amount_refunded_minor"], cur),
                money(available, cur),
            )
        )
    totals = tuple(
        RegisterTotal(
            t["currency"],
            int(t["n"]),
            money(int(t["subtotal"]), t["currency"]),
            money(int(t["tax_total"]), t["currency"]),
            money(int(t["total"]), t["currency"]),
            money(int(t["applied"]), t["currency"]),
            money(int(t["refunded"]), t["currency"]),
        )
        for t in uow.reports.register_totals(actor.company_id, **filters)
    )
    functional = uow.companies.get(actor.company_id).functional_currency
    taken = _discount_totals(
        uow, actor.company_id, functional, start=filters["start"], end=filters["end"], customer_id=customer_id
    )
    labels: dict[str, str] = {r["code"]: r["label"] for r in uow.companies.reason_codes(actor.company_id)}
    by_reason = tuple(
        RegisterReasonTotal(
            t["reason_code"],
            labels.get(t["reason_code"]) or str(t["reason_code"]),
            t["currency"],
            int(t["n"]),
            money(int(t["total"]), t["currency"]),
            money(int(t["applied"]), t["currency"]),
            money(int(t["refunded"]), t["currency"]),
        )
        for t in uow.reports.register_totals(actor.company_id, by_reason=True, **filters)
    )
    by_month = tuple(
        RegisterMonthTotal(
            str(t["month"]),
            t["currency"],
            int(t["n"]),
            money(int(t["total"]), t["currency"]),
            money(int(t["applied"]), t["currency"]),
            money(int(t["refunded"]), t["currency"]),
        )
        for t in uow.reports.register_totals(actor.company_id, by_month=True, **filters)
    )
    return Register(tuple(rows), totals, len(raw) > limit, taken, by_reason, by_month)


@dataclass(frozen=True, slots=True)
class RegisterChoices:
    """What the register's filters offer: the credit reason codes (code, label) and customers (id, name)."""

    reasons: tuple[tuple[str, str], ...]
    customers: tuple[tuple[str, str], ...]


def register_choices(uow: UnitOfWork, actor: Actor) -> RegisterChoices:
    authorize(actor, Permission.READ)
    reasons = tuple(
        (str(r["code"]), str(r["label"] or r["code"]))
        for r in uow.companies.reason_codes(actor.company_id)
        if r["applies_to"] != "debit"
    )
    customers = tuple((str(c["id"]), str(c["name"])) for c in uow.reports.customer_choices(actor.company_id))
    return RegisterChoices(reasons, customers)


# trial balance --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TrialBalanceRow:
    account: str
    name: str
    kind: str
    debit: Money
    credit: Money
    balance: Money  # debit - credit


@dataclass(frozen=True, slots=True)
class TrialBalance:
    as_of: date | None
    currency: str
    rows: tuple[TrialBalanceRow, ...]
    total_debit: Money
    total_credit: Money

    @property
    def balanced(self) -> bool:
        return self.total_debit == self.total_credit


def trial_balance(uow: UnitOfWork, actor: Actor, *, as_of: object = None, period: object = None) -> TrialBalance:
    """Every account's functional debits and credits from the journal lines (entries dated ≤ as_of). A period
    (YYYY-MM) gives the balances at its close: as of its last day."""
    authorize(actor, Permission.READ)
    if period is not None:
        if as_of is not None:
            raise ValidationFailedError.single("period", "Give a period or as_of, not both.", "conflict")
        as_of = period_bounds(parse_period(period))[1]
    day = None if as_of is None else parse_date(as_of, "as_of")
    cur = uow.companies.get(actor.company_id).functional_currency
    names = uow.reports.accounts(actor.company_id)
    rows = []
    for r in uow.reports.account_totals(actor.company_id, day):
        info: Mapping[str, str] = names.get(r["account_code"], {"name": "?", "kind": "?"})
        d, c = int(r["debit"]), int(r["credit"])
        rows.append(
            TrialBalanceRow(
                r["account_code"], info["name"], info["kind"], money(d, cur), money(c, cur), money(d - c, cur)
            )
        )
    return TrialBalance(
        day,
        cur,
        tuple(rows),
        money(sum(r.debit.to_minor() for r in rows), cur),
        money(sum(r.credit.to_minor() for r in rows), cur),
    )


# foreign-currency exposure (issue 15) ---------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FxExposureRow:
    currency: str
    open: Money  # net open AR in the currency: receivables less unused credits and payments
    booked: Money  # the same at the rates the documents were booked at (company currency)
    rate: Decimal | None  # the table's rate of as_of (None: no rate on or before it)
    revalued: Money | None
    unrealized: Money | None  # revalued - booked: a gain when positive


@dataclass(frozen=True, slots=True)
class FxExposure:
    as_of: date
    functional_currency: str
    currencies: tuple[FxExposureRow, ...]


def fx_exposure(uow: UnitOfWork, actor: Actor, *, as_of: object) -> FxExposure:
    """Open foreign-currency AR at booked rates against the rate table's rate of ``as_of``, per currency: the
    unrealized exchange difference a revaluation would show. A report: nothing is booked."""
    authorize(actor, Permission.READ)
    day = parse_date(as_of, "as_of")
    functional = uow.companies.get(actor.company_id).functional_currency
    open_minor: dict[str, int] = {}
    booked: dict[str, Money] = {}
    for r in uow.reports.open_foreign_items(actor.company_id, functional, day):
        cur = r["currency"]
        item = money(int(r["open"]), cur)
        open_minor[cur] = open_minor.get(cur, 0) + int(r["open"])
        at_booked = Money.rounded(item.amount * Decimal(r["exchange_rate"]), functional)
        booked[cur] = booked.get(cur, Money.zero(functional)) + at_booked
    rows = []
    for cur in sorted(open_minor):
        net = money(open_minor[cur], cur)
        rate = uow.rates.rate_on(actor.company_id, cur, day)
        revalued = None if rate is None else Money.rounded(net.amount * rate, functional)
        rows.append(
            FxExposureRow(cur, net, booked[cur], rate, revalued, None if revalued is None else revalued - booked[cur])
        )
    return FxExposure(day, functional, tuple(rows))


# reconciliation ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check of the reconciliation with what it found (no problems: it holds)."""

    name: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class Reconciliation:
    ok: bool
    problems: tuple[str, ...]
    checks: tuple[str, ...]
    results: tuple[CheckResult, ...] = ()


def functional_open_items(uow: UnitOfWork, company_id: str, ar: str, functional: str) -> list[str]:
    """Issue 15 item 4, per customer: the functional AR of its foreign-currency business equals the sum of its
    open items at their booked rates. An open item's functional amount is what its document booked (its own
    entries and its refunds') less what its active applications relieved at its rate; a settled document must
    hold none. Anything else on AR in a foreign currency (an entry no document or application explains, an
    application whose entry disagrees with its record) is a residual, and fails."""
    docs = {r["id"]: r for r in uow.reports.foreign_documents(company_id, functional)}
    booked = uow.reports.foreign_booked_by_document(company_id, ar, functional)
    open_f: dict[str, int] = {doc_id: booked.get(doc_id, ("", 0))[1] for doc_id in docs}

    def at_rate(doc_id: str, minor: int) -> int:
        doc = docs.get(doc_id)
        if doc is None:
            return 0
        amount = Money.from_minor(minor, doc["currency"]).amount * doc["exchange_rate"]
        return Money.rounded(amount, functional).to_minor()

    for a in uow.reports.foreign_active_applications(company_id, functional):
        settles = a["amount_minor"] + (a["discount_minor"] or 0)
        source = a["functional_source_minor"]
        target = a["functional_target_minor"]
        if a["source_id"] in open_f:
            open_f[a["source_id"]] += at_rate(a["source_id"], a["amount_minor"]) if source is None else source
        if a["target_id"] in open_f:
            open_f[a["target_id"]] -= at_rate(a["target_id"], settles) if target is None else target
    problems: list[str] = []
    expected: dict[str, int] = {}
    for doc_id, doc in docs.items():
        expected[doc["customer_id"]] = expected.get(doc["customer_id"], 0) + open_f[doc_id]
        if doc["open"] == 0 and open_f[doc_id] != 0 and len(problems) < 50:
            problems.append(
                f"{doc['number']} is settled in {doc['currency']} yet holds {money(open_f[doc_id], functional)} "
                "of functional AR"
            )
    actual = uow.reports.foreign_ar_by_customer(company_id, ar, functional)
    wrong = sorted(c for c in set(actual) | set(expected) if actual.get(c, 0) != expected.get(c, 0))
    names = uow.reports.customers_by_id(company_id, wrong[:50])
    for c in wrong[:50]:
        residual = actual.get(c, 0) - expected.get(c, 0)
        problems.append(
            f"customer {names[c]['name'] if c in names else c}: functional AR {money(actual.get(c, 0), functional)}, "
            f"open items at booked rates {money(expected.get(c, 0), functional)}: a residual of "
            f"{money(residual, functional)}"
        )
    return problems


def reconcile(uow: UnitOfWork, actor: Actor) -> Reconciliation:
    """Rule 5 and the running totals: every journal entry balances (document and functional); the AR
    control account equals the sum of customer balances per currency and per customer; stored running
    totals equal what the application and refund records say. Each check with its own problems."""
    authorize(actor, Permission.READ)
    cid = actor.company_id
    ar = uow.companies.get(cid).account(AccountRole.AR)
    entries = [
        f"journal entry {r['entry_id']} does not balance: {r['debit']}/{r['credit']} document, "
        f"{r['fdebit']}/{r['fcredit']} functional (minor units)"
        for r in uow.reports.unbalanced_entries(cid)
    ]
    control: list[str] = []
    ledger, balances = uow.reports.ar_by_currency(cid, ar), uow.reports.customer_balances_by_currency(cid)
    for cur in sorted(set(ledger) | set(balances)):
        if ledger.get(cur, 0) != balances.get(cur, 0):
            control.append(
                f"AR control account {ar} holds {money(ledger.get(cur, 0), cur)}; customer balances "
                f"sum to {money(balances.get(cur, 0), cur)}"
            )
    sub_ledger: list[str] = []
    for r in uow.reports.ar_by_customer_mismatches(cid, ar):
        if r["id"] is None:
            sub_ledger.append(f"{r['ledger']} AR journal lines name no customer")
        else:
            sub_ledger.append(
                f"customer {r['name']}: balance {r['balance_minor']}, AR ledger {r['ledger']} (minor units)"
            )
    functional = uow.companies.get(cid).functional_currency
    residuals = [
        f"customer {r['name']}: nothing is open in the document currency, yet "
        f"{money(r['functional'], functional)} of functional AR is left (an unrealized exchange difference)"
        for r in uow.reports.functional_ar_residuals(cid, ar)
    ]
    results = (
        CheckResult("journal entries balance", tuple(entries)),
        CheckResult("AR control = sum of customer balances (per currency)", tuple(control)),
        CheckResult("AR sub-ledger = balance (per customer)", tuple(sub_ledger)),
        CheckResult(
            "no functional AR left on a customer with nothing open (realized exchange differences)", tuple(residuals)
        ),
        CheckResult(
            "functional AR = open items at booked rates (per customer; a settled document holds none)",
            tuple(functional_open_items(uow, cid, ar, functional)),
        ),
        CheckResult("running totals = records", tuple(uow.reports.running_total_mismatches(cid))),
        CheckResult(
            "deferred revenue = the revenue schedules' unrecognized amounts (per account and currency)",
            tuple(deferred_mismatches(uow, cid)),
        ),
    )
    problems = tuple(p for r in results for p in r.problems)
    return Reconciliation(not problems, problems, tuple(r.name for r in results), results)
