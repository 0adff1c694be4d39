"""Shapes of `/api/scraping`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import Field

from services.gateway.shapes.common import job_counts, percent
from services.gateway.shapes.records import Count, JobCounts, Record, ScrapingJobRow


class ScrapingJobDetails(ScrapingJobRow):
    pages_crawled: int
    config: dict[str, Any] = Field(description="the crawl's request (source, filters)")
    error_log: str | None
    updated_at: datetime


class ProspectRow(Record):
    """A listing as scraped, before enrichment (the prospect queue)."""

    id: int
    source: str
    source_id: str
    url: str | None
    status: str = Field(description="new, processing, enriched, scored or failed")
    dag_run_id: str | None
    created_at: datetime
    updated_at: datetime
    payload: dict[str, Any] = Field(description="the listing as the spider read it")


class ProspectCounts(Record):
    total: int
    new: int
    processed: int = Field(description="enriched or scored")
    processing_rate: float = Field(description="percent of all prospects processed")


class ItemCounts(Record):
    scraped: int
    failed: int
    success_rate: float


class ScrapingActivity(Record):
    last_24h_prospects: int


class SourceCount(Count):
    source: str


class ScrapingOverview(Record):
    jobs: JobCounts
    prospects: ProspectCounts
    items: ItemCounts
    recent_activity: ScrapingActivity
    sources: list[SourceCount] = Field(description="prospects per source, most first")


class DailyScraped(Record):
    date: str = Field(description="YYYY-MM-DD (UTC)")
    total: int
    by_source: dict[str, int]


class DailyScrapedSeries(Record):
    data: list[DailyScraped] = Field(description="one entry per day, oldest first")


SCRAPING_JOB_FIELDS = (
    "id",
    "dag_id",
    "dag_run_id",
    "source",
    "status",
    "items_scraped",
    "items_failed",
    "started_at",
    "completed_at",
    "created_at",
)
PROSPECT_FIELDS = (
    "id",
    "source",
    "source_id",
    "url",
    "status",
    "dag_run_id",
    "created_at",
    "updated_at",
    "payload",
)


def scraping_job(row: Mapping[str, Any]) -> dict[str, Any]:
    """ScrapingJobRow."""
    return {field: row[field] for field in SCRAPING_JOB_FIELDS}


def scraping_job_details(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **scraping_job(row),
        "pages_crawled": row["pages_crawled"],
        "config": row["config"],
        "error_log": row["error_log"],
        "updated_at": row["updated_at"],
    }


def prospect(row: Mapping[str, Any]) -> dict[str, Any]:
    return {field: row[field] for field in PROSPECT_FIELDS}


def overview(
    jobs: Mapping[str, Any], prospects: Mapping[str, Any], sources: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Processed prospects are those enriched or scored; rates are percentages."""
    total_prospects = int(prospects.get("total") or 0)
    processed = int(prospects.get("processed") or 0)
    scraped = int(jobs.get("items_scraped") or 0)
    failed = int(jobs.get("items_failed") or 0)
    return {
        "jobs": job_counts(jobs),
        "prospects": {
            "total": total_prospects,
            "new": int(prospects.get("new") or 0),
            "processed": processed,
            "processing_rate": percent(processed, total_prospects),
        },
        "items": {
            "scraped": scraped,
            "failed": failed,
            "success_rate": percent(scraped, scraped + failed),
        },
        "recent_activity": {"last_24h_prospects": int(prospects.get("last_24h") or 0)},
        "sources": [{"source": row["source"], "count": row["count"]} for row in sources],
    }


def daily_by_source(rows: Sequence[Mapping[str, Any]]) -> dict[Any, dict[str, Any]]:
    """Per day: the total and the count per source."""
    days: dict[Any, dict[str, Any]] = {}
    for row in rows:
        entry = days.setdefault(row["day"], {"total": 0, "by_source": {}})
        entry["total"] += row["count"]
        entry["by_source"][row["source"]] = row["count"]
    return days


def daily_entry(day: Mapping[str, Any] | None) -> dict[str, Any]:
    return (
        {"total": day["total"], "by_source": day["by_source"]}
        if day
        else {
            "total": 0,
            "by_source": {},
        }
    )
