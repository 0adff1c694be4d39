"""Scraping jobs and the prospect queue (the scraper's tables)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response

from services.gateway.api.deps import ConnectionDep, JobStatus, PageDep, RowId, require_scope
from services.gateway.api.responses import json_response
from services.gateway.queries import scraping as queries
from services.gateway.shapes import scraping as shapes
from services.gateway.shapes.common import daily_series, last_days, page
from services.gateway.shapes.records import Page, ScrapingJobRow

router = APIRouter(prefix="/api/scraping", tags=["Scraping"], dependencies=[require_scope("read")])

ProspectStatus = Literal["new", "processing", "enriched", "scored", "failed"]


@router.get("/jobs", response_model=Page[ScrapingJobRow], summary="Scraping jobs, newest first")
async def list_jobs(
    connection: ConnectionDep,
    paging: PageDep,
    status: JobStatus | None = None,
    source: str | None = None,
) -> Response:
    total, rows = await queries.list_jobs(connection, status, source, paging.limit, paging.offset)
    return json_response(
        page(total, paging.limit, paging.offset, [shapes.scraping_job(row) for row in rows])
    )


@router.get(
    "/jobs/{job_id}",
    response_model=shapes.ScrapingJobDetails,
    summary="One scraping job with its configuration and errors",
)
async def get_job(job_id: RowId, connection: ConnectionDep) -> Response:
    row = await queries.get_job(connection, job_id)
    if row is None:
        raise HTTPException(404, detail=f"Scraping job {job_id} not found")
    return json_response(shapes.scraping_job_details(row))


@router.get(
    "/queue",
    response_model=Page[shapes.ProspectRow],
    summary="The prospect queue: listings as scraped, newest first",
)
async def prospect_queue(
    connection: ConnectionDep,
    paging: PageDep,
    status: ProspectStatus | None = None,
    source: str | None = None,
) -> Response:
    total, rows = await queries.list_prospects(
        connection, status, source, paging.limit, paging.offset
    )
    return json_response(
        page(total, paging.limit, paging.offset, [shapes.prospect(row) for row in rows])
    )


@router.get(
    "/stats/overview",
    response_model=shapes.ScrapingOverview,
    summary="Job, prospect and listing counts; prospects per source",
)
async def overview(connection: ConnectionDep) -> Response:
    counts = await queries.overview(connection)
    return json_response(shapes.overview(counts["jobs"], counts["prospects"], counts["sources"]))


@router.get(
    "/stats/daily",
    response_model=shapes.DailyScrapedSeries,
    summary="Prospects scraped per day (UTC) and source",
)
async def daily(
    connection: ConnectionDep, days: Annotated[int, Query(ge=1, le=30)] = 7
) -> Response:
    window = last_days(datetime.now(UTC).date(), days)
    rows = await queries.daily_prospects(connection, window[0])
    return json_response(
        {"data": daily_series(window, shapes.daily_by_source(rows), shapes.daily_entry)}
    )
