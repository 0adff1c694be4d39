"""The scraper service on the real stack: crawl requests in, prospects and events out, once.

The demo sites started here use listing-id prefixes of their own, so the prospects of
these tests are theirs alone even on a database other tests share.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer

from services.scraper.config import ScraperConfig
from services.scraper.jobs import CrawlMetrics, ScrapeJobs
from services.scraper.listing import content_hash
from services.scraper.runner import CrawlRunner
from shared import topics
from shared.db.tables import prospect_queue, scraping_jobs
from shared.events import (
    PropertyEnriched,
    ScoreCreated,
    ScrapeRequested,
    derived_event_id,
)
from shared.listing import Listing
from shared.observability import ServiceMetrics
from tests.conftest import TopicReader, publish, unique_run_id
from tests.factories import insert_scored_property
from tests.services import ServiceProcess, free_port, running_services

pytestmark = pytest.mark.stack

COUNT = 25
PAGES = COUNT + 2  # two index pages of at most 20 listings


def new_prefix() -> str:
    return f"DMT{uuid.uuid4().hex[:8].upper()}"


@contextmanager
def demo_site(log_dir: Path, prefix: str, count: int = COUNT, seed: int = 7) -> Iterator[str]:
    """A demo listing site of its own process; yields its first index page's URL."""
    env = {
        **os.environ,
        "REOS_DEMO_SITE_ID_PREFIX": prefix,
        "REOS_DEMO_SITE_COUNT": str(count),
        "REOS_DEMO_SITE_SEED": str(seed),
    }
    site = ServiceProcess("services.scraper.demo_site", free_port(), log_dir, env)
    try:
        site.wait_ready("/healthz")
        yield site.url + "/listings"
    finally:
        site.stop()


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("scraper-logs")


@pytest.fixture(scope="module")
def scraper(stack_env: dict[str, str], log_dir: Path) -> Iterator[ServiceProcess]:
    with running_services(["services.scraper"], log_dir) as started:
        yield started["scraper"]


@pytest.fixture(scope="module")
def site_prefix() -> str:
    return new_prefix()


@pytest.fixture(scope="module")
def site_url(log_dir: Path, site_prefix: str) -> Iterator[str]:
    with demo_site(log_dir, site_prefix) as url:
        yield url


