"""Shapes of `/api/metrics`: platform-wide figures across the stages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import Field

from services.gateway.shapes.common import percent, rounded
from services.gateway.shapes.records import Record


class DataPipelineCounts(Record):
    total_prospects: int
    total_properties: int
    total_scores: int
    new_prospects_pending: int
    enriched_properties: int


class PipelineExecution(Record):
    total_runs: int
    successful_runs: int
    success_rate: float


class ActiveJobs(Record):
    scraping: int
    enrichment: int
    total: int


class LastDayActivity(Record):
    prospects_scraped: int
    properties_enriched: int
    properties_scored: int


class DataFlow(Record):
    conversion_rate: float = Field(description="percent: properties per prospect")
    scoring_rate: float = Field(description="percent of properties with a score")


class MetricsOverview(Record):
    data_pipeline: DataPipelineCounts
    pipeline_execution: PipelineExecution
    active_jobs: ActiveJobs
    recent_activity_24h: LastDayActivity
    data_flow: DataFlow
    timestamp: str


class QualityMetric(Record):
    id: int
    metric_type: str
    metric_name: str
    value: float
    threshold: float | None
    is_passing: bool
    entity_type: str | None
    entity_id: str | None
    details: dict[str, Any] | None
    measured_at: datetime


class QualityMetrics(Record):
    total: int = Field(description="measurements of the type asked for, over every page")
    data: list[QualityMetric] = Field(description="newest first")


class DailyThroughput(Record):
    date: str = Field(description="YYYY-MM-DD (UTC)")
    scraped: int
    enriched: int
    scored: int


class Throughput(Record):
    days: int
    data: list[DailyThroughput] = Field(description="one entry per day, oldest first")


class AverageDurations(Record):
    scraping_seconds: float
    enrichment_seconds: float
    scoring_seconds: float
    docgen_seconds: float
    pipeline_seconds: float


class ErrorRate(Record):
    total: int = Field(description="finished jobs")
    failed: int
    rate_percent: float


class ErrorRates(Record):
    scraping: ErrorRate
    enrichment: ErrorRate
    scoring: ErrorRate
    docgen: ErrorRate


class Performance(Record):
    average_durations: AverageDurations
    error_rates: ErrorRates
    timestamp: str


class FunnelStages(Record):
    scraped: int = Field(alias="1_scraped")
    processing: int = Field(alias="2_processing")
    enriched: int = Field(alias="3_enriched")
    scored: int = Field(alias="4_scored")
    documented: int = Field(alias="5_documented")


class ConversionRates(Record):
    prospect_to_property_percent: float
    property_to_scored_percent: float
    overall_conversion_percent: float


class Dropped(Record):
    failed_prospects: int
    drop_rate_percent: float


class Funnel(Record):
    stages: FunnelStages
    conversion_rates: ConversionRates
    dropped: Dropped
    timestamp: str


QUALITY_FIELDS = (
    "id",
    "metric_type",
    "metric_name",
    "value",
    "threshold",
    "is_passing",
    "entity_type",
    "entity_id",
    "details",
    "measured_at",
)


def _int(row: Mapping[str, Any], key: str) -> int:
    return int(row.get(key) or 0)


def overview(row: Mapping[str, Any], timestamp: str) -> dict[str, Any]:
    """Conversion = properties per prospect; scoring rate = scored properties per property."""
    prospects, properties = _int(row, "total_prospects"), _int(row, "total_properties")
    runs, successful = _int(row, "total_runs"), _int(row, "successful_runs")
    scraping, enrichment = _int(row, "active_scraping"), _int(row, "active_enrichment")
    return {
        "data_pipeline": {
            "total_prospects": prospects,
            "total_properties": properties,
            "total_scores": _int(row, "total_scores"),
            "new_prospects_pending": _int(row, "new_prospects_pending"),
            "enriched_properties": _int(row, "enriched_properties"),
        },
        "pipeline_execution": {
            "total_runs": runs,
            "successful_runs": successful,
            "success_rate": percent(successful, runs),
        },
        "active_jobs": {
            "scraping": scraping,
            "enrichment": enrichment,
            "total": scraping + enrichment,
        },
        "recent_activity_24h": {
            "prospects_scraped": _int(row, "prospects_scraped_24h"),
            "properties_enriched": _int(row, "properties_enriched_24h"),
            "properties_scored": _int(row, "properties_scored_24h"),
        },
        "data_flow": {
            "conversion_rate": percent(properties, prospects),
            "scoring_rate": percent(_int(row, "properties_with_scores"), properties),
        },
        "timestamp": timestamp,
    }


def quality_metric(row: Mapping[str, Any]) -> dict[str, Any]:
    return {field: row[field] for field in QUALITY_FIELDS}


def throughput(days: Sequence[date], per_stage: Mapping[str, Mapping[date, int]]) -> dict[str, Any]:
    return {
        "days": len(days),
        "data": [
            {
                "date": day.isoformat(),
                **{stage: counts.get(day, 0) for stage, counts in per_stage.items()},
            }
            for day in days
        ],
    }


def _error_rate(total: int, failed: int) -> dict[str, Any]:
    return {"total": total, "failed": failed, "rate_percent": percent(failed, total)}


def performance(row: Mapping[str, Any], timestamp: str) -> dict[str, Any]:
    return {
        "average_durations": {
            "scraping_seconds": rounded(row.get("scraping_seconds")),
            "enrichment_seconds": rounded(row.get("enrichment_seconds")),
            "scoring_seconds": rounded(row.get("scoring_seconds")),
            "docgen_seconds": rounded(row.get("docgen_seconds")),
            "pipeline_seconds": rounded(row.get("pipeline_seconds")),
        },
        "error_rates": {
            stage: _error_rate(_int(row, f"{stage}_finished"), _int(row, f"{stage}_failed"))
            for stage in ("scraping", "enrichment", "scoring", "docgen")
        },
        "timestamp": timestamp,
    }


def funnel(row: Mapping[str, Any], timestamp: str) -> dict[str, Any]:
    scraped, enriched, scored = _int(row, "scraped"), _int(row, "enriched"), _int(row, "scored")
    failed = _int(row, "failed_prospects")
    return {
        "stages": {
            "1_scraped": scraped,
            "2_processing": _int(row, "processing"),
            "3_enriched": enriched,
            "4_scored": scored,
            "5_documented": _int(row, "documented"),
        },
        "conversion_rates": {
            "prospect_to_property_percent": percent(enriched, scraped),
            "property_to_scored_percent": percent(scored, enriched),
            "overall_conversion_percent": percent(scored, scraped),
        },
        "dropped": {"failed_prospects": failed, "drop_rate_percent": percent(failed, scraped)},
        "timestamp": timestamp,
    }
