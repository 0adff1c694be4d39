"""Shapes of `/api/metrics`: platform-wide figures across the stages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from services.gateway.shapes.common import percent, rounded

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