async def finished_job(sessions: Any, request_event_id: uuid.UUID, timeout: float = 120.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        async with sessions() as session:
            job = (
                await session.execute(
                    sa.select(scraping_jobs).where(
                        scraping_jobs.c.request_event_id == request_event_id
                    )
                )
            ).one_or_none()
        if job is not None and job.status not in ("queued", "running"):
            return job
        await asyncio.sleep(0.5)
    pytest.fail(f"no finished scraping job for request {request_event_id} after {timeout}s")


async def crawl(
    producer: Any, sessions: Any, start_url: str, run_id: str | None = None, **request: Any
) -> tuple[ScrapeRequested, Any]:
    event = ScrapeRequested(
        run_id=run_id or unique_run_id("scrape"), source="demo", start_urls=[start_url], **request
    )
    await publish(producer, event)
    return event, await finished_job(sessions, event.event_id)


async def prospects_of(sessions: Any, prefix: str) -> list[Any]:
    async with sessions() as session:
        rows = await session.execute(
            sa.select(prospect_queue)
            .where(
                prospect_queue.c.source == "demo", prospect_queue.c.source_id.like(f"{prefix}-%")
            )
            .order_by(prospect_queue.c.source_id)
        )
        return list(rows)


async def events_of_run(
    reader: TopicReader, run_id: str, expected: int, timeout: float = 60.0, settle: float = 3.0
) -> list[dict[str, Any]]:
    """The `prospect.new` events of `run_id`: waits for `expected`, then `settle` s for extras."""
    found: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    settle_until: float | None = None
    while True:
        now = loop.time()
        if settle_until is None and len(found) >= expected:
            settle_until = now + settle
        if (settle_until is not None and now >= settle_until) or now >= deadline:
            return found
        batch = await reader.consumer.getmany(timeout_ms=500)
        for records in batch.values():
            for record in records:
                value = json.loads(record.value)
                if value.get("run_id") == run_id:
                    found.append({"key": record.key, **value})


@pytest.fixture(scope="module")
async def first_crawl(scraper, site_url, settings, sessions) -> dict[str, Any]:
    """One crawl of the module's demo site, with the events it published."""
    reader = TopicReader(settings.kafka_bootstrap_servers, [topics.PROSPECT_NEW])
    await reader.start()
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        request, job = await crawl(producer, sessions, site_url)
        events = await events_of_run(reader, request.run_id or "", COUNT)
    finally:
        await producer.stop()
        await reader.stop()
    return {"request": request, "job": job, "events": events}


async def test_crawl_request_ends_as_one_successful_job_with_its_counts(first_crawl) -> None:
    request, job = first_crawl["request"], first_crawl["job"]

    assert job.status == "success", job.error_log
    assert (job.items_scraped, job.items_failed, job.pages_crawled) == (COUNT, 0, PAGES)
    assert (job.dag_id, job.dag_run_id, job.source) == ("scrape_listings", request.run_id, "demo")
    assert job.config["start_urls"] == request.start_urls
    assert job.started_at <= job.completed_at
    assert job.error_log is None


async def test_every_demo_listing_becomes_one_prospect_of_the_run(
    first_crawl, sessions, site_prefix
) -> None:
    request, job = first_crawl["request"], first_crawl["job"]

    rows = await prospects_of(sessions, site_prefix)

    assert [row.source_id for row in rows] == [f"{site_prefix}-{n:06d}" for n in range(1, 26)]
    assert {row.dag_run_id for row in rows} == {request.run_id}
    assert {row.scraping_job_id for row in rows} == {job.id}
    assert all(row.content_hash == content_hash(row.payload) for row in rows)
    first = Listing.model_validate(rows[0].payload)
    assert (first.source, first.source_id, first.status) == ("demo", rows[0].source_id, "for_sale")
    assert first.state == "WA"
    assert first.price is not None and first.price > 0
    assert first.street and first.zip_code


async def test_each_prospect_is_announced_once_with_the_run_id(
    first_crawl, sessions, site_prefix
) -> None:
    request, events = first_crawl["request"], first_crawl["events"]
    rows = {row.source_id: row for row in await prospects_of(sessions, site_prefix)}

    assert len(events) == COUNT
    assert sorted(event["source_id"] for event in events) == sorted(rows)
    for event in events:
        row = rows[event["source_id"]]
        assert event["key"] == f"demo:{row.source_id}".encode()
        assert event["prospect_id"] == row.id
        assert event["listing"] == row.payload
        assert event["schema_version"] == 2
        assert event["event_id"] == str(
            derived_event_id("scraper", request.event_id, "demo", row.source_id, row.content_hash)
        )


async def test_redelivered_crawl_request_changes_nothing(
    first_crawl, sessions, site_prefix, raw_producer, topic_reader
) -> None:
    request, job = first_crawl["request"], first_crawl["job"]
    rows_before = await prospects_of(sessions, site_prefix)
    reader = await topic_reader(topics.PROSPECT_NEW)

    await publish(raw_producer, request)
    # A request behind it on the same partition: once it is answered, so is the duplicate.
    barrier = ScrapeRequested(run_id=unique_run_id("barrier"), source=f"nosuch-{uuid.uuid4().hex}")
    await publish(raw_producer, barrier, key=request.key())
    await finished_job(sessions, barrier.event_id)

    async with sessions() as session:
        jobs = list(
            await session.execute(
                sa.select(scraping_jobs).where(scraping_jobs.c.request_event_id == request.event_id)
            )
        )
    assert jobs == [job]
    assert await prospects_of(sessions, site_prefix) == rows_before
    assert await events_of_run(reader, request.run_id or "", 0, settle=2.0) == []


async def test_unchanged_recrawl_keeps_each_prospects_status_and_run(
    first_crawl, sessions, site_url, site_prefix, raw_producer, topic_reader
) -> None:
    first_run = first_crawl["request"].run_id
    async with sessions() as session, session.begin():
        await session.execute(
            sa.update(prospect_queue)
            .where(prospect_queue.c.source_id.like(f"{site_prefix}-%"))
            .values(status="scored")
        )
    before = await prospects_of(sessions, site_prefix)
    reader = await topic_reader(topics.PROSPECT_NEW)

    request, job = await crawl(raw_producer, sessions, site_url)

    assert (job.status, job.items_scraped, job.pages_crawled) == ("success", COUNT, PAGES)
    after = await prospects_of(sessions, site_prefix)
    assert after == before
    assert {row.status for row in after} == {"scored"}
    assert {row.dag_run_id for row in after} == {first_run}
    assert await events_of_run(reader, request.run_id or "", 0, settle=2.0) == []


async def test_changed_listing_is_updated_reset_to_new_and_announced_again(
    scraper, log_dir, sessions, raw_producer, topic_reader
) -> None:
    prefix = new_prefix()
    with demo_site(log_dir, prefix, count=5, seed=7) as url:
        _, first_job = await crawl(raw_producer, sessions, url)
    async with sessions() as session, session.begin():
        await session.execute(
            sa.update(prospect_queue)
            .where(prospect_queue.c.source_id.like(f"{prefix}-%"))
            .values(status="enriched")
        )
    before = {row.source_id: row for row in await prospects_of(sessions, prefix)}
    reader = await topic_reader(topics.PROSPECT_NEW)

    with demo_site(log_dir, prefix, count=5, seed=8) as url:
        request, job = await crawl(raw_producer, sessions, url)

    assert first_job.status == job.status == "success"
    after = await prospects_of(sessions, prefix)
    assert [row.id for row in after] == [before[row.source_id].id for row in after]
    for row in after:
        assert row.content_hash != before[row.source_id].content_hash
        assert (row.status, row.dag_run_id, row.scraping_job_id) == ("new", request.run_id, job.id)
    events = await events_of_run(reader, request.run_id or "", 5)
    assert sorted(event["source_id"] for event in events) == [row.source_id for row in after]


async def test_max_items_limits_the_listings_a_crawl_takes(
    scraper, log_dir, sessions, raw_producer
) -> None:
    prefix = new_prefix()
    with demo_site(log_dir, prefix, count=45) as url:
        _, job = await crawl(raw_producer, sessions, url, max_items=7)

    assert (job.status, job.items_scraped) == ("success", 7)
    assert len(await prospects_of(sessions, prefix)) == 7


async def test_request_for_an_unknown_source_ends_as_a_failed_job_saying_so(
    scraper, sessions, raw_producer
) -> None:
    request = ScrapeRequested(run_id=unique_run_id("unknown"), source="no-such-site")

    await publish(raw_producer, request)
    job = await finished_job(sessions, request.event_id)

    assert job.status == "failed"
    assert job.error_log.startswith("unknown source 'no-such-site'; known sources: ")
    assert "demo" in job.error_log.rsplit(": ", 1)[1].split(", ")
    assert (job.items_scraped, job.pages_crawled) == (0, 0)
    assert job.started_at <= job.completed_at


async def test_unreachable_site_ends_as_a_failed_job_naming_it(
    scraper, sessions, raw_producer
) -> None:
    url = f"http://127.0.0.1:{free_port()}/listings"  # a port nothing listens on

    _, job = await crawl(raw_producer, sessions, url)

    assert job.status == "failed"
    assert job.error_log.startswith(f"no page could be crawled from {url}")


async def status_of(sessions: Any, prospect_id: int) -> str:
    async with sessions() as session:
        return (
            await session.execute(
                sa.select(prospect_queue.c.status).where(prospect_queue.c.id == prospect_id)
            )
        ).scalar_one()


async def wait_for_status(sessions: Any, prospect_id: int, status: str, timeout: float = 30.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while (current := await status_of(sessions, prospect_id)) != status:
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"prospect {prospect_id} is {current!r}, expected {status!r}")
        await asyncio.sleep(0.3)


async def insert_prospect(sessions: Any) -> int:
    source_id = uuid.uuid4().hex
    async with sessions() as session, session.begin():
        return (
            await session.execute(
                sa.insert(prospect_queue)
                .values(source="itest-scraper", source_id=source_id, payload={}, content_hash="0")
                .returning(prospect_queue.c.id)
            )
        ).scalar_one()


async def test_prospect_status_follows_enrichment_then_scoring_and_never_goes_back(
    scraper, sessions, raw_producer
) -> None:
    prospect_id = await insert_prospect(sessions)
    property_id, score_id = await insert_scored_property(sessions, prospect_id)
    run_id = unique_run_id("status")
    enriched = PropertyEnriched(
        run_id=run_id,
        property_id=property_id,
        prospect_id=prospect_id,
        property_key="k",
        address="1 TEST ST",
        listing=Listing(source="itest", source_id="k", status="for_sale", street="1 Test St"),
    )

    await publish(raw_producer, enriched)
    await wait_for_status(sessions, prospect_id, "enriched")

    scored = ScoreCreated(
        run_id=run_id,
        score_id=score_id,
        property_id=property_id,
        model_version="itest",
        overall_score=50,
        investment_score=50,
        risk_score=50,
    )
    await publish(raw_producer, scored)
    await wait_for_status(sessions, prospect_id, "scored")

    late = enriched.model_copy(update={"event_id": uuid.uuid4()})
    await publish(raw_producer, late)
    barrier_id = await insert_prospect(sessions)
    barrier = enriched.model_copy(update={"event_id": uuid.uuid4(), "prospect_id": barrier_id})
    await publish(raw_producer, barrier, key=late.key())
    await wait_for_status(sessions, barrier_id, "enriched")
    assert await status_of(sessions, prospect_id) == "scored"


async def test_dead_lettered_prospect_is_marked_failed_and_garbage_is_passed_over(
    scraper, sessions, raw_producer
) -> None:
    prospect_id = await insert_prospect(sessions)
    key = f"itest-scraper:{prospect_id}".encode()
    headers = [("content-type", b"application/json"), ("x-reos-error-type", b"PoisonMessage")]

    await raw_producer.send_and_wait(
        topics.dlq(topics.PROSPECT_NEW), b"{not json", key=key, headers=headers
    )
    await raw_producer.send_and_wait(
        topics.dlq(topics.PROSPECT_NEW),
        json.dumps({"event_type": "prospect.new", "prospect_id": prospect_id}).encode(),
        key=key,
        headers=headers,
    )

    await wait_for_status(sessions, prospect_id, "failed")


def metric(service: ServiceProcess, name: str, **labels: str) -> float:
    text = httpx.get(service.url + "/metrics", timeout=5).text
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} ") or line.startswith(f"{name} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_crawl_figures_are_exported_as_prometheus_metrics(first_crawl, scraper) -> None:
    assert metric(scraper, "reos_scraper_pages_crawled_total", source="demo") >= PAGES
    assert metric(scraper, "reos_scraper_items_scraped_total", source="demo") >= COUNT
    assert metric(scraper, "reos_scraper_jobs_total", source="demo", status="success") >= 1
    assert metric(scraper, "reos_scraper_crawl_duration_seconds_count", source="demo") >= 1


