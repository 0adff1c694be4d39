"""Planning a crawl from a request, judging its report, budgets, and the DLQ reader."""

from __future__ import annotations

import json
import uuid

import pytest

from services.scraper.config import ScraperConfig
from services.scraper.crawls import (
    INFRASTRUCTURE_FINISH_REASON,
    CrawlBudget,
    CrawlReport,
    Verdict,
    judge,
    report_from_stats,
)
from services.scraper.handlers import dead_lettered_prospect
from services.scraper.sources import CrawlRejected, plan_crawl
from shared.events import ScrapeRequested


def config(**values: object) -> ScraperConfig:
    return ScraperConfig.model_validate(values)


def request(**values: object) -> ScrapeRequested:
    return ScrapeRequested.model_validate({"source": "demo", "run_id": "run-1", **values})


def test_demo_source_starts_at_the_configured_demo_site() -> None:
    spec = plan_crawl(request(), 9, config(REOS_DEMO_SITE_URL="http://127.0.0.1:9999/listings"))

    assert spec.start_urls == ["http://127.0.0.1:9999/listings"]
    assert (spec.job_id, spec.run_id, spec.source, spec.spider) == (9, "run-1", "demo", "jsonld")


def test_start_urls_in_the_request_win_over_the_default() -> None:
    spec = plan_crawl(
        request(start_urls=["http://127.0.0.1:1234/listings"], max_items=5), 1, config()
    )

    assert spec.start_urls == ["http://127.0.0.1:1234/listings"]
    assert spec.max_items == 5


def test_unknown_source_is_rejected_naming_the_known_ones() -> None:
    with pytest.raises(
        CrawlRejected, match="unknown source 'craigslist'; known sources: demo, jsonld, realtor"
    ):
        plan_crawl(request(source="craigslist"), 1, config())


def test_source_without_any_start_url_is_rejected() -> None:
    with pytest.raises(CrawlRejected, match="no start URLs for source 'demo'"):
        plan_crawl(request(), 1, config(REOS_DEMO_SITE_URL=""))


def test_start_url_that_is_not_http_is_rejected() -> None:
    with pytest.raises(CrawlRejected, match="must be http"):
        plan_crawl(request(start_urls=["file:///etc/passwd"]), 1, config())


def test_normal_finish_with_pages_is_a_success() -> None:
    verdict = judge(CrawlReport(finish_reason="finished", pages_crawled=3), ["http://x/"])

    assert (verdict.status, verdict.error_log) == ("success", None)


def test_crawl_that_fetched_nothing_failed_and_says_where_it_started() -> None:
    report = CrawlReport(finish_reason="finished", errors=["could not fetch http://x/: refused"])

    verdict = judge(report, ["http://x/"])

    assert verdict.status == "failed"
    assert verdict.error_log == "no page could be crawled from http://x/\n" + report.errors[0]


def test_crawl_that_ended_abnormally_failed_with_its_reason() -> None:
    verdict = judge(
        CrawlReport(finish_reason="closespider_timeout", pages_crawled=9), ["http://x/"]
    )

    assert verdict.status == "failed"
    assert verdict.error_log == "crawl ended: closespider_timeout"


def test_successful_crawl_names_the_pages_it_could_not_read() -> None:
    report = CrawlReport(
        finish_reason="finished", pages_crawled=3, errors=["could not fetch http://x/3: 500"]
    )

    assert judge(report, ["http://x/"]) == Verdict("success", "could not fetch http://x/3: 500")


def test_crawl_stopped_on_request_is_cancelled_whatever_it_reached() -> None:
    report = CrawlReport(finish_reason="shutdown", pages_crawled=3)

    assert judge(report, ["http://x/"], cancelled=True).status == "cancelled"


def test_crawl_robots_txt_forbade_entirely_failed_saying_so() -> None:
    report = CrawlReport(finish_reason="finished", refused_by_robots=1)

    assert judge(report, ["http://x/"]).error_log == "robots.txt forbids crawling http://x/"


def test_budget_caps_pages_and_listing_pages_separately() -> None:
    budget = CrawlBudget(max_pages=4, max_items=2)

    admitted = [budget.admit(listing=kind) for kind in (False, True, True, True, False, False)]

    assert admitted == [True, True, True, False, True, False]


def test_unlimited_budget_admits_everything() -> None:
    budget = CrawlBudget(None, None)

    assert all(budget.admit(listing=True) for _ in range(1000))


def test_report_reads_the_crawl_stats() -> None:
    stats = {
        "finish_reason": INFRASTRUCTURE_FINISH_REASON,
        "reos/pages_crawled": 27,
        "reos/items_stored": 24,
        "reos/items_failed": 1,
        "reos/items_new": 20,
        "reos/items_unchanged": 4,
        "reos/prospects_published": 20,
        "reos/errors": ["OperationalError: down"],
        "reos/changes/price_drop": 3,
        "reos/retry_wait_seconds": 2.5,
        "downloader/response_status_count/200": 27,
        "downloader/response_status_count/429": 2,
        "downloader/exception_count": 1,
        "retry/count": 3,
        "robotstxt/forbidden": 5,
        "spider_exceptions/KeyError": 2,
        "elapsed_time_seconds": 1.5,
    }

    report = report_from_stats(stats)

    assert report.model_dump() == {
        "finish_reason": INFRASTRUCTURE_FINISH_REASON,
        "pages_crawled": 27,
        "items_scraped": 24,
        "items_failed": 1,
        "items_new": 20,
        "items_changed": 0,
        "items_unchanged": 4,
        "items_duplicate": 0,
        "items_filtered": 0,
        "prospects_published": 20,
        "changes": {"price_drop": 3},
        "pages_by_status": {"200": 27, "429": 2, "error": 1},
        "retries": 3,
        "retry_wait_seconds": 2.5,
        "refused_by_robots": 5,
        "proxies_benched": 0,
        "errors": ["OperationalError: down", "KeyError raised 2 time(s) while parsing"],
        "duration_seconds": 1.5,
    }


def test_dead_lettered_prospect_names_its_prospect_and_run() -> None:
    body = json.dumps({"event_id": str(uuid.uuid4()), "prospect_id": 42, "run_id": "r-9"})

    event = dead_lettered_prospect(body.encode(), partition=3, offset=17, error="boom")

    assert (event.prospect_id, event.run_id, event.error) == (42, "r-9", "boom")


@pytest.mark.parametrize("body", [b"\xff not json", b"[1, 2]", b'{"prospect_id": "x"}', b"{}"])
def test_unreadable_dead_letter_has_no_prospect_but_does_not_raise(body: bytes) -> None:
    assert dead_lettered_prospect(body, 0, 1, None).prospect_id is None


def test_dead_letter_identity_is_its_place_on_the_topic() -> None:
    first = dead_lettered_prospect(b"{}", 1, 5, None).event_id

    assert dead_lettered_prospect(b'{"prospect_id": 1}', 1, 5, None).event_id == first
    assert dead_lettered_prospect(b"{}", 1, 6, None).event_id != first
