"""Who may do what to a memo now (domain/memo_actions.py), pure: each refusal and its code, and that the
actions listed as allowed are exactly those with no refusal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from creditmemo.domain.approval import ApprovalPolicy, required_tier
from creditmemo.domain.errors import (
    ApprovalRequiredError,
    ForbiddenError,
    InvalidTransitionError,
    MemoSettledError,
)
from creditmemo.domain.lifecycle import TRANSITIONS, USER_ACTIONS, Action, Status
from creditmemo.domain.memo_actions import Asker, Facts, Standing, allowed_now, memo_actions, refusal
from creditmemo.domain.money import Money
from creditmemo.services.companies import DEFAULT_SETTINGS

D = Decimal
POLICY = ApprovalPolicy.from_dict(DEFAULT_SETTINGS["approval_policy"])
ALL = frozenset(USER_ACTIONS)
ZERO = Money.zero("USD")


def facts(status: Status, *, creator: str = "usr_c", applied: str = "0.00", refunded: str = "0.00") -> Facts:
    return Facts("credit", "CM-000001", status, creator, Money(D(applied), "USD"), Money(D(refunded), "USD"))


def standing(amount: str, *, cleared: bool = True) -> Standing:
    return Standing(Money(D(amount), "USD"), required_tier(POLICY, D(amount)), cleared)


CONTROLLER = Asker("usr_x", "controller", ALL)
MANAGER = Asker("usr_m", "manager", frozenset({Action.SUBMIT, Action.APPROVE, Action.REJECT, Action.RECALL}))
CREATOR = Asker("usr_c", "manager", frozenset({Action.SUBMIT, Action.APPROVE, Action.REJECT, Action.RECALL}))


class TestRefusals:
    def test_a_role_without_the_permission_is_forbidden_and_nothing_is_listed(self) -> None:
        reader = Asker("usr_a", "auditor", frozenset())
        error = refusal(Action.POST, facts(Status.DRAFT), reader, POLICY, standing("10.00"))
        assert isinstance(error, ForbiddenError)
        assert allowed_now(facts(Status.DRAFT), reader, POLICY, standing("10.00")) == ()

    @pytest.mark.parametrize("status", list(Status))
    @pytest.mark.parametrize("action", USER_ACTIONS)
    def test_an_action_with_no_edge_is_an_invalid_transition(self, status: Status, action: Action) -> None:
        error = refusal(action, facts(status), CONTROLLER, POLICY, standing("10.00"))
        if (status, action) in TRANSITIONS:
            assert not isinstance(error, InvalidTransitionError)
        else:
            assert isinstance(error, InvalidTransitionError)
            assert error.context["status"] == str(status)
            assert error.context["action"] == str(action)

    def test_the_creator_may_never_approve_their_own_memo(self) -> None:
        error = refusal(Action.APPROVE, facts(Status.PENDING_APPROVAL), CREATOR, POLICY, standing("6000.00"))
        assert isinstance(error, ForbiddenError)
        assert error.context["reason"] == "own_memo"

    def test_over_the_limit_names_role_amount_limit_and_tier(self) -> None:
        error = refusal(Action.REJECT, facts(Status.PENDING_APPROVAL), MANAGER, POLICY, standing("30000.00"))
        assert isinstance(error, ForbiddenError)
        assert error.context == {
            "reason": "approval_limit",
            "role": "manager",
            "amount": "30000.00",
            "limit": "25000.00",
            "tier": "vp",
        }

    def test_only_the_creator_recalls(self) -> None:
        other = refusal(Action.RECALL, facts(Status.PENDING_APPROVAL), MANAGER, POLICY, standing("6000.00"))
        assert isinstance(other, ForbiddenError)
        assert other.context["reason"] == "not_creator"
        assert refusal(Action.RECALL, facts(Status.PENDING_APPROVAL), CREATOR, POLICY, standing("6000.00")) is None

    def test_a_draft_the_policy_sends_to_approval_cannot_be_posted(self) -> None:
        error = refusal(Action.POST, facts(Status.DRAFT), CONTROLLER, POLICY, standing("6000.00"))
        assert isinstance(error, ApprovalRequiredError)
        assert error.context == {"tier": "manager", "amount": "6000.00"}
        assert refusal(Action.POST, facts(Status.DRAFT), CONTROLLER, POLICY, standing("10.00")) is None

    def test_an_approved_memo_changed_since_its_approval_cannot_be_posted(self) -> None:
        stale = refusal(Action.POST, facts(Status.APPROVED), CONTROLLER, POLICY, standing("6000.00", cleared=False))
        assert isinstance(stale, ApprovalRequiredError)
        assert refusal(Action.POST, facts(Status.APPROVED), CONTROLLER, POLICY, standing("6000.00")) is None

    @pytest.mark.parametrize(("applied", "refunded"), [("1.00", "0.00"), ("0.00", "1.00")])
    def test_a_void_needs_the_memo_unapplied_and_unrefunded(self, applied: str, refunded: str) -> None:
        memo = facts(Status.POSTED, applied=applied, refunded=refunded)
        error = refusal(Action.VOID, memo, CONTROLLER, POLICY, standing("10.00"))
        assert isinstance(error, MemoSettledError)
        assert error.context == {"applied": applied, "refunded": refunded}
        assert refusal(Action.VOID, facts(Status.POSTED), CONTROLLER, POLICY, standing("10.00")) is None


class TestAllowedNow:
    def test_a_draft_needing_approval_lists_submit_and_discard_not_post(self) -> None:
        assert allowed_now(facts(Status.DRAFT), CONTROLLER, POLICY, standing("6000.00")) == (
            Action.SUBMIT,
            Action.DISCARD,
        )

    def test_a_small_draft_lists_post(self) -> None:
        assert allowed_now(facts(Status.DRAFT), CONTROLLER, POLICY, standing("10.00")) == (
            Action.SUBMIT,
            Action.POST,
            Action.DISCARD,
        )

    @pytest.mark.parametrize("status", list(Status))
    @pytest.mark.parametrize("asker", [CONTROLLER, MANAGER, CREATOR])
    @pytest.mark.parametrize("amount", ["10.00", "6000.00", "30000.00"])
    def test_allowed_is_exactly_the_actions_with_no_refusal(self, status: Status, asker: Asker, amount: str) -> None:
        memo = facts(status, applied="5.00" if status is Status.POSTED and amount == "10.00" else "0.00")
        refusals = memo_actions(memo, asker, POLICY, standing(amount))
        allowed = allowed_now(memo, asker, POLICY, standing(amount))
        assert set(allowed) == {a for a, why in refusals.items() if why is None}
        assert set(allowed) <= {a for a in USER_ACTIONS if (status, a) in TRANSITIONS}
        assert set(allowed) <= asker.permitted
