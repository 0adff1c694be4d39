"""SQL of the pipelines API: the `pipeline_runs` registry (the gateway's own table) and the
per-stage tallies of the job rows that carry a run id.

`pipeline_runs` holds the request and the last derived view of each run (state, task
counts, times). The job tables are the truth. Reads never write: a run or a page of runs
is shown with its live view, derived from its job rows at read time (`current_runs`).
The stored view, which filters and counts by state use, is kept current by the gateway's
settler (`keep_runs_settled`), which re-derives every run that may still change (not
finished, or finished less than `SETTLE_WINDOW` ago) every `SETTLE_INTERVAL_SECONDS`. A
run whose request could not be published is stored as `failed` with `tasks_total = 0` and
is kept as it is while no row of it appears.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.gateway.pipelines import PIPELINES, PropertySelection, Stage
from services.gateway.queries import (
    Listing,
    Row,
    equals,
    fetch_all,
    fetch_one,
    fetch_rows,
    latest_score_figure,
    reused_when_large,
    start_of,
    utc_day,
)
from services.gateway.runs import RunView, StageTally, derive_run
from services.gateway.shapes.pipelines import RECENT_RUNS_PER_DAG
from shared.db.tables import (
    docgen_jobs,
    enrichment_jobs,
    model_registry,
    pipeline_runs,
    properties,
    property_scores,
    scoring_jobs,
    scraping_jobs,
)

SETTLE_WINDOW = timedelta(minutes=10)
SETTLE_INTERVAL_SECONDS = 2.0
PENDING_JOB_STATUSES = ("queued", "running")
FAILED_JOB_STATUSES = ("failed", "cancelled")

Items = tuple[sa.ColumnElement[Any], sa.ColumnElement[Any], sa.ColumnElement[Any]]
Span = tuple[sa.ColumnElement[Any], sa.ColumnElement[Any]]

log = logging.getLogger("reos.gateway.runs")


async def insert_run(
    connection: AsyncConnection,
    dag_id: str,
    dag_run_id: str,
    execution_date: datetime,
    conf: Mapping[str, Any],
) -> None:
    await connection.execute(
        sa.insert(pipeline_runs).values(
            dag_id=dag_id,
            dag_run_id=dag_run_id,
            execution_date=execution_date,
            status="queued",
            conf=dict(conf),
        )
    )


async def mark_request_failed(connection: AsyncConnection, dag_run_id: str, at: datetime) -> None:
    await connection.execute(
        sa.update(pipeline_runs)
        .where(pipeline_runs.c.dag_run_id == dag_run_id)
        .values(
            status="failed",
            tasks_total=0,
            started_at=at,
            completed_at=at,
            duration_seconds=0.0,
            updated_at=sa.func.now(),
        )
    )


def request_failed_at(run: Mapping[str, Any]) -> datetime | None:
    """When the run's request could not be published, else None (see module docstring)."""
    if run["status"] == "failed" and run["tasks_total"] == 0:
        return run["completed_at"]
    return None


RUNS_PER_TALLY = 128
"""The most run ids one tally statement takes; more are tallied by several statements."""


def _run_slots(count: int) -> int:
    """How many run id parameters a tally of `count` runs has: the next power of two (at
    most RUNS_PER_TALLY), so that few statements serve every number of runs."""
    return min(1 << max(count - 1, 0).bit_length(), RUNS_PER_TALLY)


def _slot_values(run_ids: Sequence[str], slots: int) -> dict[str, str]:
    """The run id parameters' values: the ids, the last one repeated in the spare slots."""
    return {f"run_{slot}": run_ids[min(slot, len(run_ids) - 1)] for slot in range(slots)}


def _one_of(column: sa.ColumnElement[Any], values: Sequence[str]) -> sa.ColumnElement[bool]:
    """`column IN values` as plain comparisons: an IN list is expanded when the statement
    runs, which keeps the tallies from being compiled once and read by psycopg itself."""
    return sa.or_(*(column == value for value in values))


