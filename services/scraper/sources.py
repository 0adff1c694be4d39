"""The sources the scraper knows: which spider crawls each and where it starts by default.

A new site is one entry here plus its spider (and its page fixtures in the tests).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.scraper.config import ScraperConfig
from services.scraper.crawls import CrawlSpec
from shared.events import ScrapeRequested


@dataclass(frozen=True)
class Source:
    name: str
    spider: str
    description: str
    default_start_urls: tuple[str, ...] = ()


class CrawlRejected(ValueError):
    """The request cannot be crawled as asked (unknown source, nowhere to start)."""


def known_sources(config: ScraperConfig) -> dict[str, Source]:
    demo = Source(
        name="demo",
        spider="jsonld",
        description="the demo listing site (reos-demo-site), schema.org JSON-LD pages",
        default_start_urls=tuple(url for url in [config.demo_site_url.strip()] if url),
    )
    return {source.name: source for source in (demo,)}


def plan_crawl(request: ScrapeRequested, job_id: int, config: ScraperConfig) -> CrawlSpec:
    """The crawl a request asks for, or `CrawlRejected` saying why there is none."""
    sources = known_sources(config)
    source = sources.get(request.source)
    if source is None:
        raise CrawlRejected(
            f"unknown source {request.source!r}; known sources: {', '.join(sorted(sources))}"
        )
    start_urls = [url.strip() for url in request.start_urls if url.strip()] or list(
        source.default_start_urls
    )
    if not start_urls:
        raise CrawlRejected(
            f"no start URLs for source {request.source!r}: none in the request, no default set"
        )
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
