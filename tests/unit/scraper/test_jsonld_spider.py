"""The JSON-LD spider on demo pages: what it follows, what it yields, and its limits."""

from __future__ import annotations

import asyncio
from typing import Any

import scrapy
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from services.scraper.demo_pages import index_page, listing_page
from services.scraper.listing import ScrapedListing
from services.scraper.spiders.jsonld import JsonLdListingSpider
from shared.events import ListingFilters
from tests.unit.scraper.samples import demo_listing, demo_market

SITE = "http://127.0.0.1:9180"


def spider(**arguments: Any) -> JsonLdListingSpider:
    crawler = get_crawler(JsonLdListingSpider)
    arguments.setdefault("start_urls", [f"{SITE}/listings"])
    return JsonLdListingSpider.from_crawler(crawler, source="demo", **arguments)


def response(url: str, body: bytes, *, listing: bool) -> HtmlResponse:
    request = scrapy.Request(url, meta={"listing": listing})
    return HtmlResponse(url=url, body=body, encoding="utf-8", request=request)


def start_requests(crawl: JsonLdListingSpider) -> list[scrapy.Request]:
    async def collect() -> list[scrapy.Request]:
        return [request async for request in crawl.start()]

    return asyncio.run(collect())


def index_output(crawl: JsonLdListingSpider, page: int = 1, count: int = 45) -> list[Any]:
    html = index_page(demo_market(count), page)
    assert html is not None
    return list(crawl.parse(response(f"{SITE}/listings?page={page}", html, listing=False)))


def test_index_page_leads_to_its_listings_and_the_next_page() -> None:
    requests = index_output(spider())

    listing_urls = [r.url for r in requests if r.meta["listing"]]
    index_urls = [r.url for r in requests if not r.meta["listing"]]
    assert listing_urls == [f"{SITE}/listing/DM-{n:06d}" for n in range(1, 21)]
    assert index_urls == [f"{SITE}/listings?page=2"]
    assert all(r.priority > 0 for r in requests if not r.meta["listing"])
    assert all(r.priority == 0 for r in requests if r.meta["listing"])


def test_listing_page_yields_one_listing_item() -> None:
    crawl = spider(listing_type="for_sale")
    url = f"{SITE}/listing/DM-000004"

    output = list(crawl.parse(response(url, listing_page(demo_listing(4)), listing=True)))

    items = [item for item in output if isinstance(item, ScrapedListing)]
    assert len(items) == 1
    item = items[0]
    assert (item.source, item.source_id, item.url) == ("demo", "DM-000004", url)
    assert item.listing.price == 538_000.0
    assert crawl.crawler.stats.get_value("reos/pages_crawled") == 1


def test_listing_page_without_jsonld_is_counted_as_a_failed_item_with_its_url() -> None:
    crawl = spider()
    url = f"{SITE}/listing/DM-000009"

    output = list(crawl.parse(response(url, b"<html><body>gone</body></html>", listing=True)))

    assert output == []
    assert crawl.crawler.stats.get_value("reos/items_failed") == 1
    assert crawl.crawler.stats.get_value("reos/errors") == [f"no listing found at {url}"]


def test_max_items_bounds_the_listing_pages_requested() -> None:
    requests = index_output(spider(max_items=5))

    assert len([r for r in requests if r.meta["listing"]]) == 5


def test_max_pages_counts_the_start_page_too() -> None:
    crawl = spider(max_pages=3)
    assert len(start_requests(crawl)) == 1

    requests = index_output(crawl)

    assert len(requests) == 2


def test_links_to_other_hosts_are_not_followed() -> None:
    crawl = spider(start_urls=["http://127.0.0.1:9999/listings"])

    assert index_output(crawl) == []


def test_a_url_is_requested_once_even_when_linked_from_two_pages() -> None:
    crawl = spider()
    index_output(crawl, page=1)

    again = index_output(crawl, page=1)

    assert again == []


def test_location_filter_skips_listings_elsewhere() -> None:
    crawl = spider(location="Seattle")
    url = f"{SITE}/listing/DM-000004"

    output = list(crawl.parse(response(url, listing_page(demo_listing(4)), listing=True)))

    assert output == []
    assert crawl.crawler.stats.get_value("reos/items_filtered") == 1


def test_listings_outside_the_filters_are_counted_as_filtered() -> None:
    crawl = spider(filters=ListingFilters(max_price=500_000))
    url = f"{SITE}/listing/DM-000004"

    output = list(crawl.parse(response(url, listing_page(demo_listing(4)), listing=True)))

    assert [item for item in output if isinstance(item, ScrapedListing)] == []
    assert crawl.crawler.stats.get_value("reos/items_filtered") == 1
