"""The reader's number conventions (issue 18 item 6): amounts shown as their locale writes them ("22,185.84 USD",
"22.185,84 USD") and number boxes read the same way, from the browser's Accept-Language. Words stay English.
Babel holds the CLDR data; the amounts themselves are exact (minor units) whatever the display."""

from __future__ import annotations

import re
from contextvars import ContextVar
from decimal import Decimal
from functools import lru_cache
from typing import Final

from babel import negotiate_locale
from babel.numbers import NumberPattern, get_decimal_symbol, get_group_symbol, parse_pattern

LOCALES: Final = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL")
DEFAULT: Final = "en_US"
_CANONICAL: Final = {name.lower(): name for name in LOCALES}

# Set for each page request by web.core.WebRoute; anything rendered outside a request uses the default.
current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT)


def negotiate(accept_language: str | None) -> str:
    """The best of LOCALES for an Accept-Language header (q-values honoured), or the default."""
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        if not tag or tag == "*":
            continue
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if q > 0:
            wanted.append((-q, position, tag.replace("-", "_")))
    chosen = negotiate_locale([tag for _, _, tag in sorted(wanted)], LOCALES)
    return _CANONICAL.get((chosen or "").lower(), DEFAULT)


@lru_cache(maxsize=16)
def _pattern(places: int) -> NumberPattern:
    return parse_pattern("#,##0" + ("." + "0" * places if places else ""))


def format_number(value: Decimal, places: int) -> str:
    """``value`` grouped and with ``places`` decimals, in the current locale."""
    return _pattern(places).apply(value, current_locale.get())


@lru_cache(maxsize=len(LOCALES))
def _reader(locale: str) -> tuple[re.Pattern[str], str, str]:
    group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
    groups = {group, "\u00a0", "\u202f", " "} if group.isspace() else {group}  # a space typed for a thin one
    g = "(?:" + "|".join(re.escape(s) for s in sorted(groups)) + ")"
    d = re.escape(decimal)
    well_formed = re.compile(rf"^[+-]?(?:\d{{1,3}}(?:{g}\d{{3}})+|\d+)(?:{d}\d+)?$")
    return well_formed, group, decimal


def read_number(text: str) -> str:
    """A number as typed in the current locale ("1.200,50" in German) as a plain decimal string ("1200.50").
    Only a well-formed number is rewritten; anything else is returned as typed, for the parser to refuse."""
    stripped = text.strip()
    well_formed, group, decimal = _reader(current_locale.get())
    if not well_formed.match(stripped):
        return text
    if group == "." and decimal not in stripped and stripped.count(".") == 1:
        # "1.125" is a plain decimal as much as a grouped thousand: read as typed, the way every number a form
        # fills in itself is written (plain decimals), so a pre-filled 1.125 hours never becomes 1,125.
        return text
    plain = stripped
    for space in ("\u00a0", "\u202f", " ") if group.isspace() else (group,):
        plain = plain.replace(space, "")
    return plain.replace(decimal, ".") if decimal != "." else plain
