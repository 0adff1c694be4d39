"""Response models of the reusable records (API-SHAPES.md) and of a page of them, so that
`/openapi.json` documents every field. Records allow extra fields: the project may add
columns beside the original's, never drop one."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class Record(BaseModel):
    model_config = ConfigDict(extra="allow")


class ScrapingJobRow(Record):
    id: int
    dag_id: str
    dag_run_id: str
    source: str
    status: str = Field(description="queued, running, success, failed or cancelled")
    items_scraped: int
    items_failed: int
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime


class EnrichmentJobRow(Record):
    id: int
    dag_id: str
    dag_run_id: str | None
    property_id: int | None
    status: str
    enrichment_type: str
    started_at: datetime | None
    completed_at: datetime | None
    data_sources_used: list[Any] | None
    fields_enriched: list[Any] | None
    created_at: datetime


class PropertyRow(Record):
    """The seed's PropertyRow: a home's facts (the enricher's), with the scorer's latest
    estimated value. Lists that show more of a home subclass it."""

    id: int
    prospect_id: int | None
    address: str
    city: str | None
    state: str | None
    zip_code: str | None
    property_type: str | None
    bedrooms: int | None
    bathrooms: float | None
    sqft: int | None
    lot_size: float | None
    year_built: int | None
    price: float | None
    estimated_value: float | None = Field(description="the latest score's valuation")
    enrichment_sources: list[dict[str, Any]] = Field(
        description="where each fact came from: listing sources, geocoder, census, ..."
    )
    created_at: datetime
    updated_at: datetime


class ScoreFigures(Record):
    """The figures of one score, as every score listing shows them."""

    overall_score: float
    investment_score: float
    risk_score: float
    roi_estimate: float | None
    model_version: str


class ScoreRow(ScoreFigures):
    id: int
    property_id: int
    dag_run_id: str | None
    created_at: datetime


RowModel = TypeVar("RowModel", bound=BaseModel)


class Page(BaseModel, Generic[RowModel]):
    """A page of a list: how many rows match in all, and the rows asked for."""

    total: int = Field(description="rows matching the filters, over every page")
    limit: int
    offset: int
    data: list[RowModel]


class JobCounts(Record):
    """Jobs per status; the success rate (percent) is over every job."""

    total: int
    running: int
    queued: int
    successful: int
    failed: int
    success_rate: float


class Count(Record):
    count: int
