"""Validation, content hashing, location filters and the payload of a scraped listing."""

from __future__ import annotations

from services.scraper.demo_pages import listing_page
from services.scraper.listing import (
    ScrapedListing,
    content_hash,
    matches_location,
    validation_problems,
)
from services.scraper.parsers import jsonld
from services.scraper.store import StoredProspect
from shared.listing import Listing
from tests.unit.scraper.samples import demo_listing

URL = "http://127.0.0.1:9180/listing/DM-000123"


def scraped(url: str = URL, **changes: object) -> ScrapedListing:
    page = jsonld.parse(listing_page(demo_listing(**changes)).decode(), url, source="demo")
    return ScrapedListing(page.listings[0])


def test_complete_listing_has_no_problems() -> None:
    assert validation_problems(scraped().listing) == []


def test_listing_without_address_or_price_fails_validation() -> None:
    listing = scraped().listing.model_copy(update={"street": None, "price": None})

    assert validation_problems(listing) == ["no street address", "no price"]


def test_a_zero_price_is_unknown_and_fails_validation() -> None:
    assert validation_problems(scraped(price=0).listing) == ["no price"]


def test_an_off_market_record_needs_no_price() -> None:
    listing = scraped().listing.model_copy(update={"price": None, "status": "off_market"})

    assert validation_problems(listing) == []


def test_payload_is_the_listing_as_json() -> None:
    payload = scraped().payload()

    assert payload["street"] == "4521 Madrona Ave NE"
    assert payload["zip_code"] == "98033"
    assert payload["price"] == 538_000.0
    assert payload["lot_sqft"] == 7242.0
    assert payload["property_type"] == "single_family"
    assert payload["status"] == "for_sale"
    assert Listing.model_validate(payload) == scraped().listing


def test_content_hash_is_stable_and_follows_the_content() -> None:
    same = content_hash(scraped().payload())

    assert content_hash(scraped().payload()) == same
    assert content_hash(scraped(price=529_000).payload()) != same
    assert len(same) == 64


def test_content_hash_does_not_depend_on_the_host_the_site_is_served_on() -> None:
    elsewhere = scraped("http://127.0.0.1:45555/listing/DM-000123")

    assert content_hash(elsewhere.payload()) == content_hash(scraped().payload())


def test_days_on_market_ticking_up_is_no_change() -> None:
    listing = scraped().listing
    later = listing.model_copy(update={"days_on_market": 12})

    assert content_hash(later.model_dump(mode="json")) == content_hash(scraped().payload())


def test_location_filter_accepts_zip_city_or_city_and_state() -> None:
    facts = scraped().listing

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
