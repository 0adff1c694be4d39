"""The scraper's composition root: its subscribers, its schedules and what each one runs."""

from __future__ import annotations

import asyncio
import contextlib
from functools import partial

from faststream.asgi import AsgiFastStream
from faststream.kafka.annotations import KafkaMessage

from services.scraper import SERVICE, handlers
from services.scraper.config import ScraperConfig
from services.scraper.jobs import CrawlMetrics, ScrapeJobs
from services.scraper.runner import CrawlRunner
from services.scraper.schedules import Scheduler, parse_schedules
from shared import topics
from shared.events import (
    PropertyEnriched,
    ProspectNew,
    ScoreCreated,
    ScrapeCancelRequested,
    ScrapeRequested,
)
from shared.messaging import HEADER_ERROR_MESSAGE
from shared.runtime import ServiceRuntime, raw_body
from shared.settings import Settings

DESCRIPTION = (
    "Runs a crawl for each scrape.requested event, stores the listings in prospect_queue "
    "and publishes one prospect.new per new or changed listing, saying what changed; "
    "stops the crawls a scrape.cancel_requested names; publishes scrape.requested on the "
    "configured schedules; follows each prospect's status from property.enriched, "
    "score.created and prospect.new.dlq."
)


def build(settings: Settings, config: ScraperConfig | None = None) -> AsgiFastStream:
    config = config or ScraperConfig()
    schedules = parse_schedules(config.schedule_definitions())
    runtime = ServiceRuntime.create(SERVICE, settings)
    messaging = runtime.messaging
    jobs = ScrapeJobs(
        runtime.engine,
        runtime.sessions,
        config,
        CrawlRunner(config.crawl_timeout_seconds, config.cancel_grace_seconds),
        CrawlMetrics(runtime.metrics),
    )

    @messaging.subscriber(
        topics.SCRAPE_REQUESTED,
        max_poll_interval_ms=config.max_poll_interval_ms,
        max_workers=config.concurrent_crawls,
    )
    async def on_scrape_requested(request: ScrapeRequested) -> None:
        await jobs.handle(request)

    @messaging.subscriber(topics.SCRAPE_CANCEL_REQUESTED, max_workers=1)
    async def on_scrape_cancel_requested(event: ScrapeCancelRequested) -> None:
        await runtime.processor.once(event, handlers.cancel_crawls)

    runtime.batch_subscriber(
        topics.PROPERTY_ENRICHED,
        PropertyEnriched,
        handlers.mark_enriched,
        handlers.mark_enriched_one,
    )
    runtime.batch_subscriber(
        topics.SCORE_CREATED, ScoreCreated, handlers.mark_scored, handlers.mark_scored_one
    )

    # A dead letter is read as it is: it may be exactly what failed to parse before.
    @messaging.subscriber(topics.dlq(topics.PROSPECT_NEW), decoder=raw_body)
    async def on_prospect_dead_lettered(body: bytes, message: KafkaMessage) -> None:
        record = message.raw_message
        assert not isinstance(record, tuple), "subscribed one message at a time"
        event = handlers.dead_lettered_prospect(
            body,
            record.partition,
            record.offset,
            message.headers.get(HEADER_ERROR_MESSAGE),
        )
        await runtime.processor.once(event, handlers.mark_failed)

    scheduler = Scheduler(
        schedules,
        partial(handlers.fire_tick, runtime.sessions, messaging),
        config.schedule_misfire_grace_seconds,
    )
    running: list[asyncio.Task[None]] = []

    async def start_scheduler() -> None:
        running.append(asyncio.create_task(scheduler.run()))

    async def stop_scheduler() -> None:
        for task in running:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    messaging.declares(ProspectNew)
    messaging.declares(ScrapeRequested)
    app = runtime.asgi_app(description=DESCRIPTION, on_shutdown=[stop_scheduler])
    app.after_startup(start_scheduler)
    return app
