"""Whole crawls of the listing sites and a public-record feed, over loopback HTTP, through
the running scraper service, PostgreSQL and Kafka.

From start URLs: a loopback `FixtureSite` serves each site's saved pages, a search page
(or search API body) and detail pages, a detail page of one listing at that listing's own
path. Search results whose link leads elsewhere are taken from the search page itself; the
detail pages are start URLs too. What the crawl stores and announces is compared with what
the site's parser reads in the same pages. All four crawls are requested at once.

From a location: Zillow, Redfin and Realtor.com each answer on a loopback server of their
own (`LAYOUTS`, the service's site origins point at them) for a few invented markets. A
crawl of a ZIP code, or of "City, ST" on Redfin (through its location lookup), walks
search page 1, page 2 and every detail page; each listing is stored with what only its
detail page tells (description, price history, taxes). The same market is then crawled
with at most 3 listings, with at most 4 pages, and for homes of 3 bedrooms or more, each
from an empty queue; a market whose one detail page answers 404 has it counted as failed.
What each crawl stores, announces and fetches is compared with the market it crawled.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
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
from shared.events import ListingFilters, ScrapeRequested
from shared.listing import Listing
from tests.conftest import TopicReader, publish, unique_run_id
from tests.integration.test_scraper_service import finished_job
from tests.scraper_sites import (
    CSV,
    FIXTURES,
    JSON,
    LAYOUTS,
    FixtureSite,
    Market,
    Route,
    SiteHome,
    invented_homes,
    serving,
)
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


PLACEHOLDER_ORIGIN = "http://site.invalid"


def page_path(site: str, name: str) -> str:
    """Where the loopback site serves a saved page: a detail page of one listing at that
    listing's own path, as the site does (the search page may link to it: the crawl then
    reads it once, in whichever order the pages answer), any other at a path of its own."""
    own_path = f"/{site}/{name}"
    if name == SITE_PAGES[site][0]:
        return own_path
    page = PARSERS[site].parse((FIXTURES / site / name).read_text(), PLACEHOLDER_ORIGIN + own_path)
    urls = {listing.url for listing in page.listings}
    if len(urls) == 1 and (url := urls.pop()) and url.startswith(PLACEHOLDER_ORIGIN + "/"):
        return url.removeprefix(PLACEHOLDER_ORIGIN)
    return own_path


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
def listing_sites() -> Iterator[dict[str, FixtureSite]]:
    """Zillow, Redfin and Realtor.com, each on a loopback server of its own."""
    with ExitStack() as stack:
        yield {
            source: stack.enter_context(serving(LAYOUTS[source].routes(list(markets))))
            for source, markets in MARKETS.items()
        }


@pytest.fixture(scope="module")
def scraper(
    stack_env: dict[str, str],
    feeds_file: Path,
    listing_sites: dict[str, FixtureSite],
    tmp_path_factory: pytest.TempPathFactory,
):
    # A consumer group of its own: other stack tests may be running a scraper of their own.
    environment = {
        "REOS_SCRAPER_FEEDS_FILE": str(feeds_file),
        "REOS_CONSUMER_GROUP_PREFIX": f"reos-sites-{uuid.uuid4().hex[:8]}",
        **{
            f"REOS_SCRAPER_{source.upper()}_URL": site.origin
            for source, site in listing_sites.items()
        },
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


async def forget(sessions: Any, source: str, source_ids: list[str]) -> None:
    """Remove earlier crawls' rows of these listings, so the next crawl finds them new."""
    async with sessions() as session, session.begin():
        await session.execute(
            sa.delete(prospect_queue).where(
                prospect_queue.c.source == source, prospect_queue.c.source_id.in_(source_ids)
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
            for source in {listing.source for listing in listings.values()}:
                await forget(sessions, source, list(listings))
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
        assert job.error_log is not None
        for line in job.error_log.splitlines():
            assert line.startswith(("could not read a listing at", "could not fetch")), line
    else:
        assert job.error_log is None


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


# Crawls from a location


CENTERS = {
    "Bend, OR": (44.058, -121.31),
    "Boise, ID": (43.615, -116.2),
    "Meridian, ID": (43.61, -116.39),
    "Fort Collins, CO": (40.56, -105.07),
}


def market(
    place: str,
    zip_code: str | None,
    *,
    homes: int,
    first_id: int,
    zip_codes: tuple[str, ...] = (),
    per_page: int = 5,
    gone: tuple[int, ...] = (),
) -> Market:
    """A market of invented homes in `place` ("City, ST"), searched by `zip_code` when
    given; the homes at the `gone` positions were taken down."""
    city, state = place.split(", ")
    invented = invented_homes(
        homes,
        first_id=first_id,
        city=city,
        state=state,
        zip_codes=zip_codes or (zip_code or "",),
        center=CENTERS[place],
        seed=first_id % 97,
    )
    return Market(
        city,
        state,
        zip_code,
        region_id=first_id % 100_000,
        homes=invented,
        per_page=per_page,
        gone=frozenset(invented[index].home_id for index in gone),
    )


# Per site: the market crawled whole and with limits, and one with a page taken down.
# (Realtor.com's last page is a full one: its parser asks for one more page after a
# partial last page.)
MARKETS: dict[str, tuple[Market, Market]] = {
    "zillow": (
        market("Bend, OR", "97701", homes=9, first_id=2_094_100_001),
        market("Bend, OR", "97702", homes=3, first_id=2_094_100_101, gone=(1,)),
    ),
    "redfin": (
        market("Boise, ID", None, homes=9, first_id=91_004_001, zip_codes=("83702", "83705")),
        market("Meridian, ID", "83642", homes=3, first_id=91_004_101, gone=(1,)),
    ),
    "realtor": (
        market("Fort Collins, CO", "80521", homes=8, first_id=6_120_300_001, per_page=4),
        market("Fort Collins, CO", "80525", homes=3, first_id=6_120_300_101, gone=(1,)),
    ),
}
MAX_ITEMS = 3
MAX_PAGES = 4
MIN_BEDS = 3
LIMITS: dict[str, dict[str, Any]] = {
    "whole": {},
    "gone": {},
    "max_items": {"max_items": MAX_ITEMS},
    "max_pages": {"max_pages": MAX_PAGES},
    "min_beds": {"filters": ListingFilters(min_beds=MIN_BEDS)},
}
# Crawls of one market's listings run one round after the other, each from an empty queue.
ROUNDS = (("whole", "gone"), ("max_items",), ("max_pages",), ("min_beds",))
LOCATION_CRAWLS = [(source, kind) for kinds in ROUNDS for kind in kinds for source in MARKETS]


def market_of(source: str, kind: str) -> Market:
    whole, with_gone_home = MARKETS[source]
    return with_gone_home if kind == "gone" else whole


@dataclass(frozen=True)
class Outcome:
    """What a crawl of a market fetches, stores and counts: homes stored from their detail
    page, homes stored from their search card, detail pages asked for (a gone one answers
    404 and is a failed item) and pages read (the lookup, search and detail pages)."""

    pages: int
    from_detail: tuple[SiteHome, ...]
    from_search: tuple[SiteHome, ...]
    fetched: tuple[SiteHome, ...]
    failed: tuple[SiteHome, ...] = ()

    @property
    def stored(self) -> tuple[SiteHome, ...]:
        return self.from_detail + self.from_search


def expected(source: str, kind: str) -> Outcome:
    chosen = market_of(source, kind)
    # Redfin finds a city through its location lookup, one page more.
    lookups = 0 if chosen.zip_code else 1
    first_page = chosen.pages()[0]
    if kind == "max_items":
        # Page 1's first detail pages, and no page 2: the crawl has all it may take.
        taken = first_page[:MAX_ITEMS]
        return Outcome(lookups + 1 + MAX_ITEMS, taken, (), taken)
    if kind == "max_pages":
        # The pages left after page 1 go to its first detail pages; its other results
        # are taken from their search cards.
        details = MAX_PAGES - lookups - 1
        taken = first_page[:details]
        return Outcome(MAX_PAGES, taken, first_page[details:], taken)
    served = tuple(home for home in chosen.homes if home.home_id not in chosen.gone)
    kept = tuple(home for home in served if kind != "min_beds" or home.beds >= MIN_BEDS)
    failed = tuple(home for home in chosen.homes if home.home_id in chosen.gone)
    pages = lookups + len(chosen.pages()) + len(served)
    return Outcome(pages, kept, (), chosen.homes, failed)


@dataclass
class LocationCrawl:
    request: ScrapeRequested
    job: Any = None
    rows: dict[str, Any] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)


async def rows_of(sessions: Any, source: str, source_ids: list[str]) -> dict[str, Any]:
    async with sessions() as session:
        found = await session.execute(
            sa.select(prospect_queue).where(
                prospect_queue.c.source == source, prospect_queue.c.source_id.in_(source_ids)
            )
        )
    return {row.source_id: row for row in found}


def ids_of(homes: tuple[SiteHome, ...]) -> list[str]:
    return [str(home.home_id) for home in homes]


async def crawl_round(
    kinds: tuple[str, ...], sites: dict[str, FixtureSite], producer: Any, sessions: Any
) -> dict[tuple[str, str], LocationCrawl]:
    """One crawl per site and kind, requested together, each from an empty queue."""
    crawls = {}
    for site in sites.values():
        for route in site.routes.values():
            route.hits = 0
    for source, kind in [(source, kind) for kind in kinds for source in MARKETS]:
        await forget(sessions, source, ids_of(market_of(source, kind).homes))
        request = ScrapeRequested(
            run_id=unique_run_id(f"{source}-{kind}"),
            source=source,
            location=market_of(source, kind).location,
            **LIMITS[kind],
        )
        crawls[source, kind] = LocationCrawl(request)
    for crawl in crawls.values():
        await publish(producer, crawl.request)
    for (source, kind), crawl in crawls.items():
        crawl.job = await finished_job(sessions, crawl.request.event_id, timeout=120)
        homes = market_of(source, kind).homes
        crawl.rows = await rows_of(sessions, source, ids_of(homes))
        routes = sites[source].routes
        paths = [LAYOUTS[source].home_path(home) for home in homes]
        crawl.hits = {path: routes[path].hits for path in paths if path in routes}
    return crawls


@pytest.fixture(scope="module")
async def location_crawls(
    scraper, listing_sites, settings, sessions
) -> dict[tuple[str, str], LocationCrawl]:
    reader = TopicReader(settings.kafka_bootstrap_servers, [topics.PROSPECT_NEW])
    await reader.start()
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, acks="all", enable_idempotence=True
    )
    await producer.start()
    crawls: dict[tuple[str, str], LocationCrawl] = {}
    try:
        for kinds in ROUNDS:
            crawls |= await crawl_round(kinds, listing_sites, producer, sessions)
        run_ids = {crawl.request.run_id for crawl in crawls.values()}
        stored = sum(crawl.job.items_scraped for crawl in crawls.values())
        events = await events_of(reader, run_ids, stored)
    finally:
        await producer.stop()
        await reader.stop()
    for crawl in crawls.values():
        crawl.events = [event for event in events if event["run_id"] == crawl.request.run_id]
    return crawls


