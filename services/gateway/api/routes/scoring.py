"""Property scores: lists, one score's breakdown, a property's history, top properties, stats."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response

from services.gateway.api.deps import ConnectionDep, PageDep, RowId, require_scope
from services.gateway.api.responses import json_response
from services.gateway.queries import scoring as queries
from services.gateway.shapes import scoring as shapes
from services.gateway.shapes.common import daily_series, index_by, last_days, page
from services.gateway.shapes.records import Page, ScoreRow

router = APIRouter(prefix="/api/scoring", tags=["Scoring"], dependencies=[require_scope("read")])

Score = Annotated[float | None, Query(ge=0, le=100, description="on overall_score")]


@router.get("/scores", response_model=Page[ScoreRow], summary="Scores, best overall score first")
async def list_scores(
    connection: ConnectionDep,
    paging: PageDep,
    min_score: Score = None,
    max_score: Score = None,
) -> Response:
    if min_score is not None and max_score is not None and min_score > max_score:
        raise HTTPException(
            422, detail=f"min_score ({min_score}) is greater than max_score ({max_score})"
        )
    total, rows = await queries.list_scores(
        connection, min_score, max_score, paging.limit, paging.offset
    )
    return json_response(
        page(total, paging.limit, paging.offset, [shapes.score_row(row) for row in rows])
    )


@router.get(
    "/scores/{score_id}",
    response_model=shapes.ScoreDetails,
    summary="One score with all its components",
)
async def get_score(score_id: RowId, connection: ConnectionDep) -> Response:
    row = await queries.get_score(connection, score_id)
    if row is None:
        raise HTTPException(404, detail=f"Score {score_id} not found")
    return json_response(shapes.score_details(row))


@router.get(
    "/properties/{property_id}/scores",
    response_model=shapes.ScoreHistory,
    summary="Every score of a property, newest first",
)
async def property_scores(property_id: RowId, connection: ConnectionDep) -> Response:
    rows = await queries.property_scores_of(connection, property_id)
    if not rows:
        raise HTTPException(404, detail=f"No scores found for property {property_id}")
    return json_response(shapes.score_history(property_id, rows))


@router.get(
    "/top-properties",
    response_model=shapes.TopProperties,
    summary="The best properties by their latest score",
)
async def top_properties(
    connection: ConnectionDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> Response:
    rows = await queries.top_properties(connection, limit)
    return json_response({"data": [shapes.top_property(row) for row in rows]})


@router.get(
    "/stats/overview",
    response_model=shapes.ScoringOverview,
    summary="Score averages, distribution and model versions",
)
async def overview(connection: ConnectionDep) -> Response:
    counts = await queries.overview(connection)
    return json_response(
        shapes.overview(counts["totals"], counts["by_whole_score"], counts["versions"])
    )


@router.get(
    "/stats/trends",
    response_model=shapes.ScoreTrends,
    summary="Scores created per day (UTC) and their mean",
)
async def trends(
    connection: ConnectionDep, days: Annotated[int, Query(ge=1, le=90)] = 30
) -> Response:
    window = last_days(datetime.now(UTC).date(), days)
    rows = await queries.daily_scores(connection, window[0])
    return json_response({"data": daily_series(window, index_by(rows, "day"), shapes.trend_entry)})
