"""Applying a credit source (posted credit memo or payment) to debit documents (open invoices, posted
debit memos), and unapplying. No journal entry when both sides are AR at one rate; an exchange difference or a
settlement discount a payment takes (services/settlement/discounts.py) is booked in an entry of the application
(services/settlement/fx.py). Running totals move in the same transaction. Locks in the order of
docs/CONCURRENCY.md: the source, invoices by id, debit memos by id, the application (unapply); the customer's
available credit is a delta written at commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from creditmemo.domain.dating import (
    Use,
    application_bounds,
    application_date,
    check_application_order,
    check_free_as_of,
)
from creditmemo.domain.documents import Invoice, Memo
from creditmemo.domain.errors import InvalidTransitionError, NotFoundError, ValidationFailedError
from creditmemo.domain.lifecycle import Status, allowed_actions
from creditmemo.domain.money import Money
from creditmemo.domain.parsing import parse_date
from creditmemo.domain.settlement import (
    UNREAD,
    AllocationInput,
    Application,
    ApplicationStatus,
    ParsedAllocation,
    Party,
    Payment,
    SourceType,
    TargetType,
    check_allocations,
    parse_allocations,
)
from creditmemo.ids import new_id
from creditmemo.services import audit, periods
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.settlement import discounts as settlement_discounts
from creditmemo.services.settlement import fx
from creditmemo.store.mapping import money
from creditmemo.store.uow import UnitOfWork

Row = Mapping[str, Any]


def memo_party(row: Row, role: str) -> Party:
    """A posted memo as a source (available) or a debit memo as a target (amount due)."""
    kind = "credit memo" if row["kind"] == "credit" else "debit memo"
    if row["status"] != Status.POSTED:
        raise InvalidTransitionError(row["status"], "apply", allowed_actions(Status(row["status"])), kind)
    cur = row["currency"]
    used = row["amount_applied_minor"] + (row["amount_refunded_minor"] if role == "source" else 0)
    return Party(
        f"{row['kind']}_memo",
        row["id"],
        row["number"],
        row["customer_id"],
        cur,
        money(row["total_minor"] - used, cur),
        row["exchange_rate"],
        row["issue_date"],
        row["released_on"],
    )


def invoice_party(row: Row) -> Party:
    if row["status"] != "issued":
        raise InvalidTransitionError(row["status"], "apply", [], "invoice")
    cur = row["currency"]
    due = row["total_minor"] - row["amount_credited_minor"] - row["amount_paid_minor"] - row["discount_taken_minor"]
    return Party(
        "invoice",
        row["id"],
        row["number"],
        row["customer_id"],
        cur,
        money(due, cur),
        row["exchange_rate"],
        row["issue_date"],
        row["released_on"],
    )


def payment_party(p: Payment) -> Party:
    """A payment as a credit source, with what is available on it."""
    return Party(
        "payment",
        p.id,
        p.number,
        p.customer_id,
        p.currency,
        p.amount_available,
        p.exchange_rate,
        p.received_on,
        p.released_on,
    )


def lock_source(uow: UnitOfWork, company_id: str, source_type: object, source_id: str) -> Party:
    if source_type == SourceType.CREDIT_MEMO:
        return memo_party(uow.applications.lock_memo(company_id, source_id, "credit"), "source")
    if source_type == SourceType.PAYMENT:
        p = uow.payments.get(company_id, source_id, for_update=True)
        return payment_party(p)
    raise ValidationFailedError.single("source_type", "One of credit_memo, payment.", "invalid")


def lock_targets(
    uow: UnitOfWork,
    company_id: str,
    refs: Sequence[tuple[TargetType, str]],
    invoice_rows: dict[str, Row] | None = None,
) -> dict[str, Party]:
    """The targets, locked in the order of docs/CONCURRENCY.md; ``invoice_rows`` (when given) receives the
    invoices' locked rows (their settlement discount, issue 15)."""
    invoice_ids = [tid for ttype, tid in refs if ttype is TargetType.INVOICE]
    debit_ids = [tid for ttype, tid in refs if ttype is TargetType.DEBIT_MEMO]
    rows = uow.applications.lock_invoices(company_id, invoice_ids)
    if invoice_rows is not None:
        invoice_rows.update(rows)
    parties = {i: invoice_party(r) for i, r in rows.items()}
    parties.update(
        {i: memo_party(r, "target") for i, r in uow.applications.lock_debit_memos(company_id, debit_ids).items()}
    )
    return parties


