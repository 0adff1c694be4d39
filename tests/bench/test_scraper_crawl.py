"""Benchmark (`make bench`): a crawl of a 20,000-listing fixture site through the running
scraper service, PostgreSQL and Kafka.

A generated JSON-LD site (`tests.scraper_sites`, the demo market's structure, read by
the `demo` source's spider) serves 20,000 detail pages and 1,000 index pages. The
figures: detail pages parsed, stored and published per second (over the crawl's own
duration, from the service's metrics), listings published on Kafka, and the peak
resident memory (VmHWM) of the crawl process. Target on the project's machine: at least
300 detail pages/s and under 400 MB. Only the memory bound is asserted: the rate
depends on the machine and its load, so it is reported.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import topics
from shared.events import ScrapeRequested
from tests.conftest import TopicReader, publish, unique_run_id
from tests.integration.test_scraper_service import (
    finished_job,
    metric,
    new_prefix,
    prospects_of,
)
from tests.services import ServiceProcess, free_port, running_services

pytestmark = pytest.mark.stack

LISTINGS = 20_000
INDEX_PAGES = LISTINGS // 20
TARGET_DETAIL_PAGES_PER_SECOND = 300
TARGET_PEAK_RSS_MB = 400
CRAWL_MODULE = b"services.scraper.crawl"


@pytest.fixture(scope="module")
def scraper(stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory):
    with running_services(["services.scraper"], tmp_path_factory.mktemp("logs")) as started:
        yield started["scraper"]


@pytest.fixture(scope="module")
def big_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    prefix = new_prefix()
    port = free_port()
    arguments = (
        "--count",
        str(LISTINGS),
        "--prefix",
        prefix,
        "--port",
        str(port),
    )
    site = ServiceProcess(
        "tests.scraper_sites", port, tmp_path_factory.mktemp("site"), dict(os.environ), arguments
    )
    try:
        site.wait_ready("/healthz", timeout=120)
        yield prefix, site.url + "/listings"
    finally:
        site.stop()


class CrawlMemoryWatch(threading.Thread):
    """Polls the crawl processes the service starts and keeps the highest VmHWM seen."""

    def __init__(self, service_pid: int) -> None:
        super().__init__(daemon=True)
        self.service_pid = service_pid
        self.peak_kb = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            for status in crawl_process_status(self.service_pid):
                self.peak_kb = max(self.peak_kb, status.get("VmHWM", 0))


def crawl_process_status(service_pid: int) -> list[dict[str, int]]:
    """`/proc/<pid>/status` memory figures (kB) of the service's crawl child processes."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if CRAWL_MODULE not in (proc / "cmdline").read_bytes():
                continue
            lines = (proc / "status").read_text().splitlines()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in lines if ":" in line)
        if int(fields.get("PPid", "0").strip()) != service_pid:
            continue
        found.append(
            {name: int(fields[name].split()[0]) for name in ("VmHWM", "VmRSS") if name in fields}
        )
    return found


async def published_count(reader: TopicReader, run_id: str, expected: int, timeout: float) -> int:
    """`prospect.new` events of `run_id` read until `expected` arrived or `timeout` passed."""
    seen = 0
    deadline = time.monotonic() + timeout
    while seen < expected and time.monotonic() < deadline:
        batch = await reader.consumer.getmany(timeout_ms=500, max_records=5000)
        for records in batch.values():
            seen += sum(run_id.encode() in record.value for record in records)
    return seen


def crawl_seconds(scraper: ServiceProcess) -> float:
    return metric(scraper, "reos_scraper_crawl_duration_seconds_sum", source="demo")


async def test_crawl_of_twenty_thousand_listings_reports_its_rate_and_memory(
    scraper, big_site, settings, sessions, raw_producer, record_property, capsys
) -> None:
    prefix, url = big_site
    before = crawl_seconds(scraper)
    reader = TopicReader(settings.kafka_bootstrap_servers, [topics.PROSPECT_NEW])
    await reader.start()
    watch = CrawlMemoryWatch(scraper.process.pid)
    watch.start()
    request = ScrapeRequested(run_id=unique_run_id("throughput"), source="demo", start_urls=[url])
    try:
        await publish(raw_producer, request)
        job = await finished_job(sessions, request.event_id, timeout=1800)
        published = await published_count(reader, request.run_id or "", LISTINGS, timeout=120)
    finally:
        watch.stopped.set()
        await asyncio.to_thread(watch.join)
        await reader.stop()

    assert (job.status, job.items_scraped, job.items_failed) == ("success", LISTINGS, 0), (
        job.error_log
    )
    assert job.pages_crawled == LISTINGS + INDEX_PAGES
    assert len(await prospects_of(sessions, prefix)) == LISTINGS
    crawl = crawl_seconds(scraper) - before
    end_to_end = (job.completed_at - job.started_at).total_seconds()
    figures = {
        "detail_pages": job.items_scraped,
        "pages": job.pages_crawled,
        "published": published,
        "crawl_seconds": round(crawl, 2),
        "detail_pages_per_second": round(job.items_scraped / crawl, 1),
        "pages_per_second": round(job.pages_crawled / crawl, 1),
        "listings_published_per_second": round(published / crawl, 1),
        "job_seconds_with_process_start": round(end_to_end, 2),
        "crawl_peak_rss_mb": round(watch.peak_kb / 1024, 1),
    }
    for name, value in figures.items():
        record_property(name, value)
    with capsys.disabled():
        print(f"\nscraper crawl of {LISTINGS} listings: {figures}")
    assert published == LISTINGS
    assert 0 < figures["crawl_peak_rss_mb"] < TARGET_PEAK_RSS_MB
