"""Whole crawls of the listing sites and a public-record feed, over loopback HTTP, through
the running scraper service, PostgreSQL and Kafka.

A loopback `FixtureSite` serves each site's saved pages: a search page (or search API
body) and detail pages. The search results link to the real site, which the crawl does
not follow (other host), so it takes them from the search page itself; the detail pages
are start URLs too. What the crawl stores and announces is compared with what the
site's parser reads in the same pages. All four crawls are requested at once.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from aiokafka import AIOKafkaProducer

from services.scraper.feeds import load_feeds
from services.scraper.listing import validation_problems
from services.scraper.parsers import PARSERS, feeds
from services.scraper.parsers.page import ParsedPage
from shared import topics
from shared.db.tables import prospect_queue
from shared.events import ScrapeRequested
from shared.listing import Listing
from tests.conftest import TopicReader, publish, unique_run_id
from tests.integration.test_scraper_service import finished_job
from tests.scraper_sites import CSV, FIXTURES, JSON, FixtureSite, Route, serving
from tests.services import running_services

pytestmark = pytest.mark.stack

FEED = "lakeview-county-tax-delinquent"
FEED_FILE = "lakeview-tax-delinquent.csv"
FEEDS_EXAMPLE = FIXTURES.parents[2] / "deploy" / "feeds.example.yaml"
SITE_PAGES = {
    "zillow": ("search_for_sale.html", ["detail_for_sale.html", "building_rentals.html"]),
    "redfin": ("search_api.json", ["detail_for_sale.html", "building_rentals.html"]),
    "realtor": ("search_for_sale.html", ["detail_for_sale.html", "detail_sold.html"]),
}


def page_path(site: str, name: str) -> str:
    return f"/{site}/{name}"


def site_routes() -> dict[str, Route]:
    routes = {}
    for site, (search, details) in SITE_PAGES.items():
        for name in [search, *details]:
            body = (FIXTURES / site / name).read_bytes()
            routes[page_path(site, name)] = Route(body, JSON if name.endswith(".json") else "")
    routes[f"/feeds/{FEED_FILE}"] = Route((FIXTURES / "feeds" / FEED_FILE).read_bytes(), CSV)
    return {path: _html_by_default(route) for path, route in routes.items()}


def _html_by_default(route: Route) -> Route:
    return route if route.content_type else Route(route.body, "text/html; charset=utf-8")


@pytest.fixture(scope="module")
def site() -> Iterator[FixtureSite]:
    with serving(site_routes()) as started:
        yield started


@pytest.fixture(scope="module")
def feeds_file(site: FixtureSite, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example feed configuration with the tax-delinquent feed on the loopback site."""
    document = yaml.safe_load(FEEDS_EXAMPLE.read_text())
    for feed in document["feeds"]:
        if feed["name"] == FEED:
            feed["url"] = site.url(f"/feeds/{FEED_FILE}")
    path = tmp_path_factory.mktemp("feeds") / "feeds.json"
    path.write_text(json.dumps(document))
    return path


