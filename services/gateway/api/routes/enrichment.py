"""Enrichment jobs and enriched properties (the enricher's tables)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from services.gateway.api.deps import ConnectionDep, JobStatus, PageDep, RowId, require_scope
from services.gateway.api.responses import json_response
from services.gateway.queries import enrichment as queries
from services.gateway.shapes import enrichment as shapes
from services.gateway.shapes.common import page
from services.gateway.shapes.records import EnrichmentJobRow, Page

router = APIRouter(
    prefix="/api/enrichment", tags=["Enrichment"], dependencies=[require_scope("read")]
)


@router.get("/jobs", response_model=Page[EnrichmentJobRow], summary="Enrichment jobs, newest first")
async def list_jobs(
    connection: ConnectionDep,
    paging: PageDep,
    status: JobStatus | None = None,
    enrichment_type: str | None = None,
) -> Response:
    total, rows = await queries.list_jobs(
        connection, status, enrichment_type, paging.limit, paging.offset
    )
    return json_response(
        page(total, paging.limit, paging.offset, [shapes.enrichment_job(row) for row in rows])
    )


@router.get(
    "/jobs/{job_id}",
    response_model=shapes.EnrichmentJobDetails,
    summary="One enrichment job with its errors",
)
async def get_job(job_id: RowId, connection: ConnectionDep) -> Response:
    row = await queries.get_job(connection, job_id)
    if row is None:
        raise HTTPException(404, detail=f"Enrichment job {job_id} not found")
    return json_response(shapes.enrichment_job_details(row))


@router.get(
    "/properties",
    response_model=Page[shapes.EnrichedPropertyRow],
    summary="Enriched properties, newest first, by exact city/state/type",
)
async def list_properties(
    connection: ConnectionDep,
    paging: PageDep,
    city: str | None = None,
    state: str | None = None,
    property_type: str | None = None,
) -> Response:
    filters = {"city": city, "state": state, "property_type": property_type}
    total, rows = await queries.list_properties(connection, filters, paging.limit, paging.offset)
    return json_response(
        page(total, paging.limit, paging.offset, [shapes.property_row(row) for row in rows])
    )


@router.get(
    "/properties/{property_id}",
    response_model=shapes.EnrichedProperty,
    summary="One property with all its enrichment data",
)
async def get_property(property_id: RowId, connection: ConnectionDep) -> Response:
    row = await queries.get_property(connection, property_id)
    if row is None:
        raise HTTPException(404, detail=f"Property {property_id} not found")
    return json_response(shapes.property_details(row))


@router.get(
    "/stats/overview",
    response_model=shapes.EnrichmentOverview,
    summary="Job counts, property completeness, enrichment types",
)
async def overview(connection: ConnectionDep) -> Response:
    counts = await queries.overview(connection)
    return json_response(shapes.overview(counts["jobs"], counts["properties"], counts["types"]))


@router.get(
    "/stats/data-quality",
    response_model=shapes.DataQuality,
    summary="How complete each property field is",
)
async def data_quality(connection: ConnectionDep) -> Response:
    return json_response(
        shapes.data_quality(await queries.field_counts(connection, shapes.QUALITY_FIELDS))
    )
