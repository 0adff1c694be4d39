"""The sources the scraper knows: which spider crawls each, and where a crawl starts.

A crawl starts at the request's start URLs when it names some. Otherwise a listing site
turns the request's location (a ZIP code, or "City, ST") and listing type into its own
search URLs, on the site's origin from `SiteUrls` (settings, so tests point them at a
loopback server):

| source  | ZIP 98101, for sale                       | "Seattle, WA", for rent                    |
|---------|-------------------------------------------|--------------------------------------------|
| zillow  | /homes/for_sale/98101_rb/                 | /homes/for_rent/Seattle,-WA_rb/            |
| redfin  | /zipcode/98101                            | /stingray/do/location-autocomplete?...     |
| realtor | /realestateandhomes-search/98101          | /apartments/Seattle_WA                     |

(sold: Zillow `recently_sold`, Redfin `/filter/include=sold-3mo`, Realtor.com
`/show-recently-sold`). Redfin names cities by an id of its own, so a city search starts
at its location lookup and the spider follows the match. The demo source starts at the
demo site; `jsonld` (any schema.org site) needs start URLs (pages, a sitemap, or a
robots.txt naming sitemaps). Each configured public-record feed is a source
`feed:<name>` starting at its URL. A new site is one entry here plus its parser and
spider.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, urlencode

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.scraper.config import ScraperConfig
from services.scraper.crawls import CrawlSpec
from services.scraper.feeds import (
    FEEDS_FILE_VARIABLE,
    FeedConfig,
    FeedConfigError,
    configured_feeds,
    feed_by_name,
)
from shared.events import ScrapeRequested

FEED_SOURCE_PREFIX = "feed:"
# What Redfin appends to a search page's path for each listing type.
REDFIN_LISTING_PATHS = {
    "for_sale": "",
    "for_rent": "/apartments-for-rent",
    "sold": "/filter/include=sold-3mo",
}
ZIP_CODE = re.compile(r"^\d{5}$")
CITY_STATE = re.compile(r"^(?P<city>[^,]+),\s*(?P<state>[A-Za-z]{2})$")


class SiteUrls(BaseSettings):
    """The origin of each listing site (scheme, host and port, no path)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    zillow: str = Field("https://www.zillow.com", alias="REOS_SCRAPER_ZILLOW_URL")
    redfin: str = Field("https://www.redfin.com", alias="REOS_SCRAPER_REDFIN_URL")
    realtor: str = Field("https://www.realtor.com", alias="REOS_SCRAPER_REALTOR_URL")


@dataclass(frozen=True)
class Place:
    """Where to search: a ZIP code, or a city and its state's code."""

    zip_code: str | None = None
    city: str | None = None
    state: str | None = None


class CrawlRejected(ValueError):
    """The request cannot be crawled as asked (unknown source, nowhere to start)."""


def place(location: str) -> Place:
    """The place a request's location names: "98101" or "Seattle, WA"."""
    text = location.strip()
    if ZIP_CODE.match(text):
        return Place(zip_code=text)
    match = CITY_STATE.match(text)
    if match is None:
        raise CrawlRejected(f'location {location!r} is neither a ZIP code nor "City, ST"')
    return Place(city=match["city"].strip(), state=match["state"].upper())


SearchUrls = Callable[[Place, str], list[str]]


def zillow_search(origin: str) -> SearchUrls:
    segments = {"for_sale": "for_sale", "for_rent": "for_rent", "sold": "recently_sold"}

    def urls(where: Place, listing_type: str) -> list[str]:
        term = where.zip_code or f"{where.city},-{where.state}".replace(" ", "-")
        return [f"{origin}/homes/{segments[listing_type]}/{quote(term, safe=',-')}_rb/"]

    return urls


def redfin_search(origin: str) -> SearchUrls:
    def urls(where: Place, listing_type: str) -> list[str]:
        if where.zip_code:
            return [f"{origin}/zipcode/{where.zip_code}{REDFIN_LISTING_PATHS[listing_type]}"]
        query = urlencode({"location": f"{where.city}, {where.state}", "v": 2})
        return [f"{origin}/stingray/do/location-autocomplete?{query}"]

    return urls


