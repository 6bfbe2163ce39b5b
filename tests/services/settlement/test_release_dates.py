"""Each document's latest release date (migration 0027: ``released_on`` on invoices, memos, payments), which lets
the settlement date check skip the read of a document's applications (services/settlement/applications.py
``check_free``). Both engines.

- After a seeded random sequence of applications, back-dated and later unapplications, refunds and back-dated
  refund reversals between credit memos, payments, invoices and a debit memo, every document's stored date is the
  one recomputed from the applications and refunds (the latest ``reversed_on`` from or to it, and of its refunds).
- Before each application or refund of that sequence, the check decided from the stored date (as the services do)
  gives the same answer as the check that reads everything (the party's date unread), for the date tried and for a
  day before and after every release date: the shortcut never changes an outcome.
- A stored date that is wrong (set back by hand under a release) lets an application through that the full check
  refuses: the comparison above would catch it."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, union_all, update

from creditmemo.domain.errors import DomainError, ValidationFailedError
from creditmemo.domain.inputs import FreeLineInput
from creditmemo.domain.settlement import UNREAD, AllocationInput, Party, SourceType, TargetType
from creditmemo.services.memos.create import create_debit_memo
from creditmemo.services.settlement.applications import apply_credit, check_free, lock_source, lock_targets, unapply
from creditmemo.services.settlement.payments import record_payment
from creditmemo.services.settlement.refunds import refund, reverse_refund
from creditmemo.store.tables import applications, invoices, memos, payments, refunds
from tests.builders import DAY, customer, invoice, line, post, standalone

WINDOW = 45  # days after DAY in which the sequence dates its settlements (all in open, past periods)


def recomputed(db, company_id: str) -> dict[str, date | None]:
    """Every document's latest release date from the applications and refunds themselves."""
    a, r = applications.c, refunds.c
    dates = union_all(
        select(a.source_id.label("doc"), a.reversed_on.label("on")).where(a.company_id == company_id),
        select(a.target_id.label("doc"), a.reversed_on.label("on")).where(a.company_id == company_id),
        select(r.source_id.label("doc"), r.reversed_on.label("on")).where(r.company_id == company_id),
    ).subquery()
    with db.uow(readonly=True) as uow:
        rows = uow.conn.execute(select(dates.c.doc, func.max(dates.c.on)).group_by(dates.c.doc))
        found = {doc: on for doc, on in rows}
    return {doc: _date(found.get(doc)) for doc in stored(db, company_id)}


def stored(db, company_id: str) -> dict[str, date | None]:
    with db.uow(readonly=True) as uow:
        out: dict[str, date | None] = {}
        for table in (invoices, memos, payments):
            rows = uow.conn.execute(select(table.c.id, table.c.released_on).where(table.c.company_id == company_id))
            out.update({doc: _date(on) for doc, on in rows})
    return out


def _date(value: object) -> date | None:
    return value if value is None or isinstance(value, date) else date.fromisoformat(str(value))


def _outcome(fn) -> str | None:
    try:
        fn()
    except ValidationFailedError as e:
        return f"{e.errors[0].code}: {e}"
    return None


def both_ways(
    db, actor, source_type: str, source_id: str, targets: list[tuple[str, str]], minor: int, on: date
) -> set[str | None]:
    """Under the locks the services take, the check from the stored dates and the check that reads everything agree
    on the days around every release date of the parties (and the date of use ``on``). Returns the outcomes seen."""
    with db.uow() as uow:
        source = lock_source(uow, actor.company_id, source_type, source_id)
        parties = lock_targets(uow, actor.company_id, [(TargetType(t), i) for t, i in targets])
        everyone: list[tuple[Party, int, bool]] = [
            (source, minor, False),
            *((p, minor, True) for p in parties.values()),
        ]
        days = {DAY, on, DAY + timedelta(days=WINDOW)}
        seen: set[str | None] = set()
        for p, _, _ in everyone:
            assert p.released_on != UNREAD  # read with the row
            if p.released_on is not None:
                days |= {p.released_on - timedelta(days=1), p.released_on, p.released_on + timedelta(days=1)}
        for day in sorted(days):
            for one in everyone:
                fast = _outcome(lambda one=one, day=day: check_free(uow, actor.company_id, day, [one]))
                slow_party = (replace(one[0], released_on=UNREAD), one[1], one[2])
                slow = _outcome(lambda s=slow_party, day=day: check_free(uow, actor.company_id, day, [s]))
                assert fast == slow, (one[0].number, day, fast, slow)
                seen.add(fast)
    return seen


