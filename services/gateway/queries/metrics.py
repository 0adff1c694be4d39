"""SQL of the platform metrics API: counts across every stage's tables."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.gateway.queries import (
    Listing,
    Row,
    equals,
    fetch_all,
    fetch_one,
    reused_when_large,
    since_hours,
    start_of,
    utc_day,
)
from shared.db.tables import (
    data_quality_metrics,
    docgen_jobs,
    documents,
    enrichment_jobs,
    pipeline_runs,
    properties,
    property_scores,
    prospect_queue,
    scoring_jobs,
    scraping_jobs,
)

ACTIVE_JOB_STATUSES = ("queued", "running")
ENRICHED_PROSPECT_STATUSES = ("enriched", "scored")
FINISHED_JOB_STATUSES = ("success", "failed")
STAGES = ("scraping", "enrichment", "docgen", "scoring")


def _count(table: sa.Table, *conditions: sa.ColumnElement[bool]) -> sa.ScalarSelect[Any]:
    return sa.select(sa.func.count()).select_from(table).where(*conditions).scalar_subquery()


def _distinct(column: sa.ColumnElement[Any], *conditions: sa.ColumnElement[bool]) -> Any:
    return sa.select(sa.func.count(sa.distinct(column))).where(*conditions).scalar_subquery()


@reused_when_large(
    lambda row: (
        row.get("total_prospects", 0) + row.get("total_properties", 0) + row.get("total_scores", 0)
    )
)
async def overview(connection: AsyncConnection) -> Row:
    """Every figure of the overview in one round trip."""
    day_ago = since_hours(24)
    prospects, runs = prospect_queue, pipeline_runs
    query = sa.select(
        _count(prospects).label("total_prospects"),
        _count(properties).label("total_properties"),
        _count(property_scores).label("total_scores"),
        _count(prospects, prospects.c.status == "new").label("new_prospects_pending"),
        _count(prospects, prospects.c.status.in_(ENRICHED_PROSPECT_STATUSES)).label(
            "enriched_properties"
        ),
        _distinct(property_scores.c.property_id).label("properties_with_scores"),
        _count(runs).label("total_runs"),
        _count(runs, runs.c.status == "success").label("successful_runs"),
        _count(scraping_jobs, scraping_jobs.c.status.in_(ACTIVE_JOB_STATUSES)).label(
            "active_scraping"
        ),
        _count(enrichment_jobs, enrichment_jobs.c.status.in_(ACTIVE_JOB_STATUSES)).label(
            "active_enrichment"
        ),
        _count(prospects, prospects.c.created_at >= day_ago).label("prospects_scraped_24h"),
        _count(
            enrichment_jobs,
            enrichment_jobs.c.status == "success",
            enrichment_jobs.c.created_at >= day_ago,
        ).label("properties_enriched_24h"),
        _distinct(property_scores.c.property_id, property_scores.c.created_at >= day_ago).label(
            "properties_scored_24h"
        ),
    )
    return await fetch_one(connection, query) or {}


QUALITY = Listing(
    sa.select(data_quality_metrics),
    (data_quality_metrics.c.measured_at.desc(), data_quality_metrics.c.id.desc()),
    {"metric_type": equals(data_quality_metrics.c.metric_type)},
)


async def quality_metrics(
    connection: AsyncConnection, metric_type: str | None, limit: int
) -> tuple[int, list[Row]]:
    """The newest measurements (of one metric type, if given) and how many there are."""
    return await QUALITY.page(connection, {"metric_type": metric_type}, limit, 0)


async def _per_day(
    connection: AsyncConnection,
    moment: sa.ColumnElement[Any],
    since: date,
    *conditions: sa.ColumnElement[bool],
    counted: sa.ColumnElement[Any] | None = None,
) -> dict[date, int]:
    day = utc_day(moment).label("day")
    amount = sa.func.count() if counted is None else sa.func.count(sa.distinct(counted))
    query = (
        sa.select(day, amount.label("count"))
        .where(moment >= start_of(since), *conditions)
        .group_by(day)
    )
    return {row["day"]: int(row["count"]) for row in await fetch_all(connection, query)}


async def throughput(connection: AsyncConnection, since: date) -> dict[str, dict[date, int]]:
    """Per UTC day: prospects scraped, enrichments that succeeded, properties scored."""
    enriched_at = sa.func.coalesce(enrichment_jobs.c.completed_at, enrichment_jobs.c.created_at)
    return {
        "scraped": await _per_day(connection, prospect_queue.c.created_at, since),
        "enriched": await _per_day(
            connection, enriched_at, since, enrichment_jobs.c.status == "success"
        ),
        "scored": await _per_day(
            connection,
            property_scores.c.created_at,
            since,
            counted=property_scores.c.property_id,
        ),
    }


def _job_performance(table: sa.Table, prefix: str) -> list[sa.Label[Any]]:
    finished = table.c.status.in_(FINISHED_JOB_STATUSES)
    seconds = sa.func.extract("epoch", table.c.completed_at - table.c.started_at)
    return [
        sa.select(sa.func.avg(seconds))
        .where(finished, table.c.started_at.is_not(None), table.c.completed_at.is_not(None))
        .scalar_subquery()
        .label(f"{prefix}_seconds"),
        _count(table, finished).label(f"{prefix}_finished"),
        _count(table, table.c.status == "failed").label(f"{prefix}_failed"),
    ]


@reused_when_large(lambda row: sum(row.get(f"{stage}_finished", 0) or 0 for stage in STAGES))
async def performance(connection: AsyncConnection) -> Row:
    """Mean durations of finished jobs and runs; finished and failed jobs per stage."""
    runs = pipeline_runs
    query = sa.select(
        *_job_performance(scraping_jobs, "scraping"),
        *_job_performance(enrichment_jobs, "enrichment"),
        *_job_performance(docgen_jobs, "docgen"),
        *_job_performance(scoring_jobs, "scoring"),
        sa.select(sa.func.avg(runs.c.duration_seconds))
        .where(runs.c.status.in_(("success", "failed")))
        .scalar_subquery()
        .label("pipeline_seconds"),
    )
    return await fetch_one(connection, query) or {}


@reused_when_large(lambda row: row.get("scraped", 0) + row.get("enriched", 0))
async def funnel(connection: AsyncConnection) -> Row:
    prospects = prospect_queue
    query = sa.select(
        _count(prospects).label("scraped"),
        _count(prospects, prospects.c.status == "processing").label("processing"),
        _count(properties).label("enriched"),
        _distinct(property_scores.c.property_id).label("scored"),
        _distinct(documents.c.property_id).label("documented"),
        _count(prospects, prospects.c.status == "failed").label("failed_prospects"),
    )
    return await fetch_one(connection, query) or {}
