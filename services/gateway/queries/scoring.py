"""SQL of the scoring API, over `property_scores` (the scorer's) and `properties`."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.gateway.queries import (
    PAGE,
    Listing,
    Row,
    fetch_all,
    fetch_one,
    fetch_rows,
    is_latest_score,
    reused_when_large,
    since_hours,
    start_of,
    utc_day,
)
from shared.db.tables import properties, property_scores

scores = property_scores

SCORE_COLUMNS = (
    scores.c.id,
    scores.c.property_id,
    scores.c.dag_run_id,
    scores.c.overall_score,
    scores.c.investment_score,
    scores.c.risk_score,
    scores.c.roi_estimate,
    scores.c.model_version,
    scores.c.created_at,
)

TOP_PROPERTY_COLUMNS = (
    properties.c.address,
    properties.c.city,
    properties.c.state,
    properties.c.property_type,
    properties.c.bedrooms,
    properties.c.bathrooms,
    properties.c.sqft,
    properties.c.price,
    scores.c.estimated_value,
)


TOP_PROPERTIES = (
    sa.select(
        scores.c.id.label("score_id"),
        scores.c.property_id,
        scores.c.overall_score,
        scores.c.investment_score,
        scores.c.risk_score,
        scores.c.roi_estimate,
        scores.c.model_version,
        scores.c.created_at,
        *TOP_PROPERTY_COLUMNS,
    )
    .join(properties, properties.c.id == scores.c.property_id)
    .where(is_latest_score(scores))
    .order_by(scores.c.overall_score.desc(), scores.c.id.desc())
    .limit(PAGE[0])
)
"""The latest score of each property (the highest id), best first, with the property,
`limit` of them; built once.

It walks the scores in the order of their (overall_score, id) index and keeps those with
no newer score of their property, so it stops after `limit` rows instead of ranking every
property."""


async def top_properties(connection: AsyncConnection, limit: int) -> list[Row]:
    return await fetch_rows(connection, TOP_PROPERTIES, alone=True, values={"limit": limit})


SCORES = Listing(
    sa.select(*SCORE_COLUMNS),
    (scores.c.overall_score.desc(), scores.c.id.desc()),
    {
        "min_score": lambda value: scores.c.overall_score >= value,
        "max_score": lambda value: scores.c.overall_score <= value,
    },
)


async def list_scores(
    connection: AsyncConnection,
    min_score: float | None,
    max_score: float | None,
    limit: int,
    offset: int,
) -> tuple[int, list[Row]]:
    filters = {"min_score": min_score, "max_score": max_score}
    return await SCORES.page(connection, filters, limit, offset)


async def get_score(connection: AsyncConnection, score_id: int) -> Row | None:
    return await fetch_one(connection, sa.select(scores).where(scores.c.id == score_id))


async def property_scores_of(connection: AsyncConnection, property_id: int) -> list[Row]:
    """Every score of a property, newest first."""
    query = (
        sa.select(*SCORE_COLUMNS)
        .where(scores.c.property_id == property_id)
        .order_by(scores.c.created_at.desc(), scores.c.id.desc())
    )
    return await fetch_rows(connection, query)


@reused_when_large(lambda counts: counts["totals"].get("total_scores", 0))
async def overview(connection: AsyncConnection) -> dict[str, Any]:
    """Totals and averages, scores counted per whole score (at most 101 groups, bucketed by
    `shapes.scoring.distribution`), and scores per model version."""
    totals = await fetch_one(
        connection,
        sa.select(
            sa.func.count().label("total_scores"),
            sa.func.count(sa.distinct(scores.c.property_id)).label("properties_scored"),
            sa.func.avg(scores.c.overall_score).label("overall_score"),
            sa.func.avg(scores.c.investment_score).label("investment_score"),
            sa.func.avg(scores.c.risk_score).label("risk_score"),
            sa.func.avg(scores.c.roi_estimate).label("roi_estimate"),
            sa.func.count().filter(scores.c.created_at >= since_hours(24)).label("last_24h"),
        ),
    )
    whole = sa.func.floor(scores.c.overall_score).label("whole")
    by_whole_score = await fetch_all(
        connection, sa.select(whole, sa.func.count().label("count")).group_by(whole)
    )
    versions = await fetch_all(
        connection,
        sa.select(scores.c.model_version.label("version"), sa.func.count().label("count"))
        .group_by(scores.c.model_version)
        .order_by(sa.func.count().desc(), scores.c.model_version),
    )
    return {
        "totals": totals or {},
        "by_whole_score": {int(row["whole"]): row["count"] for row in by_whole_score},
        "versions": versions,
    }


async def daily_scores(connection: AsyncConnection, since: date) -> list[Row]:
    day = utc_day(scores.c.created_at).label("day")
    query = (
        sa.select(
            day,
            sa.func.count().label("scores_created"),
            sa.func.avg(scores.c.overall_score).label("average_score"),
        )
        .where(scores.c.created_at >= start_of(since))
        .group_by(day)
        .order_by(day)
    )
    return await fetch_all(connection, query)