def apply_credit(
    uow: UnitOfWork,
    actor: Actor,
    *,
    source_type: str,
    source_id: str,
    allocations: Sequence[AllocationInput],
    on: date | str | None = None,
) -> list[Application]:
    """Apply one source to one or more targets. Each allocation is checked against its own target's
    amount due; the request as a whole against the source's available amount. All or nothing."""
    authorize(actor, Permission.APPLY)
    day = uow.now().date() if on is None else parse_date(on, "applied_on")
    source = lock_source(uow, actor.company_id, source_type, source_id)
    parsed = parse_allocations(allocations, source.currency)
    rows: dict[str, Row] = {}
    targets = lock_targets(uow, actor.company_id, [(a.target_type, a.target_id) for a in parsed], rows)
    applied_on = check_application_date(uow, actor.company_id, day, [source, *targets.values()])
    check_allocations(source, parsed, targets)
    taken = settlement_discounts.decide(uow, actor.company_id, source, parsed, rows, targets)  # settlement discounts
    return record_applications(
        uow, actor, SourceType(source.type), source, parsed, applied_on, targets=targets, discounts=taken
    )


def check_application_date(
    uow: UnitOfWork,
    company_id: str,
    day: date,
    parties: Sequence[Party],
    *,
    field: str = "applied_on",
    future_ok: bool = False,
) -> date:
    """An application is dated on or after its source and every target (domain/dating.py), and by the other
    date rules (an open period, not too far ahead unless ``future_ok``)."""
    bounds = application_bounds(parties)
    return periods.check(uow, company_id, field, day, what="application date", not_before=bounds, future_ok=future_ok)


def automatic_date(uow: UnitOfWork, company_id: str, default: date, parties: Sequence[Party]) -> date:
    """The date of an automatic application between ``parties``: ``default`` (already checked by the caller:
    the posting's, the new invoice's, today) or, when one of them is dated later, that later date, checked
    like any (its period open; ahead of today is allowed, the document is dated so already)."""
    day = application_date(default, parties)
    if day == default:
        return day
    return check_application_date(uow, company_id, day, parties, future_ok=True)


def check_free(
    uow: UnitOfWork,
    company_id: str,
    day: date,
    parties: Sequence[tuple[Party, int, bool]],
    *,
    field: str = "applied_on",
    what: str = "application date",
    source_is_new: bool = False,
) -> None:
    """Each of ``parties`` (a document, the minor units a use dated ``day`` takes of it, whether it is a target)
    has that amount free (a target: due) on ``day`` and every later day (domain/dating.py ``check_free_as_of``).
    Only a document with an unapplication or refund reversal dated after ``day`` can fail it: its latest release
    date (``Party.released_on``, read with its row under its lock) says which, so a use dated on or after it reads
    nothing more. For those (and for a party whose release date was not read: one statement for them all) its
    applications and, for a source, its refunds are read. ``source_is_new``: the source is the memo being posted,
    never applied or refunded, so it is not checked."""
    checked = [(p, minor, target) for p, minor, target in parties if target or not source_is_new]
    unread = [p.id for p, _, _ in checked if p.released_on == UNREAD]
    released = uow.applications.released_after(company_id, unread, day)
    for party, minor, target in checked:
        if party.released_on != UNREAD and (party.released_on is None or party.released_on <= day):
            continue  # nothing of it was freed after ``day``
        refunds = [] if target else uow.refunds.for_source(company_id, party.id)
        refund_released = any(r.reversed_on is not None and r.reversed_on > day for r in refunds)
        if party.released_on == UNREAD and party.id not in released and not refund_released:
            continue
        uses = [*uow.applications.uses(company_id, party.id, as_target=target)]
        uses += [Use(r.refunded_on, r.reversed_on, r.amount.to_minor()) for r in refunds]
        in_use_now = sum(u.minor for u in uses if u.until is None)  # what the running totals hold today
        check_free_as_of(
            field,
            day,
            minor,
            party.open_amount.to_minor() + in_use_now,
            uses,
            what=what,
            whose=party.number,
            state="due" if target else "free",
        )


def plan_auto_apply(uow: UnitOfWork, actor: Actor, memo: Memo, invoice: Invoice, *, on: date) -> Application | None:
    """A credit memo posted from an invoice applies itself to that invoice, up to the invoice's amount
    due (DESIGN §2); the rest stays as account credit. Folded into posting (``memo`` is the memo being
    posted, ``invoice`` its invoice, both held by the posting): this decides the application; the posting
    writes it with ``record_auto_apply`` and moves the memo's applied total and the customer's available
    credit with its own updates."""
    if not memo.auto_apply or invoice.status != "issued":
        return None
    source = memo_source(memo, memo.amount_available)
    target = invoice_target(invoice)
    amount = source.open_amount.min(target.open_amount)
    if not amount.is_positive():
        return None
    parsed = [ParsedAllocation(TargetType.INVOICE, target.id, amount)]
    check_allocations(source, parsed, {target.id: target})
    return new_applications(
        uow, actor, SourceType.CREDIT_MEMO, source, parsed, on, {target.id: target}, source_is_new=True
    )[0]


