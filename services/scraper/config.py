"""The scraper's own knobs (environment variables), beside the shared `Settings`.

Politeness and robustness, each a `REOS_SCRAPER_*` variable:
- robots.txt is obeyed unless `REOS_SCRAPER_ROBOTSTXT_OBEY=false`;
- AutoThrottle (`REOS_SCRAPER_AUTOTHROTTLE=true`) adapts the delay between requests to a
  site's latency, starting at `..._AUTOTHROTTLE_START_DELAY_SECONDS`, never above
  `..._AUTOTHROTTLE_MAX_DELAY_SECONDS`, aiming at `..._AUTOTHROTTLE_TARGET_CONCURRENCY`
  requests in flight per site;
- at most `..._CONCURRENT_REQUESTS_PER_DOMAIN` requests to one site at a time, spaced by
  `..._DOWNLOAD_DELAY_SECONDS`;
- a response whose status is in `..._RETRY_HTTP_CODES` (429 and 5xx by default), or a
  network error, is retried `..._RETRY_TIMES` times after an exponential backoff from
  `..._RETRY_BACKOFF_SECONDS`, or after the response's `Retry-After` when that is longer;
  no wait is longer than `..._RETRY_MAX_WAIT_SECONDS`, and a site asking for a longer one
  is given up on for that page rather than asked again too early;
- requests go through the proxies of `REOS_SCRAPER_PROXIES` in turn (HTTP or HTTPS proxy
  URLs, comma-separated, credentials in the URL); a proxy failing
  `..._PROXY_MAX_FAILURES` times in a row is benched for `..._PROXY_COOLDOWN_SECONDS`;
- `..._USER_AGENT` and `..._DEFAULT_HEADERS` (a JSON object) go with every request;
- a crawl stops gracefully at 95 % of `..._CRAWL_TIMEOUT_SECONDS` and is killed after it.

Cancellation and schedules:
- a running crawl whose job was cancelled is stopped within `..._CANCEL_POLL_SECONDS`,
  given `..._CANCEL_GRACE_SECONDS` to finish its writes, then killed;
- `REOS_SCHEDULES` (JSON) or `REOS_SCHEDULES_FILE` (a JSON file) name the pipelines to run
  on a cron expression (see `services.scraper.schedules`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from services.scraper.demo_market import DEFAULT_ID_PREFIX

PROXY_SCHEMES = frozenset({"http", "https"})
DEFAULT_RETRY_HTTP_CODES = (429, 500, 502, 503, 504, 408, 522, 524)


class ScraperConfig(BaseSettings):
    """Where the sources are and how politely and how long to crawl them."""

    # Proxy URLs carry credentials: a validation error must not echo them.
    model_config = SettingsConfigDict(
        extra="ignore", populate_by_name=True, hide_input_in_errors=True
    )

    demo_site_url: str = Field("http://127.0.0.1:9180/listings", alias="REOS_DEMO_SITE_URL")
    concurrent_crawls: int = Field(2, ge=1, le=16, alias="REOS_SCRAPER_CONCURRENT_CRAWLS")
    crawl_timeout_seconds: float = Field(1800.0, gt=0, alias="REOS_SCRAPER_CRAWL_TIMEOUT_SECONDS")
    robotstxt_obey: bool = Field(True, alias="REOS_SCRAPER_ROBOTSTXT_OBEY")
    autothrottle_enabled: bool = Field(False, alias="REOS_SCRAPER_AUTOTHROTTLE")
    autothrottle_target_concurrency: float = Field(
        2.0, gt=0, alias="REOS_SCRAPER_AUTOTHROTTLE_TARGET_CONCURRENCY"
    )
    autothrottle_start_delay_seconds: float = Field(
        1.0, ge=0, alias="REOS_SCRAPER_AUTOTHROTTLE_START_DELAY_SECONDS"
    )
    autothrottle_max_delay_seconds: float = Field(
        30.0, gt=0, alias="REOS_SCRAPER_AUTOTHROTTLE_MAX_DELAY_SECONDS"
    )
    download_delay_seconds: float = Field(0.0, ge=0, alias="REOS_SCRAPER_DOWNLOAD_DELAY_SECONDS")
    concurrent_requests: int = Field(32, ge=1, alias="REOS_SCRAPER_CONCURRENT_REQUESTS")
    concurrent_requests_per_domain: int = Field(
        32, ge=1, alias="REOS_SCRAPER_CONCURRENT_REQUESTS_PER_DOMAIN"
    )
    download_timeout_seconds: float = Field(30.0, gt=0, alias="REOS_SCRAPER_DOWNLOAD_TIMEOUT")
    retry_times: int = Field(2, ge=0, alias="REOS_SCRAPER_RETRY_TIMES")
    retry_http_codes: Annotated[tuple[int, ...], NoDecode] = Field(
        DEFAULT_RETRY_HTTP_CODES, alias="REOS_SCRAPER_RETRY_HTTP_CODES"
    )
    retry_backoff_seconds: float = Field(1.0, ge=0, alias="REOS_SCRAPER_RETRY_BACKOFF_SECONDS")
    retry_max_wait_seconds: float = Field(60.0, ge=0, alias="REOS_SCRAPER_RETRY_MAX_WAIT_SECONDS")
    proxies: Annotated[tuple[str, ...], NoDecode] = Field((), alias="REOS_SCRAPER_PROXIES")
    proxy_max_failures: int = Field(3, ge=1, alias="REOS_SCRAPER_PROXY_MAX_FAILURES")
    proxy_cooldown_seconds: float = Field(300.0, ge=0, alias="REOS_SCRAPER_PROXY_COOLDOWN_SECONDS")
    user_agent: str = Field("RealEstateOS-Scraper/0.1", alias="REOS_SCRAPER_USER_AGENT")
    default_headers: dict[str, str] = Field(
        default_factory=dict, alias="REOS_SCRAPER_DEFAULT_HEADERS"
    )
    crawl_log_level: str = Field("INFO", alias="REOS_SCRAPER_CRAWL_LOG_LEVEL")
    cancel_poll_seconds: float = Field(1.0, gt=0, alias="REOS_SCRAPER_CANCEL_POLL_SECONDS")
    cancel_grace_seconds: float = Field(15.0, ge=0, alias="REOS_SCRAPER_CANCEL_GRACE_SECONDS")
    schedules: dict[str, Any] = Field(default_factory=dict, alias="REOS_SCHEDULES")
    schedules_file: Path | None = Field(None, alias="REOS_SCHEDULES_FILE")
    schedule_misfire_grace_seconds: float = Field(
        60.0, ge=1, alias="REOS_SCHEDULE_MISFIRE_GRACE_SECONDS"
    )

    @field_validator("retry_http_codes", mode="before")
    @classmethod
    def _codes_from_text(cls, value: Any) -> Any:
        """`429,500,503` as well as a JSON list."""
        if isinstance(value, str):
            return tuple(int(code) for code in value.replace(",", " ").split())
        return value

    @field_validator("default_headers", "schedules", mode="before")
    @classmethod
    def _object_from_json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    @field_validator("proxies", mode="before")
    @classmethod
    def _proxies_from_text(cls, value: Any) -> Any:
        """Comma- or space-separated proxy URLs, or a JSON list of them."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return tuple(json.loads(text))
            return tuple(text.replace(",", " ").split())
        return value

    @field_validator("proxies")
    @classmethod
    def _http_proxies_only(cls, proxies: tuple[str, ...]) -> tuple[str, ...]:
        """Scrapy's downloader speaks to HTTP(S) proxies only: a SOCKS proxy is refused at
        start-up rather than silently bypassed."""
        for proxy in proxies:
            parts = urlsplit(proxy)
            if parts.scheme.startswith("socks"):
                raise ValueError(
                    f"SOCKS proxies are not supported ({parts.scheme}://{parts.hostname}): "
                    "Scrapy's downloader speaks to HTTP(S) proxies only; put an HTTP proxy "
                    "in front of the SOCKS one, or use an HTTP(S) proxy"
                )
            if parts.scheme not in PROXY_SCHEMES or not parts.hostname:
                raise ValueError(f"not an http(s) proxy URL: {proxy!r}")
        return proxies

    @property
    def max_poll_interval_ms(self) -> int:
        """A crawl runs inside the consumer's poll loop: allow it its timeout and a margin."""
        return int((self.crawl_timeout_seconds + 300) * 1000)

    def schedule_definitions(self) -> dict[str, Any]:
        """The schedules of `REOS_SCHEDULES_FILE` and `REOS_SCHEDULES`, the latter winning."""
        from_file = json.loads(self.schedules_file.read_text()) if self.schedules_file else {}
        return {**from_file, **self.schedules}


class DemoSiteConfig(BaseSettings):
    """Defaults of `reos-demo-site`, each overridable by its command-line option."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    host: str = Field("127.0.0.1", alias="REOS_DEMO_SITE_HOST")
    port: int = Field(9180, ge=0, alias="REOS_DEMO_SITE_PORT")
    count: int = Field(60, ge=1, alias="REOS_DEMO_SITE_COUNT")
    seed: int = Field(7, alias="REOS_DEMO_SITE_SEED")
    id_prefix: str = Field(DEFAULT_ID_PREFIX, alias="REOS_DEMO_SITE_ID_PREFIX")
