"""Pipelines (the original's DAGs): what can be run, its runs and tasks, and triggers."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from services.gateway.api.deps import ConnectionDep, GatewayDep, Offset, require_scope
from services.gateway.api.responses import json_response
from services.gateway.pipelines import (
    PIPELINES,
    Conf,
    Pipeline,
    ScoreMasterConf,
    new_dag_run_id,
    score_requests,
)
from services.gateway.queries import pipelines as queries
from services.gateway.shapes import pipelines as shapes
from services.gateway.shapes.common import daily_series, index_by, last_days
from shared.events import Event

router = APIRouter(
    prefix="/api/pipelines", tags=["Pipelines"], dependencies=[require_scope("read")]
)
log = logging.getLogger("reos.gateway.pipelines")

PUBLISH_TIMEOUT_SECONDS = 10.0

RunStateFilter = Literal["queued", "running", "success", "failed"]


class TriggerRequest(BaseModel):
    conf: dict[str, Any] = Field(
        default_factory=dict,
        description="the pipeline's parameters; see `params` of GET /api/pipelines/dags/{dag_id}",
    )


def _pipeline(dag_id: str) -> Pipeline:
    pipeline = PIPELINES.get(dag_id)
    if pipeline is None:
        raise HTTPException(404, detail=f"DAG {dag_id} not found")
    return pipeline


def _valid_conf(pipeline: Pipeline, conf: dict[str, Any]) -> Conf:
    try:
        return pipeline.validate_conf(conf)
    except ValidationError as error:
        raise RequestValidationError(
            [{**item, "loc": ("body", "conf", *item["loc"])} for item in error.errors()]
        ) from None


async def _request_events(
    gateway: GatewayDep, pipeline: Pipeline, conf: Conf, dag_run_id: str
) -> list[Event]:
    """The events that start the run: from the conf, or, for a re-score of properties the
    gateway is to choose (`stale`, `all`), one per chosen property (409 when none is)."""
    if not isinstance(conf, ScoreMasterConf) or conf.selection is None:
        return pipeline.events(conf, dag_run_id)
    async with gateway.engine.connect() as connection:
        production = await queries.production_avm_version(connection)
        if conf.selection == "stale" and production is None:
            raise HTTPException(409, detail="No AVM is in production: nothing is stale yet")
        chosen = await queries.properties_to_rescore(
            connection, conf.selection, production, conf.limit
        )
    if not chosen:
        raise HTTPException(
            409,
            detail=f"No property to re-score: none is {conf.selection} "
            f"(production AVM {production})",
        )
    return score_requests(dag_run_id, chosen, conf.reason)


@router.get(
    "/overview",
    response_model=shapes.PipelinesOverview,
    summary="Every pipeline with its recent runs and run counts",
)
async def overview(connection: ConnectionDep) -> Response:
    recent, counts = await queries.overview(connection)
    return json_response(
        shapes.overview(
            [
                shapes.dag_overview(pipeline, recent.get(dag_id, []), counts.get(dag_id))
                for dag_id, pipeline in PIPELINES.items()
            ]
        )
    )


@router.get("/dags", response_model=shapes.DagList, summary="The pipelines with their recent runs")
async def list_dags(
    connection: ConnectionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    offset: Offset = 0,
) -> Response:
    recent = await queries.recent_runs_by_dag(connection, shapes.RECENT_RUNS_PER_DAG)
    chosen = list(PIPELINES.values())[offset : offset + limit]
    return json_response(
        {
            "dags": [shapes.dag(pipeline, recent.get(pipeline.dag_id, [])) for pipeline in chosen],
            "total_entries": len(PIPELINES),
        }
    )


@router.get(
    "/dags/{dag_id}",
    response_model=shapes.DagDetails,
    summary="One pipeline with its parameters schema",
)
async def get_dag(dag_id: str, connection: ConnectionDep) -> Response:
    pipeline = _pipeline(dag_id)
    _, recent = await queries.list_runs(connection, dag_id, None, shapes.RECENT_RUNS_PER_DAG, 0)
    return json_response(shapes.dag_details(pipeline, recent))


@router.get(
    "/dags/{dag_id}/runs",
    response_model=shapes.DagRunList,
    summary="The runs of a pipeline, newest first",
)
async def list_dag_runs(
    dag_id: str,
    connection: ConnectionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    offset: Offset = 0,
    state: RunStateFilter | None = None,
) -> Response:
    _pipeline(dag_id)
    total, rows = await queries.list_runs(connection, dag_id, state, limit, offset)
    return json_response(
        {"dag_runs": [shapes.dag_run(row) for row in rows], "total_entries": total}
    )


async def _current_run(connection: ConnectionDep, dag_id: str, dag_run_id: str) -> Any:
    _pipeline(dag_id)
    found = await queries.find_run(connection, dag_id, dag_run_id)
    if found is None:
        raise HTTPException(404, detail=f"DAG run {dag_run_id} of DAG {dag_id} not found")
    return found


@router.get("/dags/{dag_id}/runs/{dag_run_id}", response_model=shapes.DagRun, summary="One run")
async def get_dag_run(dag_id: str, dag_run_id: str, connection: ConnectionDep) -> Response:
    row, _ = await _current_run(connection, dag_id, dag_run_id)
    return json_response(shapes.dag_run(row))


@router.get(
    "/dags/{dag_id}/runs/{dag_run_id}/tasks",
    response_model=shapes.TaskList,
    summary="The tasks of a run: one per stage (scrape, enrich, score, docgen)",
)
async def list_run_tasks(dag_id: str, dag_run_id: str, connection: ConnectionDep) -> Response:
    _, view = await _current_run(connection, dag_id, dag_run_id)
    return json_response(
        {
            "task_instances": [
                shapes.task_instance(task, dag_id, dag_run_id) for task in view.tasks
            ],
            "total_entries": len(view.tasks),
        }
    )


@router.post(
    "/dags/{dag_id}/trigger",
    response_model=shapes.Triggered,
    summary="Start a run: publish the pipeline's request event(s) with a new run id",
    dependencies=[require_scope("operate")],
    responses={
        404: {"description": "unknown pipeline"},
        422: {"description": "invalid conf"},
        503: {"description": "the broker did not take the request; the run is marked failed"},
    },
)
async def trigger_dag(
    dag_id: str, gateway: GatewayDep, request: TriggerRequest | None = None
) -> dict[str, Any]:
    pipeline = _pipeline(dag_id)
    conf = _valid_conf(pipeline, (request or TriggerRequest()).conf)
    execution_date = datetime.now(UTC)
    dag_run_id = new_dag_run_id(execution_date)
    stored_conf = conf.model_dump(mode="json")
    events = await _request_events(gateway, pipeline, conf, dag_run_id)
    async with gateway.engine.begin() as connection:
        await queries.insert_run(connection, dag_id, dag_run_id, execution_date, stored_conf)
    try:
        await asyncio.wait_for(gateway.messaging.publish_many(events), PUBLISH_TIMEOUT_SECONDS)
    except Exception as error:
        log.error(
            "could not publish a pipeline request",
            exc_info=(type(error), error, error.__traceback__),
            extra={"dag_id": dag_id, "dag_run_id": dag_run_id, "events": len(events)},
        )
        async with gateway.engine.begin() as connection:
            await queries.mark_request_failed(connection, dag_run_id, datetime.now(UTC))
        raise HTTPException(
            503,
            detail=(
                f"DAG {dag_id} could not be triggered: the message broker did not take its "
                f"request ({type(error).__name__}); run {dag_run_id} is marked failed"
            ),
            headers={"Retry-After": "5"},
        ) from None
    log.info(
        "pipeline triggered",
        extra={"dag_id": dag_id, "dag_run_id": dag_run_id, "events": len(events)},
    )
    run = {"dag_run_id": dag_run_id, "execution_date": execution_date, "conf": stored_conf}
    return shapes.triggered(pipeline, run, len(events))


@router.get(
    "/runs/recent", response_model=shapes.RecentRuns, summary="The newest runs of all pipelines"
)
async def recent_runs(
    connection: ConnectionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Response:
    rows = await queries.recent_runs(connection, limit)
    return json_response({"data": [shapes.run_record(row) for row in rows]})


@router.get(
    "/stats/daily",
    response_model=shapes.DailyRunSeries,
    summary="Runs per day (UTC) with their outcome and mean duration",
)
async def daily_stats(
    connection: ConnectionDep,
    days: Annotated[int, Query(ge=1, le=30)] = 7,
) -> Response:
    window = last_days(datetime.now(UTC).date(), days)
    rows = await queries.daily_counts(connection, window[0])
    return json_response({"data": daily_series(window, index_by(rows, "day"), shapes.daily_entry)})
