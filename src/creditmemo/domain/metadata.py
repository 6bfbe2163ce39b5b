"""Metadata: a small key-value map the caller keeps on any document (credit and debit memos, invoices,
payments; issue 17). It never changes amounts, so it stays editable in every status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from creditmemo.domain.errors import FieldError, ValidationFailedError

MAX_KEYS: Final = 50
MAX_KEY_LENGTH: Final = 40
MAX_VALUE_LENGTH: Final = 500


def parse_metadata(value: object, field: str = "metadata") -> dict[str, str]:
    """A whole map as sent on create: string keys of 1 to 40 characters, string values of at most 500, at most
    50 keys. Every problem is reported, each naming its key (``metadata.region``)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationFailedError.single(field, "An object of string keys and string values.", "invalid")
    errors = [e for key, item in value.items() for e in _check_pair(key, item, field)]
    if len(value) > MAX_KEYS:
        errors.append(FieldError(field, "too_many_keys", f"At most {MAX_KEYS} keys ({len(value)} given)."))
    if errors:
        raise ValidationFailedError(errors)
    return {str(k): str(v) for k, v in value.items()}


def merge_metadata(current: Mapping[str, str], patch: object, field: str = "metadata") -> dict[str, str]:
    """A JSON merge patch (RFC 7396) on the map: a key set to null is removed, the others are set; the result
    is held to the limits of ``parse_metadata``."""
    if not isinstance(patch, Mapping):
        raise ValidationFailedError.single(field, "An object of string keys and string (or null) values.", "invalid")
    errors = [e for key, item in patch.items() if item is not None for e in _check_pair(key, item, field)]
    errors += [e for key in patch if not isinstance(key, str) or not key for e in _check_key(key, field)]
    merged = dict(current)
    for key, item in patch.items():
        if item is None:
            merged.pop(str(key), None)
        else:
            merged[str(key)] = item
    if len(merged) > MAX_KEYS:
        errors.append(FieldError(field, "too_many_keys", f"At most {MAX_KEYS} keys ({len(merged)} after this change)."))
    if errors:
        raise ValidationFailedError(_unique(errors))
    return merged


def _check_key(key: object, field: str) -> list[FieldError]:
    if not isinstance(key, str) or not key.strip():
        return [FieldError(field, "invalid_key", "Keys are non-empty text.")]
    if len(key) > MAX_KEY_LENGTH:
        return [FieldError(f"{field}.{key}", "key_too_long", f"Keys have at most {MAX_KEY_LENGTH} characters.")]
    return []


def _check_pair(key: object, item: object, field: str) -> list[FieldError]:
    errors = _check_key(key, field)
    if errors:
        return errors
    if not isinstance(item, str):
        return [FieldError(f"{field}.{key}", "invalid", "Values are text.")]
    if len(item) > MAX_VALUE_LENGTH:
        return [FieldError(f"{field}.{key}", "too_long", f"Values have at most {MAX_VALUE_LENGTH} characters.")]
    return []


def _unique(errors: list[FieldError]) -> list[FieldError]:
    seen: set[tuple[str, str]] = set()
    out = []
    for e in errors:
        if (e.field, e.code) not in seen:
            seen.add((e.field, e.code))
            out.append(e)
    return out