def test_stored_release_dates_match_recomputation_after_random_backdated_sequences(db, controller):
    rng = random.Random(20261129)
    cid = controller.company_id
    cus = customer(db, controller)
    invs = [invoice(db, controller, [line(price="500.00")], customer_id=cus.id) for _ in range(3)]
    with db.uow() as uow:
        dm = create_debit_memo(
            uow,
            controller,
            customer_id=cus.id,
            currency="USD",
            reason_code="chargeback",
            lines=[FreeLineInput("Charge-back", "1", "300.00")],
            issue_date=DAY,
        )
    dm = post(db, controller, dm)
    memos_ = [post(db, controller, standalone(db, controller, cus.id, price="400.00")) for _ in range(2)]
    with db.uow() as uow:
        pays = [
            record_payment(
                uow, controller, customer_id=cus.id, amount="400.00", currency="USD", received_on=DAY, method="wire"
            )
            for _ in range(2)
        ]
    sources = [("credit_memo", m.id) for m in memos_] + [("payment", p.id) for p in pays]
    targets = [("invoice", i.id) for i in invs] + [("debit_memo", dm.id)]
    active_apps: list[tuple[str, date]] = []
    completed_refunds: list[tuple[str, date]] = []
    seen: set[str | None] = set()
    outcomes = {"applied": 0, "unapplied": 0, "refunded": 0, "reversed": 0, "refused": 0}

    def day_from(start: date) -> date:
        return start + timedelta(days=rng.randrange(0, max(1, (DAY + timedelta(days=WINDOW) - start).days + 1)))

    for _ in range(60):
        op = rng.choice(["apply", "apply", "unapply", "refund", "reverse"])
        try:
            if op == "apply":
                (stype, sid), (ttype, tid) = rng.choice(sources), rng.choice(targets)
                amount = rng.choice(["10.00", "25.00", "60.00"])
                on = day_from(DAY)
                seen |= both_ways(db, controller, stype, sid, [(ttype, tid)], int(amount.replace(".", "")), on)
                with db.uow() as uow:
                    app = apply_credit(
                        uow,
                        controller,
                        source_type=stype,
                        source_id=sid,
                        allocations=[AllocationInput(ttype, tid, amount)],
                        on=on,
                    )[0]
                active_apps.append((app.id, on))
                outcomes["applied"] += 1
            elif op == "unapply" and active_apps:
                app_id, applied_on = active_apps.pop(rng.randrange(len(active_apps)))
                with db.uow() as uow:
                    unapply(uow, controller, app_id, on=day_from(applied_on))
                outcomes["unapplied"] += 1
            elif op == "refund":
                stype, sid = rng.choice(sources)
                on = day_from(DAY)
                seen |= both_ways(db, controller, stype, sid, [], 1500, on)
                with db.uow() as uow:
                    rf = refund(
                        uow,
                        controller,
                        source_type=stype,
                        source_id=sid,
                        amount="15.00",
                        method="ach",
                        refunded_on=on,
                        override_reason="test",
                    )
                completed_refunds.append((rf.id, on))
                outcomes["refunded"] += 1
            elif op == "reverse" and completed_refunds:
                rf_id, refunded_on = completed_refunds.pop(rng.randrange(len(completed_refunds)))
                with db.uow() as uow:
                    reverse_refund(uow, controller, rf_id, reason="returned", on=day_from(refunded_on))
                outcomes["reversed"] += 1
        except DomainError:
            outcomes["refused"] += 1
        assert stored(db, cid) == recomputed(db, cid), op
    # The sequence did what it is for: releases dated back and forth, and uses refused for a later release.
    assert min(outcomes.values()) > 0, outcomes
    assert None in seen, seen
    assert any(o and o.startswith("before_release") for o in seen), seen
    assert any(on is not None for on in stored(db, cid).values())


