"""A spider for any listing site that describes its homes in schema.org JSON-LD.

From the start URLs it follows index pagination (`rel=next`) and listing links
(`ItemList` entries, `rel=bookmark` anchors) on the start URLs' hosts only, and yields
one `ScrapedListing` per listing page. It parses and counts; the item pipelines
validate, deduplicate and store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from services.scraper.crawls import (
    STAT_ITEMS_FAILED,
    STAT_ITEMS_FILTERED,
    STAT_PAGES,
    CrawlBudget,
    note_error,
)
from services.scraper.listing import ScrapedListing, matches_location
from services.scraper.parsers import jsonld
from services.scraper.parsers.page import ParsedPage
from shared.events import ListingFilters

# Index pages first: each one reveals a page of listings, which keeps the downloader busy;
# behind a queue of listing pages the pagination would be fetched one page at a time.
INDEX_PRIORITY = 10


class JsonLdListingSpider(scrapy.Spider):
    name = "jsonld"

    def __init__(
        self,
        source: str,
        start_urls: list[str],
        listing_type: str = "for_sale",
        location: str | None = None,
        filters: ListingFilters | None = None,
        max_pages: int | None = None,
        max_items: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.start_urls = list(start_urls)
        self.listing_type = listing_type
        self.location = location
        self.filters = filters or ListingFilters()
        self.hosts = {urlsplit(url).netloc for url in self.start_urls}
        self.budget = CrawlBudget(max_pages, max_items)
        self.requested: set[str] = set()

    async def start(self) -> AsyncIterator[Any]:
        for url in self.start_urls:
            request = self._request(url, listing=False)
            if request is not None:
                yield request

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        self.crawler.stats.inc_value(STAT_PAGES)
        page = jsonld.parse(
            response.text, response.url, source=self.source, status=self.listing_type
        )
        if response.meta.get("listing", False):
            yield from self._listings(response, page)
        for url in page.detail_urls:
            request = self._request(url, listing=True)
            if request is not None:
                yield request
        for url in page.next_pages:
            request = self._request(url, listing=False)
            if request is not None:
                yield request

    def _listings(self, response: Response, page: ParsedPage) -> Iterator[ScrapedListing]:
        for failure in page.failures:
            self._count_failure(f"could not read a listing at {response.url}: {failure}")
        if not page.listings and not page.failures:
            self._count_failure(f"no listing found at {response.url}")
        for listing in page.listings:
            if not (matches_location(listing, self.location) and self.filters.admits(listing)):
                self.crawler.stats.inc_value(STAT_ITEMS_FILTERED)
                continue
            yield ScrapedListing(listing)

    def _count_failure(self, message: str) -> None:
        self.crawler.stats.inc_value(STAT_ITEMS_FAILED)
        note_error(self.crawler.stats, message)
        self.logger.warning(message)

    def _request(self, url: str, *, listing: bool) -> scrapy.Request | None:
        if url in self.requested or urlsplit(url).netloc not in self.hosts:
            return None
        if not self.budget.admit(listing=listing):
            return None
        self.requested.add(url)
        return scrapy.Request(
            url,
            callback=self.parse,
            errback=self._failed,
            meta={"listing": listing},
            priority=0 if listing else INDEX_PRIORITY,
        )

    def _failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if request.meta.get("listing"):
            self.crawler.stats.inc_value(STAT_ITEMS_FAILED)
        message = f"could not fetch {request.url}: {failure.getErrorMessage()}"
        note_error(self.crawler.stats, message)
        self.logger.warning(message)
