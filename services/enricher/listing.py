"""Reading the facts of a listing out of a scraped payload.

Scrapers store what the page said. Listing sites publish schema.org JSON-LD
(`Residence`/`SingleFamilyResidence`/`Apartment`... with an `Offer`), and feeds publish
flat records; both are read here into `ListingFacts`, the enricher's view of a listing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

PROPERTY_TYPES = {
    "singlefamilyresidence": "single_family",
    "single_family": "single_family",
    "house": "single_family",
    "residence": "single_family",
    "apartment": "condo",
    "condo": "condo",
    "condominium": "condo",
    "townhouse": "townhouse",
    "multi_family": "multi_family",
    "multifamily": "multi_family",
    "land": "land",
}
SQFT_PER_ACRE = 43_560.0
SQFT_PER_SQM = 10.7639

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
    """A number from `1200`, `"1,200"`, `"$450,000"` or `{"value": 1200}`; None otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        return number(value.get("value"))
    if isinstance(value, str):
        match = _NUMBER.search(value)
        if match:
            try:
                return float(match.group(0).replace(",", ""))
            except ValueError:
                return None
    return None


def _integer(value: Any) -> int | None:
    found = number(value)
    return None if found is None else round(found)


def _area_sqft(value: Any) -> float | None:
    """Square feet from a QuantitativeValue in FTK (sq ft), MTK (m²) or ACR (acres)."""
    amount = number(value)
    if amount is None:
        return None
    unit = (
        str(value.get("unitCode") or value.get("unitText") or "").upper()
        if isinstance(value, dict)
        else ""
    )
    if unit in ("MTK", "M2", "SQM"):
        return amount * SQFT_PER_SQM
    if unit in ("ACR", "ACRE", "ACRES"):
        return amount * SQFT_PER_ACRE
    return amount


def _types(node: dict[str, Any]) -> list[str]:
    kind = node.get("@type", [])
    return [kind] if isinstance(kind, str) else [str(k) for k in kind]


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _walk(child)
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child)


def _residence(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON-LD node describing the home, wherever the scraper put it."""
    for node in _walk(payload):
        kinds = {kind.lower() for kind in _types(node)}
        if kinds & set(PROPERTY_TYPES) or ("address" in node and "@type" in node):
            return node
    return None


def _offer(payload: dict[str, Any]) -> dict[str, Any]:
    for node in _walk(payload):
        if "Offer" in _types(node) or ("price" in node and "priceCurrency" in node):
            return node
    return {}


def read_listing(payload: dict[str, Any]) -> ListingFacts:
    """Facts of one listing from a JSON-LD payload, or from a flat record."""
    node = _residence(payload)
    if node is None:
        return _read_flat(payload)
    address = node.get("address") or {}
    if isinstance(address, str):
        address = {"streetAddress": address}
    geo = node.get("geo") or {}
    offer = _offer(payload)
    kinds = [PROPERTY_TYPES[k.lower()] for k in _types(node) if k.lower() in PROPERTY_TYPES]
    bathrooms = node.get("numberOfBathroomsTotal", node.get("numberOfFullBathrooms"))
    price = number(offer.get("price")) or number(payload.get("price"))
    return ListingFacts(
        street=address.get("streetAddress"),
        city=address.get("addressLocality"),
        state=address.get("addressRegion"),
        zip_code=address.get("postalCode"),
        property_type=payload.get("property_type") or (kinds[0] if kinds else None),
        listing_type=payload.get("listing_type"),
        bedrooms=_integer(node.get("numberOfBedrooms", node.get("numberOfRooms"))),
        bathrooms=number(bathrooms),
        sqft=_integer(_area_sqft(node.get("floorSize"))),
        lot_size=_area_sqft(node.get("lotSize") or payload.get("lot_size")),
        year_built=_integer(node.get("yearBuilt")),
        price=price,
        latitude=number(geo.get("latitude")),
        longitude=number(geo.get("longitude")),
    )


def _read_flat(payload: dict[str, Any]) -> ListingFacts:
    return ListingFacts(
        street=payload.get("address") or payload.get("street_address"),
        city=payload.get("city"),
        state=payload.get("state"),
        zip_code=payload.get("zip_code") or payload.get("zip") or payload.get("postal_code"),
        property_type=PROPERTY_TYPES.get(str(payload.get("property_type", "")).lower()),
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