def _tally(
    table: sa.Table,
    stage: Stage,
    items: Items,
    span: Span,
    run_ids: Sequence[sa.BindParameter[str]],
) -> sa.Select:
    """One stage's rows per run of `run_ids`: job counts by status, `items` (total, success,
    failed) and `span` (first start, last end)."""
    pending: sa.ColumnElement[Any]
    failed: sa.ColumnElement[Any]
    if "status" in table.c:
        status = table.c.status
        pending = sa.func.count().filter(_one_of(status, PENDING_JOB_STATUSES))
        failed = sa.func.count().filter(_one_of(status, FAILED_JOB_STATUSES))
    else:
        pending = failed = sa.literal(0)
    items_total, items_success, items_failed = items
    started_at, ended_at = span
    return (
        sa.select(
            sa.literal(stage).label("stage"),
            table.c.dag_run_id,
            sa.func.count().label("jobs_total"),
            pending.label("jobs_pending"),
            failed.label("jobs_failed"),
            items_total.label("items_total"),
            items_success.label("items_success"),
            items_failed.label("items_failed"),
            sa.func.min(started_at).label("started_at"),
            sa.func.max(ended_at).label("ended_at"),
        )
        .where(table.c.dag_run_id.in_(run_ids))
        .group_by(table.c.dag_run_id)
    )


def _job_span(table: sa.Table) -> Span:
    return (
        sa.func.coalesce(table.c.started_at, table.c.created_at),
        sa.func.coalesce(table.c.completed_at, table.c.updated_at),
    )


def _job_items(table: sa.Table) -> Items:
    """One item per job row."""
    status = table.c.status
    return (
        sa.func.count(),
        sa.func.count().filter(status == "success"),
        sa.func.count().filter(_one_of(status, FAILED_JOB_STATUSES)),
    )


@lru_cache(maxsize=RUNS_PER_TALLY.bit_length())
def stage_tallies_of(slots: int) -> sa.CompoundSelect:
    """Every stage's tally of the runs given as `slots` parameters (`run_0`, `run_1`, ...),
    built once per number of slots (building it is most of what a page of runs costs).

    The run ids are parameters of their own, not one array: PostgreSQL then plans the
    statement once and reuses the plan, where a generic plan of `= ANY(array)` cannot tell
    how many runs the array holds, so every read was planned anew (0.5-0.6 ms of PostgreSQL
    a page of runs, against 0.28-0.34 ms)."""
    run_ids = [sa.bindparam(f"run_{slot}", type_=sa.String) for slot in range(slots)]
    scrape = scraping_jobs
    return sa.union_all(
        _tally(
            scrape,
            "scrape",
            (
                sa.func.sum(scrape.c.items_scraped + scrape.c.items_failed),
                sa.func.sum(scrape.c.items_scraped),
                sa.func.sum(scrape.c.items_failed),
            ),
            _job_span(scrape),
            run_ids,
        ),
        *(
            _tally(table, stage, _job_items(table), _job_span(table), run_ids)
            for table, stage in (
                (enrichment_jobs, "enrich"),
                (scoring_jobs, "score"),
                (docgen_jobs, "docgen"),
            )
        ),
    )


async def stage_tallies(
    connection: AsyncConnection, run_ids: Sequence[str]
) -> dict[str, dict[Stage, StageTally]]:
    """Per run id, per stage, what its job rows add up to (stages without rows absent)."""
    if not run_ids:
        return {}
    tallies: dict[str, dict[Stage, StageTally]] = {}
    rows = []
    for first in range(0, len(run_ids), RUNS_PER_TALLY):
        chunk = run_ids[first : first + RUNS_PER_TALLY]
        slots = _run_slots(len(chunk))
        # Each run's tally is the sum of its job rows as they are now: it needs no snapshot
        # shared with the runs read before it.
        rows += await fetch_rows(
            connection, stage_tallies_of(slots), alone=True, values=_slot_values(chunk, slots)
        )
    for row in rows:
        tallies.setdefault(row["dag_run_id"], {})[row["stage"]] = StageTally(
            jobs_total=int(row["jobs_total"]),
            jobs_pending=int(row["jobs_pending"]),
            jobs_failed=int(row["jobs_failed"]),
            items_total=int(row["items_total"] or 0),
            items_success=int(row["items_success"] or 0),
            items_failed=int(row["items_failed"] or 0),
            started_at=row["started_at"],
            ended_at=row["ended_at"],
        )
    return tallies


def _derive(run: Mapping[str, Any], tallies: Mapping[Stage, StageTally]) -> RunView:
    pipeline = PIPELINES[run["dag_id"]]
    return derive_run(pipeline.stages, tallies, request_failed_at=request_failed_at(run))


def _stored_view(view: RunView) -> dict[str, Any]:
    return {
        "status": view.state,
        "tasks_total": view.tasks_total,
        "tasks_success": view.tasks_success,
        "tasks_failed": view.tasks_failed,
        "duration_seconds": view.duration_seconds,
        "started_at": view.start_date,
        "completed_at": view.end_date,
    }


