"""Voiding a credit memo while one of its applications is being unapplied, on PostgreSQL with real connections
(docs/CONCURRENCY.md: both lock the memo, step 1, then its invoice, step 2; the void reads the memo's applied total
and its last unapplication date under the memo's lock, domain/dating.py ``settlement_bounds``).

- The unapplication holds the memo until the void waits for it: the void then sees it, so a void dated before the
  unapplication is refused (``before_document`` on ``void_date``), one dated on or after it goes through.
- Both started together, several rounds: the unapplication always succeeds, the void either after it (voided, dated
  on or after the unapplication) or before it (refused: the memo was applied); no deadlock (the session fails on
  one), the ledger reconciles, the memo's and the invoice's totals are what the records say."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from creditmemo.domain.errors import MemoSettledError, ValidationFailedError
from creditmemo.services.memos.void import void_memo
from creditmemo.services.reports import reconcile
from creditmemo.services.settlement.applications import unapply
from creditmemo.store.uow import Database
from tests.builders import DAY, by_qty, credit, customer, invoice, line, post
from tests.interleave import interleave
from tests.races import race

pytestmark = pytest.mark.postgres_only  # row locks; SQLite runs one writer at a time

ROUNDS = 5


def applied_memo(db: Database, actor):
    """A credit memo from an invoice, posted on DAY and so applied to that invoice on DAY: (memo, application)."""
    inv = invoice(db, actor, [line("2", "100.00")], customer_id=customer(db, actor).id)
    memo = post(db, actor, credit(db, actor, inv, [by_qty(inv, 0, "1")]))
    with db.uow(readonly=True) as uow:
        (app,) = uow.applications.list(actor.company_id, source_id=memo.id)
    assert app.applied_on == DAY
    return memo, app


def check_books(db: Database, actor, memo_id: str, app_id: str) -> str:
    """The ledger reconciles and the memo agrees with its application; the memo's status."""
    with db.uow(readonly=True) as uow:
        assert reconcile(uow, actor).ok, reconcile(uow, actor).problems
        memo = uow.memos.get(actor.company_id, memo_id)
        app = uow.applications.get(actor.company_id, app_id)
        invoice = uow.invoices.get(actor.company_id, str(memo.invoice_id))
    assert app.reversed_on is not None  # the unapplication always commits
    assert memo.amount_applied.amount == Decimal("0.00")
    assert invoice.amount_credited.amount == Decimal("0.00")
    if memo.status == "void":
        assert memo.void_date is not None
        assert memo.void_date >= app.reversed_on  # never voided as of a day it was still applied
    return str(memo.status)


def unapplier(actor, app_id: str, days: int):
    return lambda uow: unapply(uow, actor, app_id, on=DAY + timedelta(days=days))


def voider(actor, memo_id: str, days: int):
    return lambda uow: void_memo(uow, actor, memo_id, on=DAY + timedelta(days=days))


def test_a_void_waiting_for_an_unapplication_dated_after_it_is_refused(db, controller):
    memo, app = applied_memo(db, controller)
    unapplied, voided, waited = interleave(db, unapplier(controller, app.id, 5), voider(controller, memo.id, 3))
    assert waited, "the void did not wait for the unapplication's lock on the memo"
    assert not isinstance(unapplied, Exception), unapplied
    assert isinstance(voided, ValidationFailedError), voided
    assert (voided.errors[0].field, voided.errors[0].code) == ("void_date", "before_document")
    assert check_books(db, controller, memo.id, app.id) == "posted"


def test_a_void_waiting_for_an_earlier_unapplication_goes_through(db, controller):
    memo, app = applied_memo(db, controller)
    unapplied, voided, waited = interleave(db, unapplier(controller, app.id, 3), voider(controller, memo.id, 5))
    assert waited, "the void did not wait for the unapplication's lock on the memo"
    assert not isinstance(unapplied, Exception), unapplied
    assert not isinstance(voided, Exception), voided
    assert check_books(db, controller, memo.id, app.id) == "void"


def test_void_and_unapply_started_together_end_in_one_consistent_state(db, controller):
    statuses = []
    for _ in range(ROUNDS):
        memo, app = applied_memo(db, controller)
        unapplied, voided = race(db, unapplier(controller, app.id, 4), voider(controller, memo.id, 4))
        assert not isinstance(unapplied, Exception), unapplied
        assert not isinstance(voided, Exception) or isinstance(voided, MemoSettledError), voided
        status = check_books(db, controller, memo.id, app.id)
        assert status == ("posted" if isinstance(voided, Exception) else "void")
        statuses.append(status)
    assert set(statuses) <= {"posted", "void"}
