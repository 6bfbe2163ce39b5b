"""Approvals end to end on both engines: seed 000's thresholds (manager above 5,000, VP above 25,000),
the creator rule, reject/recall, re-approval after an edit, debit memos, policy changes, bulk post."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

import pytest

from creditmemo.domain.approval import Decision
from creditmemo.domain.errors import (
    ApprovalRequiredError,
    ForbiddenError,
    InvalidTransitionError,
    NotFoundError,
    ValidationFailedError,
)
from creditmemo.domain.inputs import CreditLineInput, FreeLineInput
from creditmemo.domain.lifecycle import Status
from creditmemo.services.actors import Actor, Role
from creditmemo.services.memos.approval import (
    approve_memo,
    list_approvals,
    recall_memo,
    reject_memo,
    submit_memo,
)
from creditmemo.services.memos.bulk import bulk_post
from creditmemo.services.memos.create import create_debit_memo
from creditmemo.services.memos.edit import update_memo
from creditmemo.services.memos.post import post_memo
from creditmemo.services.memos.read import memo_events
from creditmemo.services.settings import (
    get_approval_policy,
    get_background_line_limit,
    update_approval_policy,
    update_background_line_limit,
)
from tests.builders import credit, customer, invoice, line

D = Decimal


@pytest.fixture
def manager(company_id):
    return Actor("usr_manager", company_id, Role.MANAGER, label="manager@test")


@pytest.fixture
def vp(company_id):
    return Actor("usr_vp", company_id, Role.VP, label="vp@test")


@pytest.fixture
def admin(company_id):
    return Actor("usr_admin", company_id, Role.ADMIN, label="admin@test")


@pytest.fixture
def poster(company_id):
    return Actor("usr_controller", company_id, Role.CONTROLLER, label="controller@test")


def memo_of(db, controller, clerk, amount: str, **kw):
    inv = invoice(db, controller, [line("1", amount)], **kw)
    return credit(db, clerk, inv, auto_apply=False)


def run(db, fn, *args, **kw):
    with db.uow() as uow:
        return fn(uow, *args, **kw)


class TestSubmit:
    def test_a_memo_under_every_tier_is_approved_at_submit_and_records_why(self, db, controller, clerk, poster):
        memo = memo_of(db, controller, clerk, "5000.00")
        submitted = run(db, submit_memo, clerk, memo.id)
        assert submitted.status is Status.APPROVED
        [decision] = run(db, list_approvals, clerk, memo.id)
        assert (decision.decision, decision.tier, decision.actor_id) == (Decision.NOT_REQUIRED, None, "usr_clerk")
        assert decision.memo_version == submitted.version
        assert run(db, post_memo, poster, memo.id).status is Status.POSTED

    def test_a_memo_above_5000_waits_for_approval(self, db, controller, clerk):
        memo = memo_of(db, controller, clerk, "5000.01")
        assert run(db, submit_memo, clerk, memo.id).status is Status.PENDING_APPROVAL
        assert run(db, list_approvals, clerk, memo.id) == []

    def test_the_tier_uses_the_total_in_company_currency(self, db, controller, clerk):
        memo = memo_of(db, controller, clerk, "4500.00", currency="EUR", rate="1.25")  # 5,625.00 USD
        assert run(db, submit_memo, clerk, memo.id).status is Status.PENDING_APPROVAL


class TestPostNeedsApproval:
    def test_posting_a_draft_that_needs_approval_is_approval_required(self, db, controller, clerk, poster):
        memo = memo_of(db, controller, clerk, "6000.00")
        with pytest.raises(ApprovalRequiredError) as err:
            run(db, post_memo, poster, memo.id)
        assert err.value.code == "approval_required"
        assert err.value.context == {"tier": "manager", "amount": "6000.00"}

    def test_a_draft_needing_no_approval_posts_directly(self, db, controller, clerk, poster):
        memo = memo_of(db, controller, clerk, "100.00")
        assert run(db, post_memo, poster, memo.id).status is Status.POSTED

    def test_a_pending_memo_cannot_be_posted(self, db, controller, clerk, poster):
        memo = memo_of(db, controller, clerk, "6000.00")
        run(db, submit_memo, clerk, memo.id)
        with pytest.raises(InvalidTransitionError) as err:
            run(db, post_memo, poster, memo.id)
        assert err.value.context["allowed_actions"] == ["approve", "reject", "recall", "discard"]


class TestApprove:
    def test_manager_approves_above_5000_and_the_memo_posts(self, db, controller, clerk, manager, poster):
        memo = memo_of(db, controller, clerk, "6000.00")
        run(db, submit_memo, clerk, memo.id)
        approved = run(db, approve_memo, manager, memo.id, comment="ok, checked the RMA")
        assert approved.status is Status.APPROVED
        [a] = run(db, list_approvals, clerk, memo.id)
        assert (a.decision, a.tier, a.actor_id, a.comment, a.memo_version) == (
            Decision.APPROVED,
            "manager",
            "usr_manager",
            "ok, checked the RMA",
            approved.version,
        )
        assert run(db, post_memo, poster, memo.id).status is Status.POSTED
        with db.uow(readonly=True) as uow:
            [entry] = uow.journal.for_source(controller.company_id, memo.id)
        assert entry.kind == "post"

    def test_manager_may_not_approve_above_25000_but_a_vp_may(self, db, controller, clerk, manager, vp):
        memo = memo_of(db, controller, clerk, "25000.01")
        run(db, submit_memo, clerk, memo.id)
        with pytest.raises(ForbiddenError) as err:
            run(db, approve_memo, manager, memo.id)
        assert err.value.context["reason"] == "approval_limit"
        assert err.value.context["tier"] == "vp"
        assert run(db, approve_memo, vp, memo.id).status is Status.APPROVED

    def test_a_controller_approves_any_amount_by_default(self, db, controller, clerk, poster):
        memo = memo_of(db, controller, clerk, "900000.00")
        run(db, submit_memo, clerk, memo.id)
        assert run(db, approve_memo, poster, memo.id).status is Status.APPROVED

    @pytest.mark.parametrize("role", [Role.CLERK, Role.AUDITOR, Role.ADMIN])
    def test_roles_without_the_approve_permission_are_forbidden(self, db, controller, clerk, role):
        memo = memo_of(db, controller, clerk, "6000.00")
        run(db, submit_memo, clerk, memo.id)
        with pytest.raises(ForbiddenError) as err:
            run(db, approve_memo, Actor("usr_x", clerk.company_id, role), memo.id)
        assert err.value.context["permission"] == "approve_memo"

    def test_the_creator_may_not_approve_their_own_memo(self, db, controller, manager):
        memo = memo_of(db, controller, manager, "6000.00")
        run(db, submit_memo, manager, memo.id)
        with pytest.raises(ForbiddenError) as err:
            run(db, approve_memo, manager, memo.id)
        assert err.value.context["reason"] == "own_memo"
        with db.uow(readonly=True) as uow:
            assert uow.memos.get(controller.company_id, memo.id).status is Status.PENDING_APPROVAL

    def test_approving_twice_is_an_invalid_transition(self, db, controller, clerk, manager, vp):
        memo = memo_of(db, controller, clerk, "6000.00")
        run(db, submit_memo, clerk, memo.id)
        run(db, approve_memo, manager, memo.id)
        with pytest.raises(InvalidTransitionError):
            run(db, approve_memo, vp, memo.id)


class TestRejectAndRecall:
    def test_reject_needs_a_comment(self, db, controller, clerk, manager):
        memo = memo_of(db, controller, clerk, "6000.00")
        run(db, submit_memo, clerk, memo.id)
        for comment in (None, "   "):
            with pytest.raises(ValidationFailedError) as err:
                run(db, reject_memo, manager, memo.id, comment=comment)
            assert (err.value.field, err.value.errors[0].code) == ("comment", "required")

    def test_reject_returns_to_draft_with_the_comment_recorded(self, db, controller, clerk, manager):
        memo = memo_of(db, controller, clerk, "6000.00")
        run(db, submit_memo, clerk, memo.id)
        rejected = run(db, reject_memo, manager, memo.id, comment="wrong quantity")
        assert rejected.status is Status.DRAFT
        [a] = run(db, list_approvals, clerk, memo.id)
        assert (a.decision, a.comment, a.actor_id) == (Decision.REJECTED, "wrong quantity", "usr_manager")
        events = run(db, memo_events, clerk, memo.id)
        assert events[-1].action == "credit_memo.rejected"
        assert events[-1].changes["comment"] == [None, "wrong quantity"]
        assert events[-1].changes["status"] == ["pending_approval", "draft"]

    def test_only_the_creator_may_recall(self, db, controller, clerk, manager):
        memo = memo_of(db, controller, clerk, "6000.00")
        run(db, submit_memo, clerk, memo.id)
        with pytest.raises(ForbiddenError) as err:
            run(db, recall_memo, manager, memo.id)
        assert err.value.context["reason"] == "not_creator"
        assert run(db, recall_memo, clerk, memo.id).status is Status.DRAFT

    def test_an_edit_after_approval_needs_approval_again(self, db, controller, clerk, manager, vp, poster):
        inv = invoice(db, controller, [line("10", "1000.00")])
        memo = credit(db, clerk, inv, [CreditLineInput(inv.lines[0].id, quantity="6")], auto_apply=False)
        run(db, submit_memo, clerk, memo.id)
        run(db, approve_memo, manager, memo.id)
        assert run(db, recall_memo, clerk, memo.id).status is Status.DRAFT
        run(db, update_memo, clerk, memo.id, lines=[CreditLineInput(inv.lines[0].id, quantity="7")])
        with pytest.raises(ApprovalRequiredError):
            run(db, post_memo, poster, memo.id)
        assert run(db, submit_memo, clerk, memo.id).status is Status.PENDING_APPROVAL  # old approval ignored
        approved = run(db, approve_memo, vp, memo.id)
        decisions = run(db, list_approvals, clerk, memo.id)
        assert [(a.decision, a.actor_id) for a in decisions] == [
            (Decision.APPROVED, "usr_manager"),
            (Decision.RECALLED, "usr_clerk"),
            (Decision.APPROVED, "usr_vp"),
        ]
        assert decisions[0].memo_version < decisions[2].memo_version == approved.version
        posted = run(db, post_memo, poster, memo.id)
        assert posted.total.amount == D("7000.00")


class TestDebitMemos:
    def test_debit_memos_follow_the_same_policy(self, db, controller, clerk, manager, poster):
        cus = customer(db, controller)
        with db.uow() as uow:
            dm = create_debit_memo(
                uow,
                clerk,
                customer_id=cus.id,
                currency="USD",
                reason_code="chargeback",
                lines=[FreeLineInput("Charge-back", "1", "7500.00")],
            )
        with pytest.raises(ApprovalRequiredError):
            run(db, post_memo, poster, dm.id)
        assert run(db, submit_memo, clerk, dm.id).status is Status.PENDING_APPROVAL
        run(db, approve_memo, manager, dm.id)
        assert run(db, post_memo, poster, dm.id).status is Status.POSTED
        assert run(db, memo_events, clerk, dm.id)[-2].action == "debit_memo.approved"


class TestPolicySettings:
    NEW: ClassVar[dict[str, Any]] = {
        "tiers": [{"name": "any", "above": "100.00", "min_role": "manager"}],
        "role_limits": {"manager": "1000.00", "vp": None, "controller": None},
    }

    def test_only_an_admin_may_change_the_policy(self, db, controller, clerk, poster):
        for actor in (clerk, poster):
            with pytest.raises(ForbiddenError) as err:
                run(db, update_approval_policy, actor, self.NEW)
            assert err.value.context["permission"] == "manage"

    def test_a_new_policy_applies_to_the_next_submit_and_is_audited(self, db, controller, clerk, admin):
        assert run(db, get_approval_policy, clerk)["tiers"][0]["above"] == "5000.00"
        assert run(db, update_approval_policy, admin, self.NEW) == self.NEW
        assert run(db, get_approval_policy, clerk) == self.NEW
        memo = memo_of(db, controller, clerk, "150.00")
        assert run(db, submit_memo, clerk, memo.id).status is Status.PENDING_APPROVAL
        with db.uow(readonly=True) as uow:
            [event] = [
                e
                for e in uow.audit.for_entity(clerk.company_id, clerk.company_id)
                if e.action == "company.settings_updated"
            ]
        assert event.actor_id == "usr_admin"
        assert event.changes["approval_policy"][1] == self.NEW

    def test_an_invalid_policy_is_refused_and_nothing_changes(self, db, clerk, admin):
        with pytest.raises(ValidationFailedError) as err:
            run(
                db,
                update_approval_policy,
                admin,
                {"tiers": [{"name": "x", "above": "abc", "min_role": "vp"}], "role_limits": {"vp": None}},
            )
        assert err.value.field == "tiers[0].above"
        assert run(db, get_approval_policy, clerk)["tiers"][0]["above"] == "5000.00"

    def test_background_line_limit(self, db, clerk, admin):
        with pytest.raises(ValidationFailedError) as err:
            run(db, update_background_line_limit, admin, 0)
        assert err.value.field == "background_line_limit"
        assert run(db, update_background_line_limit, admin, 2) == 2
        assert run(db, get_background_line_limit, clerk) == 2
        with db.uow(readonly=True) as uow:
            assert uow.companies.get(clerk.company_id).background_line_limit == 2  # cache invalidated


class TestBulkPost:
    def test_queues_every_memo_in_the_order_given(self, db, controller, clerk, poster):
        a = memo_of(db, controller, clerk, "10.00")
        b = memo_of(db, controller, clerk, "20.00")
        queued = run(db, bulk_post, poster, [b.id, a.id])
        assert [(m.id, m.status) for m in queued] == [(b.id, Status.READY_TO_POST), (a.id, Status.READY_TO_POST)]

    def test_one_memo_needing_approval_fails_the_whole_request_naming_it(self, db, controller, clerk, poster):
        a = memo_of(db, controller, clerk, "10.00")
        big = memo_of(db, controller, clerk, "6000.00")
        with pytest.raises(ApprovalRequiredError) as err:
            run(db, bulk_post, poster, [a.id, big.id])
        assert err.value.field == "memo_ids[1]"
        with db.uow(readonly=True) as uow:
            assert uow.memos.get(controller.company_id, a.id).status is Status.DRAFT

    def test_duplicates_and_empty_lists_are_refused(self, db, controller, clerk, poster):
        a = memo_of(db, controller, clerk, "10.00")
        with pytest.raises(ValidationFailedError) as err:
            run(db, bulk_post, poster, [a.id, a.id])
        assert err.value.field == "memo_ids[1]"
        with pytest.raises(ValidationFailedError) as err:
            run(db, bulk_post, poster, [])
        assert err.value.field == "memo_ids"

    def test_a_clerk_may_not_bulk_post(self, db, controller, clerk):
        a = memo_of(db, controller, clerk, "10.00")
        with pytest.raises(ForbiddenError):
            run(db, bulk_post, clerk, [a.id])

    def test_an_unknown_or_foreign_memo_is_not_found_naming_it(self, db, controller, clerk, poster):
        a = memo_of(db, controller, clerk, "10.00")
        with pytest.raises(NotFoundError) as err:
            run(db, bulk_post, poster, [a.id, "cm_not_ours"])
        assert (err.value.code, err.value.field) == ("not_found", "memo_ids[1]")

    def test_approved_memos_are_queued_and_pending_ones_are_not(self, db, controller, clerk, manager, poster):
        approved = memo_of(db, controller, clerk, "6000.00")
        pending = memo_of(db, controller, clerk, "7000.00")
        for m in (approved, pending):
            run(db, submit_memo, clerk, m.id)
        run(db, approve_memo, manager, approved.id)
        assert run(db, bulk_post, poster, [approved.id])[0].status is Status.READY_TO_POST
        with pytest.raises(InvalidTransitionError) as err:
            run(db, bulk_post, poster, [pending.id])
        assert err.value.field == "memo_ids[0]"