def crawl_id(case: tuple[str, str]) -> str:
    return "-".join(case)


@pytest.mark.parametrize("case", LOCATION_CRAWLS, ids=crawl_id)
async def test_location_crawl_ends_as_a_job_counting_search_and_detail_pages(
    location_crawls, listing_sites, case
) -> None:
    source, _ = case
    job = location_crawls[case].job
    outcome = expected(*case)

    assert job.status == "success", job.error_log
    assert job.pages_crawled == outcome.pages
    assert job.items_scraped == len(outcome.stored)
    assert job.items_failed == len(outcome.failed)
    if not outcome.failed:
        assert job.error_log is None
    for home in outcome.failed:
        url = listing_sites[source].url(LAYOUTS[source].home_path(home))
        assert f"could not fetch {url}" in job.error_log


@pytest.mark.parametrize("case", LOCATION_CRAWLS, ids=crawl_id)
async def test_location_crawl_stores_each_listing_with_what_its_pages_tell(
    location_crawls, listing_sites, case
) -> None:
    source, _ = case
    crawl = location_crawls[case]
    outcome = expected(*case)
    site, layout = listing_sites[source], LAYOUTS[source]

    assert sorted(crawl.rows) == sorted(ids_of(outcome.stored))
    assert {row.scraping_job_id for row in crawl.rows.values()} == {crawl.job.id}
    assert {row.dag_run_id for row in crawl.rows.values()} == {crawl.request.run_id}
    for home in outcome.stored:
        listing = Listing.model_validate(crawl.rows[str(home.home_id)].payload)
        assert listing.url == site.url(layout.home_path(home))
        assert (listing.street, listing.city, listing.state, listing.zip_code) == (
            home.street,
            home.city,
            home.state,
            home.zip_code,
        )
        assert (listing.status, listing.price, listing.bedrooms, listing.sqft) == (
            "for_sale",
            home.price,
            home.beds,
            home.sqft,
        )
        if home in outcome.from_detail:
            assert_detail_page_facts(listing, home)
        else:
            assert listing.price_history == ()
            assert listing.description != home.description


