"""Errors on forms, never lost: a service names its fields as the API does (``memo``, ``lines[0].amount``);
a form has its own input ids. An error whose field the form has no place for is shown in the form's
general slot instead of being dropped (issue 18: "no silent failures")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

# The service's field name -> the form's input id, where they differ.
FORM_FIELDS: Final = {"memo": "memo_text"}


def on_form(errors: Mapping[str, str], ids: Iterable[str], slot: str = "form") -> dict[str, str]:
    """``errors`` keyed by the form's input ids; those naming no input are joined into ``slot``."""
    known = set(ids) | {slot}
    result: dict[str, str] = {}
    loose: list[str] = []
    for field, message in errors.items():
        key = FORM_FIELDS.get(field, field)
        if key in known and key != slot:
            result.setdefault(key, message)
        else:
            loose.append(f"{finance_words(field)}: {message}" if _PATH.match(field) else message)
    if loose:
        result[slot] = " ".join(dict.fromkeys(loose))
    return result


# Finance words (issue 18 item 6): what users read names lines by number and documents by their numbers,
# never an input path (lines[0].quantity) or an internal id (credit_memo:cm_01…).
_PATH: Final = re.compile(r"\b(lines|allocations|tiers)\[(\d+)\](?:\.(\w+))?")
_SINGULAR: Final = {"lines": "line", "allocations": "allocation", "tiers": "tier"}
# An amount followed by its currency code ("5412.50 USD"), to be grouped for reading ("5,412.50 USD").
_AMOUNT: Final = re.compile(r"(?<![\d.,])(\d{4,})(\.\d+)?(?= [A-Z]{3}\b)")
REF: Final = re.compile(r"^(credit_memo|debit_memo|invoice|payment|refund):([A-Za-z0-9_]{1,60})$")
CHANGE_LABELS: Final = {"auto": "applied automatically", "source": "from", "target": "to"}


def finance_words(text: str) -> str:
    """``lines[0].quantity: Must be positive.`` -> ``line 1, quantity: Must be positive.``; amounts with their
    currency grouped as the pages show them (``5412.50 USD`` -> ``5,412.50 USD``)."""

    def one(m: re.Match[str]) -> str:
        words = f"{_SINGULAR[m.group(1)]} {int(m.group(2)) + 1}"
        return f"{words}, {m.group(3).replace('_', ' ')}" if m.group(3) else words

    return _AMOUNT.sub(lambda m: f"{int(m.group(1)):,}{m.group(2) or ''}", _PATH.sub(one, text))


def referenced_ids(changes: Iterable[Mapping[str, object]]) -> list[str]:
    """The document ids that audit changes refer to as ``type:id`` (to look their numbers up)."""
    found = []
    for change in changes:
        for value in change.values():
            for item in value if isinstance(value, list | tuple) else (value,):
                m = REF.match(item) if isinstance(item, str) else None
                if m:
                    found.append(m.group(2))
    return found


def change_text(value: object, numbers: Mapping[str, str]) -> str:
    """One recorded value as a reader says it: yes/no, a document's number, a list in words."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(change_text(v, numbers) for v in value) or "none"
    text = str(value)
    m = REF.match(text)
    if m:
        return numbers.get(m.group(2), m.group(1).replace("_", " "))
    return finance_words(text.replace("_", " ") if re.fullmatch(r"[a-z]+(_[a-z]+)+", text) else text)


def success_notice(done: str, context: Mapping[str, Any]) -> str | None:
    """What a finished action did, said with the memo's number and amounts ("CM-000012 posted; 5,951.59 USD
    applied to INV-000004"), from the memo page's ``context`` after the change."""
    from creditmemo.presentation.formatting import fmt_money, label

    memo = context["memo"]
    n = memo.number
    numbers: Mapping[str, str] = context.get("numbers", {})
    if done == "created":
        return f"{n} created as a draft of {fmt_money(memo.total)}."
    if done == "post":
        if str(memo.status) == "ready_to_post":
            return f"{n} is queued for posting (a large memo is posted by the background worker)."
        applied = [
            f"{fmt_money(a.amount)} applied to {numbers.get(a.target_id, 'an invoice')}"
            for a in context.get("applications", ())
            if str(a.status) == "active" and a.source_id == memo.id
        ]
        return f"{n} posted" + (f"; {'; '.join(applied)}" if applied else "") + "."
    if done == "reissue" and memo.replaces_id:
        old = numbers.get(memo.replaces_id) or context.get("link_numbers", {}).get(memo.replaces_id, "the memo")
        return f"{old} voided and reissued as {n}, a draft of {fmt_money(memo.total)}: edit it, then post it."
    if done == "void":
        return f"{n} voided: a reversing entry of {fmt_money(memo.total)} dated {memo.void_date}."
    if done == "apply":
        return f"{fmt_money(memo.amount_applied)} of {n} is applied; {fmt_money(memo.amount_available)} available."
    if done == "unapply":
        return f"Application reversed: {n} has {fmt_money(memo.amount_available)} available."
    if done == "refund" and context.get("refunds"):
        last = context["refunds"][-1]
        return f"Refund {last.number} of {fmt_money(last.amount)} recorded against {n}."
    if done == "saved":
        return f"{n} saved: {fmt_money(memo.total)}."
    if done in ("submit", "approve", "reject", "recall", "discard"):
        return f"{n} is now {label(memo.status)}."
    return "Done." if done == "1" else None
