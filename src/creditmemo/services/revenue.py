"""Revenue schedules (ASC 606, issue 12): the schedule an issued line gets, the split of a credit between
recognized and deferred revenue, its exact reversal on void, and the recognition run.

Locks (docs/CONCURRENCY.md): issuing and crediting only insert rows here. A recognition run takes the
company's revenue-run lock (store/locking.py, step 0) before it reads anything: two runs at once run one
after the other, and the second finds nothing left to do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from creditmemo.domain.documents import Invoice, InvoiceLine, Memo, MemoLine
from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.inputs import InvoiceLineInput
from creditmemo.domain.money import Money
from creditmemo.domain.parsing import parse_date
from creditmemo.domain.posting_rules import LineReversal, Recognition, recognition_entry
from creditmemo.domain.recognition import CreditMonth, Period, month_end, schedule, split_credit
from creditmemo.ids import new_id
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store import locking
from creditmemo.store.uow import UnitOfWork

LINE_ACCOUNT_REASONS = "line_account_reasons"  # company setting: reasons that reverse to the line's account


def schedule_invoice(uow: UnitOfWork, invoice: Invoice) -> None:
    """Store each scheduled line's months (the invoice's entry put their net on deferred revenue)."""
    rows: list[dict[str, Any]] = []
    for line in invoice.lines:
        if not line.scheduled:
            continue
        assert line.service_start is not None
        assert line.service_end is not None
        assert line.deferred_revenue_account is not None
        for m in schedule(line.net.to_minor(), Period(line.service_start, line.service_end)):
            rows.append(
                {
                    "company_id": invoice.company_id,
                    "invoice_line_id": line.id,
                    "month": m.month,
                    "invoice_id": invoice.id,
                    "customer_id": invoice.customer_id,
                    "currency": invoice.currency,
                    "exchange_rate": invoice.exchange_rate,
                    "revenue_account": line.revenue_account,
                    "deferred_account": line.deferred_revenue_account,
                    "due_on": m.due_on,
                    "amount_minor": m.amount_minor,
                    "recognized_minor": 0,
                    "recognized_on": None,
                }
            )
    uow.revenue.add_schedules(rows)


def check_deferred_accounts(
    uow: UnitOfWork, company_id: str, inputs: Sequence[InvoiceLineInput], lines: Sequence[InvoiceLine]
) -> None:
    """A deferred revenue account given on a line must be one of the company's active accounts (422 naming the
    field; an inactive account takes no new line, issue 17)."""
    given = [i for i, raw in enumerate(inputs) if raw.deferred_revenue_account is not None]
    if not given:
        return
    known = {a["code"] for a in uow.companies.accounts(company_id) if a["active"]}
    for i in given:
        if lines[i].deferred_revenue_account not in known and lines[i].deferred_revenue_account is not None:
            raise ValidationFailedError.single(
                f"lines[{i}].deferred_revenue_account",
                f"No active account {lines[i].deferred_revenue_account!r} in the chart of accounts.",
                "unknown_account",
            )


def reverses_to_line_account(uow: UnitOfWork, company_id: str, reason_code: str) -> bool:
    """Item 6: by default a credit's recognized part goes to the sales-returns contra account (4900); a company
    may send the credits of chosen reasons to each invoice line's own revenue account instead."""
    reasons = uow.companies.settings(company_id).get(LINE_ACCOUNT_REASONS) or []
    return reason_code in reasons


@dataclass(frozen=True, slots=True)
class CreditSplit:
    """A posting's reversal per memo line (for its journal entry) and the rows recording its months."""

    reversals: Mapping[str, LineReversal]
    months: Mapping[str, tuple[CreditMonth, ...]]  # memo line id -> its split by month


def split_memo(
    uow: UnitOfWork,
    company_id: str,
    lines: Sequence[MemoLine],
    invoice_lines: Mapping[str, InvoiceLine],
    on: date,
) -> CreditSplit:
    """Each memo line against its invoice line as it was before this memo (``invoice_lines``): a scheduled
    line splits between recognized and deferred as of ``on``; any other reverses from revenue in full."""
    scheduled = any(ln.invoice_line_id is not None and invoice_lines[ln.invoice_line_id].scheduled for ln in lines)
    done = uow.revenue.recognized_through(company_id) if scheduled else None
    reversals: dict[str, LineReversal] = {}
    months: dict[str, tuple[CreditMonth, ...]] = {}
    for ln in lines:
        if ln.invoice_line_id is None:
            continue
        inv = invoice_lines[ln.invoice_line_id]
        if not inv.scheduled:
            reversals[ln.id] = LineReversal(ln.net, Money.zero(ln.net.currency), inv.revenue_account)
            continue
        assert inv.service_start is not None
        assert inv.service_end is not None
        covers = (
            Period(ln.service_start, ln.service_end)
            if ln.service_start is not None and ln.service_end is not None
            else None
        )
        split = split_credit(
            ln.net.to_minor(),
            Period(inv.service_start, inv.service_end),
            covers=covers,
            memo_date=on,
            recognized_through=done,
            credited_before_minor=inv.credited_net.to_minor() if inv.credited_net else 0,
        )
        cur = ln.net.currency
        recognized = Money.from_minor(sum(c.recognized_minor for c in split), cur)
        reversals[ln.id] = LineReversal(
            recognized, ln.net - recognized, inv.revenue_account, inv.deferred_revenue_account
        )
        months[ln.id] = split
    return CreditSplit(reversals, months)


