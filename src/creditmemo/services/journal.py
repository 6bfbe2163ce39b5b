"""Reading the general journal (entries with their lines), filtered and paged, for ERP pulls."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.ledger import JournalEntry
from creditmemo.domain.money import Money
from creditmemo.domain.parsing import parse_date
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store.uow import UnitOfWork


def list_journal_entries(
    uow: UnitOfWork,
    actor: Actor,
    *,
    source_type: str | None = None,
    source_id: str | None = None,
    kind: str | None = None,
    date_from: object = None,
    date_to: object = None,
    sort: str = "-id",
    starting_after: str | None = None,
    limit: int = 20,
) -> tuple[list[JournalEntry], bool]:
    authorize(actor, Permission.READ)
    filters = {
        "source_type": source_type,
        "source_id": source_id,
        "kind": kind,
        "date_from": None if date_from is None else parse_date(date_from, "date_from"),
        "date_to": None if date_to is None else parse_date(date_to, "date_to"),
    }
    return uow.journal.list(actor.company_id, filters=filters, sort=sort, starting_after=starting_after, limit=limit)


# The GL export (issue 13 item 2) -----------------------------------------------------------------------------
_CURSOR_PREFIX = "seq:"


def encode_cursor(seq: int) -> str:
    """Opaque to clients: a position in the company's export sequence."""
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The position a cursor names; None, "" and "start" are the beginning."""
    if cursor is None or cursor in ("", "start"):
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    digits = text[len(_CURSOR_PREFIX) :] if text.startswith(_CURSOR_PREFIX) else ""
    if not digits.isdigit() or len(digits) > 18:
        raise ValidationFailedError.single("after", "Not a cursor this API gave out.", "invalid_cursor")
    return int(digits)


def journal_feed(
    uow: UnitOfWork,
    actor: Actor,
    *,
    after: str | None,
    limit: int = 100,
    source_type: str | None = None,
    source_id: str | None = None,
    kind: str | None = None,
    date_from: object = None,
    date_to: object = None,
) -> tuple[list[tuple[JournalEntry, int]], str, bool]:
    """Entries in posting order after ``after``, the cursor to pass next time (the same position when there is
    nothing new: poll again with it) and whether more are there already. Entries are numbered by the sealer
    after their commit, in commit order (store/sealer.py), and only numbered ones are handed out, so no entry
    is skipped or repeated even while others post."""
    authorize(actor, Permission.READ)
    position = decode_cursor(after)
    filters = {
        "source_type": source_type,
        "source_id": source_id,
        "kind": kind,
        "date_from": None if date_from is None else parse_date(date_from, "date_from"),
        "date_to": None if date_to is None else parse_date(date_to, "date_to"),
    }
    rows = uow.journal.feed(actor.company_id, after=position, limit=limit + 1, filters=filters)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1][1] if rows else position), more


EXPORT_COLUMNS: Final = (
    "entry_id",
    "sequence",
    "date",
    "kind",
    "source_type",
    "source_id",
    "source_number",
    "description",
    "line_no",
    "account",
    "account_name",
    "debit",
    "credit",
    "currency",
    "exchange_rate",
    "functional_debit",
    "functional_credit",
    "functional_currency",
    "customer_id",
)
SUMMARY_COLUMNS: Final = (
    "account",
    "account_name",
    "currency",
    "debit",
    "credit",
    "functional_debit",
    "functional_credit",
    "functional_currency",
    "lines",
)


def export_journal(uow: UnitOfWork, actor: Actor, *, date_from: object, date_to: object) -> list[dict[str, str]]:
    """One row per journal line of the entries dated in the period (both ends inclusive), for an ERP: entry,
    date, account, debit, credit, currency, functional amounts, the source document's number. Amounts are
    decimal strings in their currency's minor unit ("100.00")."""
    authorize(actor, Permission.READ)
    start = parse_date(date_from, "from")
    end = parse_date(date_to, "to")
    if end < start:
        raise ValidationFailedError.single("to", "The period ends before it starts.", "out_of_range")
    rows = []
    for r in uow.journal.export_lines(actor.company_id, start, end):
        cur, fun = str(r["currency"]), str(r["functional_currency"])
        rows.append(
            {
                "entry_id": str(r["entry_id"]),
                "sequence": "" if r["export_seq"] is None else str(r["export_seq"]),
                "date": str(r["date"]),
                "kind": str(r["kind"]),
                "source_type": str(r["source_type"]),
                "source_id": str(r["source_id"]),
                "source_number": str(r["source_number"] or ""),
                "description": str(r["description"] or ""),
                "line_no": str(r["line_no"]),
                "account": str(r["account_code"]),
                "account_name": str(r["account_name"] or ""),
                "debit": _amount(r["debit_minor"], cur),
                "credit": _amount(r["credit_minor"], cur),
                "currency": cur,
                "exchange_rate": format(r["exchange_rate"], "f"),
                "functional_debit": _amount(r["functional_debit_minor"], fun),
                "functional_credit": _amount(r["functional_credit_minor"], fun),
                "functional_currency": fun,
                "customer_id": str(r["customer_id"] or ""),
            }
        )
    return rows


def summarize(rows: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """The period by account and currency: debits, credits (document and functional) and the line count."""
    totals: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        key = (r["account"], r["currency"])
        t = totals.setdefault(
            key,
            {
                "account_name": r["account_name"],
                "functional_currency": r["functional_currency"],
                "debit": Decimal(0),
                "credit": Decimal(0),
                "functional_debit": Decimal(0),
                "functional_credit": Decimal(0),
                "lines": 0,
            },
        )
        for name in ("debit", "credit", "functional_debit", "functional_credit"):
            t[name] += Decimal(r[name])
        t["lines"] += 1
    return [
        {
            "account": account,
            "account_name": t["account_name"],
            "currency": cur,
            "debit": format(t["debit"], "f"),
            "credit": format(t["credit"], "f"),
            "functional_debit": format(t["functional_debit"], "f"),
            "functional_credit": format(t["functional_credit"], "f"),
            "functional_currency": t["functional_currency"],
            "lines": str(t["lines"]),
        }
        for (account, cur), t in sorted(totals.items())
    ]


def _amount(minor: object, currency: str) -> str:
    return format(Money.from_minor(int(minor), currency).amount, "f")  # type: ignore[call-overload]  # an integer column


def entries_of(uow: UnitOfWork, actor: Actor, source_ids: Sequence[str]) -> list[JournalEntry]:
    """The journal entries booked by each of ``source_ids`` (documents, applications), in that order."""
    authorize(actor, Permission.READ)
    return [entry for source_id in source_ids for entry in uow.journal.for_source(actor.company_id, source_id)]