def assert_detail_page_facts(listing: Listing, home: SiteHome) -> None:
    """What only a home's detail page tells: the whole description, the price history,
    the taxes and the agent."""
    assert listing.description == home.description
    assert [(event.event, event.event_date, event.price) for event in listing.price_history] == [
        ("price_change", home.price_cut_on, home.price),
        ("listed", home.listed_on, home.list_price),
    ]
    assert listing.list_date == home.listed_on
    assert listing.year_built == home.year_built
    assert listing.bathrooms == home.bathrooms
    assert listing.tax_assessed_value == home.tax_assessed_value
    assert listing.days_on_market == home.days_on_market
    assert listing.broker is not None
    assert (listing.broker.name, listing.broker.agent_name) == (home.broker, home.agent)


@pytest.mark.parametrize("case", LOCATION_CRAWLS, ids=crawl_id)
async def test_location_crawl_fetches_the_detail_pages_it_needs_once(location_crawls, case) -> None:
    source, kind = case
    outcome = expected(*case)
    layout = LAYOUTS[source]
    gone = market_of(source, kind).gone

    assert location_crawls[case].hits == {
        layout.home_path(home): int(home in outcome.fetched)
        for home in market_of(source, kind).homes
        if home.home_id not in gone
    }


@pytest.mark.parametrize("case", LOCATION_CRAWLS, ids=crawl_id)
async def test_location_crawl_announces_each_stored_listing_once(location_crawls, case) -> None:
    crawl = location_crawls[case]

    assert sorted(event["source_id"] for event in crawl.events) == sorted(
        ids_of(expected(*case).stored)
    )
    for event in crawl.events:
        stored = Listing.model_validate(crawl.rows[event["source_id"]].payload)
        assert Listing.model_validate(event["listing"]) == stored
