"""Platform-wide metrics across the stages (JSON for dashboards; Prometheus is /metrics)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.gateway.api.deps import ConnectionDep, require_scope
from services.gateway.api.responses import json_response
from services.gateway.health import timestamp
from services.gateway.queries import metrics as queries
from services.gateway.shapes import metrics as shapes
from services.gateway.shapes.common import last_days

router = APIRouter(prefix="/api/metrics", tags=["Metrics"], dependencies=[require_scope("read")])


@router.get(
    "/overview",
    response_model=shapes.MetricsOverview,
    summary="Counts of every stage, runs, active jobs, last-day activity",
)
async def overview(connection: ConnectionDep) -> Response:
    return json_response(shapes.overview(await queries.overview(connection), timestamp()))


@router.get(
    "/quality",
    response_model=shapes.QualityMetrics,
    summary="Data quality measurements, newest first",
)
async def quality(
    connection: ConnectionDep,
    metric_type: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    total, rows = await queries.quality_metrics(connection, metric_type, limit)
    return json_response({"total": total, "data": [shapes.quality_metric(row) for row in rows]})


@router.get(
    "/throughput",
    response_model=shapes.Throughput,
    summary="Items through each stage per day (UTC)",
)
async def throughput(
    connection: ConnectionDep, days: Annotated[int, Query(ge=1, le=30)] = 7
) -> Response:
    window = last_days(datetime.now(UTC).date(), days)
    return json_response(shapes.throughput(window, await queries.throughput(connection, window[0])))


@router.get(
    "/performance",
    response_model=shapes.Performance,
    summary="Mean durations and error rates per stage",
)
async def performance(connection: ConnectionDep) -> Response:
    return json_response(shapes.performance(await queries.performance(connection), timestamp()))


@router.get(
    "/funnel",
    response_model=shapes.Funnel,
    summary="How many items reach each stage, and how many drop out",
)
async def funnel(connection: ConnectionDep) -> Response:
    return json_response(shapes.funnel(await queries.funnel(connection), timestamp()))
