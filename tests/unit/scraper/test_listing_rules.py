"""Validation, content hashing, location filters and the payload of a scraped listing."""

from __future__ import annotations

from dataclasses import replace

from services.scraper.demo_pages import listing_page
from services.scraper.listing import (
    ListingFacts,
    ScrapedListing,
    content_hash,
    matches_location,
    validation_problems,
)
from services.scraper.parsers.jsonld import parse_page
from services.scraper.store import StoredProspect
from tests.unit.scraper.samples import demo_listing

URL = "http://127.0.0.1:9180/listing/DM-000123"


def scraped(**changes: object) -> ScrapedListing:
    parsed = parse_page(listing_page(demo_listing(**changes)).decode(), URL).listing
    assert parsed is not None
    return ScrapedListing(
        source="demo",
        source_id=parsed.facts.listing_id or URL,
        url=URL,
        listing_type="for_sale",
        facts=parsed.facts,
        jsonld=parsed.jsonld,
    )


def test_complete_listing_has_no_problems() -> None:
    assert validation_problems(scraped()) == []


def test_listing_without_address_or_price_fails_validation() -> None:
    item = scraped()
    item.facts = replace(item.facts, address=None, price=None)

    assert validation_problems(item) == ["no street address", "no price"]


def test_listing_with_zero_price_fails_validation() -> None:
    assert validation_problems(scraped(price=0)) == ["price 0.0 is not positive"]


def test_page_without_listing_data_fails_validation() -> None:
    item = ScrapedListing("demo", URL, URL, "for_sale", ListingFacts())

    assert validation_problems(item) == ["no street address", "no price"]


def test_payload_is_flat_facts_plus_the_pages_jsonld() -> None:
    payload = scraped().payload()

    assert payload["address"] == "4521 Madrona Ave NE"
    assert payload["zip_code"] == "98033"
    assert payload["price"] == 538_000.0
    assert payload["lot_size"] == 7242.0
    assert payload["property_type"] == "single_family"
    assert payload["listing_type"] == "for_sale"
    assert payload["jsonld"][0]["offers"]["price"] == 538_000


def test_content_hash_is_stable_and_follows_the_content() -> None:
    same = content_hash(scraped().payload())

    assert content_hash(scraped().payload()) == same
    assert content_hash(scraped(price=529_000).payload()) != same
    assert len(same) == 64


def test_payload_does_not_depend_on_the_host_the_site_is_served_on() -> None:
    first = scraped()
    parsed = parse_page(
        listing_page(demo_listing()).decode(), "http://127.0.0.1:45555/listing/DM-000123"
    ).listing
    assert parsed is not None

    assert parsed.jsonld == first.jsonld
    assert parsed.facts == first.facts


def test_location_filter_accepts_zip_city_or_city_and_state() -> None:
    facts = scraped().facts

    assert matches_location(facts, None)
    assert matches_location(facts, "98033")
    assert matches_location(facts, "kirkland")
    assert matches_location(facts, "Kirkland, WA")
    assert not matches_location(facts, "Seattle")
    assert not matches_location(facts, "98101")


def test_changed_or_new_content_is_announced_unchanged_content_is_not() -> None:
    assert StoredProspect(1, "new", 5).needs_publishing(5)
    assert StoredProspect(1, "changed", 5).needs_publishing(5)
    assert not StoredProspect(1, "unchanged", 4).needs_publishing(5)


def test_content_stored_by_an_earlier_attempt_of_the_same_job_is_announced_again() -> None:
    assert StoredProspect(1, "unchanged", 5).needs_publishing(5)
