"""One crawl in its own process: `python -m services.scraper.crawl < spec.json`.

Reads a `CrawlSpec` (JSON) on stdin, runs its spider with Scrapy on the asyncio
reactor (the item pipelines store prospects and publish `ProspectNew` themselves) and
prints one `CrawlReport` (JSON) on stdout. Logs are JSON lines on stderr. SIGTERM stops
the crawl gracefully (Scrapy's own handler): the report still comes, with the counts
reached.

The politeness settings of `ScraperConfig` become Scrapy settings here, with the
middlewares of `services.scraper.middlewares` in place of Scrapy's retry middleware.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from scrapy.crawler import AsyncCrawlerProcess

from services.scraper.config import ScraperConfig
from services.scraper.crawls import CrawlReport, CrawlSpec, report_from_stats
from services.scraper.middlewares import (
    PROXIES_SETTING,
    PROXY_COOLDOWN_SETTING,
    PROXY_MAX_FAILURES_SETTING,
    RETRY_BACKOFF_SETTING,
    RETRY_MAX_WAIT_SETTING,
    downloader_middlewares,
)
from services.scraper.pipelines import SPEC_SETTING, item_pipelines
from services.scraper.spiders import SPIDERS
from shared.observability import configure_logging, current_run_id

GRACEFUL_SHARE_OF_TIMEOUT = 0.95
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en-US,en;q=0.9",
}


def scrapy_settings(spec: CrawlSpec, config: ScraperConfig) -> dict[str, Any]:
    """Politeness and limits from the scraper's configuration, the spec for the pipelines."""
    return {
        "BOT_NAME": "reos",
        "USER_AGENT": config.user_agent,
        "DEFAULT_REQUEST_HEADERS": {**DEFAULT_REQUEST_HEADERS, **config.default_headers},
        "ROBOTSTXT_OBEY": config.robotstxt_obey,
        "AUTOTHROTTLE_ENABLED": config.autothrottle_enabled,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": config.autothrottle_target_concurrency,
        "AUTOTHROTTLE_START_DELAY": config.autothrottle_start_delay_seconds,
        "AUTOTHROTTLE_MAX_DELAY": config.autothrottle_max_delay_seconds,
        "DOWNLOAD_DELAY": config.download_delay_seconds,
        "RANDOMIZE_DOWNLOAD_DELAY": True,
        "CONCURRENT_REQUESTS": config.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": config.concurrent_requests_per_domain,
        "DOWNLOAD_TIMEOUT": config.download_timeout_seconds,
        "RETRY_TIMES": config.retry_times,
        "RETRY_HTTP_CODES": list(config.retry_http_codes),
        RETRY_BACKOFF_SETTING: config.retry_backoff_seconds,
        RETRY_MAX_WAIT_SETTING: config.retry_max_wait_seconds,
        PROXIES_SETTING: list(config.proxies),
        PROXY_MAX_FAILURES_SETTING: config.proxy_max_failures,
        PROXY_COOLDOWN_SETTING: config.proxy_cooldown_seconds,
        "DOWNLOADER_MIDDLEWARES": downloader_middlewares(),
        # Scrapy starts this many workers for every response's output; a listing page
        # yields one item and an index page about twenty requests, so the default of
        # 100 costs more than the parsing does.
        "CONCURRENT_ITEMS": 8,
        "CLOSESPIDER_TIMEOUT": config.crawl_timeout_seconds * GRACEFUL_SHARE_OF_TIMEOUT,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_INSTALL_ROOT_HANDLER": False,
        "LOG_LEVEL": config.crawl_log_level.upper(),
        "ITEM_PIPELINES": item_pipelines(),
        SPEC_SETTING: spec.model_dump(mode="json"),
    }


def run(spec: CrawlSpec, config: ScraperConfig) -> CrawlReport:
    process = AsyncCrawlerProcess(scrapy_settings(spec, config))
    # Scrapy's logging defaults put its own loggers at DEBUG (a line per item).
    logging.getLogger("scrapy").setLevel(config.crawl_log_level.upper())
    crawler = process.create_crawler(SPIDERS[spec.spider])
    process.crawl(
        crawler,
        source=spec.source,
        start_urls=spec.start_urls,
        listing_type=spec.listing_type,
        location=spec.location,
        filters=spec.filters,
        max_pages=spec.max_pages,
        max_items=spec.max_items,
    )
    process.start()
    assert crawler.stats is not None
    return report_from_stats(crawler.stats.get_stats())


def main() -> None:
    config = ScraperConfig()
    configure_logging("scraper", config.crawl_log_level)
    spec = CrawlSpec.model_validate_json(sys.stdin.read())
    current_run_id.set(spec.run_id)
    report = run(spec, config)
    print(report.model_dump_json(), flush=True)


if __name__ == "__main__":
    main()
