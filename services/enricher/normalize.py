"""US address parsing, USPS-style normalisation and the stable property key. Pure: no I/O.

Parsing is `usaddress`'s (a conditional-random-field tagger trained on US addresses): it
tells the house number from the street name, a unit from a street suffix, a PO box or a
rural route from a street address, whatever the source wrote. This module writes the
tagged parts the USPS Publication 28 way: street suffixes abbreviated (Appendix C1),
directionals abbreviated (C2), secondary unit designators abbreviated (C2), upper case,
no punctuation but the `/` of a fractional number and the `-` of a hyphenated one.

The property key identifies one home whatever the source wrote:
`"<street line>|<unit identifier>|<ZIP5, or city,state>"`, the unit without its designator
(`Apt 4`, `Unit 4` and `#4` are one home). An address the tagger cannot read as a street
address, PO box or rural route is kept as its cleaned text, flagged `unparsed`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import usaddress

from shared.listing import STATE_CODE_SET, STATE_CODES

STREET_SUFFIXES = {
    "ALLEY": "ALY", "ALLY": "ALY", "ANNEX": "ANX", "ARCADE": "ARC", "AVENUE": "AVE",
    "AV": "AVE", "AVEN": "AVE", "AVENU": "AVE", "AVN": "AVE", "AVNUE": "AVE", "BAYOU": "BYU",
    "BEACH": "BCH", "BEND": "BND", "BLUFF": "BLF", "BOTTOM": "BTM", "BOULEVARD": "BLVD",
    "BOUL": "BLVD", "BOULV": "BLVD", "BRANCH": "BR", "BRIDGE": "BRG", "BROOK": "BRK",
    "BYPASS": "BYP", "CAMP": "CP", "CANYON": "CYN", "CAPE": "CPE", "CAUSEWAY": "CSWY",
    "CENTER": "CTR", "CENTRE": "CTR", "CIRCLE": "CIR", "CIRC": "CIR", "CIRCL": "CIR",
    "CRCL": "CIR", "CLIFF": "CLF", "CLUB": "CLB", "COMMON": "CMN", "CORNER": "COR",
    "COURSE": "CRSE", "COURT": "CT", "CRT": "CT", "COVE": "CV", "CREEK": "CRK",
    "CRESCENT": "CRES", "CREST": "CRST", "CROSSING": "XING", "CURVE": "CURV", "DALE": "DL",
    "DRIVE": "DR", "DRIV": "DR", "DRV": "DR", "ESTATE": "EST", "ESTATES": "ESTS",
    "EXPRESSWAY": "EXPY", "EXTENSION": "EXT", "FALLS": "FLS", "FERRY": "FRY", "FIELD": "FLD",
    "FIELDS": "FLDS", "FLAT": "FLT", "FORD": "FRD", "FOREST": "FRST", "FORGE": "FRG",
    "FORK": "FRK", "FORT": "FT", "FREEWAY": "FWY", "GARDEN": "GDN", "GARDENS": "GDNS",
    "GATEWAY": "GTWY", "GLEN": "GLN", "GREEN": "GRN", "GROVE": "GRV", "HARBOR": "HBR",
    "HAVEN": "HVN", "HEIGHTS": "HTS", "HIGHWAY": "HWY", "HIWAY": "HWY", "HWAY": "HWY",
    "HILL": "HL", "HILLS": "HLS", "HOLLOW": "HOLW", "INLET": "INLT", "ISLAND": "IS",
    "JUNCTION": "JCT", "KNOLL": "KNL", "LAKE": "LK", "LAKES": "LKS", "LANDING": "LNDG",
    "LANE": "LN", "LIGHT": "LGT", "MANOR": "MNR", "MEADOW": "MDW", "MEADOWS": "MDWS",
    "MILL": "ML", "MISSION": "MSN", "MOUNT": "MT", "MOUNTAIN": "MTN", "ORCHARD": "ORCH",
    "PARKWAY": "PKWY", "PARKWY": "PKWY", "PKWAY": "PKWY", "PKY": "PKWY", "PINES": "PNES",
    "PLACE": "PL", "PLAIN": "PLN", "PLAINS": "PLNS", "PLAZA": "PLZ", "POINT": "PT",
    "PORT": "PRT", "PRAIRIE": "PR", "RANCH": "RNCH", "RIDGE": "RDG", "RIVER": "RIV",
    "ROAD": "RD", "SHORE": "SHR", "SHORES": "SHRS", "SPRING": "SPG", "SPRINGS": "SPGS",
    "SQUARE": "SQ", "STATION": "STA", "STREET": "ST", "STR": "ST", "STRT": "ST",
    "SUMMIT": "SMT", "TERRACE": "TER", "TERR": "TER", "TRACE": "TRCE", "TRAIL": "TRL",
    "TRAILS": "TRL", "TUNNEL": "TUNL", "TURNPIKE": "TPKE", "VALLEY": "VLY", "VIEW": "VW",
    "VILLAGE": "VLG", "VISTA": "VIS", "WELLS": "WLS",
}  # fmt: skip
DIRECTIONALS = {
    "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W", "NORTHEAST": "NE",
    "NORTHWEST": "NW", "SOUTHEAST": "SE", "SOUTHWEST": "SW", "NORTH EAST": "NE",
    "NORTH WEST": "NW", "SOUTH EAST": "SE", "SOUTH WEST": "SW",
}  # fmt: skip
UNIT_DESIGNATORS = {
    "APARTMENT": "APT", "APT": "APT", "BASEMENT": "BSMT", "BUILDING": "BLDG", "BLDG": "BLDG",
    "DEPARTMENT": "DEPT", "FLOOR": "FL", "FL": "FL", "FRONT": "FRNT", "HANGAR": "HNGR",
    "LOBBY": "LBBY", "LOT": "LOT", "LOWER": "LOWR", "OFFICE": "OFC", "PENTHOUSE": "PH",
    "PH": "PH", "REAR": "REAR", "ROOM": "RM", "RM": "RM", "SPACE": "SPC", "SPC": "SPC",
    "SUITE": "STE", "STE": "STE", "TRAILER": "TRLR", "UNIT": "UNIT", "UPPER": "UPPR",
    "#": "#",
}  # fmt: skip
BOX_TYPES = {"PO BOX": "PO BOX", "P O BOX": "PO BOX", "POST OFFICE BOX": "PO BOX", "BOX": "BOX"}
ROUTE_TYPES = {
    "RR": "RR", "RURAL ROUTE": "RR", "RURAL RTE": "RR", "RTE": "RR", "ROUTE": "RR",
    "HC": "HC", "HCR": "HC", "HIGHWAY CONTRACT": "HC", "PSC": "PSC", "CMR": "CMR",
}  # fmt: skip

READINGS_CACHED = 65_536

AddressKind = Literal["street", "po_box", "rural_route", "unparsed"]

_PUNCTUATION = re.compile(r"[^\w#/\s-]")
_SPACES = re.compile(r"\s+")
_ZIP = re.compile(r"^(\d{5})(?:-?\d{4})?$")
_HASH_GLUED = re.compile(r"#\s*")
_LONE_DASHES = re.compile(r"(?<= )-+(?= )")


class AddressError(ValueError):
    """The address cannot be normalised (no street line, or an unusable ZIP)."""


@dataclass(frozen=True)
class StreetLine:
    """A street line as parsed: the USPS line without the unit, the unit, and what it is."""

    street: str
    unit_label: str | None
    unit: str | None
    kind: AddressKind


@dataclass(frozen=True)
class NormalizedAddress:
    street: str
    unit: str | None
    city: str | None
    state: str | None
    zip_code: str | None
    kind: AddressKind = "street"
    unit_label: str | None = None

    @property
    def parsed(self) -> bool:
        return self.kind != "unparsed"

    @property
    def line(self) -> str:
        return _written(StreetLine(self.street, self.unit_label, self.unit, self.kind))

    @property
    def key(self) -> str:
        place = self.zip_code or f"{self.city or ''},{self.state or ''}"
        return f"{self.street}|{self.unit or ''}|{place}"


def clean(text: str) -> str:
    """Upper case, punctuation to spaces (keeping `#`, `/` and `-`), single spaces."""
    cleaned = _PUNCTUATION.sub(" ", text.upper())
    cleaned = _SPACES.sub(" ", _HASH_GLUED.sub("# ", cleaned))
    return _SPACES.sub(" ", _LONE_DASHES.sub("", cleaned)).strip(" -/")


def _tag(text: str) -> dict[str, str] | None:
    try:
        tagged, _ = usaddress.tag(text)
    except usaddress.RepeatedLabelError:
        return None
    return {label: _SPACES.sub(" ", value.strip(" ,")) for label, value in tagged.items()}


def _unit(parts: dict[str, str]) -> tuple[str | None, str | None]:
    """The unit as written the USPS way (`BLDG A APT 3`, `# 4`) and its identifier for the
    key (`A-3`, `4`): the designator says nothing about which home it is."""
    labels, idents = [], []
    for kind_label, ident_label in (
        ("SubaddressType", "SubaddressIdentifier"),
        ("OccupancyType", "OccupancyIdentifier"),
    ):
        ident = parts.get(ident_label, "").replace("#", " ").replace(" ", "")
        if not ident:
            continue
        kind = parts.get(kind_label, "").replace("#", "").strip()
        labels.append(f"{UNIT_DESIGNATORS.get(kind, kind) or '#'} {ident}")
        idents.append(ident)
    if not idents:
        return None, None
    return " ".join(labels), "-".join(idents)


def _street_line(parts: dict[str, str]) -> StreetLine | None:
    if "USPSBoxGroupType" in parts and "USPSBoxGroupID" in parts:
        route = ROUTE_TYPES.get(parts["USPSBoxGroupType"], parts["USPSBoxGroupType"])
        line = f"{route} {parts['USPSBoxGroupID']}"
        if "USPSBoxID" in parts:
            line += f" BOX {parts['USPSBoxID']}"
        return StreetLine(line, None, None, "rural_route")
    if "USPSBoxID" in parts and "StreetName" not in parts:
        box = BOX_TYPES.get(parts.get("USPSBoxType", "PO BOX"), "PO BOX")
        return StreetLine(f"{box} {parts['USPSBoxID']}", None, None, "po_box")
    if "AddressNumber" not in parts or "StreetName" not in parts:
        return None
    words = [
        parts.get("AddressNumberPrefix"),
        parts["AddressNumber"],
        parts.get("AddressNumberSuffix"),
        parts.get("StreetNamePreModifier"),
        _abbreviated(parts.get("StreetNamePreDirectional"), DIRECTIONALS),
        _abbreviated(parts.get("StreetNamePreType"), STREET_SUFFIXES),
        parts["StreetName"],
        _abbreviated(parts.get("StreetNamePostType"), STREET_SUFFIXES),
        _abbreviated(parts.get("StreetNamePostDirectional"), DIRECTIONALS),
    ]
    label, unit = _unit(parts)
    return StreetLine(" ".join(word for word in words if word), label, unit, "street")


def _abbreviated(word: str | None, table: dict[str, str]) -> str | None:
    return table.get(word, word) if word else None


def parse_street(text: str) -> StreetLine:
    """`"123 1/2 north Main Street, Apt. 4"` → `123 1/2 N MAIN ST`, `APT`, `4`.

    A reading is trusted only when the line it writes reads back the same: the tagger is
    statistical, and on text that is hardly an address it may read the USPS line it wrote
    otherwise (a line written the USPS way already is its own read-back). An address read
    no way, or no way twice alike, comes back whole, cleaned, as kind `unparsed`; so
    normalising a normalised line never changes it."""
    cleaned = clean(text)
    if not cleaned:
        raise AddressError("street address is empty")
    line = _read(cleaned)
    if line is None:
        return StreetLine(cleaned, None, None, "unparsed")
    written = _written(line)
    if written != cleaned and _read(written) != line:
        return StreetLine(cleaned, None, None, "unparsed")
    return line


@lru_cache(maxsize=READINGS_CACHED)
def _read(cleaned: str) -> StreetLine | None:
    """The tagger's reading of a cleaned line: the same text always reads the same, so
    each text is tagged once (the same home from several sources, a redelivery, the
    read-back of a line already written the USPS way)."""
    parts = _tag(cleaned)
    return _street_line(parts) if parts else None


def _written(line: StreetLine) -> str:
    return f"{line.street} {line.unit_label}" if line.unit_label else line.street


def normalize_street(text: str) -> tuple[str, str | None]:
    """The USPS street line and the unit identifier of a one-line street address."""
    line = parse_street(text)
    return line.street, line.unit


def normalize_state(text: str | None) -> str | None:
    if not text:
        return None
    value = _SPACES.sub(" ", text.strip().upper().replace(".", ""))
    if value in STATE_CODE_SET:
        return value
    return STATE_CODES.get(value.casefold())


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
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", text)).strip().title() or None


def normalize_address(
    street: str, city: str | None, state: str | None, zip_code: str | int | None
) -> NormalizedAddress:
    line = parse_street(street)
    return NormalizedAddress(
        street=line.street,
        unit=line.unit,
        city=normalize_city(city),
        state=normalize_state(state),
        zip_code=normalize_zip(zip_code),
        kind=line.kind,
        unit_label=line.unit_label,
    )
