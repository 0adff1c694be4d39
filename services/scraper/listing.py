"""A scraped listing on its way to `prospect_queue`: the item spiders yield, the rules that
decide whether it can become a prospect, and the hash that tells a changed listing from
a listing seen before.

The listing itself is the shared `Listing`; `prospect_queue.payload` and
`ProspectNew.listing` hold it as JSON.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from shared.listing import Listing

# What changes without the listing changing (a day more on the market, the address the
# page was fetched from): leaving it out of the hash keeps a listing seen again
# "unchanged".
VOLATILE_FIELDS = frozenset({"days_on_market", "url"})
NO_PRICE_NEEDED = frozenset({"off_market", "other"})


@dataclass(frozen=True)
class ScrapedListing:
    """The item: one listing as a spider parsed it, before validation and storage."""

    listing: Listing

    @property
    def source(self) -> str:
        return self.listing.source

    @property
    def source_id(self) -> str:
        return self.listing.source_id

    @property
    def url(self) -> str | None:
        return self.listing.url

    def payload(self) -> dict[str, Any]:
        """What `prospect_queue.payload` holds: the listing as JSON."""
        return self.listing.model_dump(mode="json")


def content_hash(payload: dict[str, Any]) -> str:
    """sha256 of the listing's lasting facts in canonical JSON: equal content, equal hash."""
    lasting = {name: value for name, value in payload.items() if name not in VOLATILE_FIELDS}
    canonical = json.dumps(lasting, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def validation_problems(listing: Listing) -> list[str]:
    """Why the listing cannot become a prospect; empty when it can. A prospect needs an
    address to key the home by, and a price unless it is an off-market record."""
    problems = []
    if not listing.street:
        problems.append("no street address")
    if (
        listing.price is None
        and listing.sold_price is None
        and listing.status not in NO_PRICE_NEEDED
    ):
        problems.append("no price")
    return problems


def matches_location(listing: Listing, location: str | None) -> bool:
    """True when `location` (a ZIP code, a city, or "City, ST") names the listing's place."""
    if not location or not location.strip():
        return True
    wanted = location.strip().casefold()
    city = (listing.city or "").casefold()
    state = (listing.state or "").casefold()
    return wanted in {(listing.zip_code or "").casefold(), city, f"{city}, {state}"}
