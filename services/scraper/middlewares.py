"""Downloader middlewares that make a crawl polite and robust: retries that wait as long
as the site asks, and proxy rotation that benches a failing proxy.

`PoliteRetryMiddleware` takes the place of Scrapy's `RetryMiddleware`. A response with a
retryable status (429 and 5xx by default) or a network error is retried after an
exponential backoff, or after the response's `Retry-After` (seconds or an HTTP date)
when that is longer. The wait is an `asyncio.sleep` inside `process_response`, which
returns the retry request once it is over: the reactor goes on serving every other
request meanwhile. A site asking for a wait longer than the configured maximum is not
asked again for that page; the response goes on to the spider as the failure it is.

`ProxyRotationMiddleware` sends each request through the next proxy of the configured
list; `ProxyPool` keeps the rotation and the bench. It sits before the retry middleware
in the exception chain, so a proxy's failure is counted before the request is retried,
and the retry, passing through it again, leaves by another proxy.

The rules (`retry_after_seconds`, `retry_delay`, `ProxyPool`) are pure and take the time
as an argument.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self
from urllib.parse import urlsplit, urlunsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.response import response_status_message

from services.scraper.crawls import (
    STAT_PROXIES_BENCHED,
    STAT_RETRY_AFTER_REFUSED,
    STAT_RETRY_WAIT_SECONDS,
    note_error,
)

RETRY_BACKOFF_SETTING = "REOS_RETRY_BACKOFF_SECONDS"
RETRY_MAX_WAIT_SETTING = "REOS_RETRY_MAX_WAIT_SECONDS"
PROXIES_SETTING = "REOS_PROXIES"
PROXY_MAX_FAILURES_SETTING = "REOS_PROXY_MAX_FAILURES"
PROXY_COOLDOWN_SETTING = "REOS_PROXY_COOLDOWN_SECONDS"
PROXY_META = "reos_proxy"
# A proxy answering 407 refuses our credentials: as much its failure as a refused connection.
PROXY_AUTH_REQUIRED = 407

log = logging.getLogger("reos.scraper.middlewares")


def retry_after_seconds(value: str | bytes | None, now: datetime) -> float | None:
    """The wait a `Retry-After` header asks for: delay-seconds or an HTTP date; None when
    absent or unreadable. A date in the past asks for no wait."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def retry_delay(attempt: int, backoff_seconds: float, max_wait_seconds: float) -> float:
    """The backoff before retry number `attempt` (1-based): `backoff_seconds` doubled with
    each attempt, never above `max_wait_seconds`."""
    return min(max_wait_seconds, backoff_seconds * 2 ** (attempt - 1))