def invoice_target(invoice: Invoice) -> Party:
    """An invoice as the target of applications, with its amount due."""
    return Party(
        "invoice",
        invoice.id,
        invoice.number,
        invoice.customer_id,
        invoice.currency,
        invoice.amount_due,
        invoice.exchange_rate,
        invoice.issue_date,
        invoice.released_on,
    )


def memo_source(memo: Memo, open_amount: Money) -> Party:
    """A credit memo as the source of applications, with what is open on it."""
    return Party(
        "credit_memo",
        memo.id,
        memo.number,
        memo.customer_id,
        memo.currency,
        open_amount,
        memo.exchange_rate,
        memo.issue_date,
    )


def record_auto_apply(uow: UnitOfWork, actor: Actor, app: Application, *, source: Party) -> None:
    """Write an application decided at posting (``plan_auto_apply``, a "next invoice" credit): its exchange
    difference, the record, the invoice's credited total, the event. ``source`` is the memo being posted with
    what was open on it before this application (its journal entry is already written)."""
    if uow.companies.get(actor.company_id).functional_currency != source.currency:
        row = uow.applications.lock_invoices(actor.company_id, [app.target_id])[app.target_id]  # held already
        app = fx.realize(uow, source, [app], {app.target_id: invoice_party(row)})[0]
    uow.applications.add_many([app])
    uow.invoices.add_settlement(actor.company_id, {app.target_id: (app.amount.to_minor(), 0)})
    _audit_created(uow, actor, SourceType.CREDIT_MEMO, source, app, app.applied_on, auto=True)


def new_applications(
    uow: UnitOfWork,
    actor: Actor,
    source_type: SourceType,
    source: Party,
    parsed: Sequence[ParsedAllocation],
    applied_on: date,
    targets: Mapping[str, Party],
    discounts: Sequence[Money] | None = None,
    *,
    source_is_new: bool = False,
) -> list[Application]:
    """The application records, not yet written. Every application is made here, each checked to be dated on
    or after its source and its target (``targets``, by id), and not to use an amount before the unapplication
    or refund reversal that freed it: the one place these rules are enforced for manual, automatic and planned
    applications alike. ``source_is_new``: the source is the memo being posted (nothing of it was ever used)."""
    for a in parsed:
        check_application_order(applied_on, [source, targets[a.target_id]])
    taken = list(discounts) if discounts is not None else [None] * len(parsed)
    used: dict[str, int] = {}  # what this request takes of each target: amounts and discounts
    for a, d in zip(parsed, taken, strict=True):
        used[a.target_id] = used.get(a.target_id, 0) + a.amount.to_minor() + (d.to_minor() if d else 0)
    check_free(
        uow,
        actor.company_id,
        applied_on,
        [(source, sum(a.amount.to_minor() for a in parsed), False), *((targets[t], m, True) for t, m in used.items())],
        source_is_new=source_is_new,
    )
    now = uow.now()
    return [
        Application(
            id=new_id("app"),
            company_id=actor.company_id,
            source_type=source_type,
            source_id=source.id,
            target_type=a.target_type,
            target_id=a.target_id,
            customer_id=source.customer_id,
            amount=a.amount,
            status=ApplicationStatus.ACTIVE,
            applied_on=applied_on,
            created_by=actor.user_id,
            created_at=now,
            discount=d if d else None,
        )
        for a, d in zip(parsed, taken, strict=True)
    ]


def _audit_created(
    uow: UnitOfWork,
    actor: Actor,
    source_type: SourceType,
    source: Party,
    app: Application,
    applied_on: date,
    *,
    auto: bool,
) -> None:
    audit.record(
        uow,
        actor,
        "application.created",
        "application",
        app.id,
        {
            "source": [None, f"{source_type}:{source.id}"],
            "target": [None, f"{app.target_type}:{app.target_id}"],
            "amount": [None, str(app.amount.amount)],
            "currency": [None, app.currency],
            "applied_on": [None, str(applied_on)],
            "auto": [None, auto],
            **({"discount": [None, str(app.discount_taken.amount)]} if app.discount_taken else {}),
        },
    )


def record_applications(
    uow: UnitOfWork,
    actor: Actor,
    source_type: SourceType,
    source: Party,
    parsed: Sequence[ParsedAllocation],
    applied_on: date,
    *,
    targets: Mapping[str, Party],
    auto: bool = False,
    discounts: Sequence[Money] | None = None,
) -> list[Application]:
    """Write applications of one source: each one's exchange difference and settlement discount
    (services/settlement/fx.py), the records, both sides' running totals, the events. ``targets`` hold what
    was open before; ``discounts`` the settlement discount each allocation takes (discounts.decide)."""
    apps = new_applications(uow, actor, source_type, source, parsed, applied_on, targets, discounts)
    apps = fx.realize(uow, source, apps, targets)
    uow.applications.add_many(apps)
    _move_totals(uow, apps, sign=1)
    for app in apps:
        _audit_created(uow, actor, source_type, source, app, applied_on, auto=auto)
    return apps


