"""Hand-made demo listings, so parser tests need no data files."""

from __future__ import annotations

from services.scraper.demo_market import DemoListing, DemoMarket


def demo_listing(number: int = 123, **changes: object) -> DemoListing:
    values: dict[str, object] = {
        "listing_id": f"DM-{number:06d}",
        "street_address": "4521 Madrona Ave NE",
        "city": "Kirkland",
        "state": "WA",
        "zip_code": "98033",
        "property_type": "single_family",
        "price": 538_000,
        "bedrooms": 3,
        "bathrooms": 2.25,
        "sqft_living": 2570,
        "sqft_lot": 7242,
        "year_built": 1951,
        "latitude": 47.721,
        "longitude": -122.319,
        "date_posted": "2014-12-09",
    }
    values.update(changes)
    return DemoListing(**values)  # type: ignore[arg-type]


def demo_market(count: int) -> DemoMarket:
    listings = tuple(demo_listing(number) for number in range(1, count + 1))
    return DemoMarket(listings=listings)
