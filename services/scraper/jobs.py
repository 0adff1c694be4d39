"""Answering `scrape.requested`: one job row per request, one crawl per job.

The job row (unique on the request's event id) is what makes a redelivered request
harmless: a finished job is not crawled again; a job still `running` is either being
crawled by another consumer (its lease makes this one wait, then find it finished) or
was left by a process that died, so its crawl runs again (its upserts change nothing
twice). A request that cannot be crawled ends as a failed job saying why; an outage
of PostgreSQL or Kafka during the crawl leaves the job running and the request
uncommitted, to be delivered again.

Cancelling is a mark on the job row (`scrape.cancel_requested`, handled by whichever
replica consumes it); the replica running the job's crawl looks at its row every
`cancel_poll_seconds` and, once it is cancelled, stops the crawl. The job keeps its
`cancelled` status and gets the counts its crawl reached.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from services.scraper import store
from services.scraper.config import ScraperConfig
from services.scraper.crawls import INFRASTRUCTURE_FINISH_REASON, CrawlReport, Verdict, judge
from services.scraper.runner import CrawlRunner
from services.scraper.sources import CrawlRejected, known_sources, plan_crawl
from shared.events import ScrapeRequested
from shared.messaging import is_transient
from shared.observability import ServiceMetrics

CRAWL_DURATION_BUCKETS = (1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600)

log = logging.getLogger("reos.scraper.jobs")


class CrawlInterrupted(ConnectionError):
    """The crawl stopped because PostgreSQL or Kafka was unreachable; retry the request."""


class CrawlMetrics:
    def __init__(self, metrics: ServiceMetrics) -> None:
        self.pages = metrics.counter(
            "pages_crawled_total", "Pages fetched and parsed by crawls", ["source"]
        )
        self.responses = metrics.counter(
            "pages_total",
            "Responses received by crawls, retried ones included, by HTTP status "
            "(`error`: no response)",
            ["source", "status"],
        )
        self.retries = metrics.counter(
            "retries_total", "Requests retried after a 429, a 5xx or a network error", ["source"]
        )
        self.refused_by_robots = metrics.counter(
            "robots_refused_total", "Requests not made because robots.txt forbids them", ["source"]
        )
        self.proxies_benched = metrics.counter(
            "proxies_benched_total", "Times a failing proxy was benched", ["source"]
        )
        self.items_scraped = metrics.counter(
            "items_scraped_total", "Listings stored in prospect_queue", ["source"]
        )
        self.items_failed = metrics.counter(
            "items_failed_total",
            "Listing pages that failed to fetch, parse or validate",
            ["source"],
        )
        self.items_changed = metrics.counter(
            "items_changed_total",
            "Listings published again with a changed price or status, by kind of change",
            ["source", "kind"],
        )
        self.items_by_change = metrics.counter(
            "items_stored_total",
            "Listings stored, by whether their content was new, changed or unchanged",
            ["source", "change"],
        )
        self.duration = metrics.histogram(
            "crawl_duration_seconds", "Duration of one crawl", ["source"], CRAWL_DURATION_BUCKETS
        )
        self.jobs = metrics.counter("jobs_total", "Scraping jobs finished", ["source", "status"])
        self.running = metrics.gauge("jobs_running", "Crawls running now")
        self.last_success = metrics.gauge(
            "pipeline_last_success_timestamp_seconds",
            "When a crawl of the pipeline last succeeded (Unix time), since this process started",
            ["pipeline"],
        )

    def record(self, source: str, report: CrawlReport) -> None:
        self.pages.labels(source).inc(report.pages_crawled)
        self.items_scraped.labels(source).inc(report.items_scraped)
        self.items_failed.labels(source).inc(report.items_failed)
        for change in ("new", "changed", "unchanged"):
            self.items_by_change.labels(source, change).inc(getattr(report, f"items_{change}"))
        for kind, count in report.changes.items():
            self.items_changed.labels(source, kind).inc(count)
        for status, count in report.pages_by_status.items():
            self.responses.labels(source, status).inc(count)
        self.retries.labels(source).inc(report.retries)
        self.refused_by_robots.labels(source).inc(report.refused_by_robots)
        self.proxies_benched.labels(source).inc(report.proxies_benched)
        self.duration.labels(source).observe(report.duration_seconds)


class ScrapeJobs:
    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker,
        config: ScraperConfig,
        runner: CrawlRunner,
        metrics: CrawlMetrics,
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.config = config
        self.runner = runner
        self.metrics = metrics

    async def handle(self, request: ScrapeRequested) -> None:
        async with self.sessions() as session, session.begin():
            claim = await store.claim_job(session, request)
        if claim.finished:
            log.info("request already answered", extra={"job_id": claim.job_id})
            return
        async with store.job_lease(self.engine, claim.job_id):
            async with self.sessions() as session:
                status = await store.job_status(session, claim.job_id)
            if status in store.FINISHED_JOB_STATUSES:
                log.info("request answered meanwhile", extra={"job_id": claim.job_id})
                return
            await self._run(request, claim.job_id)

    async def _run(self, request: ScrapeRequested, job_id: int) -> None:
        try:
            spec = plan_crawl(request, job_id, self.config)
        except CrawlRejected as rejected:
            log.warning("crawl rejected", extra={"job_id": job_id, "reason": str(rejected)})
            # A metric label per made-up source name would grow without bound.
            known = request.source in known_sources(self.config)
            label = request.source if known else "unknown"
            await self._finish(job_id, request.pipeline, label, Verdict("failed", str(rejected)))
            return
        log.info("crawl starting", extra={"job_id": job_id, "start_urls": spec.start_urls})
        cancelled = asyncio.Event()
        watcher = asyncio.create_task(self._watch_for_cancellation(job_id, cancelled))
        try:
            with self.metrics.running.track_inprogress():
                report = await self.runner.run(spec, cancelled)
        finally:
            watcher.cancel()
        self.metrics.record(spec.source, report)
        if report.finish_reason == INFRASTRUCTURE_FINISH_REASON and not cancelled.is_set():
            raise CrawlInterrupted("; ".join(report.errors) or INFRASTRUCTURE_FINISH_REASON)
        verdict = judge(report, spec.start_urls, cancelled=cancelled.is_set())
        await self._finish(job_id, request.pipeline, spec.source, verdict, report)
        log.info(
            "crawl finished",
            extra={"job_id": job_id, "status": verdict.status, **report.model_dump()},
        )

    async def _watch_for_cancellation(self, job_id: int, cancelled: asyncio.Event) -> None:
        """Set `cancelled` once the job's row says so; an unreachable database only delays
        the next look."""
        while True:
            await asyncio.sleep(self.config.cancel_poll_seconds)
            try:
                async with self.sessions() as session:
                    status = await store.job_status(session, job_id)
            except Exception as error:
                if not is_transient(error):
                    raise
                continue
            if status == "cancelled":
                log.info("crawl cancelled", extra={"job_id": job_id})
                cancelled.set()
                return

    async def _finish(
        self,
        job_id: int,
        pipeline: str,
        source: str,
        verdict: Verdict,
        report: CrawlReport | None = None,
    ) -> None:
        report = report or CrawlReport(finish_reason="not started")
        async with self.sessions() as session, session.begin():
            await store.finish_job(
                session,
                job_id,
                status=verdict.status,
                pages_crawled=report.pages_crawled,
                items_scraped=report.items_scraped,
                items_failed=report.items_failed,
                error_log=verdict.error_log,
            )
        self.metrics.jobs.labels(source, verdict.status).inc()
        if verdict.status == "success":
            self.metrics.last_success.labels(pipeline).set_to_current_time()
