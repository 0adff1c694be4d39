"""The JSON-LD listing parser, on pages rendered by the demo site and on other sites' shapes."""

from __future__ import annotations

import json
from datetime import date

import pytest

from services.scraper.demo_pages import index_page, listing_page
from services.scraper.parsers import jsonld
from shared.listing import Listing
from tests.unit.scraper.samples import demo_listing, demo_market

BASE = "http://127.0.0.1:9180"


def parse_listing(html: str, url: str) -> Listing | None:
    page = jsonld.parse(html, url, source="demo")
    assert page.failures == []
    return page.listings[0] if page.listings else None


def page_links(html: str, url: str) -> jsonld.ParsedPage:
    return jsonld.parse(html, url, source="demo")


def page_with(*blocks: object, extra: str = "") -> str:
    scripts = "".join(
        f'<script type="application/ld+json">{json.dumps(block)}</script>' for block in blocks
    )
    return f"<html><head>{scripts}{extra}</head><body><p>listing</p></body></html>"


def test_demo_detail_page_yields_every_fact_it_shows() -> None:
    listing = demo_listing(7)
    html = listing_page(listing).decode()

    parsed = parse_listing(html, f"{BASE}/listing/DM-000007")

    assert parsed is not None
    assert parsed == Listing(
        source="demo",
        source_id="DM-000007",
        url=f"{BASE}/listing/DM-000007",
        status="for_sale",
        street="4521 Madrona Ave NE",
        city="Kirkland",
        state="WA",
        zip_code="98033",
        property_type="single_family",
        bedrooms=3,
        bathrooms=2.25,
        sqft=2570,
        lot_sqft=7242.0,
        year_built=1951,
        price=538_000.0,
        latitude=47.721,
        longitude=-122.319,
        list_date=date(2014, 12, 9),
        description=parsed.description,
    )


@pytest.mark.parametrize(
    ("property_type", "unit"),
    [("condo", "Unit 12D"), ("townhouse", "Unit 3"), ("single_family", "")],
)
def test_demo_property_types_survive_the_round_trip(property_type: str, unit: str) -> None:
    listing = demo_listing(property_type=property_type, street_address=f"10 Elm St {unit}".strip())

    parsed = parse_listing(listing_page(listing).decode(), BASE + listing.path)

    assert parsed is not None
    assert parsed.property_type == property_type
    assert parsed.street == listing.street_address


def test_demo_index_page_links_its_twenty_listings_and_the_next_page() -> None:
    market = demo_market(45)
    html = index_page(market, 2)
    assert html is not None

    links = page_links(html.decode(), f"{BASE}/listings?page=2")

    assert links.detail_urls == [f"{BASE}/listing/DM-{n:06d}" for n in range(21, 41)]
    assert links.next_pages == [f"{BASE}/listings?page=3"]


def test_last_index_page_has_no_next_page() -> None:
    market = demo_market(45)
    html = index_page(market, 3)
    assert html is not None

    links = page_links(html.decode(), f"{BASE}/listings?page=3")

    assert len(links.detail_urls) == 5
    assert links.next_pages == []


def test_index_page_is_not_a_listing() -> None:
    html = index_page(demo_market(3), 1)
    assert html is not None
    assert parse_listing(html.decode(), f"{BASE}/listings") is None


def test_flat_residence_that_is_also_a_product_with_its_own_offer() -> None:
    home = {
        "@context": "http://schema.org",
        "@type": ["SingleFamilyResidence", "Product"],
        "sku": "Z-99",
        "address": {
            "@type": "PostalAddress",
            "streetAddress": "1 Pine St",
            "addressLocality": "Seattle",
            "addressRegion": "WA",
            "postalCode": "98101",
        },
        "numberOfRooms": 7,
        "numberOfFullBathrooms": 2,
        "numberOfPartialBathrooms": 1,
        "floorSize": {"@type": "QuantitativeValue", "value": "1,234", "unitText": "sqft"},
        "lotSize": {"@type": "QuantitativeValue", "value": 0.25, "unitCode": "ACR"},
        "offers": {"@type": "Offer", "price": "$1,250,000", "priceCurrency": "USD"},
    }

    parsed = parse_listing(page_with(home), "https://example.test/homes/1-pine")

    assert parsed is not None
    facts = parsed
    assert (facts.source_id, facts.street, facts.price) == ("Z-99", "1 Pine St", 1_250_000.0)
    assert facts.bedrooms is None, "numberOfRooms is not a bedroom count"
    assert facts.bathrooms == 2.5
    assert facts.sqft == 1234
    assert facts.lot_sqft == 10890.0
    assert facts.property_type == "single_family"


def test_graph_with_separate_offer_and_metric_floor_size() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "name": "Flat for sale"},
            {
                "@type": "Apartment",
                "@id": "#home",
                "identifier": {"@type": "PropertyValue", "value": "A-17"},
                "address": "77 Harbor Way, Seattle, WA 98121",
                "floorSize": {"@type": "QuantitativeValue", "value": 100, "unitCode": "MTK"},
                "geo": {"@type": "GeoCoordinates", "latitude": "47.61", "longitude": "-122.35"},
            },
            {
                "@type": "Offer",
                "itemOffered": {"@id": "#home"},
                "priceSpecification": {"price": 650000, "priceCurrency": "USD"},
            },
        ],
    }

    parsed = parse_listing(page_with(graph), "https://example.test/a-17")

    assert parsed is not None
    facts = parsed
    assert (facts.source_id, facts.street, facts.price) == ("A-17", "77 Harbor Way", 650_000.0)
    assert facts.sqft == 1076
    assert (facts.latitude, facts.longitude) == (47.61, -122.35)
    assert facts.property_type == "condo"


def test_broken_jsonld_block_is_skipped_not_fatal() -> None:
    home = {"@type": "House", "address": {"streetAddress": "5 Fern Ct"}}
    html = page_with(home, extra='<script type="application/ld+json">{"@type": </script>')

    parsed = parse_listing(html, "https://example.test/5-fern")
    assert parsed is not None
    assert parsed.street == "5 Fern Ct"


def test_page_without_a_home_in_its_jsonld_is_no_listing() -> None:
    article = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Rates"}

    assert parse_listing(page_with(article), "https://example.test/news") is None


def test_listing_without_offer_has_no_price() -> None:
    home = {"@type": "House", "address": {"streetAddress": "5 Fern Ct"}}

    parsed = parse_listing(page_with(home), "https://example.test/5-fern")

    assert parsed is not None
    assert parsed.price is None
    assert parsed.street == "5 Fern Ct"


def test_links_are_absolute_deduplicated_and_without_fragments() -> None:
    html = (
        '<html><head><link rel="next" href="/p?page=2"></head><body>'
        '<a rel="bookmark" href="/l/1#photos">1</a><a rel="bookmark" href="/l/1">1 again</a>'
        '<a rel="nofollow bookmark" href="https://other.test/l/2">2</a>'
        '<a href="/about">about</a><a rel="next" href="/p?page=2">next</a></body></html>'
    )

    links = page_links(html, "https://site.test/p?page=1")

    assert links.detail_urls == ["https://site.test/l/1", "https://other.test/l/2"]
    assert links.next_pages == ["https://site.test/p?page=2"]
