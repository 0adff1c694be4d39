"""The scraper on the real stack when sites push back, listings change, crawls are cancelled
and schedules tick: retries that wait as asked, failures counted, robots.txt obeyed,
proxies benched, changes published with what changed, one tick fired once.

The listing site here runs in the test process (a thread), so a test can make one page
answer 429 or 500, change a price, or slow the site down, and see which requests came.
"""

from __future__ import annotations

import asyncio
import dataclasses
import http.client
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from services.scraper import handlers
from services.scraper.config import ScraperConfig
from services.scraper.demo_market import DemoListing, DemoMarket
from services.scraper.demo_pages import index_page, listing_page, robots_txt
from services.scraper.jobs import CrawlMetrics, ScrapeJobs
from services.scraper.runner import CrawlRunner
from services.scraper.schedules import Schedule, Scheduler
from shared import topics
from shared.db.session import create_engine, create_sessionmaker
from shared.db.tables import scraping_jobs
from shared.events import ScrapeCancelRequested, ScrapeRequested
from shared.messaging import Messaging
from shared.observability import ServiceMetrics
from tests.conftest import TopicReader, publish, unique_run_id
from tests.integration.test_scraper_service import (
    events_of_run,
    finished_job,
    metric,
    new_prefix,
    prospects_of,
)
from tests.services import ServiceProcess, free_port, running_services

pytestmark = pytest.mark.stack

RETRY_BACKOFF_SECONDS = 0.2
SERVICE_SCHEDULE = f"itest-service-{uuid.uuid4().hex[:8]}"
SERVICE_ENV = {
    "REOS_SCHEDULES": json.dumps(
        {
            SERVICE_SCHEDULE: {
                "pipeline": "scrape_listings",
                "cron": "* * * * * */5",
                "request": {"source": "nosuch-scheduled"},
            }
        }
    ),
    "REOS_SCRAPER_RETRY_TIMES": "2",
    "REOS_SCRAPER_RETRY_BACKOFF_SECONDS": str(RETRY_BACKOFF_SECONDS),
    "REOS_SCRAPER_RETRY_MAX_WAIT_SECONDS": "10",
    "REOS_SCRAPER_CANCEL_POLL_SECONDS": "0.5",
    "REOS_SCRAPER_CONCURRENT_CRAWLS": "2",
}


