"""Benchmark (`make bench`): how fast the scraper crawls a thousand demo listings through
the running service.

The figures are reported, not asserted: they depend on the machine and its load.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.events import ScrapeRequested
from tests.conftest import publish, unique_run_id
from tests.integration.test_scraper_service import (
    demo_site,
    finished_job,
    metric,
    new_prefix,
    prospects_of,
)
from tests.services import ServiceProcess, running_services

pytestmark = pytest.mark.stack

LISTINGS = 1000


@pytest.fixture(scope="module")
def scraper(stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory):
    with running_services(["services.scraper"], tmp_path_factory.mktemp("logs")) as started:
        yield started["scraper"]


@pytest.fixture(scope="module")
def big_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    prefix = new_prefix()
    with demo_site(tmp_path_factory.mktemp("site"), prefix, count=LISTINGS) as url:
        yield prefix, url


def crawl_seconds(scraper: ServiceProcess) -> float:
    return metric(scraper, "reos_scraper_crawl_duration_seconds_sum", source="demo")


async def test_crawl_of_a_thousand_listings_stores_them_all_and_reports_its_rate(
    scraper, big_site, sessions, raw_producer, record_property, capsys
) -> None:
    prefix, url = big_site
    before = crawl_seconds(scraper)
    request = ScrapeRequested(run_id=unique_run_id("throughput"), source="demo", start_urls=[url])

    await publish(raw_producer, request)
    job = await finished_job(sessions, request.event_id, timeout=600)

    assert (job.status, job.items_scraped, job.items_failed) == ("success", LISTINGS, 0)
    assert len(await prospects_of(sessions, prefix)) == LISTINGS
    crawl = crawl_seconds(scraper) - before
    end_to_end = (job.completed_at - job.started_at).total_seconds()
    figures = {
        "pages": job.pages_crawled,
        "crawl_seconds": round(crawl, 2),
        "pages_per_second": round(job.pages_crawled / crawl, 1),
        "job_seconds_with_process_start": round(end_to_end, 2),
        "pages_per_second_with_process_start": round(job.pages_crawled / end_to_end, 1),
    }
    for name, value in figures.items():
        record_property(name, value)
    with capsys.disabled():
        print(f"\nscraper throughput: {figures}")
