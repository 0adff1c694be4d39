"""Item pipelines, in order: validate, drop duplicates, store and announce.

`StorePipeline` upserts listings into `prospect_queue` and publishes `ProspectNew` for
new and changed listings once their rows are committed; a changed listing's event says
what changed (`services.scraper.changes`), compared with the payload the same upsert
replaced. When PostgreSQL or Kafka is
unreachable it closes the crawl with `INFRASTRUCTURE_FINISH_REASON`, so the service
leaves the job running and the request is delivered again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from services.scraper import SERVICE, store
from services.scraper.changes import changes_since
from services.scraper.crawls import (
    INFRASTRUCTURE_FINISH_REASON,
    STAT_ERRORS,
    STAT_ITEMS_DUPLICATE,
    STAT_ITEMS_FAILED,
    STAT_ITEMS_STORED,
    STAT_PUBLISHED,
    CrawlSpec,
    note_error,
    stat_change,
    stat_change_kind,
)
from services.scraper.listing import ScrapedListing, content_hash, validation_problems
from shared.db.session import create_engine, create_sessionmaker
from shared.events import ProspectNew, derived_event_id
from shared.messaging import Messaging, is_transient
from shared.observability import ServiceMetrics
from shared.settings import Settings

SPEC_SETTING = "REOS_CRAWL_SPEC"
BATCH_SIZE = 200
BATCH_LINGER_SECONDS = 0.02

log = logging.getLogger("reos.scraper.pipelines")


class ValidationPipeline:
    """A listing without an id, street address or positive price is a failed item."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: ScrapedListing) -> ScrapedListing:
        problems = validation_problems(item.listing)
        if problems:
            self.stats.inc_value(STAT_ITEMS_FAILED)
            raise DropItem(f"invalid listing at {item.url}: {'; '.join(problems)}")
        return item


class DuplicatesPipeline:
    """A listing seen earlier in the same crawl (the site linked it twice) is dropped."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.seen: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: ScrapedListing) -> ScrapedListing:
        key = (item.source, item.source_id)
        if key in self.seen:
            self.stats.inc_value(STAT_ITEMS_DUPLICATE)
            raise DropItem(f"duplicate listing {item.source}:{item.source_id}", log_level="INFO")
        self.seen.add(key)
        return item


@dataclass
class _Waiting:
    item: ScrapedListing
    row: store.ProspectRow
    stored: asyncio.Future[store.StoredProspect]


class StorePipeline:
    """Stores listings in group commits: items arriving together share one transaction
    (one multi-row upsert) and one round of publishing. Each item is done only when its
    row is committed and its event acknowledged."""

    def __init__(self, crawler: Crawler, spec: CrawlSpec, settings: Settings) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.spec = spec
        self.engine = create_engine(settings, application_name="reos-scraper-crawl")
        self.sessions = create_sessionmaker(self.engine)
        self.messaging = Messaging(settings, SERVICE, ServiceMetrics(SERVICE))
        self.waiting: list[_Waiting] = []
        self.flush_timer: asyncio.TimerHandle | None = None
        self.writes: set[asyncio.Task[None]] = set()
        self.infrastructure_error: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        spec = CrawlSpec.model_validate(crawler.settings.getdict(SPEC_SETTING))
        return cls(crawler, spec, Settings())

    async def open_spider(self) -> None:
        await self.messaging.broker.connect()

    async def close_spider(self) -> None:
        await self.messaging.broker.stop()
        await self.engine.dispose()

    async def process_item(self, item: ScrapedListing) -> ScrapedListing:
        if self.infrastructure_error is not None:
            raise DropItem(f"not stored ({self.infrastructure_error}): {item.url}")
        payload = item.payload()
        row = store.ProspectRow(
            item.source, item.source_id, item.url, payload, content_hash(payload)
        )
        waiting = _Waiting(item, row, asyncio.get_running_loop().create_future())
        self._enqueue(waiting)
        try:
            stored = await waiting.stored
        except Exception as error:
            if is_transient(error):
                self._give_up(f"{type(error).__name__}: {error}")
            else:
                self.stats.inc_value(STAT_ITEMS_FAILED)
                note_error(
                    self.stats, f"could not store {item.url}: {type(error).__name__}: {error}"
                )
            raise DropItem(f"not stored: {item.url}: {error}") from error
        self.stats.inc_value(STAT_ITEMS_STORED)
        self.stats.inc_value(stat_change(stored.change))
        return item

    def _enqueue(self, waiting: _Waiting) -> None:
        self.waiting.append(waiting)
        if len(self.waiting) >= BATCH_SIZE:
            self._flush()
        elif self.flush_timer is None:
            self.flush_timer = asyncio.get_running_loop().call_later(
                BATCH_LINGER_SECONDS, self._flush
            )

    def _flush(self) -> None:
        if self.flush_timer is not None:
            self.flush_timer.cancel()
            self.flush_timer = None
        batch, self.waiting = self.waiting, []
        if batch:
            task = asyncio.get_running_loop().create_task(self._write(batch))
            self.writes.add(task)
            task.add_done_callback(self.writes.discard)

    async def _write(self, batch: list[_Waiting]) -> None:
        try:
            async with self.sessions() as session, session.begin():
                stored = await store.upsert_prospects(
                    session,
                    [waiting.row for waiting in batch],
                    job_id=self.spec.job_id,
                    run_id=self.spec.run_id,
                )
            announced = [
                self._event(waiting, stored[waiting.row.source, waiting.row.source_id])
                for waiting in batch
                if stored[waiting.row.source, waiting.row.source_id].needs_publishing(
                    self.spec.job_id
                )
            ]
            await self.messaging.publish_many(announced)
        except Exception as error:
            for waiting in batch:
                waiting.stored.set_exception(error)
            return
        self.stats.inc_value(STAT_PUBLISHED, len(announced))
        for event in announced:
            for change in event.changes:
                self.stats.inc_value(stat_change_kind(change.kind))
        for waiting in batch:
            waiting.stored.set_result(stored[waiting.row.source, waiting.row.source_id])

    def _event(self, waiting: _Waiting, stored: store.StoredProspect) -> ProspectNew:
        row = waiting.row
        return ProspectNew(
            event_id=derived_event_id(
                SERVICE, self.spec.request_event_id, row.source, row.source_id, row.content_hash
            ),
            run_id=self.spec.run_id,
            prospect_id=stored.prospect_id,
            source=row.source,
            source_id=row.source_id,
            url=row.url,
            listing=waiting.item.listing,
            changes=changes_since(stored.previous_payload, waiting.item.listing),
        )

    def _give_up(self, reason: str) -> None:
        """Stop the crawl: storing or announcing is impossible until the outage ends."""
        if self.infrastructure_error is not None:
            return
        self.infrastructure_error = reason
        log.error("storage unavailable, closing the crawl", extra={"error": reason})
        self.stats.set_value(STAT_ERRORS, [*self.stats.get_value(STAT_ERRORS, []), reason])
        assert self.crawler.engine is not None
        closing = asyncio.get_running_loop().create_task(
            self.crawler.engine.close_spider_async(reason=INFRASTRUCTURE_FINISH_REASON)
        )
        self.writes.add(closing)
        closing.add_done_callback(self.writes.discard)


def item_pipelines() -> dict[Any, int]:
    return {ValidationPipeline: 100, DuplicatesPipeline: 200, StorePipeline: 300}