class ListingSite:
    """A listing site of demo pages whose answers a test controls: a path's next answers
    (`faults`), paths that always fail (`broken`), its robots.txt, slow listing pages,
    prices and availability that change."""

    def __init__(self, prefix: str, count: int, *, delay_seconds: float = 0.0) -> None:
        self.prefix = prefix
        self.listings = [invented_listing(prefix, n) for n in range(1, count + 1)]
        self.availability = {listing.listing_id: "InStock" for listing in self.listings}
        self.faults: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.broken: set[str] = set()
        self.robots = robots_txt()
        self.delay_seconds = delay_seconds
        self.hits: list[tuple[str, float]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/listings"

    def path_of(self, number: int) -> str:
        return self.listings[number - 1].path

    def hits_of(self, path: str) -> list[float]:
        with self.lock:
            return [when for hit, when in self.hits if hit == path]

    def set_listing(self, number: int, *, price: int | None = None, availability: str = "") -> None:
        listing = self.listings[number - 1]
        if price is not None:
            self.listings[number - 1] = dataclasses.replace(listing, price=price)
        if availability:
            self.availability[listing.listing_id] = availability

    def answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.hits.append((path, time.monotonic()))
            faults = self.faults.get(urlsplit(path).path)
            if faults:
                status, headers = faults.pop(0)
                return status, headers, b"try again later\n"
            if urlsplit(path).path in self.broken:
                return 500, {}, b"internal error\n"
        parts = urlsplit(path)
        if parts.path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, self.robots
        market = DemoMarket(tuple(self.listings))
        if parts.path == "/listings":
            page = index_page(market, int(parse_qs(parts.query).get("page", ["1"])[0]))
            return (200, {}, page) if page else (404, {}, b"")
        for listing in self.listings:
            if listing.path == parts.path:
                time.sleep(self.delay_seconds)
                body = listing_page(listing).replace(
                    b"schema.org/InStock",
                    f"schema.org/{self.availability[listing.listing_id]}".encode(),
                )
                return 200, {}, body
        return 404, {}, b"not found\n"


def _handler(site: ListingSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            status, headers, body = site.answer(self.path)
            self.send_response(status)
            for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    return Handler


def invented_listing(prefix: str, number: int) -> DemoListing:
    return DemoListing(
        listing_id=f"{prefix}-{number:06d}",
        street_address=f"{100 + number} Fixture Ave",
        city="Seattle",
        state="WA",
        zip_code="98101",
        property_type="single_family",
        price=400_000 + 1_000 * number,
        bedrooms=3,
        bathrooms=2.0,
        sqft_living=1_500,
        sqft_lot=5_000,
        year_built=1990,
        latitude=47.61,
        longitude=-122.33,
        date_posted="2026-11-01",
    )


@pytest.fixture
def site_factory() -> Iterator[Any]:
    sites: list[ListingSite] = []

    def open_site(count: int = 5, **options: Any) -> ListingSite:
        site = ListingSite(new_prefix(), count, **options)
        site.thread.start()
        sites.append(site)
        return site

    yield open_site
    for site in sites:
        site.server.shutdown()
        site.server.server_close()


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("scraper-robustness-logs")


@pytest.fixture(scope="module")
def scraper(stack_env: dict[str, str], log_dir: Path) -> Iterator[ServiceProcess]:
    with running_services(["services.scraper"], log_dir, SERVICE_ENV) as started:
        yield started["scraper"]


async def crawl(
    producer: Any, sessions: Any, site: ListingSite, **request: Any
) -> tuple[ScrapeRequested, Any]:
    event = ScrapeRequested(
        run_id=unique_run_id("robust"), source="demo", start_urls=[site.url], **request
    )
    await publish(producer, event)
    return event, await finished_job(sessions, event.event_id)


async def test_429_with_retry_after_is_retried_after_the_wait_the_site_asked_for(
    scraper, site_factory, sessions, raw_producer
) -> None:
    site = site_factory(count=3)
    throttled = site.path_of(2)
    site.faults[throttled] = [(429, {"Retry-After": "2"})]

    _, job = await crawl(raw_producer, sessions, site)

    assert (job.status, job.items_scraped, job.items_failed) == ("success", 3, 0)
    first, retried = site.hits_of(throttled)
    assert retried - first >= 2.0
    assert metric(scraper, "reos_scraper_pages_total", source="demo", status="429") >= 1
    assert metric(scraper, "reos_scraper_retries_total", source="demo") >= 1


async def test_500_is_retried_with_backoff_then_counted_on_the_job_with_its_url(
    scraper, site_factory, sessions, raw_producer
) -> None:
    site = site_factory(count=3)
    broken = site.path_of(3)
    site.broken.add(broken)

    _, job = await crawl(raw_producer, sessions, site)

    hits = site.hits_of(broken)
    assert len(hits) == 1 + 2  # the first try and RETRY_TIMES retries
    assert hits[1] - hits[0] >= RETRY_BACKOFF_SECONDS
    assert hits[2] - hits[1] >= 2 * RETRY_BACKOFF_SECONDS
    assert (job.status, job.items_scraped, job.items_failed) == ("success", 2, 1)
    assert f"{site.url.removesuffix('/listings')}{broken}" in job.error_log
    assert len(await prospects_of(sessions, site.prefix)) == 2


async def test_pages_robots_txt_forbids_are_never_requested(
    scraper, site_factory, sessions, raw_producer
) -> None:
    site = site_factory(count=3)
    site.robots = b"User-agent: *\nDisallow: /listing/\n"

    _, job = await crawl(raw_producer, sessions, site)

    assert [path for path, _ in site.hits if path.startswith("/listing/")] == []
    assert (job.status, job.items_scraped, job.pages_crawled) == ("success", 0, 1)
    assert metric(scraper, "reos_scraper_robots_refused_total", source="demo") >= 3


async def test_crawl_of_a_site_whose_robots_txt_forbids_it_fails_saying_so(
    scraper, site_factory, sessions, raw_producer
) -> None:
    site = site_factory(count=3)
    site.robots = b"User-agent: *\nDisallow: /\n"

    _, job = await crawl(raw_producer, sessions, site)

    assert [path for path, _ in site.hits] == ["/robots.txt"]
    assert job.status == "failed"
    assert job.error_log.startswith(f"robots.txt forbids crawling {site.url}")


async def test_listing_seen_again_is_published_with_what_changed_and_unchanged_ones_are_not(
    scraper, site_factory, sessions, raw_producer, topic_reader
) -> None:
    site = site_factory(count=4)
    await crawl(raw_producer, sessions, site)
    site.set_listing(1, price=350_000)
    site.set_listing(2, availability="SoldOut")
    site.set_listing(3, availability="PreOrder")
    reader = await topic_reader(topics.PROSPECT_NEW)

    request, job = await crawl(raw_producer, sessions, site)

    assert (job.status, job.items_scraped) == ("success", 4)
    changed = {
        event["source_id"]: event["changes"]
        for event in await events_of_run(reader, request.run_id or "", 3)
    }
    ids = [listing.listing_id for listing in site.listings]
    assert changed == {
        ids[0]: [{"kind": "price_drop", "field": "price", "old": 401_000.0, "new": 350_000.0}],
        ids[1]: [{"kind": "status_change", "field": "status", "old": "for_sale", "new": "sold"}],
        ids[2]: [{"kind": "status_change", "field": "status", "old": "for_sale", "new": "pending"}],
    }

    site.set_listing(3, availability="InStock")
    request, _ = await crawl(raw_producer, sessions, site)

    [back] = await events_of_run(reader, request.run_id or "", 1)
    assert (back["source_id"], back["changes"]) == (
        ids[2],
        [{"kind": "back_on_market", "field": "status", "old": "pending", "new": "for_sale"}],
    )
    # The exposition orders labels by name.
    for kind in ("price_drop", "status_change", "back_on_market"):
        assert metric(scraper, "reos_scraper_items_changed_total", kind=kind, source="demo") >= 1


async def job_of(sessions: Any, request: ScrapeRequested) -> Any:
    async with sessions() as session:
        return (
            await session.execute(
                sa.select(scraping_jobs).where(scraping_jobs.c.request_event_id == request.event_id)
            )
        ).one_or_none()


async def until(condition: Any, timeout: float = 60.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while not (found := await condition()):
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail("condition not reached in time")
        await asyncio.sleep(0.3)
    return found


async def test_cancelling_one_of_two_running_crawls_stops_only_that_one(
    scraper, site_factory, sessions, raw_producer
) -> None:
    doomed_site = site_factory(count=400, delay_seconds=0.5)
    kept_site = site_factory(count=30, delay_seconds=0.5)
    doomed = ScrapeRequested(
        run_id=unique_run_id("doomed"), source="demo", start_urls=[doomed_site.url]
    )
    kept = ScrapeRequested(run_id=unique_run_id("kept"), source="demo", start_urls=[kept_site.url])
    await publish(raw_producer, doomed)
    await publish(raw_producer, kept)

    # The two requests may share a partition (then one crawl waits for the other) or not
    # (then they run at once): either way only the cancelled one may stop.
    async def doomed_crawling() -> bool:
        job = await job_of(sessions, doomed)
        stored = await prospects_of(sessions, doomed_site.prefix)
        return job is not None and job.status == "running" and bool(stored)

    await until(doomed_crawling)
    doomed_job = await job_of(sessions, doomed)
    cancel = ScrapeCancelRequested(job_id=doomed_job.id, reason="operator asked")
    await publish(raw_producer, cancel)

    await finished_job(sessions, doomed.event_id, timeout=60)
    await until(lambda: _counted(sessions, doomed))
    cancelled = await job_of(sessions, doomed)
    finished = await finished_job(sessions, kept.event_id, timeout=120)

    assert (cancelled.status, cancelled.error_log) == ("cancelled", "cancelled: operator asked")
    stored = await prospects_of(sessions, doomed_site.prefix)
    assert 0 < cancelled.items_scraped < 400
    assert len(stored) >= cancelled.items_scraped
    requests_after_cancel = len(doomed_site.hits)
    await asyncio.sleep(2)
    assert len(doomed_site.hits) == requests_after_cancel
    assert (finished.status, finished.items_scraped) == ("success", 30)
    assert metric(scraper, "reos_scraper_jobs_total", source="demo", status="cancelled") >= 1

    await publish(raw_producer, ScrapeCancelRequested(job_id=finished.id, reason="too late"))
    await publish(raw_producer, cancel)
    await asyncio.sleep(3)
    assert await job_of(sessions, kept) == finished
    assert (await job_of(sessions, doomed)).items_scraped == cancelled.items_scraped


async def _counted(sessions: Any, request: ScrapeRequested) -> bool:
    """The cancelled job got its crawl's counts: its crawl process has ended."""
    job = await job_of(sessions, request)
    return job is not None and job.pages_crawled > 0


class ForwardingProxy:
    """A plain HTTP proxy (absolute-URI requests) that counts what it forwarded."""

    def __init__(self) -> None:
        self.forwarded: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                target = urlsplit(self.path)
                proxy.forwarded.append(target.path)
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
                upstream.request("GET", target.path + (f"?{target.query}" if target.query else ""))
                answer = upstream.getresponse()
                body = answer.read()
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.getheader("Content-Type") or "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                upstream.close()

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


async def test_proxy_that_keeps_failing_is_benched_and_the_crawl_goes_on_through_another(
    stack_env, site_factory, engine, sessions, monkeypatch
) -> None:
    site = site_factory(count=5)
    good = ForwardingProxy()
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    for name, value in {
        "REOS_SCRAPER_PROXIES": f"{dead},{good.url}",
        "REOS_SCRAPER_PROXY_MAX_FAILURES": "2",
        "REOS_SCRAPER_PROXY_COOLDOWN_SECONDS": "600",
        "REOS_SCRAPER_RETRY_TIMES": "3",
        "REOS_SCRAPER_RETRY_BACKOFF_SECONDS": "0.05",
    }.items():
        monkeypatch.setenv(name, value)  # read by the crawl process
    metrics = CrawlMetrics(ServiceMetrics("scraper"))
    jobs = ScrapeJobs(engine, sessions, ScraperConfig(), CrawlRunner(120), metrics)
    request = ScrapeRequested(run_id=unique_run_id("proxy"), source="demo", start_urls=[site.url])

    try:
        await jobs.handle(request)
    finally:
        good.server.shutdown()

    job = await finished_job(sessions, request.event_id, timeout=1)
    assert (job.status, job.items_scraped, job.items_failed) == ("success", 5, 0)
    assert sorted(set(good.forwarded)) == sorted(
        {"/robots.txt", "/listings", *(listing.path for listing in site.listings)}
    )
    assert len(site.hits) == len(good.forwarded)
    assert counter_value(metrics.proxies_benched, source="demo") == 1


def counter_value(counter: Any, **labels: str) -> float:
    for family in counter.collect():
        for sample in family.samples:
            if sample.name.endswith("_total") and sample.labels == labels:
                return float(sample.value)
    return 0.0


async def test_a_schedule_tick_fires_once_with_two_scheduler_replicas(settings, sessions) -> None:
    name = f"itest-{uuid.uuid4().hex[:10]}"
    schedule = Schedule(
        name=name,
        pipeline="scrape_listings",
        cron="* * * * * */2",
        request={"source": f"nosuch-{uuid.uuid4().hex[:8]}"},
    )
    reader = TopicReader(settings.kafka_bootstrap_servers, [topics.SCRAPE_REQUESTED])
    await reader.start()
    outcomes: list[tuple[int, str, bool]] = []
    replicas = [
        await scheduler_replica(settings, replica, schedule, outcomes) for replica in (1, 2)
    ]
    loops = [asyncio.create_task(scheduler.run()) for scheduler, _ in replicas]
    try:
        await asyncio.sleep(7)
    finally:
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        for _, close in replicas:
            await close()

    published: list[str] = []
    deadline = asyncio.get_running_loop().time() + 10
    while asyncio.get_running_loop().time() < deadline:
        batch = await reader.consumer.getmany(timeout_ms=500)
        for records in batch.values():
            for record in records:
                if record.value and name.encode() in record.value:
                    published.append(json.loads(record.value)["run_id"])
    await reader.stop()

    ticks = sorted({run_id for _, run_id, _ in outcomes})
    assert len(ticks) >= 3
    assert sorted(published) == ticks
    for tick in ticks:
        assert sorted(
            (replica, fired) for replica, run_id, fired in outcomes if run_id == tick
        ) in (
            [(1, True), (2, False)],
            [(1, False), (2, True)],
        )
    async with sessions() as session:
        claimed = await session.execute(
            sa.text("SELECT run_id FROM schedule_ticks WHERE schedule = :name ORDER BY 1"),
            {"name": name},
        )
        assert list(claimed.scalars()) == ticks


async def test_the_service_publishes_its_scheduled_requests(scraper, sessions) -> None:
    async def scheduled_jobs() -> list[Any]:
        async with sessions() as session:
            found = await session.execute(
                sa.select(scraping_jobs).where(
                    scraping_jobs.c.dag_run_id.like(f"{SERVICE_SCHEDULE}__%")
                )
            )
            return list(found)

    jobs = await until(scheduled_jobs, timeout=30)

    assert {job.dag_id for job in jobs} == {"scrape_listings"}
    assert {job.source for job in jobs} == {"nosuch-scheduled"}


async def scheduler_replica(
    settings: Any, replica: int, schedule: Schedule, outcomes: list[tuple[int, str, bool]]
) -> tuple[Scheduler, Any]:
    """A scheduler as one scraper replica runs it (its own database pool and producer),
    noting each tick it tried and whether it fired it; and how to close it."""
    engine = create_engine(settings, application_name=f"reos-itest-scheduler-{replica}")
    messaging = Messaging(settings, "scraper", ServiceMetrics("scraper"))
    await messaging.broker.connect()

    async def fire(schedule: Schedule, tick: Any, request: ScrapeRequested) -> bool:
        fired = await handlers.fire_tick(
            create_sessionmaker(engine), messaging, schedule, tick, request
        )
        outcomes.append((replica, request.run_id or "", fired))
        return fired

    async def close() -> None:
        await messaging.broker.stop()
        await engine.dispose()

    return Scheduler([schedule], fire, misfire_grace_seconds=1), close
