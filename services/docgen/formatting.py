"""Figures as a reader of a property packet sees them.

Every formatter takes a value that may be missing (None, NaN, infinite) and returns
`NOT_AVAILABLE` for it, so a packet never prints "None", "nan" or an empty cell.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

NOT_AVAILABLE = "not available"
ACRONYMS = frozenset({"acs", "avm", "dscr", "grm", "hoa", "id", "irr", "mls", "noi", "zip"})
WORD_REPLACEMENTS = {"sqft": "sq ft", "lat": "latitude", "lng": "longitude"}


def is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def money(value: float | None) -> str:
    """`$425,000`; cents only below $100 (`$35.50`)."""
    if value is None or not is_number(value):
        return NOT_AVAILABLE
    sign = "-" if value < 0 else ""
    amount = abs(value)
    return f"{sign}${amount:,.0f}" if amount >= 100 else f"{sign}${amount:,.2f}"


def monthly(value: float | None) -> str:
    text = money(value)
    return text if text == NOT_AVAILABLE else f"{text} / mo"


def percent(value: float | None, decimals: int = 1) -> str:
    """A figure already in percent: `4.035` → `4.0%`."""
    if value is None or not is_number(value):
        return NOT_AVAILABLE
    return f"{value:,.{decimals}f}%"


def share(value: float | None, decimals: int = 1) -> str:
    """A fraction as a percent: `0.25` → `25%`, `0.035` → `3.5%`."""
    if value is None or not is_number(value):
        return NOT_AVAILABLE
    text = f"{100 * value:.{decimals}f}".rstrip("0").rstrip(".")
    return f"{text}%"


def number(value: float | None, decimals: int = 0, unit: str = "") -> str:
    """`1,850`, `2.5`, `13.36`; with `unit`, `1,850 sq ft`."""
    if value is None or not is_number(value):
        return NOT_AVAILABLE
    text = f"{value:,.{decimals}f}"
    if decimals:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {unit}" if unit else text


def ratio(value: float | None) -> str:
    """A multiple such as DSCR: `0.674` → `0.67`."""
    return number(value, 2)


def score(value: float | None) -> str:
    return number(value, 1)


def day(value: date | datetime | None) -> str:
    if value is None:
        return NOT_AVAILABLE
    return f"{value:%b} {value.day}, {value:%Y}"


def text(value: object) -> str:
    """Scraped or free text; blank is not available (escaping is the template's job)."""
    if value is None:
        return NOT_AVAILABLE
    cleaned = " ".join(str(value).split())
    return cleaned or NOT_AVAILABLE


def yes_no(value: bool | None, yes: str = "Yes", no: str = "No") -> str:
    if value is None:
        return NOT_AVAILABLE
    return yes if value else no


def humanize(key: str) -> str:
    """`median_household_income` → `Median household income`, `dscr` → `DSCR`."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key)
    words = [word for word in re.split(r"[_\-\s]+", spaced) if word]
    if not words:
        return NOT_AVAILABLE
    shown = [
        word.upper() if word.lower() in ACRONYMS else WORD_REPLACEMENTS.get(word.lower(), word)
        for word in words
    ]
    shown = [word if word.isupper() else word.lower() for word in shown]
    first = shown[0]
    shown[0] = first if first.isupper() else first[:1].upper() + first[1:]
    return " ".join(shown)


def clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"
