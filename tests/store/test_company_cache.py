"""The per-Database company config cache (accounts, reason codes) must never hide a change: a change made
through this Database or by another process (another Database over the same database) is seen by the next unit
of work, because every change bumps the company's config_version in its own transaction (issue 17)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from creditmemo.domain.documents import Memo
from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.inputs import FreeLineInput
from creditmemo.services.actors import Actor, Role
from creditmemo.services.chart import add_account, update_account, update_reason_code
from creditmemo.services.companies import add_reason_code
from creditmemo.services.memos import read
from creditmemo.services.memos.create import create_standalone_credit_memo
from creditmemo.store.tables import companies
from creditmemo.store.uow import Database, UnitOfWork
from tests import builders as b


def _admin(actor: Actor) -> Actor:
    return Actor("usr_admin", actor.company_id, Role.ADMIN, label="admin@test")


def _memo_with_reason(db: Database, actor: Actor, code: str) -> str:
    inv = b.invoice(db, actor, [b.line("2", "10.00")])
    return b.credit(db, actor, inv, reason=code).reason_code


def test_reason_code_added_here_is_usable_at_once(db: Database, controller: Actor) -> None:
    assert _memo_with_reason(db, controller, "goodwill") == "goodwill"  # fills the cache
    with db.uow() as uow:
        add_reason_code(uow, _admin(controller), code="loyalty_bonus", label="Loyalty", account_code="6100")
    assert _memo_with_reason(db, controller, "loyalty_bonus") == "loyalty_bonus"


def test_reason_code_added_by_another_process_is_found(db: Database, controller: Actor) -> None:
    assert _memo_with_reason(db, controller, "goodwill") == "goodwill"  # fills the cache
    other = Database(db.engine.url.render_as_string(hide_password=False))
    try:
        with other.uow() as uow:
            add_reason_code(uow, _admin(controller), code="partner_credit", label="Partner", account_code="6100")
    finally:
        other.dispose()
    assert _memo_with_reason(db, controller, "partner_credit") == "partner_credit"


def test_unknown_reason_code_is_still_rejected(db: Database, controller: Actor) -> None:
    assert _memo_with_reason(db, controller, "goodwill") == "goodwill"
    with pytest.raises(ValidationFailedError) as err:
        _memo_with_reason(db, controller, "no_such_reason")
    assert [(e.field, e.code) for e in err.value.errors] == [("reason_code", "unknown_reason")]


def test_duplicate_reason_code_added_elsewhere_is_a_validation_error(db: Database, controller: Actor) -> None:
    with db.uow() as uow:
        assert "goodwill" in {r["code"] for r in uow.companies.reason_codes(controller.company_id)}
    other = Database(db.engine.url.render_as_string(hide_password=False))
    try:
        with other.uow() as uow:
            add_reason_code(uow, _admin(controller), code="late_fee_waiver", label="Waiver", account_code="6100")
    finally:
        other.dispose()
    with pytest.raises(ValidationFailedError) as err, db.uow() as uow:
        add_reason_code(uow, _admin(controller), code="late_fee_waiver", label="Waiver", account_code="6100")
    assert [(e.field, e.code) for e in err.value.errors] == [("code", "taken")]


def test_line_limit_changed_by_another_process_applies_to_the_next_post(db: Database, controller: Actor) -> None:
    from creditmemo.domain.lifecycle import Status
    from creditmemo.services.settings import update_background_line_limit

    inv = b.invoice(db, controller, [b.line("1", "10.00"), b.line("1", "20.00")])
    first = b.post(db, controller, b.credit(db, controller, inv, [b.by_qty(inv, 0, "1"), b.by_amount(inv, 1, "5.00")]))
    assert first.status is Status.POSTED  # the company config is cached now, with the default limit 250
    other = Database(db.engine.url.render_as_string(hide_password=False))
    try:
        with other.uow() as uow:
            update_background_line_limit(uow, _admin(controller), 1)
    finally:
        other.dispose()
    memo = b.credit(db, controller, inv, [b.by_amount(inv, 1, "5.00")])
    assert b.post(db, controller, memo).status is Status.POSTED  # one line: within the new limit
    inv2 = b.invoice(db, controller, [b.line("1", "10.00"), b.line("1", "20.00")], customer_id=inv.customer_id)
    two_lines = b.credit(db, controller, inv2)
    assert b.post(db, controller, two_lines).status is Status.READY_TO_POST


# Issue 17: accounts and reason codes change through the API, the CLI or the web in any process; the change is
# seen at once by every other process (the company's config_version, bumped in the change's transaction).
def _other(db: Database) -> Database:
    return Database(db.engine.url.render_as_string(hide_password=False))


def _in_other_process(db: Database, fn: Callable[[UnitOfWork], object]) -> None:
    other = _other(db)
    try:
        with other.uow() as uow:
            fn(uow)
    finally:
        other.dispose()


def test_reason_code_deactivated_by_another_process_is_refused_here_at_once(db: Database, controller: Actor) -> None:
    assert _memo_with_reason(db, controller, "goodwill") == "goodwill"  # fills this process's cache
    _in_other_process(db, lambda uow: update_reason_code(uow, _admin(controller), "goodwill", active=False))
    with pytest.raises(ValidationFailedError) as err:
        _memo_with_reason(db, controller, "goodwill")
    assert [(e.field, e.code) for e in err.value.errors] == [("reason_code", "inactive_reason")]
    _in_other_process(db, lambda uow: update_reason_code(uow, _admin(controller), "goodwill", active=True))
    assert _memo_with_reason(db, controller, "goodwill") == "goodwill"


def test_reason_account_remapped_by_another_process_is_what_the_next_post_here_uses(
    db: Database, controller: Actor
) -> None:
    cust = b.customer(db, controller)
    first = b.post(db, controller, b.standalone(db, controller, cust.id, "10.00", reason="goodwill"))
    with db.uow() as uow:
        assert [line.account for line in read.memo_journal(uow, controller, first.id)[0].lines] == ["6100", "1200"]
    _in_other_process(db, lambda uow: update_reason_code(uow, _admin(controller), "goodwill", account="6200"))
    second = b.post(db, controller, b.standalone(db, controller, cust.id, "10.00", reason="goodwill"))
    with db.uow() as uow:
        b.expect_journal(read.memo_journal(uow, controller, second.id)[0], "Dr 6200 10.00 USD\nCr 1200 10.00 USD")


def test_account_deactivated_by_another_process_takes_no_free_line_here(db: Database, controller: Actor) -> None:
    cust = b.customer(db, controller)

    def with_account(account: str) -> Memo:
        with db.uow() as uow:
            return create_standalone_credit_memo(
                uow,
                controller,
                customer_id=cust.id,
                currency="USD",
                reason_code="goodwill",
                lines=[FreeLineInput("Credit", "1", "5.00", account_code=account)],
            )

    _in_other_process(
        db, lambda uow: add_account(uow, _admin(controller), number="6400", name="Concessions", kind="expense")
    )
    assert with_account("6400").lines[0].account_code == "6400"  # the new account is seen here at once
    _in_other_process(db, lambda uow: update_account(uow, _admin(controller), "6400", active=False))
    with pytest.raises(ValidationFailedError) as err:
        with_account("6400")
    assert err.value.errors[0].field == "lines[0].account_code"


def test_a_change_rolled_back_leaves_no_trace_in_the_cache(db: Database, controller: Actor) -> None:
    assert _memo_with_reason(db, controller, "goodwill") == "goodwill"
    uow = db.uow()
    with uow:
        update_reason_code(uow, _admin(controller), "goodwill", active=False)
        assert _reason(uow, controller, "goodwill")["active"] is False  # seen inside its own transaction
        uow.rollback()
    assert _memo_with_reason(db, controller, "goodwill") == "goodwill"
    with db.uow() as uow:
        assert _reason(uow, controller, "goodwill")["active"] is True


def test_each_change_moves_the_version_once_per_transaction(db: Database, controller: Actor) -> None:
    def version() -> int:
        with db.engine.connect() as conn:
            return int(
                conn.execute(
                    select(companies.c.config_version).where(companies.c.id == controller.company_id)
                ).scalar_one()
            )

    start = version()
    with db.uow() as uow:
        update_reason_code(uow, _admin(controller), "goodwill", description="Goodwill gesture")
        update_account(uow, _admin(controller), "6100", name="Goodwill")
    assert version() == start + 1


def _reason(uow: UnitOfWork, actor: Actor, code: str) -> dict[str, object]:
    return next(r for r in uow.companies.reason_codes(actor.company_id) if r["code"] == code)
