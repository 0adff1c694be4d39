"""Reading the facts of a listing out of a scraped payload.

The scraper parses each page (schema.org JSON-LD, a site's embedded JSON, a feed) and
stores the facts it found at the top of the payload under the names of
`shared.events.PropertyFacts` (`address`, `city`, `zip_code`, `price`, ...), areas in
square feet; the page's own data rides along untouched. The enricher reads those facts
and nothing else, tolerating what feeds write: numbers as text (`"$450,000"`), a few
alternative names, property types in other spellings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

PROPERTY_TYPES = {
    "single_family": "single_family",
    "singlefamily": "single_family",
    "singlefamilyresidence": "single_family",
    "house": "single_family",
    "condo": "condo",
    "condominium": "condo",
    "apartment": "apartment",
    "townhouse": "townhouse",
    "multi_family": "multi_family",
    "multifamily": "multi_family",
    "manufactured": "manufactured",
    "land": "land",
}

_NUMBER = re.compile(r"-?\d[\d,]*\.?\d*")


@dataclass(frozen=True)
class ListingFacts:
    street: str | None
    city: str | None
    state: str | None
    zip_code: str | None
    property_type: str | None
    listing_type: str | None
    bedrooms: int | None
    bathrooms: float | None
    sqft: int | None
    lot_size: float | None
    year_built: int | None
    price: float | None
    latitude: float | None
    longitude: float | None


def number(value: Any) -> float | None:
    """A number from `1200`, `"1,200"` or `"$450,000"`; None otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and (match := _NUMBER.search(value)):
        try:
            return float(match.group(0).replace(",", ""))
        except ValueError:
            return None
    return None


def _integer(value: Any) -> int | None:
    found = number(value)
    return None if found is None else round(found)


def _property_type(value: Any) -> str | None:
    return PROPERTY_TYPES.get(str(value).lower().replace(" ", "").replace("-", "_"))


def read_listing(payload: dict[str, Any]) -> ListingFacts:
    """The facts of one scraped listing."""
    return ListingFacts(
        street=payload.get("address") or payload.get("street_address"),
        city=payload.get("city"),
        state=payload.get("state"),
        zip_code=payload.get("zip_code") or payload.get("zip") or payload.get("postal_code"),
        property_type=_property_type(payload.get("property_type")),
        listing_type=payload.get("listing_type"),
        bedrooms=_integer(payload.get("bedrooms")),
        bathrooms=number(payload.get("bathrooms")),
        sqft=_integer(payload.get("sqft")),
        lot_size=number(payload.get("lot_size")),
        year_built=_integer(payload.get("year_built")),
        price=number(payload.get("price")),
        latitude=number(payload.get("latitude")),
        longitude=number(payload.get("longitude")),
    )