async def test_request_whose_job_was_left_running_is_crawled_again(
    scraper, log_dir, sessions, raw_producer, topic_reader
) -> None:
    prefix = new_prefix()
    reader = await topic_reader(topics.PROSPECT_NEW)
    with demo_site(log_dir, prefix, count=5) as url:
        request = ScrapeRequested(run_id=unique_run_id("crashed"), source="demo", start_urls=[url])
        async with sessions() as session, session.begin():
            await session.execute(
                sa.insert(scraping_jobs).values(
                    dag_id=request.pipeline,
                    dag_run_id=request.run_id,
                    source="demo",
                    status="running",
                    config=request.model_dump(mode="json"),
                    request_event_id=request.event_id,
                    started_at=sa.func.now(),
                )
            )

        await publish(raw_producer, request)
        job = await finished_job(sessions, request.event_id)

    assert (job.status, job.items_scraped) == ("success", 5)
    assert len(await prospects_of(sessions, prefix)) == 5
    assert len(await events_of_run(reader, request.run_id or "", 5)) == 5


async def test_request_delivered_twice_at_once_is_crawled_once(
    log_dir, engine, sessions, topic_reader
) -> None:
    """Two consumers holding the same request (a rebalance mid-crawl): the second waits for
    the first crawl's lease and then finds the job finished."""
    metrics = CrawlMetrics(ServiceMetrics("scraper"))
    jobs = ScrapeJobs(engine, sessions, ScraperConfig(), CrawlRunner(120), metrics)
    prefix = new_prefix()
    reader = await topic_reader(topics.PROSPECT_NEW)
    with demo_site(log_dir, prefix, count=5) as url:
        request = ScrapeRequested(run_id=unique_run_id("twice"), source="demo", start_urls=[url])

        await asyncio.gather(jobs.handle(request), jobs.handle(request))

    job = await finished_job(sessions, request.event_id, timeout=1)
    assert (job.status, job.items_scraped) == ("success", 5)
    assert metric_count(metrics) == 1
    assert len(await events_of_run(reader, request.run_id or "", 5)) == 5


