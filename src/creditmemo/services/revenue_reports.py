"""Revenue reports (issue 12 item 4): deferred revenue as of a date, per customer and account, and the revenue
waterfall (recognized per month, the credits' effect as its own column), both beside the ledger's figures; and
the reconciliation check that deferred revenue in the ledger = the schedules' unrecognized amounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.money import Money
from creditmemo.domain.parsing import parse_date
from creditmemo.domain.recognition import month_end, month_start
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store.uow import UnitOfWork

MAX_MONTHS = 120


@dataclass(frozen=True, slots=True)
class DeferredRow:
    customer_id: str
    customer_name: str
    account: str
    amount: Money


@dataclass(frozen=True, slots=True)
class DeferredTotal:
    account: str
    schedules: Money  # the sum of the rows
    ledger: Money  # the account's credit balance in the journal as of the date


@dataclass(frozen=True, slots=True)
class DeferredRevenueReport:
    as_of: date
    recognized_through: date | None
    rows: tuple[DeferredRow, ...]
    totals: tuple[DeferredTotal, ...]
    reconciled: bool


def deferred_revenue(uow: UnitOfWork, actor: Actor, *, as_of: object) -> DeferredRevenueReport:
    """What is deferred as of ``as_of`` per customer and deferred revenue account, and beside each account's
    total its ledger balance (they agree when every run up to that date has been made)."""
    authorize(actor, Permission.READ)
    day = parse_date(as_of, "as_of")
    cid = actor.company_id
    last = uow.revenue.recognized_through(cid)
    recognized = None if last is None else min(day, last)
    rows = tuple(
        DeferredRow(r.customer_id, r.name, r.deferred_account, Money.from_minor(int(r.deferred), r.currency))
        for r in uow.revenue.deferred_by_customer(cid, day, recognized)
    )
    sums: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row.account, row.amount.currency)
        sums[key] = sums.get(key, 0) + row.amount.to_minor()
    ledger = uow.revenue.ledger_by_account(cid, uow.revenue.deferred_accounts(cid), as_of=day)
    keys = sorted(set(sums) | set(ledger))
    totals = tuple(
        DeferredTotal(a, Money.from_minor(sums.get((a, c), 0), c), Money.from_minor(ledger.get((a, c), 0), c))
        for a, c in keys
    )
    return DeferredRevenueReport(day, last, rows, totals, all(t.schedules == t.ledger for t in totals))


@dataclass(frozen=True, slots=True)
class WaterfallRow:
    month: str  # YYYY-MM
    recognized: Money  # moved from deferred revenue to revenue by recognition runs (entries dated that month)
    credits: Money  # the credits' effect on revenue: what memos took from revenue (negative), voids back
    net: Money
    credits_deferred: Money  # what memos took from deferred revenue that month (not revenue)
    deferred_end: Money  # the deferred revenue accounts' ledger balance at the month's end


@dataclass(frozen=True, slots=True)
class Waterfall:
    start: date
    end: date
    rows: tuple[WaterfallRow, ...]


def revenue_waterfall(uow: UnitOfWork, actor: Actor, *, start: object, end: object) -> Waterfall:
    """Per month of ``start..end`` (and currency): revenue recognized by runs (from the ledger), the credits'
    effect as its own column, their sum, and deferred revenue at the month's end (ledger)."""
    authorize(actor, Permission.READ)
    first, last = parse_date(start, "from"), parse_date(end, "to")
    if last < first:
        raise ValidationFailedError.single("to", "The range ends before it starts.", "out_of_range")
    months = []
    m = month_start(first)
    while m <= last:
        months.append(m)
        m = month_end(m) + timedelta(days=1)
    if len(months) > MAX_MONTHS:
        raise ValidationFailedError.single("to", f"At most {MAX_MONTHS} months.", "out_of_range")
    cid = actor.company_id
    deferred = uow.revenue.deferred_accounts(cid)
    span_start, span_end = months[0], month_end(months[-1])
    recognized: dict[tuple[date, str], int] = {}
    for day, cur, amount in uow.revenue.recognized_by_month(cid, span_start, span_end, deferred):
        key = (month_start(_day(day)), cur)
        recognized[key] = recognized.get(key, 0) + int(amount or 0)
    credited: dict[tuple[date, str], tuple[int, int]] = {}
    for day, cur, rev, dfr in uow.revenue.credits_by_day(cid, span_start, span_end):
        key = (month_start(_day(day)), cur)
        r0, d0 = credited.get(key, (0, 0))
        credited[key] = (r0 + int(rev or 0), d0 + int(dfr or 0))
    currencies = sorted({c for _, c in recognized} | {c for _, c in credited}) or [
        uow.companies.get(cid).functional_currency
    ]
    rows = []
    for month in months:
        closing = uow.revenue.ledger_by_account(cid, deferred, as_of=month_end(month))
        for cur in currencies:
            rec = recognized.get((month, cur), 0)
            cr_rev, cr_def = credited.get((month, cur), (0, 0))
            rows.append(
                WaterfallRow(
                    f"{month:%Y-%m}",
                    Money.from_minor(rec, cur),
                    Money.from_minor(-cr_rev, cur),
                    Money.from_minor(rec - cr_rev, cur),
                    Money.from_minor(-cr_def, cur),
                    Money.from_minor(sum(v for (_, c), v in closing.items() if c == cur), cur),
                )
            )
    return Waterfall(first, last, tuple(rows))


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def deferred_mismatches(uow: UnitOfWork, company_id: str) -> list[str]:
    """Reconciliation: each deferred revenue account's ledger balance = the schedules' unrecognized amounts."""
    schedules = uow.revenue.unrecognized_by_account(company_id)
    ledger = uow.revenue.ledger_by_account(company_id, {a for a, _ in schedules})
    problems = []
    for account, cur in sorted(set(schedules) | set(ledger)):
        s, g = schedules.get((account, cur), 0), ledger.get((account, cur), 0)
        if s != g:
            problems.append(
                f"deferred revenue {account} holds {Money.from_minor(g, cur)} in the ledger; the revenue schedules "
                f"leave {Money.from_minor(s, cur)} unrecognized"
            )
    return problems