def _changed(run: Mapping[str, Any], stored: Mapping[str, Any]) -> bool:
    return any(run[column] != value for column, value in stored.items())


def _may_change(run: Mapping[str, Any], now: datetime) -> bool:
    """Whether a run's state may still change: not finished, or finished within
    `SETTLE_WINDOW` (the job rows of older runs may since have been deleted by retention;
    their stored view is final)."""
    completed_at = run["completed_at"]
    return run["status"] in ("queued", "running") or (
        completed_at is not None and completed_at > now - SETTLE_WINDOW
    )


async def live_views(connection: AsyncConnection, rows: Iterable[Row]) -> dict[str, RunView]:
    """The live view of each run of a known pipeline that may still change, from its job
    rows; the others, and runs whose request failed and which have no rows, keep their
    stored view (absent here)."""
    now = datetime.now(UTC)
    known = [row for row in rows if row["dag_id"] in PIPELINES and _may_change(row, now)]
    tallies = await stage_tallies(connection, [row["dag_run_id"] for row in known])
    return {
        row["dag_run_id"]: _derive(row, tallies.get(row["dag_run_id"], {}))
        for row in known
        if request_failed_at(row) is None or row["dag_run_id"] in tallies
    }


async def current_runs(connection: AsyncConnection, rows: Sequence[Row]) -> list[Row]:
    """The rows with their live view in place of the stored one (nothing is written)."""
    views = await live_views(connection, rows)
    return [
        {**row, **_stored_view(views[row["dag_run_id"]])} if row["dag_run_id"] in views else row
        for row in rows
    ]


async def settle(engine: AsyncEngine) -> int:
    """Store the live view of every run whose state may still change (see the module
    docstring); how many rows changed. Rows are updated in id order, so that concurrent
    settlers wait for each other, never deadlock."""
    query = (
        sa.select(pipeline_runs)
        .where(
            sa.or_(
                pipeline_runs.c.status.in_(("queued", "running")),
                pipeline_runs.c.completed_at > sa.func.now() - SETTLE_WINDOW,
            )
        )
        .order_by(pipeline_runs.c.id)
    )
    changed = 0
    async with engine.begin() as connection:
        rows = await fetch_all(connection, query)
        views = await live_views(connection, rows)
        for row in rows:
            view = views.get(row["dag_run_id"])
            if view is None or not _changed(row, stored := _stored_view(view)):
                continue
            await connection.execute(
                sa.update(pipeline_runs)
                .where(pipeline_runs.c.id == row["id"])
                .values(**stored, updated_at=sa.func.now())
            )
            changed += 1
    return changed


async def keep_runs_settled(engine: AsyncEngine, interval: float = SETTLE_INTERVAL_SECONDS) -> None:
    """The settler: `settle` every `interval` seconds until cancelled; a failed pass is
    logged and the next one tries again."""
    while True:
        try:
            await settle(engine)
        except Exception as error:
            log.warning("could not settle pipeline runs", extra={"error": repr(error)})
        await asyncio.sleep(interval)


async def find_run(
    connection: AsyncConnection, dag_id: str, dag_run_id: str
) -> tuple[Row, RunView] | None:
    """One run with its live view (and its tasks), or None."""
    row = await fetch_one(
        connection,
        sa.select(pipeline_runs).where(
            pipeline_runs.c.dag_id == dag_id, pipeline_runs.c.dag_run_id == dag_run_id
        ),
    )
    if row is None:
        return None
    tallies = await stage_tallies(connection, [dag_run_id])
    view = _derive(row, tallies.get(dag_run_id, {}))
    [current] = await current_runs(connection, [row])
    return current, view


RUNS = Listing(
    sa.select(pipeline_runs),
    (pipeline_runs.c.execution_date.desc(), pipeline_runs.c.id.desc()),
    {"dag_id": equals(pipeline_runs.c.dag_id), "state": equals(pipeline_runs.c.status)},
)
"""Runs, newest first."""


async def list_runs(
    connection: AsyncConnection, dag_id: str, state: str | None, limit: int, offset: int
) -> tuple[int, list[Row]]:
    total, rows = await RUNS.page(connection, {"dag_id": dag_id, "state": state}, limit, offset)
    return total, await current_runs(connection, rows)


