"""The audit trail: filtered reads, and the hash chain catching a row altered, inserted or removed
behind the application's back (direct SQL), on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, insert, select, update

from creditmemo.domain.audit import AuditEvent, event_hash
from creditmemo.domain.errors import ForbiddenError, ValidationFailedError
from creditmemo.services.actors import Actor, Role
from creditmemo.services.audit_trail import list_events, verify_audit_chain
from creditmemo.services.companies import create_company
from creditmemo.store.tables import audit_events
from tests.builders import credit, invoice, line, post


@pytest.fixture
def auditor(company_id):
    return Actor("usr_auditor", company_id, Role.AUDITOR)


@pytest.fixture
def history(db, controller, clerk):
    """A company with a few events: created, customer, invoice, memo created by the clerk, posted."""
    inv = invoice(db, controller, [line("1", "100.00")])
    memo = credit(db, clerk, inv, auto_apply=False)
    post(db, controller, memo)
    return memo


def verify(db, who):
    with db.uow(readonly=True) as uow:
        return verify_audit_chain(uow, who)


def event_at(db, company_id, seq):
    with db.uow(readonly=True) as uow:
        return (
            uow.conn.execute(
                select(audit_events).where(audit_events.c.company_id == company_id, audit_events.c.seq == seq)
            )
            .mappings()
            .one()
        )


def tamper(db, stmt):
    with db.engine.begin() as conn:
        conn.execute(stmt)


class TestVerify:
    def test_an_untouched_chain_verifies(self, db, auditor, history):
        assert verify(db, auditor) is None
        assert verify(db, auditor.company_id) is None

    def test_an_altered_change_is_caught_at_that_event(self, db, auditor, history):
        target = event_at(db, auditor.company_id, 3)
        tamper(
            db,
            update(audit_events)
            .where(audit_events.c.company_id == auditor.company_id, audit_events.c.seq == 3)
            .values(changes={"total": [None, "1.00"]}),
        )
        found = verify(db, auditor)
        assert (found.seq, found.event_id) == (3, target["id"])
        assert "hash" in found.reason

    def test_an_altered_row_with_a_recomputed_hash_is_caught_at_the_next_event(self, db, auditor, history):
        row = dict(event_at(db, auditor.company_id, 2))
        forged = AuditEvent(
            **{
                **{
                    k: row[k]
                    for k in (
                        "id",
                        "company_id",
                        "occurred_at",
                        "actor_id",
                        "actor_label",
                        "action",
                        "entity_type",
                        "entity_id",
                        "request_id",
                    )
                },
                "changes": {"name": [None, "Someone else"]},
            }
        )
        new_hash = event_hash(forged, 2, row["prev_hash"])
        tamper(
            db,
            update(audit_events)
            .where(audit_events.c.company_id == auditor.company_id, audit_events.c.seq == 2)
            .values(changes={"name": [None, "Someone else"]}, hash=new_hash),
        )
        found = verify(db, auditor)
        assert (found.seq, found.event_id) == (3, event_at(db, auditor.company_id, 3)["id"])
        assert "prev_hash" in found.reason

    def test_a_deleted_row_is_caught_where_the_gap_is(self, db, auditor, history):
        following = event_at(db, auditor.company_id, 3)
        tamper(db, delete(audit_events).where(audit_events.c.company_id == auditor.company_id, audit_events.c.seq == 2))
        found = verify(db, auditor)
        assert (found.seq, found.event_id) == (2, following["id"])

    def test_a_deleted_last_row_is_caught_by_the_head(self, db, auditor, history):
        with db.uow(readonly=True) as uow:
            head_seq, _ = uow.audit.head(auditor.company_id)
        tamper(
            db,
            delete(audit_events).where(audit_events.c.company_id == auditor.company_id, audit_events.c.seq == head_seq),
        )
        found = verify(db, auditor)
        assert found.seq == head_seq
        assert "head" in found.reason

    def test_a_forged_row_appended_with_a_valid_hash_is_caught(self, db, auditor, history):
        with db.uow(readonly=True) as uow:
            head_seq, head_hash = uow.audit.head(auditor.company_id)
        event = AuditEvent(
            id="ev_forged",
            company_id=auditor.company_id,
            occurred_at=datetime(2026, 3, 3, tzinfo=UTC),
            actor_id="usr_manager",
            actor_label=None,
            action="credit_memo.approved",
            entity_type="credit_memo",
            entity_id=history.id,
            changes={"status": ["pending_approval", "approved"]},
        )
        seq = head_seq + 1
        tamper(
            db,
            insert(audit_events).values(
                company_id=auditor.company_id,
                seq=seq,
                id=event.id,
                occurred_at=event.occurred_at,
                actor_id=event.actor_id,
                actor_label=None,
                action=event.action,
                entity_type=event.entity_type,
                entity_id=event.entity_id,
                changes=dict(event.changes),
                request_id=None,
                prev_hash=head_hash,
                hash=event_hash(event, seq, head_hash),
            ),
        )
        found = verify(db, auditor)
        assert (found.seq, found.event_id) == (seq, "ev_forged")

    def test_a_forged_row_inserted_in_place_of_another_is_caught(self, db, auditor, history):
        original = event_at(db, auditor.company_id, 2)
        tamper(db, delete(audit_events).where(audit_events.c.company_id == auditor.company_id, audit_events.c.seq == 2))
        tamper(db, insert(audit_events).values({**dict(original), "id": "ev_forged2", "actor_label": "not who did it"}))
        found = verify(db, auditor)
        assert (found.seq, found.event_id) == (2, "ev_forged2")

    def test_a_break_in_one_company_leaves_another_intact(self, db, auditor, history):
        with db.uow() as uow:
            other = create_company(uow, slug=f"other-{auditor.company_id[-12:].lower()}", name="Other").id
        tamper(
            db,
            update(audit_events)
            .where(audit_events.c.company_id == auditor.company_id, audit_events.c.seq == 1)
            .values(action="company.renamed"),
        )
        assert verify(db, auditor).seq == 1
        assert verify(db, other) is None

    def test_a_clerk_may_not_verify(self, db, clerk, history):
        with pytest.raises(ForbiddenError):
            verify(db, clerk)


class TestListEvents:
    def test_filters_by_entity_actor_and_period_and_pages_by_cursor(self, db, auditor, controller, clerk, history):
        with db.uow(readonly=True) as uow:
            memo_events = list_events(uow, auditor, entity_id=history.id)
            by_clerk = list_events(uow, auditor, actor_id="usr_clerk")
            everything = list_events(uow, auditor, limit=500)
            page1 = list_events(uow, auditor, limit=2)
            page2 = list_events(uow, auditor, limit=2, after=page1[-1].id)
            now = datetime.now(UTC)
            recent = list_events(uow, auditor, start=now - timedelta(hours=1), end=now + timedelta(hours=1))
            future = list_events(uow, auditor, start=now + timedelta(hours=1))
        assert [e.action for e in memo_events] == ["credit_memo.created", "credit_memo.posted"]
        assert {e.entity_id for e in by_clerk} == {history.id}
        assert len(by_clerk) == 1
        assert [e.seq for e in everything] == list(range(1, len(everything) + 1))
        assert [e.seq for e in page1 + page2] == [1, 2, 3, 4]
        assert len(recent) == len(everything)
        assert future == []

    def test_bad_cursor_and_limit_name_their_field(self, db, auditor):
        with db.uow(readonly=True) as uow:
            with pytest.raises(ValidationFailedError) as err:
                list_events(uow, auditor, after="ev_nope")
            assert err.value.field == "after"
            with pytest.raises(ValidationFailedError) as err:
                list_events(uow, auditor, limit=0)
            assert err.value.field == "limit"

    def test_another_companys_events_are_invisible(self, db, auditor, history):
        other = Actor("usr_x", "co_other_company", Role.AUDITOR)
        with db.uow(readonly=True) as uow:
            assert list_events(uow, other, entity_id=history.id) == []
