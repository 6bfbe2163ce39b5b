"""Reason code and account rules (issue 17, domain/chart.py)."""

from __future__ import annotations

from creditmemo.domain.chart import (
    DEFAULT_ACCOUNTS,
    DEFAULT_REASON_CODES,
    AccountRole,
    account_uses,
    check_account_number,
    check_reason_account,
    check_reason_code,
)


def test_write_off_maps_to_the_bad_debt_expense_account() -> None:
    write_off = next(r for r in DEFAULT_REASON_CODES if r.code == "write_off")
    account = next(a for a in DEFAULT_ACCOUNTS if a.code == write_off.account_code)
    assert (account.name, account.kind, account.role, write_off.applies_to) == (
        "Bad debt expense",
        "expense",
        AccountRole.BAD_DEBT,
        "credit",
    )


def test_every_default_reason_maps_to_a_default_account() -> None:
    numbers = {a.code for a in DEFAULT_ACCOUNTS}
    assert all(r.account_code in numbers for r in DEFAULT_REASON_CODES)


def test_codes_and_numbers() -> None:
    assert check_reason_code("late_fee_waiver") == []
    assert [e.code for e in check_reason_code("Late Fee")] == ["invalid"]
    assert [e.code for e in check_reason_code("x")] == ["invalid"]
    assert check_account_number("6300") == []
    assert check_account_number("4000.10") == []
    assert [e.field for e in check_account_number("a b")] == ["number"]


def test_a_reason_maps_only_to_an_existing_active_account() -> None:
    assert check_reason_account({"code": "6100", "active": True}, "6100") == []
    assert [e.code for e in check_reason_account({"code": "6100", "active": False}, "6100")] == ["inactive_account"]
    assert [e.code for e in check_reason_account(None, "9999")] == ["unknown_account"]


def test_what_keeps_an_account_active() -> None:
    reasons: list[dict[str, object]] = [
        {"code": "goodwill", "account_code": "6100", "active": False},
        {"code": "x", "account_code": "4900"},
    ]
    assert account_uses("6100", None, reasons) == ["reason code goodwill"]  # an inactive code still maps to it
    assert account_uses("1200", "accounts_receivable", reasons) == ["posting role accounts_receivable"]
    assert account_uses("6400", None, reasons) == []
