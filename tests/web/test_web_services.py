"""The services and queries behind the web UI, on SQLite and PostgreSQL: sessions, printing, saved views,
and the list queries (filters, sort, paging, tenant scope)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from creditmemo.domain.errors import ForbiddenError, NotFoundError, ValidationFailedError
from creditmemo.domain.inputs import FreeLineInput
from creditmemo.ids import new_id
from creditmemo.services.actors import Actor, Role
from creditmemo.services.memos.create import create_standalone_credit_memo
from creditmemo.services.memos.printing import mark_printed
from creditmemo.services.saved_views import delete_view, list_views, save_view
from creditmemo.services.users import actor_for, ensure_company_user
from creditmemo.services.web_sessions import session_for, sign_in, sign_out, token_digest
from creditmemo.store.repositories.overviews import ListQuery, Overviews
from creditmemo.store.tables import audit_events, companies, web_sessions
from creditmemo.store.uow import Database
from tests.builders import DAY, customer, invoice, line, post, standalone

PASSWORD = "a long enough password"


def _user(db: Database, role: str = "clerk", slug: str | None = None) -> Actor:
    with db.uow() as uow:
        user = ensure_company_user(
            uow,
            slug or new_id("w").lower().replace("_", "-")[:40],
            f"{new_id('u').lower()}@web.test",
            role,
            password=PASSWORD,
        )
    return actor_for(user)


class TestWebSessions:
    def test_sign_in_keeps_only_a_hash_and_resolves_the_actor(self, db: Database) -> None:
        actor = _user(db, "manager")
        assert actor.label is not None
        with db.uow() as uow:
            signed = sign_in(uow, email=actor.label.upper(), password=PASSWORD)
        assert signed is not None
        with db.uow(readonly=True) as uow:
            stored = (
                uow.conn.execute(select(web_sessions.c.token_hash).where(web_sessions.c.user_id == actor.user_id))
                .scalars()
                .all()
            )
            session = session_for(uow, signed.token)
            events = (
                uow.conn.execute(select(audit_events.c.action).where(audit_events.c.entity_id == actor.user_id))
                .scalars()
                .all()
            )
        assert stored == [token_digest(signed.token)]
        assert signed.token not in stored
        assert session is not None
        assert session.actor == actor
        assert session.csrf_token == signed.session.csrf_token
        assert "user.signed_in" in events

    def test_wrong_password_or_unknown_user_gets_nothing(self, db: Database) -> None:
        actor = _user(db)
        with db.uow() as uow:
            assert sign_in(uow, email=actor.label, password="not the password") is None
            assert sign_in(uow, email="nobody@web.test", password=PASSWORD) is None
            assert session_for(uow, "x" * 43) is None

    def test_expired_session_is_refused_and_sign_out_ends_it(self, db: Database) -> None:
        actor = _user(db)
        with db.uow() as uow:
            signed = sign_in(uow, email=actor.label, password=PASSWORD)
        assert signed is not None
        later = Database(db.engine, clock=lambda: db.clock() + timedelta(hours=13))
        with later.uow(readonly=True) as uow:
            assert session_for(uow, signed.token) is None
        with db.uow() as uow:
            sign_out(uow, signed.token)
        with db.uow(readonly=True) as uow:
            assert session_for(uow, signed.token) is None


class TestPrinting:
    def test_print_sets_status_once_and_records_every_print(self, db: Database, controller: Actor) -> None:
        memo = post(db, controller, standalone(db, controller, customer(db, controller).id))
        with db.uow() as uow:
            printed = mark_printed(uow, controller, memo.id, fmt="pdf")
        with db.uow() as uow:
            mark_printed(uow, controller, memo.id, fmt="html")
        with db.uow(readonly=True) as uow:
            stored = uow.memos.get(controller.company_id, memo.id)
            events = [e for e in uow.audit.for_entity(controller.company_id, memo.id) if e.action.endswith(".printed")]
        assert printed.print_status == stored.print_status == "printed"
        assert stored.status == "posted"
        assert stored.version == memo.version  # an approval stays valid
        assert [e.changes for e in events] == [
            {"format": [None, "pdf"], "print_status": ["not_printed", "printed"]},
            {"format": [None, "html"]},
        ]

    def test_a_memo_not_final_is_a_preview_and_records_nothing(self, db: Database, controller: Actor) -> None:
        memo = standalone(db, controller, customer(db, controller).id)  # a draft
        with db.uow() as uow:
            previewed = mark_printed(uow, controller, memo.id, fmt="pdf")
        with db.uow(readonly=True) as uow:
            stored = uow.memos.get(controller.company_id, memo.id)
            events = [e for e in uow.audit.for_entity(controller.company_id, memo.id) if e.action.endswith(".printed")]
        assert (previewed.print_status, stored.print_status, events) == ("not_printed", "not_printed", [])
        assert stored.version == memo.version

    def test_auditor_may_not_and_other_company_cannot_see(self, db: Database, controller: Actor) -> None:
        memo = standalone(db, controller, customer(db, controller).id)
        auditor = Actor("usr_a", controller.company_id, Role.AUDITOR)
        with db.uow() as uow, pytest.raises(ForbiddenError) as err:
            mark_printed(uow, auditor, memo.id, fmt="pdf")
        assert err.value.code == "forbidden"
        other = _user(db, "controller")
        with db.uow() as uow, pytest.raises(NotFoundError) as nf:
            mark_printed(uow, other, memo.id, fmt="pdf")
        assert nf.value.code == "not_found"
        with db.uow() as uow, pytest.raises(ValidationFailedError) as bad:
            mark_printed(uow, controller, memo.id, fmt="docx")
        assert bad.value.field == "format"


class TestSavedViews:
    def test_views_belong_to_their_user_and_drop_the_page_number(self, db: Database) -> None:
        me = _user(db)
        with db.uow() as uow:
            slug = uow.conn.execute(select(companies.c.slug).where(companies.c.id == me.company_id)).scalar_one()
            colleague = actor_for(ensure_company_user(uow, slug, f"{new_id('u').lower()}@web.test", "clerk"))
            view = save_view(uow, me, page="credit_memos", name=" Posted ", query="status=posted&page=3&sort=total&q=")
        assert (view.name, view.query) == ("Posted", "status=posted&sort=total")
        with db.uow(readonly=True) as uow:
            assert [v.id for v in list_views(uow, me, "credit_memos")] == [view.id]
            assert list_views(uow, colleague, "credit_memos") == []
        with db.uow() as uow, pytest.raises(NotFoundError):
            delete_view(uow, colleague, view.id)
        with db.uow() as uow:
            delete_view(uow, me, view.id)
        with db.uow() as uow, pytest.raises(ValidationFailedError) as err:
            save_view(uow, me, page="ledger", name="", query="")
        assert {e.field for e in err.value.errors} == {"page", "name"}


class TestListQueries:
    def test_amount_filter_sort_search_and_paging(self, db: Database, controller: Actor) -> None:
        usd = customer(db, controller, "USD", name="Usd Co")
        jpy = customer(db, controller, "JPY", name="Yen KK")
        for price in ("10.00", "250.00", "99.99"):
            standalone(db, controller, usd.id, price=price)
        with db.uow() as uow:
            create_standalone_credit_memo(
                uow,
                controller,
                customer_id=jpy.id,
                currency="JPY",
                reason_code="goodwill",
                exchange_rate="0.0067",
                lines=[FreeLineInput("Credit", "1", "5000")],
            )
        with db.uow(readonly=True) as uow:
            q = Overviews(uow.conn)
            cid = controller.company_id
            by_amount = q.memos(cid, "credit", ListQuery(amount_min=Decimal("99.99"), sort="total", descending=False))
            assert [(r["total_minor"], r["currency"]) for r in by_amount.rows] == [
                (9999, "USD"),
                (25000, "USD"),
                (5000, "JPY"),
            ]
            upto = q.memos(cid, "credit", ListQuery(amount_max=Decimal("100"), sort="total", descending=False))
            assert [r["total_minor"] for r in upto.rows] == [1000, 9999]
            paged = q.memos(cid, "credit", ListQuery(page=2, page_size=3, sort="number", descending=False))
            assert (paged.total, paged.pages, [r["number"] for r in paged.rows]) == (4, 2, ["CM-000004"])
            assert [r["number"] for r in q.memos(cid, "credit", ListQuery(q="m-000002")).rows] == ["CM-000002"]
            assert q.memos(cid, "credit", ListQuery(customer_id=jpy.id)).total == 1
            assert q.memos(cid, "credit", ListQuery(sort="nonsense")).sort == "number"
            other = _user(db, "auditor")
            assert q.memos(other.company_id, "credit", ListQuery()).total == 0
            assert q.customers(other.company_id, ListQuery()).total == 0
            assert [r["name"] for r in q.customers(cid, ListQuery(q="yen")).rows] == ["Yen KK"]

    def test_open_targets_oldest_first(self, db: Database, controller: Actor) -> None:
        cus = customer(db, controller)
        newer = invoice(db, controller, [line(price="50.00")], customer_id=cus.id, issued=DAY)
        older = invoice(db, controller, [line(price="70.00")], customer_id=cus.id, issued=DAY - timedelta(days=30))
        with db.uow(readonly=True) as uow:
            rows = Overviews(uow.conn).open_targets(controller.company_id, cus.id, "USD")
        assert [(r["number"], r["due_minor"]) for r in rows] == [(older.number, 7000), (newer.number, 5000)]