def _move_totals(uow: UnitOfWork, apps: Sequence[Application], *, sign: int, released_on: date | None = None) -> None:
    """Running totals of both sides (and the customer's available credit for a memo source), summed
    per document so a request of many allocations writes each row once. ``released_on``: the date of the
    unapplication (sign -1), which becomes each side's latest release date when it is later (migration 0027)."""
    cid = apps[0].company_id
    sources: dict[tuple[SourceType, str, str], int] = {}
    invoices: dict[str, list[int]] = {}
    debit_memos: dict[str, int] = {}
    discounts: dict[str, int] = {}
    for app in apps:
        minor = sign * app.amount.to_minor()
        key = (app.source_type, app.source_id, app.customer_id)
        sources[key] = sources.get(key, 0) + minor
        if app.target_type is TargetType.INVOICE:
            credited_paid = invoices.setdefault(app.target_id, [0, 0])
            credited_paid[0 if app.source_type is SourceType.CREDIT_MEMO else 1] += minor
            if app.discount_taken:  # a settlement discount: the invoice settled, the customer owes that less
                discount = sign * app.discount_taken.to_minor()
                discounts[app.target_id] = discounts.get(app.target_id, 0) + discount
                uow.customers.adjust(cid, app.customer_id, balance=-discount)
        else:
            debit_memos[app.target_id] = debit_memos.get(app.target_id, 0) + minor
    for (source_type, source_id, customer_id), minor in sources.items():
        if source_type is SourceType.CREDIT_MEMO:
            uow.memos.add_applied(cid, {source_id: minor}, released_on=released_on)
            uow.customers.adjust(cid, customer_id, available_credit=-minor)
        else:
            uow.payments.adjust(cid, source_id, applied=minor, released_on=released_on)
    uow.invoices.add_settlement(cid, {i: (c, p) for i, (c, p) in invoices.items()}, discounts, released_on=released_on)
    uow.memos.add_applied(cid, debit_memos, released_on=released_on)


def unapply(
    uow: UnitOfWork, actor: Actor, application_id: str, *, on: object = None, of: str | None = None
) -> Application:
    """Mark an application reversed (never deleted, rule 7) and restore both sides. Dated ``on`` (default
    today): on or after the application's date, in an open period (its exchange difference is reversed then).
    ``of``: the document the caller reached the application through (its source or its target); another
    document's application is not found."""
    authorize(actor, Permission.APPLY)
    app = uow.applications.get(actor.company_id, application_id)
    if of is not None and of not in (app.source_id, app.target_id):
        raise NotFoundError("application", application_id)
    # Same lock order as applying (docs/CONCURRENCY.md): source, target, then the application itself.
    if app.source_type is SourceType.CREDIT_MEMO:
        uow.applications.lock_memo(actor.company_id, app.source_id, "credit")
    else:
        uow.payments.get(actor.company_id, app.source_id, for_update=True)
    if app.target_type is TargetType.INVOICE:
        target = uow.applications.lock_invoices(actor.company_id, [app.target_id])[app.target_id]
    else:
        target = uow.applications.lock_debit_memos(actor.company_id, [app.target_id])[app.target_id]
    app = uow.applications.get(actor.company_id, application_id, for_update=True)
    if app.status is ApplicationStatus.REVERSED:
        raise InvalidTransitionError(str(app.status), "unapply", [], "application")
    day = periods.check(
        uow,
        actor.company_id,
        "unapplied_on",
        uow.now().date() if on is None else parse_date(on, "unapplied_on"),
        what="unapplication date",
        not_before=[periods.Bound(app.applied_on, "the application's date")],
    )
    now = uow.now()
    uow.applications.mark_reversed(app, by=actor.user_id, at=now, on=day)
    fx.reverse(uow, app, target_rate=target["exchange_rate"], on=day)
    _move_totals(uow, [app], sign=-1, released_on=day)  # under the locks of both sides, taken above
    audit.record(
        uow,
        actor,
        "application.reversed",
        "application",
        app.id,
        {"status": [str(app.status), str(ApplicationStatus.REVERSED)]},
    )
    return replace(app, status=ApplicationStatus.REVERSED, reversed_at=now, reversed_by=actor.user_id, reversed_on=day)


def list_applications(
    uow: UnitOfWork, actor: Actor, *, source_id: str | None = None, target_id: str | None = None
) -> list[Application]:
    authorize(actor, Permission.READ)
    return uow.applications.list(actor.company_id, source_id=source_id, target_id=target_id)


def get_application(uow: UnitOfWork, actor: Actor, application_id: str) -> Application:
    authorize(actor, Permission.READ)
    return uow.applications.get(actor.company_id, application_id)