def record_split(uow: UnitOfWork, memo: Memo, split: CreditSplit, on: date) -> None:
    by_id = {ln.id: ln for ln in memo.lines}
    rows = [
        {
            "id": new_id("rvc"),
            "company_id": memo.company_id,
            "memo_id": memo.id,
            "memo_line_id": line_id,
            "invoice_line_id": by_id[line_id].invoice_line_id,
            "month": c.month,
            "kind": "post",
            "on_date": on,
            "recognized_minor": c.recognized_minor,
            "deferred_minor": c.deferred_minor,
            "created_at": uow.now(),
        }
        for line_id, split_months in split.months.items()
        for c in split_months
    ]
    uow.revenue.add_credits(rows)


def reverse_split(uow: UnitOfWork, memo: Memo, on: date) -> None:
    """Void: the memo's split, negated (its journal entry is mirrored the same way), so the months it took from
    deferred revenue are deferred again and the next run recognizes those already due."""
    if memo.invoice_id is None:
        return  # only a memo from an invoice credits scheduled lines
    rows = [
        {
            **{k: v for k, v in row.items() if k not in ("id", "kind", "on_date", "created_at")},
            "id": new_id("rvc"),
            "kind": "void",
            "on_date": on,
            "recognized_minor": -row["recognized_minor"],
            "deferred_minor": -row["deferred_minor"],
            "created_at": uow.now(),
        }
        for row in uow.revenue.credits_for_memo(memo.company_id, memo.id)
        if row["kind"] == "post"
    ]
    uow.revenue.add_credits(rows)


@dataclass(frozen=True, slots=True)
class RecognizedMonth:
    """One journal entry of a run: what moved from deferred revenue to revenue for a month (net)."""

    entry_id: str
    on: date
    month: date
    amount: Money


@dataclass(frozen=True, slots=True)
class RecognitionRun:
    run_id: str | None  # None: nothing was due
    through: date
    entries: tuple[RecognizedMonth, ...]


def recognize(uow: UnitOfWork, actor: Actor, *, through: object) -> RecognitionRun:
    """Recognize everything due on or before ``through`` and not yet recognized: one journal entry per month
    (per currency and rate), Dr deferred revenue, Cr the lines' revenue accounts. Running it again, or through
    an earlier date, posts nothing (not an error); a month whose credits changed since it was recognized (a
    void gives its deferred part back) is set right by the next run."""
    authorize(actor, Permission.RECOGNIZE_REVENUE)
    day = parse_date(through, "through")
    company = uow.companies.get(actor.company_id)
    locking.lock_revenue_run(uow.conn, actor.company_id)
    last = uow.revenue.recognized_through(actor.company_id)
    upto = day if last is None else max(day, last)  # months already recognized are only ever corrected
    groups = [g for g in uow.revenue.recognition_due(actor.company_id, upto) if g.delta_minor]
    batches: dict[tuple[date, str, str], list[Recognition]] = {}
    rates = {}
    for g in groups:
        key = (g.month, g.currency, str(g.exchange_rate))
        rates[key] = g.exchange_rate
        batches.setdefault(key, []).append(
            Recognition(g.deferred_account, g.revenue_account, Money.from_minor(g.delta_minor, g.currency))
        )
    if not batches:
        return RecognitionRun(None, day, ())
    run_id = new_id("rrn")
    out: list[RecognizedMonth] = []
    for key in sorted(batches):
        month, currency, _ = key
        on = min(month_end(month), upto)
        entry = recognition_entry(
            entry_id=new_id("je"),
            company=company,
            on=on,
            run_id=run_id,
            exchange_rate=rates[key],
            parts=batches[key],
            description=f"Revenue recognized {month:%Y-%m} (run through {day})",
        )
        uow.journal.add(entry, uow.now())
        moved = sum((p.amount.amount for p in batches[key]), Money.zero(currency).amount)
        out.append(RecognizedMonth(entry.id, on, month, Money(moved, currency)))
    uow.revenue.mark_recognized(actor.company_id, groups)
    uow.revenue.add_run(
        {
            "id": run_id,
            "company_id": actor.company_id,
            "through": upto,
            "entries": len(out),
            "created_by": actor.user_id,
            "created_at": uow.now(),
        }
    )
    audit.record(
        uow,
        actor,
        "revenue.recognized",
        "revenue_run",
        run_id,
        {
            "through": [None, str(day)],
            "entries": [None, len(out)],
            "amounts": [None, {f"{e.month:%Y-%m} {e.amount.currency}": str(e.amount.amount) for e in out}],
        },
    )
    return RecognitionRun(run_id, day, tuple(out))
