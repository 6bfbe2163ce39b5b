"""Legal details (domain/legal.py): what is accepted, what is refused and under which field."""

from __future__ import annotations

import pytest

from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.legal import COUNTRIES, LegalDetails, apply_legal_changes, legal_changes


def test_the_country_table_is_iso_3166_alpha_2() -> None:
    assert len(COUNTRIES) == 249
    assert {"US", "DE", "JP", "GB", "AX", "SS", "BQ"} <= COUNTRIES
    assert not {"XK", "EU", "UK", "ZZ", "AC"} & COUNTRIES


def test_changes_are_trimmed_upper_cased_and_cleared() -> None:
    start = LegalDetails(city="Berlin", tax_id="DE1")
    got = apply_legal_changes(start, {"country": " de ", "legal_name": "  Globex GmbH ", "tax_id": "", "city": None})
    assert got == LegalDetails(legal_name="Globex GmbH", country="DE")
    assert got.address_lines == ()
    assert LegalDetails(address_line1="1 Main St", postal_code="10117", city="Berlin").address_lines == (
        "1 Main St",
        "10117 Berlin",
    )
    assert legal_changes(start, got) == {
        "legal_name": [None, "Globex GmbH"],
        "city": ["Berlin", None],
        "country": [None, "DE"],
        "tax_id": ["DE1", None],
    }


def test_every_bad_field_is_named() -> None:
    with pytest.raises(ValidationFailedError) as err:
        apply_legal_changes(
            LegalDetails(),
            {"country": "Germany", "postal_code": "9" * 21, "city": "a\nb", "tax_id": 5, "street": "x"},
        )
    assert {(e.field, e.code) for e in err.value.errors} == {
        ("country", "invalid"),
        ("postal_code", "too_long"),
        ("city", "invalid"),
        ("tax_id", "invalid"),
        ("street", "unknown_field"),
    }
