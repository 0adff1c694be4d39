"""The demo listing site's pages, rendered from a `DemoMarket` as bytes.

Detail pages embed the listing as schema.org JSON-LD (a `RealEstateListing` whose
`mainEntity` is the home and whose `offers` hold the price) and show the same facts as
HTML. Index pages list 20 listings each, as links and as a JSON-LD `ItemList`, with a
`rel=next` link to the following page. Links are relative, so a page's bytes do not
depend on the host or port the site is served on.
"""

from __future__ import annotations

import json
import math
from html import escape
from typing import Any

from services.scraper.demo_market import MARKET_LABEL, DemoListing, DemoMarket

PAGE_SIZE = 20
DISALLOWED_PATH = "/agents/"

SCHEMA_TYPES = {
    "single_family": (["SingleFamilyResidence"], "Single Family Residence", "single-family home"),
    "condo": (["Apartment"], "Condominium", "condo"),
    "townhouse": (["House"], "Townhouse", "townhouse"),
}


def robots_txt() -> bytes:
    return f"User-agent: *\nDisallow: {DISALLOWED_PATH}\nAllow: /\n".encode()


def index_page_count(market: DemoMarket) -> int:
    return max(1, math.ceil(len(market.listings) / PAGE_SIZE))


def index_path(page: int) -> str:
    return f"/listings?page={page}"


def listing_jsonld(listing: DemoListing) -> dict[str, Any]:
    types, category, _ = SCHEMA_TYPES[listing.property_type]
    return {
        "@context": "https://schema.org",
        "@type": "RealEstateListing",
        "@id": listing.path,
        "url": listing.path,
        "identifier": listing.listing_id,
        "name": headline(listing),
        "description": MARKET_LABEL,
        "datePosted": listing.date_posted,
        "offers": {
            "@type": "Offer",
            "price": listing.price,
            "priceCurrency": "USD",
            "availability": "https://schema.org/InStock",
        },
        "mainEntity": {
            "@type": types,
            "accommodationCategory": category,
            "address": {
                "@type": "PostalAddress",
                "streetAddress": listing.street_address,
                "addressLocality": listing.city,
                "addressRegion": listing.state,
                "postalCode": listing.zip_code,
                "addressCountry": "US",
            },
            "geo": {
                "@type": "GeoCoordinates",
                "latitude": listing.latitude,
                "longitude": listing.longitude,
            },
            "numberOfBedrooms": listing.bedrooms,
            "numberOfBathroomsTotal": listing.bathrooms,
            "floorSize": {
                "@type": "QuantitativeValue",
                "value": listing.sqft_living,
                "unitCode": "FTK",
            },
            "yearBuilt": listing.year_built,
            "additionalProperty": [
                {
                    "@type": "PropertyValue",
                    "propertyID": "lotSize",
                    "name": "Lot size",
                    "value": listing.sqft_lot,
                    "unitCode": "FTK",
                }
            ],
        },
    }


def headline(listing: DemoListing) -> str:
    noun = SCHEMA_TYPES[listing.property_type][2]
    return (
        f"{listing.bedrooms} bd {noun} at {listing.street_address}, "
        f"{listing.city}, {listing.state} {listing.zip_code}"
    )


def listing_page(listing: DemoListing) -> bytes:
    facts = [
        ("Listing id", listing.listing_id),
        ("Price", f"${listing.price:,}"),
        (
            "Address",
            f"{listing.street_address}, {listing.city}, {listing.state} {listing.zip_code}",
        ),
        ("Property type", SCHEMA_TYPES[listing.property_type][1]),
        ("Bedrooms", str(listing.bedrooms)),
        ("Bathrooms", _number(listing.bathrooms)),
        ("Living area", f"{listing.sqft_living:,} sq ft"),
        ("Lot size", f"{listing.sqft_lot:,} sq ft"),
        ("Year built", str(listing.year_built)),
        ("Coordinates", f"{listing.latitude}, {listing.longitude}"),
        ("Listed", listing.date_posted),
    ]
    rows = "\n".join(
        f"      <dt>{escape(name)}</dt><dd>{escape(value)}</dd>" for name, value in facts
    )
    body = (
        f'  <article class="listing" id="{escape(listing.listing_id)}">\n'
        f"    <h1>{escape(headline(listing))}</h1>\n"
        f'    <p class="price">${listing.price:,}</p>\n'
        f'    <dl class="facts">\n{rows}\n    </dl>\n'
        f'    <p><a href="{index_path(1)}">All listings</a></p>\n'
        "  </article>\n"
    )
    return _document(headline(listing), body, [listing_jsonld(listing)], head_links="")


def index_page(market: DemoMarket, page: int) -> bytes | None:
    """Index page `page` (1-based), or None past the last page."""
    pages = index_page_count(market)
    if not 1 <= page <= pages:
        return None
    chunk = market.listings[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    items = "\n".join(
        f'      <li><a class="listing-link" rel="bookmark" href="{escape(listing.path)}">'
        f"{escape(headline(listing))}</a> — ${listing.price:,}</li>"
        for listing in chunk
    )
    item_list = {
        "@context": "https://schema.org",
        "@type": "ItemList",
        "name": f"{MARKET_LABEL}, page {page} of {pages}",
        "numberOfItems": len(market.listings),
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": (page - 1) * PAGE_SIZE + position,
                "url": listing.path,
            }
            for position, listing in enumerate(chunk, start=1)
        ],
    }
    navigation = []
    head_links = []
    if page > 1:
        navigation.append(f'<a rel="prev" href="{index_path(page - 1)}">Previous</a>')
        head_links.append(f'  <link rel="prev" href="{index_path(page - 1)}">\n')
    if page < pages:
        navigation.append(f'<a rel="next" href="{index_path(page + 1)}">Next</a>')
        head_links.append(f'  <link rel="next" href="{index_path(page + 1)}">\n')
    body = (
        f"  <h1>Homes for sale — page {page} of {pages}</h1>\n"
        f'  <ol class="listings">\n{items}\n  </ol>\n'
        f'  <nav class="pagination">{" ".join(navigation)}</nav>\n'
        f'  <p><a href="{DISALLOWED_PATH}login">Agent login</a></p>\n'
    )
    return _document(f"Homes for sale, page {page}", body, [item_list], "".join(head_links))


def site_pages(market: DemoMarket) -> dict[str, bytes]:
    """Every page of the site by its path (index pages with their `?page=` query)."""
    pages = {"/robots.txt": robots_txt()}
    for page in range(1, index_page_count(market) + 1):
        content = index_page(market, page)
        assert content is not None
        pages[index_path(page)] = content
    for listing in market.listings:
        pages[listing.path] = listing_page(listing)
    return pages


def _document(title: str, body: str, jsonld: list[dict[str, Any]], head_links: str) -> bytes:
    scripts = "".join(
        f'  <script type="application/ld+json">{_script_json(data)}</script>\n' for data in jsonld
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n'
        '  <meta charset="utf-8">\n'
        f"  <title>{escape(title)} · {escape(MARKET_LABEL)}</title>\n"
        f"{head_links}{scripts}</head>\n<body>\n"
        f'  <p class="demo-banner">{escape(MARKET_LABEL)}</p>\n'
        f"{body}"
        f"  <footer>{escape(MARKET_LABEL)}. Prices, sizes and locations come from public "
        "King County sales records; addresses and listing ids are made up.</footer>\n"
        "</body>\n</html>\n"
    ).encode()


def _script_json(data: dict[str, Any]) -> str:
    """JSON safe inside a `<script>` element: `</` cannot end it early."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def _number(value: float) -> str:
    return f"{value:g}"
