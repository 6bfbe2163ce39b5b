"""The per-Database company config cache (accounts, reason codes) must never hide a change: a reason
code added through this Database is seen at once, one added by another process (another Database over
the same database) is found before an unknown code is rejected."""

from __future__ import annotations

import pytest

from creditmemo.domain.errors import ValidationFailedError
from creditmemo.services.actors import Actor, Role
from creditmemo.services.companies import add_reason_code
from creditmemo.store.uow import Database
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