def metric_count(metrics: CrawlMetrics) -> float:
    """Crawls run, from the crawl-duration histogram's count."""
    for family in metrics.duration.collect():
        for sample in family.samples:
            if sample.name.endswith("_count") and sample.labels.get("source") == "demo":
                return sample.value
    return 0.0


async def test_crawl_that_overruns_its_time_fails_with_the_counts_it_reached(
    log_dir, engine, sessions, monkeypatch
) -> None:
    monkeypatch.setenv("REOS_SCRAPER_CRAWL_TIMEOUT_SECONDS", "2")  # read by the crawl process
    config = ScraperConfig()
    jobs = ScrapeJobs(
        engine,
        sessions,
        config,
        CrawlRunner(config.crawl_timeout_seconds),
        CrawlMetrics(ServiceMetrics("scraper")),
    )
    prefix = new_prefix()
    with demo_site(log_dir, prefix, count=2000) as url:
        request = ScrapeRequested(run_id=unique_run_id("slow"), source="demo", start_urls=[url])

        await jobs.handle(request)

    job = await finished_job(sessions, request.event_id, timeout=1)
    assert job.status == "failed"
    assert job.error_log.startswith("crawl ended: closespider_timeout")
    assert 0 < job.items_scraped < 2000
    assert len(await prospects_of(sessions, prefix)) == job.items_scraped
