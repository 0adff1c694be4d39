"""The spider every site shares: a site's parser module does the reading, this does the
walking.

From the start URLs (search pages, API URLs, detail pages, a `sitemap.xml` or a
`robots.txt` naming sitemaps) it parses each response with the site's parser, follows
the page's `detail_urls` (as listing pages) and `next_pages` (as index pages) on the
start URLs' hosts, within the crawl's `CrawlBudget`, and yields one `ScrapedListing` per
listing that passes the request's location and filters. A listing a search page already
shows is taken from its detail page when that page is fetched, from the search page
otherwise (no link, or the link leads off the site). Listings a page could not read,
listing pages without a listing and pages that could not be fetched are counted as
failed items with their URL. Spiders parse and count; the item pipelines validate,
deduplicate and store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from twisted.python.failure import Failure

from services.scraper.crawls import (
    STAT_ITEMS_FAILED,
    STAT_ITEMS_FILTERED,
    STAT_PAGES,
    CrawlBudget,
    note_error,
)
from services.scraper.listing import ScrapedListing, matches_location
from services.scraper.parsers.page import ParsedPage
from shared.events import ListingFilters
from shared.listing import Listing, ListingStatus

# Index pages first: each one reveals a page of listings, which keeps the downloader busy;
# behind a queue of listing pages the pagination would be fetched one page at a time.
INDEX_PRIORITY = 10
GZIP_MAGIC = b"\x1f\x8b"
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit, uncompressed


class ListingSpider(scrapy.Spider):
    """Crawls one site with its parser module (`parser`: `parse(body, url)`)."""

    parser: ClassVar[ModuleType]

    def __init__(
        self,
        source: str,
        start_urls: list[str],
        listing_type: ListingStatus = "for_sale",
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
        self.request_headers: dict[str, str] = {}

    async def start(self) -> AsyncIterator[Any]:
        for url in self.start_urls:
            request = self.follow(url, listing=False, callback=self.start_callback(url))
            if request is not None:
                yield request

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        self.crawler.stats.inc_value(STAT_PAGES)
        page = self.parse_page(response)
        yield from self.follow_links(page)
        yield from self.listings(response, page)

    def parse_page(self, response: Response) -> ParsedPage:
        """What the site's parser reads in the response."""
        return self.parser.parse(response.text, response.url)

    def follow_links(self, page: ParsedPage) -> Iterator[scrapy.Request]:
        """The page's detail pages, then its next pages while listings remain to be taken:
        once the crawl has all the listings it may take, more search pages are of no use."""
        for url in page.detail_urls:
            request = self.follow(url, listing=True)
            if request is not None:
                yield request
        if self._listings_spent():
            return
        for url in page.next_pages:
            request = self.follow(url, listing=False)
            if request is not None:
                yield request

    def listings(self, response: Response, page: ParsedPage) -> Iterator[ScrapedListing]:
        """The page's listings that pass the request's location and filters. On a listing
        page each counts; on any other page a listing whose detail page is (or was)
        requested is left to that page, and the others take their place in the budget."""
        listing_page = response.meta.get("listing", False)
        for failure in page.failures:
            self.count_failure(f"could not read a listing at {response.url}: {failure}")
        if listing_page and not page.listings and not page.failures:
            self.count_failure(f"no listing found at {response.url}")
        for listing in page.listings:
            if not listing_page and not self._take_from_index(listing, response.url):
                continue
            if not (matches_location(listing, self.location) and self.filters.admits(listing)):
                self.crawler.stats.inc_value(STAT_ITEMS_FILTERED)
                continue
            yield ScrapedListing(listing)

    def _take_from_index(self, listing: Listing, page_url: str) -> bool:
        if listing.url not in (None, page_url) and listing.url in self.requested:
            return False
        if self._listings_spent():
            return False
        self.budget.listing_pages += 1
        return True

    def _listings_spent(self) -> bool:
        budget = self.budget
        return budget.max_items is not None and budget.listing_pages >= budget.max_items

    def follow(
        self,
        url: str,
        *,
        listing: bool,
        callback: Any = None,
        meta: dict[str, Any] | None = None,
    ) -> scrapy.Request | None:
        """A request for `url` on the crawl's hosts, once per crawl, if the budget allows."""
        if url in self.requested or urlsplit(url).netloc not in self.hosts:
            return None
        if not self.budget.admit(listing=listing):
            return None
        self.requested.add(url)
        return scrapy.Request(
            url,
            callback=callback or self.parse,
            errback=self._failed,
            headers=self.request_headers or None,
            meta={"listing": listing, **(meta or {})},
            priority=0 if listing else INDEX_PRIORITY,
        )

    def start_callback(self, url: str) -> Any:
        """How a start URL is read: as a robots.txt, a sitemap, or a page."""
        path = urlsplit(url).path.casefold()
        if path.endswith("/robots.txt"):
            return self.parse_robots
        if path.endswith((".xml", ".xml.gz")) and "sitemap" in path.rsplit("/", 1)[-1]:
            return self.parse_sitemap
        return self.parse

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        """A `robots.txt` start URL: its `Sitemap:` lines lead to the listing pages."""
        self.crawler.stats.inc_value(STAT_PAGES)
        urls = list(sitemap_urls_from_robots(response.body, base_url=response.url))
        if not urls:
            self.count_failure(f"no Sitemap line in {response.url}")
        for url in urls:
            request = self.follow(url, listing=False, callback=self.parse_sitemap)
            if request is not None:
                yield request

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        """A sitemap lists listing pages; a sitemap index lists more sitemaps."""
        self.crawler.stats.inc_value(STAT_PAGES)
        try:
            body = response.body
            if body.startswith(GZIP_MAGIC):
                body = gunzip(body, max_size=MAX_SITEMAP_BYTES)
            sitemap = Sitemap(body)
        except (StopIteration, SyntaxError, OSError, ValueError) as error:
            self.count_failure(f"not a sitemap at {response.url}: {error}")
            return
        is_index = sitemap.type == "sitemapindex"
        for entry in sitemap:
            request = self.follow(
                response.urljoin(entry["loc"]),
                listing=not is_index,
                callback=self.parse_sitemap if is_index else None,
            )
            if request is not None:
                yield request

    def count_failure(self, message: str) -> None:
        self.crawler.stats.inc_value(STAT_ITEMS_FAILED)
        note_error(self.crawler.stats, message)
        self.logger.warning(message)

    def _failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if request.meta.get("listing"):
            self.crawler.stats.inc_value(STAT_ITEMS_FAILED)
        message = f"could not fetch {request.url}: {failure.getErrorMessage()}"
        note_error(self.crawler.stats, message)
        self.logger.warning(message)