def realtor_search(origin: str) -> SearchUrls:
    def urls(where: Place, listing_type: str) -> list[str]:
        term = where.zip_code or f"{where.city}_{where.state}".replace(" ", "-")
        if listing_type == "for_rent":
            return [f"{origin}/apartments/{quote(term)}"]
        suffix = "/show-recently-sold" if listing_type == "sold" else ""
        return [f"{origin}/realestateandhomes-search/{quote(term)}{suffix}"]

    return urls


SEARCHABLE_LISTING_TYPES = frozenset({"for_sale", "for_rent", "sold"})


@dataclass(frozen=True)
class Source:
    name: str
    spider: str
    description: str
    default_start_urls: tuple[str, ...] = ()
    search: SearchUrls | None = None

    def start_urls(self, request: ScrapeRequested) -> list[str]:
        """Where a crawl of this source starts for `request`; `CrawlRejected` if nowhere."""
        given = [url.strip() for url in request.start_urls if url.strip()]
        if given:
            return given
        if request.location and self.search is not None:
            if request.listing_type not in SEARCHABLE_LISTING_TYPES:
                raise CrawlRejected(
                    f"{self.name} has no search for {request.listing_type} listings; "
                    "give start URLs"
                )
            return self.search(place(request.location), request.listing_type)
        if self.default_start_urls:
            return list(self.default_start_urls)
        needs = "a location or start URLs" if self.search is not None else "start URLs"
        raise CrawlRejected(f"no start URLs for source {self.name!r}: the request needs {needs}")


def known_sources(config: ScraperConfig, sites: SiteUrls | None = None) -> dict[str, Source]:
    sites = sites or SiteUrls()
    sources = [
        Source(
            "demo",
            "jsonld",
            "the demo listing site (reos-demo-site), schema.org JSON-LD pages",
            tuple(url for url in [config.demo_site_url.strip()] if url),
        ),
        Source(
            "jsonld",
            "jsonld",
            "any site describing its listings in schema.org JSON-LD, from pages or a sitemap",
        ),
        Source("zillow", "zillow", "Zillow", search=zillow_search(sites.zillow.rstrip("/"))),
        Source("redfin", "redfin", "Redfin", search=redfin_search(sites.redfin.rstrip("/"))),
        Source(
            "realtor", "realtor", "Realtor.com", search=realtor_search(sites.realtor.rstrip("/"))
        ),
    ]
    sources += [
        Source(
            f"{FEED_SOURCE_PREFIX}{feed.name}",
            "feed",
            feed.description or f"the public-record feed {feed.name}",
            (feed.first_request_url(date.today()),),
        )
        for feed in feeds()
    ]
    return {source.name: source for source in sources}


def feeds() -> list[FeedConfig]:
    """The configured public-record feeds; none when no feeds file is set or it cannot be
    read (a request for a feed then says why, see `plan_crawl`)."""
    if not os.environ.get(FEEDS_FILE_VARIABLE, "").strip():
        return []
    try:
        return list(configured_feeds().values())
    except FeedConfigError:
        return []


def plan_crawl(request: ScrapeRequested, job_id: int, config: ScraperConfig) -> CrawlSpec:
    """The crawl a request asks for, or `CrawlRejected` saying why there is none."""
    sources = known_sources(config)
    source = sources.get(request.source)
    if source is None and request.source.startswith(FEED_SOURCE_PREFIX):
        try:
            feed_by_name(request.source.removeprefix(FEED_SOURCE_PREFIX))
        except FeedConfigError as error:
            raise CrawlRejected(str(error)) from error
    if source is None:
        raise CrawlRejected(
            f"unknown source {request.source!r}; known sources: {', '.join(sorted(sources))}"
        )
    start_urls = source.start_urls(request)
    not_http = [url for url in start_urls if not url.startswith(("http://", "https://"))]
    if not_http:
        raise CrawlRejected(f"start URLs must be http(s): {', '.join(not_http)}")
    return CrawlSpec(
        job_id=job_id,
        request_event_id=request.event_id,
        run_id=request.run_id,
        source=source.name,
        spider=source.spider,
        start_urls=start_urls,
        listing_type=request.listing_type,
        location=request.location,
        filters=request.filters,
        max_pages=request.max_pages,
        max_items=request.max_items,
    )
