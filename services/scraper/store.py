"""The scraper's SQL: its job rows (`scraping_jobs`), its prospects (`prospect_queue`) and
the ticks its schedules fired (`schedule_ticks`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.db.tables import properties, prospect_queue, schedule_ticks, scraping_jobs
from shared.events import ScrapeRequested

FINISHED_JOB_STATUSES = frozenset({"success", "failed", "cancelled"})
# First key of the scraper's advisory locks (the second is the job id).
JOB_LOCK_CLASS = 0x5C4A

Change = Literal["new", "changed", "unchanged"]


@dataclass(frozen=True)
class JobClaim:
    job_id: int
    status: str

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_JOB_STATUSES


async def claim_job(session: AsyncSession, request: ScrapeRequested) -> JobClaim:
    """The job of `request`, created as running if it is the first delivery.

    A redelivered request finds its existing row: finished, or still `running` (being
    crawled by another consumer, or left by a process that died; see `job_lease`).
    """
    created = await session.execute(
        insert(scraping_jobs)
        .values(
            dag_id=request.pipeline,
            dag_run_id=request.run_id or str(request.event_id),
            source=request.source,
            status="running",
            config=request.model_dump(mode="json"),
            request_event_id=request.event_id,
            started_at=sa.func.now(),
        )
        .on_conflict_do_nothing(index_elements=[scraping_jobs.c.request_event_id])
        .returning(scraping_jobs.c.id, scraping_jobs.c.status)
    )
    row = created.one_or_none()
    if row is None:
        row = (
            await session.execute(
                sa.select(scraping_jobs.c.id, scraping_jobs.c.status).where(
                    scraping_jobs.c.request_event_id == request.event_id
                )
            )
        ).one()
    return JobClaim(job_id=row.id, status=row.status)


@asynccontextmanager
async def job_lease(engine: AsyncEngine, job_id: int) -> AsyncIterator[None]:
    """Held while a job's crawl runs, on a connection of its own.

    A second delivery of the same request (a rebalance hands the partition to another
    consumer mid-crawl) waits here until the first crawl ends, then finds the job
    finished. A crawler that dies loses its connection and with it the lease.
    """
    async with engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(sa.select(sa.func.pg_advisory_lock(JOB_LOCK_CLASS, job_id)))
        try:
            yield
        finally:
            await connection.execute(sa.select(sa.func.pg_advisory_unlock(JOB_LOCK_CLASS, job_id)))


async def job_status(session: AsyncSession, job_id: int) -> str:
    found = await session.execute(
        sa.select(scraping_jobs.c.status).where(scraping_jobs.c.id == job_id)
    )
    return str(found.scalar_one())


async def finish_job(
    session: AsyncSession,
    job_id: int,
    *,
    status: str,
    pages_crawled: int = 0,
    items_scraped: int = 0,
    items_failed: int = 0,
    error_log: str | None = None,
) -> None:
    """Record the outcome of a running job; a job already finished is left as it is.

    A job cancelled while its crawl ran stays cancelled, with the reason it was given;
    the counts its crawl reached are recorded all the same.
    """
    was_cancelled = scraping_jobs.c.status == "cancelled"
    await session.execute(
        sa.update(scraping_jobs)
        .where(
            scraping_jobs.c.id == job_id,
            scraping_jobs.c.status.in_(["running", "cancelled"]),
        )
        .values(
            status=sa.case((was_cancelled, "cancelled"), else_=status),
            pages_crawled=pages_crawled,
            items_scraped=items_scraped,
            items_failed=items_failed,
            error_log=sa.case((was_cancelled, scraping_jobs.c.error_log), else_=error_log),
            completed_at=sa.func.greatest(sa.func.now(), scraping_jobs.c.started_at),
            updated_at=sa.func.now(),
        )
    )


async def cancel_jobs(
    session: AsyncSession, *, job_id: int | None, run_id: str | None, reason: str | None
) -> list[int]:
    """Mark running jobs cancelled: the one named, else every one of `run_id`. Their
    crawls see it and stop (see `ScrapeJobs`). Returns the ids of the jobs cancelled; a
    finished or unknown job is left as it is."""
    named = (
        scraping_jobs.c.id == job_id if job_id is not None else scraping_jobs.c.dag_run_id == run_id
    )
    cancelled = await session.execute(
        sa.update(scraping_jobs)
        .where(named, scraping_jobs.c.status.in_(["queued", "running"]))
        .values(
            status="cancelled",
            error_log=f"cancelled: {reason}" if reason else "cancelled",
            completed_at=sa.func.greatest(sa.func.now(), scraping_jobs.c.started_at),
            updated_at=sa.func.now(),
        )
        .returning(scraping_jobs.c.id)
    )
    return [row.id for row in cancelled]


@dataclass(frozen=True)
class StoredProspect:
    prospect_id: int
    change: Change
    written_by_job: int | None
    previous_payload: dict[str, Any] | None = None

    def needs_publishing(self, job_id: int) -> bool:
        """New or changed content is announced; so is content this same job stored before,
        since the run that stored it may have died before announcing it."""
        return self.change != "unchanged" or self.written_by_job == job_id


@dataclass(frozen=True)
class ProspectRow:
    source: str
    source_id: str
    url: str | None
    payload: dict[str, Any]
    content_hash: str


async def upsert_prospects(
    session: AsyncSession, rows: list[ProspectRow], *, job_id: int, run_id: str | None
) -> dict[tuple[str, str], StoredProspect]:
    """Insert each listing, or replace its payload when its content changed; by
    `(source, source_id)`. Each stored listing comes back with the payload it had before,
    read in the same statement, so what changed can be told without a second look.

    Changed content goes back to status `new` (it will be enriched again) and is owned
    by this run; unchanged content keeps its status, run and timestamps. Rows are locked
    and written in key order, so concurrent crawls of one source lock rows in the same
    order, and a row another crawl is changing is read once that crawl committed.
    """
    by_key = {(row.source, row.source_id): row for row in rows}
    keys = sorted(by_key)
    table = prospect_queue
    before = (
        sa.select(
            table.c.id, table.c.source, table.c.source_id, table.c.payload, table.c.scraping_job_id
        )
        .where(sa.tuple_(table.c.source, table.c.source_id).in_(keys))
        # No FOR UPDATE: it would skip the rows the upsert below changes in this same
        # statement (PostgreSQL treats them as modified by the current command), losing
        # their previous payload; the upsert locks them anyway.
        .cte("before")
    )
    statement = insert(table).values(
        [
            {
                "source": source,
                "source_id": source_id,
                "url": by_key[source, source_id].url,
                "payload": by_key[source, source_id].payload,
                "content_hash": by_key[source, source_id].content_hash,
                "status": "new",
                "dag_run_id": run_id,
                "scraping_job_id": job_id,
            }
            for source, source_id in keys
        ]
    )
    excluded = statement.excluded
    written = (
        statement.on_conflict_do_update(
            index_elements=[table.c.source, table.c.source_id],
            set_={
                "url": excluded.url,
                "payload": excluded.payload,
                "content_hash": excluded.content_hash,
                "status": "new",
                "dag_run_id": excluded.dag_run_id,
                "scraping_job_id": excluded.scraping_job_id,
                "updated_at": sa.func.now(),
            },
            where=table.c.content_hash != excluded.content_hash,
        )
        .returning(table.c.id, table.c.source, table.c.source_id)
        .cte("written")
    )
    found = await session.execute(
        sa.select(
            sa.func.coalesce(written.c.id, before.c.id).label("id"),
            sa.func.coalesce(written.c.source, before.c.source).label("source"),
            sa.func.coalesce(written.c.source_id, before.c.source_id).label("source_id"),
            written.c.id.is_not(None).label("written"),
            before.c.payload.label("previous_payload"),
            before.c.scraping_job_id.label("previous_job_id"),
        ).select_from(
            written.join(
                before,
                sa.and_(
                    written.c.source == before.c.source,
                    written.c.source_id == before.c.source_id,
                ),
                full=True,
            )
        )
    )
    return {(row.source, row.source_id): _stored(row, job_id) for row in found}


def _stored(row: Any, job_id: int) -> StoredProspect:
    if not row.written:
        return StoredProspect(row.id, "unchanged", row.previous_job_id, row.previous_payload)
    if row.previous_payload is None:
        return StoredProspect(row.id, "new", job_id)
    return StoredProspect(row.id, "changed", job_id, row.previous_payload)


async def advance_prospects(
    session: AsyncSession, prospect_ids: list[int], status: str, allowed_from: tuple[str, ...]
) -> None:
    """Move the prospects that are in one of `allowed_from` to `status`."""
    if prospect_ids:
        await session.execute(
            sa.update(prospect_queue)
            .where(prospect_queue.c.id.in_(prospect_ids), prospect_queue.c.status.in_(allowed_from))
            .values(status=status, updated_at=sa.func.now())
        )


async def prospects_of_properties(session: AsyncSession, property_ids: list[int]) -> dict[int, int]:
    """The prospect each property was made from (read from the enricher's table)."""
    if not property_ids:
        return {}
    found = await session.execute(
        sa.select(properties.c.id, properties.c.prospect_id).where(
            properties.c.id.in_(property_ids), properties.c.prospect_id.is_not(None)
        )
    )
    return {int(property_id): int(prospect_id) for property_id, prospect_id in found}


async def claim_tick(
    session: AsyncSession, schedule: str, tick_at: datetime, request: ScrapeRequested
) -> bool:
    """Record that `schedule` fires at `tick_at`; False when it was already recorded.

    A replica claiming the same tick at the same moment waits for this transaction: if it
    commits, that replica finds the tick taken; if it rolls back (the request could not be
    published), that replica fires it instead.
    """
    claimed = await session.scalar(
        insert(schedule_ticks)
        .values(
            schedule=schedule,
            tick_at=tick_at,
            pipeline=request.pipeline,
            event_id=request.event_id,
            run_id=request.run_id,
        )
        .on_conflict_do_nothing(index_elements=["schedule", "tick_at"])
        .returning(sa.literal_column("true"))
    )
    return claimed is not None