@dataclass(frozen=True, slots=True)
class ScheduleMonthView:
    month: str  # YYYY-MM
    due_on: date
    amount: Money  # the month's share of the line's net
    credited: Money  # what credits took of it (from revenue and from deferred revenue)
    recognized: Money  # moved to revenue (months due on or before the latest run), less credits from revenue
    deferred: Money  # still deferred


@dataclass(frozen=True, slots=True)
class LineSchedule:
    invoice_line_id: str
    line_no: int
    description: str
    deferred_account: str
    months: tuple[ScheduleMonthView, ...]
    net: Money
    recognized: Money
    deferred: Money
    credited: Money


def invoice_schedule(uow: UnitOfWork, actor: Actor, invoice_id: str) -> tuple[LineSchedule, ...]:
    """Each scheduled line of an invoice by month: recognized / deferred to date (the latest run) and credited.
    recognized + deferred + credited = the line's net, month by month."""
    authorize(actor, Permission.READ)
    invoice = uow.invoices.get(actor.company_id, invoice_id)
    cid, cur = actor.company_id, invoice.currency
    last = uow.revenue.recognized_through(cid)
    rows = uow.revenue.schedules_for_invoice(cid, invoice.id)
    credits: dict[tuple[str, date], tuple[int, int]] = {}
    for c in uow.revenue.credits_for_lines(cid, {r["invoice_line_id"] for r in rows}):
        key = (c["invoice_line_id"], _day(c["month"]))
        rev, dfr = credits.get(key, (0, 0))
        credits[key] = (rev + int(c["recognized_minor"]), dfr + int(c["deferred_minor"]))
    out = []
    for line in invoice.lines:
        mine = [r for r in rows if r["invoice_line_id"] == line.id]
        if not mine:
            continue
        months = []
        for r in mine:
            month = _day(r["month"])
            rev, dfr = credits.get((line.id, month), (0, 0))
            amount = int(r["amount_minor"])
            run = amount - dfr if last is not None and _day(r["due_on"]) <= last else 0
            months.append(
                ScheduleMonthView(
                    f"{month:%Y-%m}",
                    _day(r["due_on"]),
                    Money.from_minor(amount, cur),
                    Money.from_minor(rev + dfr, cur),
                    Money.from_minor(run - rev, cur),
                    Money.from_minor(amount - dfr - run, cur),
                )
            )
        zero = Money.zero(cur)
        out.append(
            LineSchedule(
                line.id,
                line.line_no,
                line.description,
                str(mine[0]["deferred_account"]),
                tuple(months),
                line.net,
                sum((m.recognized for m in months), zero),
                sum((m.deferred for m in months), zero),
                sum((m.credited for m in months), zero),
            )
        )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class LineSplit:
    memo_line_id: str
    recognized: Money  # reversed from revenue
    deferred: Money  # reversed from deferred revenue


def memo_split(uow: UnitOfWork, actor: Actor, memo_id: str, currency: str) -> dict[str, LineSplit]:
    """How a posted memo's lines credited scheduled invoice lines (its posting split, not its void)."""
    authorize(actor, Permission.READ)
    out: dict[str, LineSplit] = {}
    for c in uow.revenue.credits_for_memo(actor.company_id, memo_id):
        if c["kind"] != "post":
            continue
        prev = out.get(c["memo_line_id"]) or LineSplit(c["memo_line_id"], Money.zero(currency), Money.zero(currency))
        out[c["memo_line_id"]] = LineSplit(
            prev.memo_line_id,
            prev.recognized + Money.from_minor(int(c["recognized_minor"]), currency),
            prev.deferred + Money.from_minor(int(c["deferred_minor"]), currency),
        )
    return out
