"""Shapes of `/api/enrichment`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import Field

from services.gateway.shapes.common import job_counts, percent
from services.gateway.shapes.records import (
    Count,
    EnrichmentJobRow,
    JobCounts,
    PropertyRow,
    Record,
)
from shared.completeness import COMPLETENESS_FIELDS


class EnrichmentJobDetails(EnrichmentJobRow):
    prospect_id: int | None
    error_log: str | None
    updated_at: datetime


class EnrichedPropertyRow(PropertyRow):
    """PropertyRow with the columns this project adds."""

    listing_type: str | None = Field(description="for_sale, for_rent, sold or off_market")
    latitude: float | None
    longitude: float | None
    dag_run_id: str | None = Field(description="the run that last enriched the home")


class EnrichedProperty(EnrichedPropertyRow):
    enrichment_data: dict[str, Any] = Field(description="location, demographics, quality, ...")


class PropertyCounts(Record):
    total: int
    with_pricing: int
    with_details: int = Field(description="bedrooms known")
    completeness_rate: float = Field(description="percent with both the price and details")


class EnrichmentActivity(Record):
    last_24h_enrichments: int


class TypeCount(Count):
    type: str


class EnrichmentOverview(Record):
    jobs: JobCounts
    properties: PropertyCounts
    recent_activity: EnrichmentActivity
    enrichment_types: list[TypeCount]


class FieldCompleteness(Record):
    count: int
    percentage: float


class DataQuality(Record):
    total_properties: int
    overall_completeness: float = Field(description="the mean of the fields' percentages")
    field_completeness: dict[str, FieldCompleteness]


ENRICHMENT_JOB_FIELDS = (
    "id",
    "dag_id",
    "dag_run_id",
    "property_id",
    "status",
    "enrichment_type",
    "started_at",
    "completed_at",
    "data_sources_used",
    "fields_enriched",
    "created_at",
)
PROPERTY_FIELDS = (
    "id",
    "prospect_id",
    "address",
    "city",
    "state",
    "zip_code",
    "property_type",
    "bedrooms",
    "bathrooms",
    "sqft",
    "lot_size",
    "year_built",
    "price",
    "estimated_value",
    "enrichment_sources",
    "created_at",
    "updated_at",
)
EXTRA_PROPERTY_FIELDS = ("listing_type", "latitude", "longitude", "dag_run_id")
LISTED_PROPERTY_FIELDS = (*PROPERTY_FIELDS, *EXTRA_PROPERTY_FIELDS)
"""The fields of a property row in a list (`property_row`)."""

# The platform's completeness fields, plus the value the scorer adds and the status.
QUALITY_FIELDS = (*COMPLETENESS_FIELDS, "estimated_value", "listing_type")


def enrichment_job(row: Mapping[str, Any]) -> dict[str, Any]:
    """EnrichmentJobRow."""
    return {field: row[field] for field in ENRICHMENT_JOB_FIELDS}


def enrichment_job_details(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **enrichment_job(row),
        "prospect_id": row["prospect_id"],
        "error_log": row["error_log"],
        "updated_at": row["updated_at"],
    }


def property_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """PropertyRow, plus the columns this project adds."""
    return {field: row[field] for field in LISTED_PROPERTY_FIELDS}


def property_details(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**property_row(row), "enrichment_data": row["enrichment_data"]}


def overview(
    jobs: Mapping[str, Any], properties: Mapping[str, Any], types: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """With details = bedrooms known; complete = both the price and the details known."""
    total = int(properties.get("total") or 0)
    return {
        "jobs": job_counts(jobs),
        "properties": {
            "total": total,
            "with_pricing": int(properties.get("with_pricing") or 0),
            "with_details": int(properties.get("with_details") or 0),
            "completeness_rate": percent(int(properties.get("complete") or 0), total),
        },
        "recent_activity": {"last_24h_enrichments": int(jobs.get("last_24h") or 0)},
        "enrichment_types": [{"type": row["type"], "count": row["count"]} for row in types],
    }


def data_quality(
    counts: Mapping[str, Any], fields: Sequence[str] = QUALITY_FIELDS
) -> dict[str, Any]:
    """Per field, how many properties have it and what share; overall = their mean."""
    total = int(counts.get("total") or 0)
    completeness = {
        field: {
            "count": int(counts.get(field) or 0),
            "percentage": percent(counts.get(field) or 0, total),
        }
        for field in fields
    }
    overall = (
        round(sum(entry["percentage"] for entry in completeness.values()) / len(fields), 2)
        if total
        else 0.0
    )
    return {
        "total_properties": total,
        "overall_completeness": overall,
        "field_completeness": completeness,
    }
