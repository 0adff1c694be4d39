"""SQL of the enrichment API, over the enricher's `enrichment_jobs` and `properties`."""

from __future__ import annotations

from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.gateway.queries import (
    STATISTICS,
    Listing,
    Row,
    covers_many,
    equals,
    fetch_all,
    fetch_one,
    job_counts,
    latest_score_figure,
    reused_when_large,
    since_hours,
)
from services.gateway.shapes.enrichment import LISTED_PROPERTY_FIELDS
from shared.db.tables import enrichment_jobs, properties, property_scores

jobs = enrichment_jobs

# The value belongs to the scorer: a property's estimate is its latest score's.
LATEST_ESTIMATED_VALUE = latest_score_figure(property_scores.c.estimated_value).label(
    "estimated_value"
)
# What a row of the list shows: a home's documents (its enrichment, its sources' listings,
# the provenance of each field) are read for its own page only.
PROPERTY_LIST_COLUMNS = (
    *(properties.c[name] for name in LISTED_PROPERTY_FIELDS if name != "estimated_value"),
    LATEST_ESTIMATED_VALUE,
)


JOBS = Listing(
    sa.select(jobs),
    (jobs.c.created_at.desc(), jobs.c.id.desc()),
    {"status": equals(jobs.c.status), "enrichment_type": equals(jobs.c.enrichment_type)},
)


async def list_jobs(
    connection: AsyncConnection,
    status: str | None,
    enrichment_type: str | None,
    limit: int,
    offset: int,
) -> tuple[int, list[Row]]:
    filters = {"status": status, "enrichment_type": enrichment_type}
    return await JOBS.page(connection, filters, limit, offset)


async def get_job(connection: AsyncConnection, job_id: int) -> Row | None:
    return await fetch_one(connection, sa.select(jobs).where(jobs.c.id == job_id))


PROPERTIES = Listing(
    sa.select(*PROPERTY_LIST_COLUMNS),
    (properties.c.created_at.desc(), properties.c.id.desc()),
    {name: equals(properties.c[name]) for name in ("city", "state", "property_type")},
)


async def list_properties(
    connection: AsyncConnection,
    filters: dict[str, str | None],
    limit: int,
    offset: int,
) -> tuple[int, list[Row]]:
    """Properties matching every given filter exactly (city, state, property_type)."""
    return await PROPERTIES.page(connection, filters, limit, offset)


async def get_property(connection: AsyncConnection, property_id: int) -> Row | None:
    return await fetch_one(
        connection,
        sa.select(properties, LATEST_ESTIMATED_VALUE).where(properties.c.id == property_id),
    )


@reused_when_large(
    lambda counts: counts["jobs"].get("total", 0) + counts["properties"].get("total", 0)
)
async def overview(connection: AsyncConnection) -> dict[str, Any]:
    job_row = await fetch_one(
        connection,
        sa.select(
            *job_counts(jobs.c.status),
            sa.func.count().filter(jobs.c.created_at >= since_hours(24)).label("last_24h"),
        ),
    )
    property_row = await fetch_one(
        connection,
        sa.select(
            sa.func.count().label("total"),
            sa.func.count(properties.c.price).label("with_pricing"),
            sa.func.count(properties.c.bedrooms).label("with_details"),
            sa.func.count()
            .filter(properties.c.price.is_not(None), properties.c.bedrooms.is_not(None))
            .label("complete"),
        ),
    )
    types = await fetch_all(
        connection,
        sa.select(jobs.c.enrichment_type.label("type"), sa.func.count().label("count"))
        .group_by(jobs.c.enrichment_type)
        .order_by(sa.func.count().desc(), jobs.c.enrichment_type),
    )
    return {"jobs": job_row or {}, "properties": property_row or {}, "types": types}


async def field_counts(connection: AsyncConnection, fields: tuple[str, ...]) -> Row:
    """How many properties there are, and how many have each of `fields` filled in
    (reused for a few seconds over many properties, see `queries`)."""
    counts: Row = await STATISTICS.value(
        ("field_counts", fields),
        partial(_field_counts, connection, fields),
        keep=lambda row: covers_many(row.get("total")),
    )
    return counts


async def _field_counts(connection: AsyncConnection, fields: tuple[str, ...]) -> Row:
    columns = [sa.func.count().label("total")]
    for name in fields:
        column = LATEST_ESTIMATED_VALUE if name == "estimated_value" else properties.c[name]
        filled: sa.ColumnElement[Any] = sa.func.count(column)
        if isinstance(column.type, sa.String | sa.Text):
            filled = sa.func.count().filter(sa.func.length(sa.func.trim(column)) > 0)
        columns.append(filled.label(name))
    return await fetch_one(connection, sa.select(*columns)) or {}
