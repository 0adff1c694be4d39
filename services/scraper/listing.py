"""A scraped listing: the item spiders yield, its validation and its stored payload.

The payload is flat: the parsed facts under the field names of
`shared.events.PropertyFacts` (plus the source's listing id, currency and posting
date), the request's `listing_type`, and under `jsonld` what the page itself said (its
JSON-LD blocks), for provenance and for re-parsing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ListingFacts:
    listing_id: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    property_type: str | None = None
    bedrooms: int | None = None
    bathrooms: float | None = None
    sqft: int | None = None
    lot_size: float | None = None
    year_built: int | None = None
    price: float | None = None
    currency: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    date_posted: str | None = None


@dataclass
class ScrapedListing:
    """The item: one listing page as a spider parsed it, before validation and storage."""

    source: str
    source_id: str
    url: str
    listing_type: str
    facts: ListingFacts
    jsonld: list[Any] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        """What `prospect_queue.payload` and `ProspectNew.payload` carry."""
        return {**asdict(self.facts), "listing_type": self.listing_type, "jsonld": self.jsonld}


def content_hash(payload: dict[str, Any]) -> str:
    """sha256 of the payload in canonical JSON: equal content, equal hash."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def validation_problems(item: ScrapedListing) -> list[str]:
    """Why the item cannot become a prospect; empty when it can."""
    facts = item.facts
    problems = []
    if not item.source_id:
        problems.append("no listing id")
    if not facts.address:
        problems.append("no street address")
    if facts.price is None:
        problems.append("no price")
    elif facts.price <= 0:
        problems.append(f"price {facts.price} is not positive")
    return problems


def matches_location(facts: ListingFacts, location: str | None) -> bool:
    """True when `location` (a ZIP code, a city, or "City, ST") names the listing's place."""
    if not location or not location.strip():
        return True
    wanted = location.strip().casefold()
    city = (facts.city or "").casefold()
    state = (facts.state or "").casefold()
    return wanted in {(facts.zip_code or "").casefold(), city, f"{city}, {state}"}
