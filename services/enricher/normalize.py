"""USPS-style address normalisation and the stable property key.

Abbreviations follow USPS Publication 28 (Postal Addressing Standards): street suffixes
(Appendix C1), directionals and secondary unit designators (Appendix C2). The property
key identifies one home whatever the source wrote: `"<street line>|<unit>|<zip5>"`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STREET_SUFFIXES = {
    "ALLEY": "ALY",
    "AVENUE": "AVE",
    "AV": "AVE",
    "BOULEVARD": "BLVD",
    "CIRCLE": "CIR",
    "COURT": "CT",
    "COVE": "CV",
    "CRESCENT": "CRES",
    "DRIVE": "DR",
    "EXPRESSWAY": "EXPY",
    "FREEWAY": "FWY",
    "HIGHWAY": "HWY",
    "LANE": "LN",
    "LOOP": "LOOP",
    "PARKWAY": "PKWY",
    "PLACE": "PL",
    "PLAZA": "PLZ",
    "POINT": "PT",
    "ROAD": "RD",
    "SQUARE": "SQ",
    "STREET": "ST",
    "STR": "ST",
    "TERRACE": "TER",
    "TRAIL": "TRL",
    "WAY": "WAY",
}
DIRECTIONALS = {
    "NORTH": "N",
    "SOUTH": "S",
    "EAST": "E",
    "WEST": "W",
    "NORTHEAST": "NE",
    "NORTHWEST": "NW",
    "SOUTHEAST": "SE",
    "SOUTHWEST": "SW",
}
UNIT_DESIGNATORS = {
    "APARTMENT": "APT",
    "APT": "APT",
    "UNIT": "UNIT",
    "SUITE": "STE",
    "STE": "STE",
    "BUILDING": "BLDG",
    "BLDG": "BLDG",
    "FLOOR": "FL",
    "FL": "FL",
    "ROOM": "RM",
    "RM": "RM",
    "#": "#",
}
STATES = {
    "ALABAMA": "AL",
    "ALASKA": "AK",
    "ARIZONA": "AZ",
    "ARKANSAS": "AR",
    "CALIFORNIA": "CA",
    "COLORADO": "CO",
    "CONNECTICUT": "CT",
    "DELAWARE": "DE",
    "DISTRICT OF COLUMBIA": "DC",
    "FLORIDA": "FL",
    "GEORGIA": "GA",
    "HAWAII": "HI",
    "IDAHO": "ID",
    "ILLINOIS": "IL",
    "INDIANA": "IN",
    "IOWA": "IA",
    "KANSAS": "KS",
    "KENTUCKY": "KY",
    "LOUISIANA": "LA",
    "MAINE": "ME",
    "MARYLAND": "MD",
    "MASSACHUSETTS": "MA",
    "MICHIGAN": "MI",
    "MINNESOTA": "MN",
    "MISSISSIPPI": "MS",
    "MISSOURI": "MO",
    "MONTANA": "MT",
    "NEBRASKA": "NE",
    "NEVADA": "NV",
    "NEW HAMPSHIRE": "NH",
    "NEW JERSEY": "NJ",
    "NEW MEXICO": "NM",
    "NEW YORK": "NY",
    "NORTH CAROLINA": "NC",
    "NORTH DAKOTA": "ND",
    "OHIO": "OH",
    "OKLAHOMA": "OK",
    "OREGON": "OR",
    "PENNSYLVANIA": "PA",
    "PUERTO RICO": "PR",
    "RHODE ISLAND": "RI",
    "SOUTH CAROLINA": "SC",
    "SOUTH DAKOTA": "SD",
    "TENNESSEE": "TN",
    "TEXAS": "TX",
    "UTAH": "UT",
    "VERMONT": "VT",
    "VIRGINIA": "VA",
    "WASHINGTON": "WA",
    "WEST VIRGINIA": "WV",
    "WISCONSIN": "WI",
    "WYOMING": "WY",
}
STATE_CODES = frozenset(STATES.values())

_PUNCTUATION = re.compile(r"[^\w#\s-]")
_SPACES = re.compile(r"\s+")
_ZIP = re.compile(r"^(\d{5})(?:-?\d{4})?$")
_UNIT_GLUED = re.compile(r"#(\w)")


class AddressError(ValueError):
    """The address cannot be normalised (no street line, or an unusable ZIP)."""


@dataclass(frozen=True)
class NormalizedAddress:
    street: str
    unit: str | None
    city: str | None
    state: str | None
    zip_code: str | None

    @property
    def line(self) -> str:
        return f"{self.street} {self.unit_label}".strip() if self.unit else self.street

    @property
    def unit_label(self) -> str:
        return f"# {self.unit}" if self.unit else ""

    @property
    def key(self) -> str:
        place = self.zip_code or f"{self.city or ''},{self.state or ''}"
        return f"{self.street}|{self.unit or ''}|{place}"


def _tokens(text: str) -> list[str]:
    cleaned = _PUNCTUATION.sub(" ", text.upper())
    cleaned = _UNIT_GLUED.sub(r"# \1", cleaned)
    return _SPACES.sub(" ", cleaned).strip().split(" ") if cleaned.strip() else []


def normalize_street(text: str) -> tuple[str, str | None]:
    """`"123 north Main Street, Apt. 4"` → `("123 N MAIN ST", "4")`."""
    tokens = _tokens(text)
    if not tokens:
        raise AddressError("street address is empty")
    unit: str | None = None
    for index, token in enumerate(tokens):
        if token in UNIT_DESIGNATORS and index > 0 and index + 1 < len(tokens):
            unit = " ".join(tokens[index + 1 :])
            tokens = tokens[:index]
            break
    last = len(tokens) - 1
    suffix_at = last - 1 if last >= 2 and tokens[last] in DIRECTIONALS else last
    street = []
    for index, token in enumerate(tokens):
        if index == suffix_at and index > 0 and token in STREET_SUFFIXES:
            street.append(STREET_SUFFIXES[token])
        elif index in (1, last) and token in DIRECTIONALS:
            street.append(DIRECTIONALS[token])
        else:
            street.append(token)
    return " ".join(street), unit


def normalize_state(text: str | None) -> str | None:
    if not text:
        return None
    value = _SPACES.sub(" ", text.strip().upper().replace(".", ""))
    if value in STATE_CODES:
        return value
    return STATES.get(value)


def normalize_zip(text: str | int | None) -> str | None:
    if text is None or text == "":
        return None
    value = str(text).strip()
    if value.isdigit() and len(value) < 5:
        value = value.zfill(5)
    match = _ZIP.match(value)
    if not match:
        raise AddressError(f"ZIP code {text!r} is not a 5-digit or ZIP+4 code")
    return match.group(1)


def normalize_city(text: str | None) -> str | None:
    if not text or not text.strip():
        return None
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", text)).strip().title()


def normalize_address(
    street: str, city: str | None, state: str | None, zip_code: str | int | None
) -> NormalizedAddress:
    line, unit = normalize_street(street)
    return NormalizedAddress(
        street=line,
        unit=unit,
        city=normalize_city(city),
        state=normalize_state(state),
        zip_code=normalize_zip(zip_code),
    )
