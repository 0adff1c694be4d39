"""Reading the numbers listing sites and public-record feeds write: money, counts, areas,
dates. The one place the platform turns text into quantities.

Sites write the same fact in many ways: `450000`, `"450,000"`, `"$450K"`, `"$1.2M"`,
`"1,850 sqft"`, `"0.25 acres"`, `"2.5"` baths, `"3 bd"`, `"2023-05-01"`,
`1682899200000` (epoch milliseconds). Each reader returns a plain number (or a date) or
None when the value says nothing usable; none of them guesses.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import Any

SQFT_PER_ACRE = 43_560.0
SQFT_PER_SQUARE_METRE = 10.763_910_4

# Unit words and codes (UN/CEFACT codes as schema.org uses them) → square feet per unit.
AREA_UNITS: dict[str, float] = {
    "sqft": 1.0,
    "sq ft": 1.0,
    "sq. ft.": 1.0,
    "sq.ft.": 1.0,
    "sf": 1.0,
    "ft2": 1.0,
    "ft²": 1.0,
    "square feet": 1.0,
    "squarefeet": 1.0,
    "ftk": 1.0,
    "sqf": 1.0,
    "acre": SQFT_PER_ACRE,
    "acres": SQFT_PER_ACRE,
    "ac": SQFT_PER_ACRE,
    "acr": SQFT_PER_ACRE,
    "m2": SQFT_PER_SQUARE_METRE,
    "m²": SQFT_PER_SQUARE_METRE,
    "sqm": SQFT_PER_SQUARE_METRE,
    "square meters": SQFT_PER_SQUARE_METRE,
    "square metres": SQFT_PER_SQUARE_METRE,
    "mtk": SQFT_PER_SQUARE_METRE,
}

_NUMBER = re.compile(
    r"(?P<sign>-)?\s*\$?\s*(?P<digits>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<suffix>[kKmMbB](?![a-zA-Z²\d]))?"
)
_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9}
_AREA_UNITS_LONGEST_FIRST = sorted(AREA_UNITS, key=len, reverse=True)
_EPOCH_MS_THRESHOLD = 10**11
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T|$)")


def number(value: Any) -> float | None:
    """A finite number from `1200`, `"1,200"`, `"$450,000"`, `"$1.2M"` or `"3 bd"`;
    None for booleans, empty text, text without a number, NaN and infinity."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    match = _NUMBER.search(value)
    if match is None:
        return None
    amount = float(match.group("digits").replace(",", ""))
    if match.group("suffix"):
        amount *= _SUFFIX[match.group("suffix").lower()]
    return -amount if match.group("sign") else amount


def integer(value: Any) -> int | None:
    """`number` rounded to the nearest whole number."""
    found = number(value)
    return None if found is None else round(found)


def positive(value: Any) -> float | None:
    """A number that is greater than zero; sites write 0 for "unknown" prices and areas."""
    found = number(value)
    return found if found is not None and found > 0 else None


def positive_integer(value: Any) -> int | None:
    found = positive(value)
    return None if found is None else round(found)


def count(value: Any) -> int | None:
    """A count such as bedrooms: a whole number ≥ 0 (0 bedrooms is a studio)."""
    found = number(value)
    if found is None or found < 0:
        return None
    return round(found)


def area_sqft(value: Any, unit: str | None = None) -> float | None:
    """Square feet from a number in `unit` (square feet when none is given), a text with its
    unit (`"0.25 acres"`, `"1,850 sq ft"`, `"120 m²"`) or a schema.org QuantitativeValue
    (`{"value": 1850, "unitCode": "FTK"}`). A unit the platform does not know gives None."""
    if isinstance(value, dict):
        unit = value.get("unitCode") or value.get("unitText") or unit
        value = value.get("value")
    amount = positive(value)
    if amount is None:
        return None
    if unit is None and isinstance(value, str):
        unit = _unit_in(value)
    factor = 1.0 if unit is None else AREA_UNITS.get(_unit_key(unit))
    if factor is None:
        return None
    return round(amount * factor, 2)


def bathrooms_total(
    total: Any = None, full: Any = None, half: Any = None, three_quarter: Any = None
) -> float | None:
    """Bathrooms in the US "2.5" style: the total when a site gives it, otherwise full
    baths plus a half for each half bath (a three-quarter bath counts as full)."""
    given = number(total)
    if given is not None and given >= 0:
        return given
    parts = [count(full), count(half), count(three_quarter)]
    if all(part is None for part in parts):
        return None
    full_count, half_count, three_quarter_count = (part or 0 for part in parts)
    return float(full_count + three_quarter_count) + 0.5 * half_count


def calendar_date(value: Any) -> date | None:
    """A date from ISO text (`2024-05-01`, `2024-05-01T10:00:00Z`), US text (`05/01/2024`),
    compact text (`20240501T000000`), a `date`/`datetime`, or epoch seconds/milliseconds."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float):
        if not math.isfinite(value) or value <= 0:
            return None
        seconds = value / 1000 if value >= _EPOCH_MS_THRESHOLD else value
        try:
            return datetime.fromtimestamp(seconds, UTC).date()
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    for pattern, order in ((_ISO_DATE, (1, 2, 3)), (_COMPACT_DATE, (1, 2, 3))):
        if match := pattern.match(text):
            return _date(*(int(match.group(i)) for i in order))
    if match := _US_DATE.match(text):
        return _date(int(match.group(3)), int(match.group(1)), int(match.group(2)))
    if text.isdigit():
        return calendar_date(int(text))
    return None


def text(value: Any) -> str | None:
    """Stripped text with inner runs of white space collapsed; None when empty."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        return None
    collapsed = " ".join(value.split())
    return collapsed or None


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _unit_in(value: str) -> str | None:
    """The area unit written right after the number in `value`, if it is one we know."""
    match = _NUMBER.search(value)
    if match is None:
        return None
    rest = value[match.end() :].strip().lower()
    for unit in _AREA_UNITS_LONGEST_FIRST:
        if rest.startswith(unit) and not rest[len(unit) : len(unit) + 1].isalpha():
            return unit
    unknown_word = rest.split(" ")[0] if rest[:1].isalpha() else ""
    return unknown_word or None


def _unit_key(unit: str) -> str:
    key = " ".join(unit.strip().lower().split())
    if key in AREA_UNITS:
        return key
    return key.replace(" ", "").rstrip(".")