class PoliteRetryMiddleware(RetryMiddleware):
    """Retries with exponential backoff that honours `Retry-After` (see the module doc)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings)
        self.crawler = crawler
        self.backoff_seconds = crawler.settings.getfloat(RETRY_BACKOFF_SETTING)
        self.max_wait_seconds = crawler.settings.getfloat(RETRY_MAX_WAIT_SETTING)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        asked = retry_after_seconds(response.headers.get("Retry-After"), datetime.now(UTC))
        if asked is not None and asked > self.max_wait_seconds:
            self._refuse_wait(request, response, asked)
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        await self._wait(retry, asked)
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        retry = super().process_exception(request, exception)
        if isinstance(retry, Request):
            await self._wait(retry, None)
        return retry

    async def _wait(self, retry: Request, asked: float | None) -> None:
        attempt = retry.meta["retry_times"]
        backoff = retry_delay(attempt, self.backoff_seconds, self.max_wait_seconds)
        delay = max(backoff, asked or 0.0)
        stats = self.crawler.stats
        assert stats is not None
        waited = stats.get_value(STAT_RETRY_WAIT_SECONDS, 0.0)
        stats.set_value(STAT_RETRY_WAIT_SECONDS, waited + delay)
        await asyncio.sleep(delay)

    def _refuse_wait(self, request: Request, response: Response, asked: float) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(STAT_RETRY_AFTER_REFUSED)
        note_error(
            self.crawler.stats,
            f"{request.url} answered {response.status} asking to retry after {asked:g} s, "
            f"longer than the {self.max_wait_seconds:g} s allowed: not retried",
        )


def redacted(proxy: str) -> str:
    """The proxy URL without its credentials, for logs and messages."""
    parts = urlsplit(proxy)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@dataclass
class _ProxyHealth:
    failures_in_a_row: int = 0
    benched_until: float = 0.0


@dataclass
class ProxyPool:
    """Round-robin over proxies; one that fails `max_failures` times in a row sits out
    `cooldown_seconds`. When every proxy is benched, the one back soonest is used: a crawl
    configured for proxies never falls back to a direct connection."""

    proxies: tuple[str, ...]
    max_failures: int
    cooldown_seconds: float
    health: dict[str, _ProxyHealth] = field(init=False)
    turn: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.health = {proxy: _ProxyHealth() for proxy in self.proxies}

    def next(self, now: float) -> str:
        """The proxy for the next request."""
        count = len(self.proxies)
        for offset in range(count):
            proxy = self.proxies[(self.turn + offset) % count]
            if self.health[proxy].benched_until <= now:
                self.turn = (self.turn + offset + 1) % count
                return proxy
        return min(self.proxies, key=lambda proxy: self.health[proxy].benched_until)

    def failed(self, proxy: str, now: float) -> bool:
        """Count a failure of `proxy`; True when this one benches it."""
        health = self.health[proxy]
        health.failures_in_a_row += 1
        if health.failures_in_a_row < self.max_failures:
            return False
        health.failures_in_a_row = 0
        health.benched_until = now + self.cooldown_seconds
        return True

    def succeeded(self, proxy: str) -> None:
        self.health[proxy].failures_in_a_row = 0

    def benched(self, now: float) -> list[str]:
        return [proxy for proxy in self.proxies if self.health[proxy].benched_until > now]


class ProxyRotationMiddleware:
    """Sends requests through `ProxyPool`'s proxies (see the module doc). A request whose
    spider chose a proxy itself keeps it."""

    def __init__(self, crawler: Crawler, pool: ProxyPool, clock: Callable[[], float]) -> None:
        self.crawler = crawler
        self.pool = pool
        self.clock = clock

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        proxies = tuple(crawler.settings.getlist(PROXIES_SETTING))
        if not proxies:
            raise NotConfigured("no proxies configured")
        pool = ProxyPool(
            proxies,
            crawler.settings.getint(PROXY_MAX_FAILURES_SETTING),
            crawler.settings.getfloat(PROXY_COOLDOWN_SETTING),
        )
        return cls(crawler, pool, time.monotonic)

    def process_request(self, request: Request) -> None:
        if "proxy" in request.meta and PROXY_META not in request.meta:
            return
        proxy = self.pool.next(self.clock())
        request.meta[PROXY_META] = proxy
        request.meta["proxy"] = proxy

    def process_response(self, request: Request, response: Response) -> Response:
        proxy = request.meta.get(PROXY_META)
        if proxy is not None:
            if response.status == PROXY_AUTH_REQUIRED:
                self._failed(proxy, f"answered {PROXY_AUTH_REQUIRED}")
            else:
                self.pool.succeeded(proxy)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        proxy = request.meta.get(PROXY_META)
        if proxy is not None:
            self._failed(proxy, f"{type(exception).__name__}: {exception}")

    def _failed(self, proxy: str, reason: str) -> None:
        if self.pool.failed(proxy, self.clock()):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(STAT_PROXIES_BENCHED)
            log.warning(
                "proxy benched",
                extra={
                    "proxy": redacted(proxy),
                    "reason": reason,
                    "cooldown_seconds": self.pool.cooldown_seconds,
                },
            )


def downloader_middlewares() -> dict[str | type, int | None]:
    """Where these middlewares sit among Scrapy's: the retry middleware in place of
    Scrapy's (550); proxy rotation after it (600) so that it sees failures first and
    before `HttpProxyMiddleware` (750), which turns the chosen URL into credentials."""
    return {
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        PoliteRetryMiddleware: 550,
        ProxyRotationMiddleware: 600,
    }
