"""The approval policy, pure: tiers on the functional total, role limits, who may approve."""

from __future__ import annotations

from decimal import Decimal

import pytest

from creditmemo.domain.approval import (
    Approval,
    ApprovalPolicy,
    Decision,
    functional_total,
    is_cleared,
    may_approve,
    required_tier,
)
from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.money import Money
from creditmemo.services.companies import DEFAULT_SETTINGS

D = Decimal
POLICY = ApprovalPolicy.from_dict(DEFAULT_SETTINGS["approval_policy"])


class TestRequiredTier:
    @pytest.mark.parametrize(
        ("amount", "tier"),
        [
            ("0.00", None),
            ("5000.00", None),
            ("5000.01", "manager"),
            ("25000.00", "manager"),
            ("25000.01", "vp"),
            ("10000000.00", "vp"),
        ],
    )
    def test_default_tiers_apply_strictly_above_their_amount(self, amount, tier):
        found = required_tier(POLICY, D(amount))
        assert (found.name if found else None) == tier

    def test_tiers_are_ordered_whatever_order_they_were_given_in(self):
        policy = ApprovalPolicy.from_dict(
            {
                "tiers": [
                    {"name": "big", "above": "100", "min_role": "vp"},
                    {"name": "small", "above": "10", "min_role": "manager"},
                ],
                "role_limits": {"manager": None, "vp": None},
            }
        )
        assert [t.name for t in policy.tiers] == ["small", "big"]
        tier = required_tier(policy, D("50"))
        assert tier is not None
        assert tier.name == "small"


class TestFunctionalTotal:
    def test_total_times_rate_rounded_half_up_in_company_currency(self):
        assert functional_total(Money(D("4000.00"), "EUR"), D("1.25"), "USD") == Money(D("5000.00"), "USD")
        assert functional_total(Money(D("100"), "JPY"), D("0.006725"), "USD") == Money(D("0.67"), "USD")
        assert functional_total(Money(D("0.01"), "EUR"), D("0.5"), "USD") == Money(D("0.01"), "USD")


class TestMayApprove:
    @pytest.mark.parametrize(
        ("role", "amount", "allowed"),
        [
            ("manager", "5000.01", True),
            ("manager", "25000.00", True),
            ("manager", "25000.01", False),
            ("vp", "25000.01", True),
            ("vp", "9999999.00", True),
            ("controller", "9999999.00", True),
            ("clerk", "5000.01", False),
            ("auditor", "1.00", False),
            ("admin", "1.00", False),
        ],
    )
    def test_default_role_limits(self, role, amount, allowed):
        assert may_approve(POLICY, role, D(amount), required_tier(POLICY, D(amount))) is allowed

    def test_a_role_below_the_tier_minimum_is_refused_even_within_its_limit(self):
        policy = ApprovalPolicy.from_dict(
            {"tiers": [{"name": "vp", "above": "1000", "min_role": "vp"}], "role_limits": {"manager": None, "vp": None}}
        )
        assert not may_approve(policy, "manager", D("2000"), required_tier(policy, D("2000")))
        assert may_approve(policy, "vp", D("2000"), required_tier(policy, D("2000")))


class TestPolicyValidation:
    def test_round_trip(self):
        assert ApprovalPolicy.from_dict(POLICY.to_dict()) == POLICY
        assert POLICY.to_dict() == DEFAULT_SETTINGS["approval_policy"]

    def test_collects_every_problem_with_its_field(self):
        with pytest.raises(ValidationFailedError) as err:
            ApprovalPolicy.from_dict(
                {
                    "tiers": [{"name": "", "above": 5.5, "min_role": "clerk"}],
                    "role_limits": {"clerk": "10", "vp": "-1"},
                    "extra": 1,
                }
            )
        assert {(e.field, e.code) for e in err.value.errors} == {
            ("tiers[0].name", "required"),
            ("tiers[0].min_role", "invalid"),
            ("tiers[0].above", "not_a_decimal_string"),
            ("role_limits.clerk", "invalid"),
            ("role_limits.vp", "out_of_range"),
            ("extra", "unknown_field"),
        }

    def test_a_tier_no_role_can_approve_is_refused(self):
        with pytest.raises(ValidationFailedError) as err:
            ApprovalPolicy.from_dict(
                {
                    "tiers": [{"name": "vp", "above": "25000", "min_role": "vp"}],
                    "role_limits": {"manager": None, "vp": "20000"},
                }
            )
        assert [(e.field, e.code) for e in err.value.errors] == [("tiers[0]", "unreachable")]

    def test_duplicate_tiers_are_refused(self):
        with pytest.raises(ValidationFailedError) as err:
            ApprovalPolicy.from_dict(
                {
                    "tiers": [
                        {"name": "a", "above": "10", "min_role": "vp"},
                        {"name": "a", "above": "10", "min_role": "vp"},
                    ],
                    "role_limits": {"vp": None},
                }
            )
        assert {e.code for e in err.value.errors} == {"duplicate"}

    def test_no_tiers_means_no_approval_ever(self):
        policy = ApprovalPolicy.from_dict({"tiers": [], "role_limits": {}})
        assert required_tier(policy, D("99999999")) is None


class TestCleared:
    def _a(self, version: int, decision: Decision) -> Approval:
        return Approval("apv", "cm", version, decision, None, "usr", None, None)  # type: ignore[arg-type]  # an approval with no comment nor role, on purpose

    def test_only_a_clearing_decision_on_the_current_version_counts(self):
        assert is_cleared([self._a(3, Decision.APPROVED)], 3)
        assert is_cleared([self._a(3, Decision.NOT_REQUIRED)], 3)
        assert not is_cleared([self._a(2, Decision.APPROVED)], 3)
        assert not is_cleared([self._a(3, Decision.REJECTED), self._a(3, Decision.RECALLED)], 3)
        assert not is_cleared([], 1)
