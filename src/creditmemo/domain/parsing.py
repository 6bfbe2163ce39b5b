"""Parsing what users send into domain values, naming the field on failure (one place for each kind)."""

from __future__ import annotations

from datetime import date

from creditmemo.domain.errors import ValidationFailedError


def parse_date(value: object, field: str) -> date:
    """A date, or its ISO form YYYY-MM-DD."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationFailedError.single(field, f"{value!r} is not a date (YYYY-MM-DD).", "invalid_date")