async def recent_runs(connection: AsyncConnection, limit: int) -> list[Row]:
    _, newest = RUNS.statements(frozenset())
    rows = await fetch_rows(connection, newest, alone=True, values={"limit": limit, "offset": 0})
    return await current_runs(connection, rows)


PIPELINE_IDS = sa.values(sa.column("dag_id", sa.String), name="pipelines").data(
    [(dag_id,) for dag_id in PIPELINES]
)


async def recent_runs_by_dag(connection: AsyncConnection, per_dag: int) -> RecentRuns:
    """The newest `per_dag` runs of every pipeline (an index walk on (dag_id,
    execution_date) per pipeline, not a ranking of every run)."""
    newest = (
        sa.select(pipeline_runs)
        .where(pipeline_runs.c.dag_id == PIPELINE_IDS.c.dag_id)
        .order_by(*RUNS.order)
        .limit(per_dag)
        .lateral("newest")
    )
    query = (
        sa.select(newest)
        .select_from(PIPELINE_IDS.join(newest, sa.true()))
        .order_by(newest.c.dag_id, newest.c.execution_date.desc(), newest.c.id.desc())
    )
    grouped: dict[str, list[Row]] = {}
    for row in await current_runs(connection, await fetch_rows(connection, query, alone=True)):
        grouped.setdefault(row["dag_id"], []).append(row)
    return grouped


RecentRuns = dict[str, list[Row]]
StateCounts = dict[str, dict[str, Any]]


@reused_when_large(lambda overview: sum(row["total_runs"] for row in overview[1].values()))
async def overview(connection: AsyncConnection) -> tuple[RecentRuns, StateCounts]:
    """Every pipeline's newest runs (their live views, most of the cost) and its run counts
    by state."""
    recent = await recent_runs_by_dag(connection, RECENT_RUNS_PER_DAG)
    return recent, await state_counts_by_dag(connection)


async def state_counts_by_dag(connection: AsyncConnection) -> StateCounts:
    """Per pipeline: its run count per state and its last execution date."""
    query = sa.select(
        pipeline_runs.c.dag_id,
        sa.func.count().filter(pipeline_runs.c.status == "success").label("success_count"),
        sa.func.count().filter(pipeline_runs.c.status == "failed").label("failed_count"),
        sa.func.count().filter(pipeline_runs.c.status == "running").label("running_count"),
        sa.func.count().filter(pipeline_runs.c.status == "queued").label("queued_count"),
        sa.func.count().label("total_runs"),
        sa.func.max(pipeline_runs.c.execution_date).label("last_run_at"),
    ).group_by(pipeline_runs.c.dag_id)
    return {row["dag_id"]: row for row in await fetch_all(connection, query)}


async def daily_counts(connection: AsyncConnection, since: date) -> list[Row]:
    """Runs per UTC day of their execution date, from `since` on."""
    day = utc_day(pipeline_runs.c.execution_date).label("day")
    query = (
        sa.select(
            day,
            sa.func.count().label("total_runs"),
            sa.func.count().filter(pipeline_runs.c.status == "success").label("successful_runs"),
            sa.func.count().filter(pipeline_runs.c.status == "failed").label("failed_runs"),
            sa.func.avg(pipeline_runs.c.duration_seconds)
            .filter(pipeline_runs.c.status.in_(("success", "failed")))
            .label("avg_duration_seconds"),
        )
        .where(pipeline_runs.c.execution_date >= start_of(since))
        .group_by(day)
        .order_by(day)
    )
    return await fetch_all(connection, query)


AVM = "avm"


async def production_avm_version(connection: AsyncConnection) -> str | None:
    """The version of the AVM in production (model_registry), if one is."""
    registry = model_registry.c
    version = await connection.scalar(
        sa.select(registry.model_version).where(
            registry.model_name == AVM, registry.stage == "production"
        )
    )
    return str(version) if version is not None else None


async def properties_to_rescore(
    connection: AsyncConnection, selection: PropertySelection, production: str | None, limit: int
) -> list[int]:
    """The ids of at most `limit` properties, newest first: every one (`all`), or those whose
    latest score is not by the `production` model version, unscored ones included (`stale`)."""
    query = sa.select(properties.c.id).order_by(properties.c.id.desc()).limit(limit)
    if selection == "stale":
        latest_version = latest_score_figure(property_scores.c.model_version)
        query = query.where(latest_version.is_distinct_from(production))
    return list((await connection.scalars(query)).all())
