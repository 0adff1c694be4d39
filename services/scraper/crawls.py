"""What a crawl is asked to do, what it reports back, and what that means for its job.

The service hands a `CrawlSpec` to a crawl process and gets a `CrawlReport` back, both
as JSON; `judge` turns the report into the job's final status.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, Field

from shared.events import ListingFilters

SUCCESSFUL_FINISH_REASONS = frozenset(
    {"finished", "closespider_itemcount", "closespider_pagecount"}
)
INFRASTRUCTURE_FINISH_REASON = "infrastructure_unavailable"
CANCELLED_FINISH_REASON = "cancelled"

STAT_PAGES = "reos/pages_crawled"
STAT_ITEMS_STORED = "reos/items_stored"
STAT_ITEMS_FAILED = "reos/items_failed"
STAT_ITEMS_DUPLICATE = "reos/items_duplicate"
STAT_ITEMS_FILTERED = "reos/items_filtered"
STAT_PUBLISHED = "reos/prospects_published"
STAT_ERRORS = "reos/errors"
STAT_CHANGES = "reos/changes/"
STAT_RETRY_WAIT_SECONDS = "reos/retry_wait_seconds"
STAT_RETRY_AFTER_REFUSED = "reos/retry_after_refused"
STAT_PROXIES_BENCHED = "reos/proxies_benched"
# Kept by Scrapy itself: every response by status, every download error, every retry,
# every request robots.txt forbade.
SCRAPY_STAT_STATUS = "downloader/response_status_count/"
SCRAPY_STAT_DOWNLOAD_ERRORS = "downloader/exception_count"
SCRAPY_STAT_RETRIES = "retry/count"
SCRAPY_STAT_ROBOTS_FORBIDDEN = "robotstxt/forbidden"
DOWNLOAD_ERROR_STATUS = "error"
ERRORS_KEPT = 10


class Stats(Protocol):
    """The part of Scrapy's stats collector that crawls write to."""

    def get_value(self, key: str, default: Any = None) -> Any: ...

    def set_value(self, key: str, value: Any) -> None: ...


def note_error(stats: Stats, message: str) -> None:
    """Keep the first few error messages of a crawl for its job's `error_log`."""
    errors = stats.get_value(STAT_ERRORS, [])
    if len(errors) < ERRORS_KEPT:
        stats.set_value(STAT_ERRORS, [*errors, message])


def stat_change(change: str) -> str:
    """The stats key counting stored listings by change: new, changed or unchanged."""
    return f"reos/items_{change}"


def stat_change_kind(kind: str) -> str:
    """The stats key counting published listing changes of one kind (`price_drop`, ...)."""
    return STAT_CHANGES + kind


class CrawlSpec(BaseModel):
    """One crawl: the job it belongs to, the spider, where to start and how far to go."""

    job_id: int
    request_event_id: uuid.UUID
    run_id: str | None
    source: str
    spider: str
    start_urls: list[str] = Field(min_length=1)
    listing_type: str = "for_sale"
    location: str | None = None
    filters: ListingFilters = Field(default_factory=ListingFilters)
    max_pages: int | None = None
    max_items: int | None = None


class CrawlReport(BaseModel):
    """The counts a crawl process prints on stdout when it ends."""

    finish_reason: str
    pages_crawled: int = 0
    items_scraped: int = 0
    items_failed: int = 0
    items_new: int = 0
    items_changed: int = 0
    items_unchanged: int = 0
    items_duplicate: int = 0
    items_filtered: int = 0
    prospects_published: int = 0
    changes: dict[str, int] = Field(
        default_factory=dict, description="published listing changes by kind (price_drop, ...)"
    )
    pages_by_status: dict[str, int] = Field(
        default_factory=dict,
        description="responses by HTTP status, retried ones included; `error` for a download "
        "that got no response",
    )
    retries: int = 0
    retry_wait_seconds: float = 0.0
    refused_by_robots: int = 0
    proxies_benched: int = 0
    errors: list[str] = Field(default_factory=list)
    duration_seconds: float = 0.0


