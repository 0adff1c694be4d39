"""The rules of polite retries and proxy rotation, and the settings that configure them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.scraper.config import ScraperConfig
from services.scraper.crawl import scrapy_settings
from services.scraper.crawls import CrawlSpec
from services.scraper.middlewares import (
    PoliteRetryMiddleware,
    ProxyPool,
    ProxyRotationMiddleware,
    redacted,
    retry_after_seconds,
    retry_delay,
)

NOW = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)


def test_retry_after_in_seconds_is_read_as_given() -> None:
    assert retry_after_seconds(b"120", NOW) == 120.0
    assert retry_after_seconds(" 0 ", NOW) == 0.0


def test_retry_after_as_an_http_date_is_the_time_until_then() -> None:
    assert retry_after_seconds("Wed, 02 Dec 2026 12:01:30 GMT", NOW) == 90.0


def test_retry_after_date_in_the_past_asks_for_no_wait() -> None:
    assert retry_after_seconds("Wed, 02 Dec 2026 11:00:00 GMT", NOW) == 0.0


@pytest.mark.parametrize("value", [None, b"", "soon", "-5", "1.5e3"])
def test_absent_or_unreadable_retry_after_is_none(value: str | bytes | None) -> None:
    assert retry_after_seconds(value, NOW) is None


def test_backoff_doubles_with_each_attempt_up_to_the_maximum_wait() -> None:
    assert [retry_delay(attempt, 1.0, 5.0) for attempt in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]


def pool(*proxies: str, max_failures: int = 2, cooldown: float = 60.0) -> ProxyPool:
    return ProxyPool(proxies, max_failures, cooldown)


def test_proxies_are_used_in_turn() -> None:
    proxies = pool("http://a:1", "http://b:1", "http://c:1")

    assert [proxies.next(0.0) for _ in range(4)] == [
        "http://a:1",
        "http://b:1",
        "http://c:1",
        "http://a:1",
    ]


def test_proxy_failing_max_failures_times_in_a_row_is_benched_until_its_cooldown_ends() -> None:
    proxies = pool("http://a:1", "http://b:1", max_failures=2, cooldown=60.0)

    assert proxies.failed("http://a:1", 0.0) is False
    assert proxies.failed("http://a:1", 1.0) is True

    assert proxies.benched(2.0) == ["http://a:1"]
    assert {proxies.next(2.0) for _ in range(3)} == {"http://b:1"}
    assert proxies.benched(61.0) == []
    assert {proxies.next(61.0) for _ in range(2)} == {"http://a:1", "http://b:1"}


def test_a_success_between_failures_keeps_a_proxy_in_service() -> None:
    proxies = pool("http://a:1", max_failures=2)

    proxies.failed("http://a:1", 0.0)
    proxies.succeeded("http://a:1")
    assert proxies.failed("http://a:1", 0.0) is False
    assert proxies.benched(0.0) == []


def test_when_every_proxy_is_benched_the_one_back_soonest_is_used() -> None:
    proxies = pool("http://a:1", "http://b:1", max_failures=1, cooldown=60.0)
    proxies.failed("http://b:1", 0.0)
    proxies.failed("http://a:1", 10.0)

    assert proxies.next(20.0) == "http://b:1"


def test_proxy_credentials_stay_out_of_logs() -> None:
    assert redacted("http://user:secret@proxy.local:3128") == "http://proxy.local:3128"


def test_socks_proxy_is_refused_at_start_up_saying_it_is_not_supported() -> None:
    with pytest.raises(ValidationError, match="SOCKS proxies are not supported") as raised:
        ScraperConfig.model_validate({"REOS_SCRAPER_PROXIES": "socks5://user:pw@127.0.0.1:1080"})
    assert "pw" not in str(raised.value)


def test_proxy_list_reads_commas_or_json() -> None:
    listed = {"REOS_SCRAPER_PROXIES": "http://a:1, https://u:p@b:2"}
    as_json = {"REOS_SCRAPER_PROXIES": '["http://a:1", "https://u:p@b:2"]'}

    assert ScraperConfig.model_validate(listed).proxies == ("http://a:1", "https://u:p@b:2")
    assert ScraperConfig.model_validate(as_json).proxies == ("http://a:1", "https://u:p@b:2")


def test_politeness_settings_reach_scrapy() -> None:
    config = ScraperConfig.model_validate(
        {
            "REOS_SCRAPER_AUTOTHROTTLE": "true",
            "REOS_SCRAPER_AUTOTHROTTLE_START_DELAY_SECONDS": "0.5",
            "REOS_SCRAPER_AUTOTHROTTLE_MAX_DELAY_SECONDS": "9",
            "REOS_SCRAPER_CONCURRENT_REQUESTS_PER_DOMAIN": "3",
            "REOS_SCRAPER_RETRY_HTTP_CODES": "429,503",
            "REOS_SCRAPER_DEFAULT_HEADERS": '{"Accept-Language": "es"}',
            "REOS_SCRAPER_PROXIES": "http://a:1",
        }
    )
    spec = CrawlSpec(
        job_id=1,
        request_event_id="00000000-0000-0000-0000-000000000001",
        run_id=None,
        source="demo",
        spider="jsonld",
        start_urls=["http://127.0.0.1/"],
    )

    settings = scrapy_settings(spec, config)

    assert settings["AUTOTHROTTLE_ENABLED"] is True
    assert (settings["AUTOTHROTTLE_START_DELAY"], settings["AUTOTHROTTLE_MAX_DELAY"]) == (0.5, 9)
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 3
    assert settings["RETRY_HTTP_CODES"] == [429, 503]
    assert settings["DEFAULT_REQUEST_HEADERS"]["Accept-Language"] == "es"
    assert settings["ROBOTSTXT_OBEY"] is True
    middlewares = settings["DOWNLOADER_MIDDLEWARES"]
    assert middlewares["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert middlewares[PoliteRetryMiddleware] < middlewares[ProxyRotationMiddleware] < 750
