"""Errors on forms, never lost: a service names its fields as the API does (``memo``, ``lines[0].amount``);
a form has its own input ids. An error whose field the form has no place for is shown in the form's
general slot instead of being dropped (issue 18: "no silent failures")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

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
            loose.append(message)
    if loose:
        result[slot] = " ".join(dict.fromkeys(loose))
    return result