def test_a_wrong_stored_release_date_would_let_an_early_application_through(db, controller):
    """The check trusts the stored date: set it back by hand below a real unapplication, and an application dated
    before that unapplication (which the full check refuses) goes through. So the stored date must be exact, which
    the test above checks after every step."""
    cus = customer(db, controller)
    inv = invoice(db, controller, [line(price="100.00")], customer_id=cus.id)
    memo = post(db, controller, standalone(db, controller, cus.id, price="100.00"))
    other = post(db, controller, standalone(db, controller, cus.id, price="100.00"))
    with db.uow() as uow:
        app = apply_credit(
            uow,
            controller,
            source_type="credit_memo",
            source_id=memo.id,
            allocations=[AllocationInput("invoice", inv.id, "100.00")],
            on=DAY,
        )[0]
    with db.uow() as uow:
        unapply(uow, controller, app.id, on=DAY + timedelta(days=10))
    assert stored(db, controller.company_id)[inv.id] == DAY + timedelta(days=10)

    def early():
        with db.uow() as uow:
            apply_credit(
                uow,
                controller,
                source_type="credit_memo",
                source_id=other.id,
                allocations=[AllocationInput("invoice", inv.id, "100.00")],
                on=DAY + timedelta(days=5),
            )

    with pytest.raises(ValidationFailedError) as refused:
        early()
    assert refused.value.errors[0].code == "before_release"
    with db.uow() as uow:  # corrupt the stored date: as if unapply had not moved it
        uow.conn.execute(
            update(invoices)
            .where(invoices.c.company_id == controller.company_id, invoices.c.id == inv.id)
            .values(released_on=None)
        )
    early()  # wrongly accepted: the invoice is now settled twice over as of days 5-9
    assert stored(db, controller.company_id) != recomputed(db, controller.company_id)


def test_unapply_and_refund_reversal_keep_the_latest_date_not_the_last_written(db, controller):
    """A back-dated release after a later one leaves the later date; both sides of an application move."""
    cus = customer(db, controller)
    inv = invoice(db, controller, [line(price="100.00")], customer_id=cus.id)
    memo = post(db, controller, standalone(db, controller, cus.id, price="100.00"))
    with db.uow() as uow:
        pay = record_payment(
            uow, controller, customer_id=cus.id, amount="100.00", currency="USD", received_on=DAY, method="wire"
        )

    def app_of(source_type: str, source_id: str) -> str:
        with db.uow() as uow:
            return apply_credit(
                uow,
                controller,
                source_type=source_type,
                source_id=source_id,
                allocations=[AllocationInput("invoice", inv.id, "40.00")],
                on=DAY,
            )[0].id

    first, second = app_of("credit_memo", memo.id), app_of("payment", pay.id)
    with db.uow() as uow:
        unapply(uow, controller, first, on=DAY + timedelta(days=20))
    with db.uow() as uow:
        unapply(uow, controller, second, on=DAY + timedelta(days=3))  # back-dated, after the later one
    with db.uow() as uow:
        rf = refund(
            uow,
            controller,
            source_type=SourceType.PAYMENT,
            source_id=pay.id,
            amount="30.00",
            method="ach",
            refunded_on=DAY,
        )
    with db.uow() as uow:
        reverse_refund(uow, controller, rf.id, reason="bounced", on=DAY + timedelta(days=7))
    got = stored(db, controller.company_id)
    assert (got[inv.id], got[memo.id], got[pay.id]) == (
        DAY + timedelta(days=20),
        DAY + timedelta(days=20),
        DAY + timedelta(days=7),
    )
    assert got == recomputed(db, controller.company_id)