@dataclass(frozen=True)
class Verdict:
    status: str
    error_log: str | None


def judge(report: CrawlReport, start_urls: list[str], *, cancelled: bool = False) -> Verdict:
    """A crawl succeeded when it ended normally and could fetch at least one page; one that
    was stopped on request is cancelled, whatever it reached. The pages a successful crawl
    could not fetch or read are named in its error log all the same."""
    if cancelled:
        return Verdict("cancelled", None)
    if report.finish_reason not in SUCCESSFUL_FINISH_REASONS:
        return Verdict("failed", _with_errors(f"crawl ended: {report.finish_reason}", report))
    if report.pages_crawled == 0:
        first = ", ".join(start_urls)
        if report.refused_by_robots:
            return Verdict("failed", _with_errors(f"robots.txt forbids crawling {first}", report))
        return Verdict("failed", _with_errors(f"no page could be crawled from {first}", report))
    return Verdict("success", "\n".join(report.errors) or None)


def _with_errors(message: str, report: CrawlReport) -> str:
    return "\n".join([message, *report.errors])


class CrawlBudget:
    """Upper bounds on pages fetched and listing pages fetched, counted as requests are made,
    so a crawl never overshoots its limits the way in-flight requests would."""

    def __init__(self, max_pages: int | None, max_items: int | None) -> None:
        self.max_pages = max_pages
        self.max_items = max_items
        self.pages = 0
        self.listing_pages = 0

    def admit(self, *, listing: bool) -> bool:
        """Take one page (and one listing, when `listing`) from the budget, if both remain."""
        if self.max_pages is not None and self.pages >= self.max_pages:
            return False
        if listing and self.max_items is not None and self.listing_pages >= self.max_items:
            return False
        self.pages += 1
        self.listing_pages += listing
        return True


def report_from_stats(stats: dict[str, Any]) -> CrawlReport:
    """The report of a finished crawl, from the Scrapy stats its spider and pipelines kept."""
    errors = list(stats.get(STAT_ERRORS, []))
    errors += [
        f"{key.removeprefix('spider_exceptions/')} raised {count} time(s) while parsing"
        for key, count in sorted(stats.items())
        if key.startswith("spider_exceptions/")
    ]
    elapsed = stats.get("elapsed_time_seconds", 0.0)
    pages_by_status = {
        key.removeprefix(SCRAPY_STAT_STATUS): int(count)
        for key, count in stats.items()
        if key.startswith(SCRAPY_STAT_STATUS)
    }
    if stats.get(SCRAPY_STAT_DOWNLOAD_ERRORS):
        pages_by_status[DOWNLOAD_ERROR_STATUS] = int(stats[SCRAPY_STAT_DOWNLOAD_ERRORS])
    return CrawlReport(
        finish_reason=str(stats.get("finish_reason", "unknown")),
        pages_crawled=stats.get(STAT_PAGES, 0),
        items_scraped=stats.get(STAT_ITEMS_STORED, 0),
        items_failed=stats.get(STAT_ITEMS_FAILED, 0),
        items_new=stats.get(stat_change("new"), 0),
        items_changed=stats.get(stat_change("changed"), 0),
        items_unchanged=stats.get(stat_change("unchanged"), 0),
        items_duplicate=stats.get(STAT_ITEMS_DUPLICATE, 0),
        items_filtered=stats.get(STAT_ITEMS_FILTERED, 0),
        prospects_published=stats.get(STAT_PUBLISHED, 0),
        changes={
            key.removeprefix(STAT_CHANGES): int(count)
            for key, count in stats.items()
            if key.startswith(STAT_CHANGES)
        },
        pages_by_status=pages_by_status,
        retries=stats.get(SCRAPY_STAT_RETRIES, 0),
        retry_wait_seconds=float(stats.get(STAT_RETRY_WAIT_SECONDS, 0.0)),
        refused_by_robots=stats.get(SCRAPY_STAT_ROBOTS_FORBIDDEN, 0),
        proxies_benched=stats.get(STAT_PROXIES_BENCHED, 0),
        errors=errors,
        duration_seconds=float(elapsed),
    )