@pytest.fixture(scope="module")
def scraper(stack_env: dict[str, str], feeds_file: Path, tmp_path_factory: pytest.TempPathFactory):
    # A consumer group of its own: other stack tests may be running a scraper of their own.
    environment = {
        "REOS_SCRAPER_FEEDS_FILE": str(feeds_file),
        "REOS_CONSUMER_GROUP_PREFIX": f"reos-sites-{uuid.uuid4().hex[:8]}",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        with running_services(
            ["services.scraper"], tmp_path_factory.mktemp("logs"), environment
        ) as started:
            yield started["scraper"]


def expected_pages(
    site: FixtureSite, name: str, feeds_file: Path
) -> tuple[list[str], list[ParsedPage]]:
    """The start URLs of a crawl of `name` and what the parser reads in those pages."""
    if name == "feed":
        feed = load_feeds(feeds_file)[FEED]
        url = site.url(f"/feeds/{FEED_FILE}")
        return [url], [feeds.parse((FIXTURES / "feeds" / FEED_FILE).read_text(), url, feed)]
    search, details = SITE_PAGES[name]
    urls = [site.url(page_path(name, page)) for page in [search, *details]]
    pages = [
        PARSERS[name].parse((FIXTURES / name / page).read_text(), url)
        for page, url in zip([search, *details], urls, strict=True)
    ]
    return urls, pages


def storable(
    site: FixtureSite, urls: list[str], pages: list[ParsedPage]
) -> tuple[dict[str, Listing], int]:
    """The listings a crawl of `pages` (at `urls`) stores, by source id, and the items it
    fails. As the spider does: a result whose detail link is on the site is left to its
    detail page, which this site does not serve (404: a failed item); the other results
    are taken from the page."""
    followed = {
        link for page in pages for link in page.detail_urls if link.startswith(site.origin)
    } - set(urls)
    kept: dict[str, Listing] = {}
    failed = len(followed)
    for url, page in zip(urls, pages, strict=True):
        failed += len(page.failures)
        for listing in page.listings:
            if listing.url in followed and listing.url != url:
                continue
            if validation_problems(listing):
                failed += 1
            else:
                kept.setdefault(listing.source_id, listing)
    return kept, failed


async def forget(sessions: Any, listings: dict[str, Listing]) -> None:
    """Remove earlier runs' rows of these fixture listings, so this crawl finds them new."""
    async with sessions() as session, session.begin():
        for listing in listings.values():
            await session.execute(
                sa.delete(prospect_queue).where(
                    prospect_queue.c.source == listing.source,
                    prospect_queue.c.source_id == listing.source_id,
                )
            )


async def events_of(reader: TopicReader, run_ids: set[str], expected: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    deadline = asyncio.get_running_loop().time() + 60
    while len(found) < expected and asyncio.get_running_loop().time() < deadline:
        batch = await reader.consumer.getmany(timeout_ms=500)
        for records in batch.values():
            for record in records:
                try:
                    event = json.loads(record.value)
                except ValueError:
                    continue  # other tests publish garbage on purpose
                if isinstance(event, dict) and event.get("run_id") in run_ids:
                    found.append(event)
    return found


@pytest.fixture(scope="module")
async def crawls(scraper, site, feeds_file, settings, sessions) -> dict[str, Any]:
    """One crawl per site and one of the feed, requested together."""
    reader = TopicReader(settings.kafka_bootstrap_servers, [topics.PROSPECT_NEW])
    await reader.start()
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, acks="all", enable_idempotence=True
    )
    await producer.start()
    planned: dict[str, dict[str, Any]] = {}
    try:
        for name in [*SITE_PAGES, "feed"]:
            urls, pages = expected_pages(site, name, feeds_file)
            listings, failed = storable(site, urls, pages)
            await forget(sessions, listings)
            request = ScrapeRequested(
                run_id=unique_run_id(f"site-{name}"),
                source=f"feed:{FEED}" if name == "feed" else name,
                pipeline="discovery_offmarket" if name == "feed" else "scrape_listings",
                listing_type="off_market" if name == "feed" else "for_sale",
                start_urls=urls,
            )
            planned[name] = {"request": request, "listings": listings, "failed": failed}
        for plan in planned.values():
            await publish(producer, plan["request"])
        for plan in planned.values():
            plan["job"] = await finished_job(sessions, plan["request"].event_id, timeout=180)
        run_ids = {plan["request"].run_id for plan in planned.values()}
        expected = sum(len(plan["listings"]) for plan in planned.values())
        events = await events_of(reader, run_ids, expected)
    finally:
        await producer.stop()
        await reader.stop()
    for plan in planned.values():
        plan["events"] = [e for e in events if e["run_id"] == plan["request"].run_id]
    return planned


CRAWLS = [*SITE_PAGES, "feed"]


@pytest.mark.parametrize("name", CRAWLS)
async def test_crawl_ends_as_a_successful_job_with_the_parsers_counts(crawls, name) -> None:
    plan = crawls[name]
    job = plan["job"]

    assert job.status == "success", job.error_log
    assert job.items_scraped == len(plan["listings"])
    assert job.items_failed == plan["failed"]
    assert job.pages_crawled == len(plan["request"].start_urls)
    if plan["failed"]:
        assert job.error_log is None or "could not read a listing at" in job.error_log


@pytest.mark.parametrize("name", CRAWLS)
async def test_every_listing_becomes_a_prospect_of_its_job(crawls, sessions, name) -> None:
    plan = crawls[name]
    listings = plan["listings"]
    source = next(iter(listings.values())).source

    async with sessions() as session:
        rows = list(
            await session.execute(
                sa.select(prospect_queue).where(
                    prospect_queue.c.source == source,
                    prospect_queue.c.source_id.in_(list(listings)),
                )
            )
        )

    assert sorted(row.source_id for row in rows) == sorted(listings)
    assert {row.scraping_job_id for row in rows} == {plan["job"].id}
    assert {row.dag_run_id for row in rows} == {plan["request"].run_id}
    for row in rows:
        stored = Listing.model_validate(row.payload)
        assert (stored.source, stored.status) == (source, listings[row.source_id].status)


@pytest.mark.parametrize("name", CRAWLS)
async def test_each_listing_is_announced_once_carrying_the_listing(crawls, name) -> None:
    plan = crawls[name]
    events = plan["events"]

    assert sorted(event["source_id"] for event in events) == sorted(plan["listings"])
    for event in events:
        listing = Listing.model_validate(event["listing"])
        assert listing.source_id == event["source_id"]
        assert listing.source == event["source"]
        assert listing.street == plan["listings"][listing.source_id].street
    if name == "feed":
        assert all(event["listing"]["distress_signals"] for event in events)
