"""SQL of the scraping API, over the scraper's `scraping_jobs` and `prospect_queue`."""

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
    job_counts,
    reused_when_large,
    since_hours,
    start_of,
    utc_day,
)
from shared.db.tables import prospect_queue, scraping_jobs

jobs = scraping_jobs
prospects = prospect_queue

PROCESSED_PROSPECT_STATUSES = ("enriched", "scored")


JOBS = Listing(
    sa.select(jobs),
    (jobs.c.created_at.desc(), jobs.c.id.desc()),
    {"status": equals(jobs.c.status), "source": equals(jobs.c.source)},
)


async def list_jobs(
    connection: AsyncConnection, status: str | None, source: str | None, limit: int, offset: int
) -> tuple[int, list[Row]]:
    return await JOBS.page(connection, {"status": status, "source": source}, limit, offset)


async def get_job(connection: AsyncConnection, job_id: int) -> Row | None:
    return await fetch_one(connection, sa.select(jobs).where(jobs.c.id == job_id))


PROSPECTS = Listing(
    sa.select(
        prospects.c.id,
        prospects.c.source,
        prospects.c.source_id,
        prospects.c.url,
        prospects.c.status,
        prospects.c.dag_run_id,
        prospects.c.created_at,
        prospects.c.updated_at,
        prospects.c.payload,
    ),
    (prospects.c.created_at.desc(), prospects.c.id.desc()),
    {"status": equals(prospects.c.status), "source": equals(prospects.c.source)},
)


async def list_prospects(
    connection: AsyncConnection, status: str | None, source: str | None, limit: int, offset: int
) -> tuple[int, list[Row]]:
    return await PROSPECTS.page(connection, {"status": status, "source": source}, limit, offset)


@reused_when_large(
    lambda counts: counts["jobs"].get("total", 0) + counts["prospects"].get("total", 0)
)
async def overview(connection: AsyncConnection) -> dict[str, Any]:
    """Job counts, prospect counts, listing counts, last-day activity and sources."""
    job_row = await fetch_one(
        connection,
        sa.select(
            *job_counts(jobs.c.status),
            sa.func.coalesce(sa.func.sum(jobs.c.items_scraped), 0).label("items_scraped"),
            sa.func.coalesce(sa.func.sum(jobs.c.items_failed), 0).label("items_failed"),
        ),
    )
    prospect_row = await fetch_one(
        connection,
        sa.select(
            sa.func.count().label("total"),
            sa.func.count().filter(prospects.c.status == "new").label("new"),
            sa.func.count()
            .filter(prospects.c.status.in_(PROCESSED_PROSPECT_STATUSES))
            .label("processed"),
            sa.func.count().filter(prospects.c.created_at >= since_hours(24)).label("last_24h"),
        ),
    )
    sources = await fetch_all(
        connection,
        sa.select(prospects.c.source, sa.func.count().label("count"))
        .group_by(prospects.c.source)
        .order_by(sa.func.count().desc(), prospects.c.source),
    )
    return {"jobs": job_row or {}, "prospects": prospect_row or {}, "sources": sources}


async def daily_prospects(connection: AsyncConnection, since: date) -> list[Row]:
    """Prospects first scraped per UTC day and source, from `since` on."""
    day = utc_day(prospects.c.created_at).label("day")
    query = (
        sa.select(day, prospects.c.source, sa.func.count().label("count"))
        .where(prospects.c.created_at >= start_of(since))
        .group_by(day, prospects.c.source)
        .order_by(day, prospects.c.source)
    )
    return await fetch_all(connection, query)
