"""SQL of the cancel routes: what a cancel request names, and whether it can still stop."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.gateway.queries import Row, fetch_one
from shared.db.tables import pipeline_runs, scraping_jobs

UNFINISHED = ("queued", "running")


async def scraping_job(connection: AsyncConnection, job_id: int) -> Row | None:
    query = sa.select(scraping_jobs.c.id, scraping_jobs.c.dag_run_id, scraping_jobs.c.status)
    return await fetch_one(connection, query.where(scraping_jobs.c.id == job_id))


async def run_crawls(connection: AsyncConnection, dag_id: str, dag_run_id: str) -> Row | None:
    """A run and how many of its crawls have not finished; None when there is no such run."""
    unfinished = (
        sa.select(sa.func.count())
        .where(scraping_jobs.c.dag_run_id == dag_run_id, scraping_jobs.c.status.in_(UNFINISHED))
        .scalar_subquery()
    )
    query = sa.select(
        pipeline_runs.c.dag_run_id, pipeline_runs.c.status, unfinished.label("unfinished_crawls")
    ).where(pipeline_runs.c.dag_id == dag_id, pipeline_runs.c.dag_run_id == dag_run_id)
    return await fetch_one(connection, query)
