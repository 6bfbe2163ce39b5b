"""Legal details a customer's document carries for both parties (issue 18 item 5): the legal name, the postal
address and the tax ID of the company and of each customer. Every field is optional (a customer without them
gets a document with its account name only); what is given is validated here, naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Final

from creditmemo.domain.errors import FieldError, ValidationFailedError

# ISO 3166-1 alpha-2: the 249 officially assigned codes (user-assigned and reserved codes such as XK or EU are
# not countries of an address).
_COUNTRY_ROWS: Final = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ",
    "BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ",
    "CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ",
    "DE DJ DK DM DO DZ",
    "EC EE EG EH ER ES ET",
    "FI FJ FK FM FO FR",
    "GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY",
    "HK HM HN HR HT HU",
    "ID IE IL IM IN IO IQ IR IS IT",
    "JE JM JO JP",
    "KE KG KH KI KM KN KP KR KW KY KZ",
    "LA LB LC LI LK LR LS LT LU LV LY",
    "MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ",
    "NA NC NE NF NG NI NL NO NP NR NU NZ",
    "OM",
    "PA PE PF PG PH PK PL PM PN PR PS PT PW PY",
    "QA",
    "RE RO RS RU RW",
    "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ",
    "TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ",
    "UA UG UM US UY UZ",
    "VA VC VE VG VI VN VU",
    "WF WS",
    "YE YT",
    "ZA ZM ZW",
)
COUNTRIES: Final = frozenset(code for row in _COUNTRY_ROWS for code in row.split())

# Field -> longest accepted text (the column widths of migration 0017).
MAX_LENGTHS: Final = {
    "legal_name": 200,
    "address_line1": 200,
    "address_line2": 200,
    "postal_code": 20,
    "city": 100,
    "country": 2,
    "tax_id": 50,
}
FIELDS: Final = tuple(MAX_LENGTHS)


@dataclass(frozen=True, slots=True)
class LegalDetails:
    legal_name: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2, upper case
    tax_id: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def address_lines(self) -> tuple[str, ...]:
        """The street lines and then "postal code city", as printed (the country is shown by name)."""
        town = " ".join(p for p in (self.postal_code, self.city) if p)
        return tuple(p for p in (self.address_line1, self.address_line2, town) if p)


def _clean(name: str, value: object, errors: list[FieldError]) -> str | None:
    if value is None:
        return None
    limit = MAX_LENGTHS[name]
    if not isinstance(value, str):
        errors.append(FieldError(name, "invalid", "Text, or null to clear it."))
        return None
    text = value.strip()
    if any(c in text for c in "\r\n\t") or any(ord(c) < 32 for c in text):
        errors.append(FieldError(name, "invalid", "One line of text, without control characters."))
        return None
    if not text:
        return None  # an empty box clears the field
    if name == "country":
        code = text.upper()
        if code not in COUNTRIES:
            errors.append(FieldError(name, "invalid", "An ISO 3166-1 alpha-2 country code, such as US, DE or JP."))
            return None
        return code
    if len(text) > limit:
        errors.append(FieldError(name, "too_long", f"At most {limit} characters."))
        return None
    return text


def apply_legal_changes(current: LegalDetails, changes: Mapping[str, object]) -> LegalDetails:
    """current with the given fields replaced (None or "" clears one); every invalid field is reported,
    each under its own name, and an unknown field is refused."""
    errors: list[FieldError] = []
    values: dict[str, str | None] = {}
    for name, value in changes.items():
        if name not in MAX_LENGTHS:
            errors.append(FieldError(name, "unknown_field", f"Not a legal detail; one of {', '.join(FIELDS)}."))
            continue
        values[name] = _clean(name, value, errors)
    if errors:
        raise ValidationFailedError(errors)
    return replace(current, **values)


def legal_changes(old: LegalDetails, new: LegalDetails) -> dict[str, list[str | None]]:
    """The audit trail's changes for what differs: field -> [old, new]."""
    before, after = old.as_dict(), new.as_dict()
    return {k: [before[k], after[k]] for k in FIELDS if before[k] != after[k]}
