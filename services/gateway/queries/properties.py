"""SQL of the property API: the enricher's `properties` with the scorer's latest score of
each (`property_scores`, the highest id), the scraper's prospect it came from, and docgen's
`documents`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from services.gateway.queries import Row, fetch_all, fetch_one, recent_total
from services.gateway.shapes.properties import PropertyFilters, SortKey
from shared.db.tables import documents, properties, property_scores, prospect_queue

scores = property_scores

LATEST_SCORE = (
    sa.select(
        scores.c.id.label("score_id"),
        scores.c.overall_score,
        scores.c.investment_score,
        scores.c.risk_score,
        scores.c.roi_estimate,
        scores.c.cap_rate,
        scores.c.estimated_value,
        scores.c.value_low,
        scores.c.value_high,
        scores.c.monthly_rent_estimate,
        scores.c.model_version,
        scores.c.features_used["distress_signals"].label("distress_signals"),
        scores.c.created_at.label("scored_at"),
    )
    .where(scores.c.property_id == properties.c.id)
    .order_by(scores.c.id.desc())
    .limit(1)
    .lateral("latest")
)
"""The latest score of the property in the outer query (one index probe on
(property_id, id))."""

PROPERTY_COLUMNS = tuple(
    column
    for column in properties.c
    if column.name not in ("enrichment_data", "property_key", "dag_run_id")
)
SEARCH_COLUMNS = (*PROPERTY_COLUMNS, *(c for c in LATEST_SCORE.c))

SCORE_FILTERS = ("min_score", "max_score", "min_cap_rate", "max_cap_rate", "distress")

SORT_COLUMNS: dict[str, sa.ColumnElement[Any]] = {
    "price": properties.c.price,
    "score": LATEST_SCORE.c.overall_score,
    "cap_rate": LATEST_SCORE.c.cap_rate,
    "estimated_value": LATEST_SCORE.c.estimated_value,
    "sqft": properties.c.sqft,
    "year_built": properties.c.year_built,
}


def _conditions(filters: PropertyFilters) -> list[sa.ColumnElement[bool]]:
    """The WHERE conditions of `filters`, bound as parameters."""
    p, latest = properties.c, LATEST_SCORE.c
    bounds: tuple[tuple[sa.ColumnElement[Any], Any, Any], ...] = (
        (p.price, filters.min_price, filters.max_price),
        (p.bedrooms, filters.min_beds, filters.max_beds),
        (p.bathrooms, filters.min_baths, filters.max_baths),
        (p.sqft, filters.min_sqft, filters.max_sqft),
        (p.year_built, filters.min_year_built, filters.max_year_built),
        (latest.overall_score, filters.min_score, filters.max_score),
        (latest.cap_rate, filters.min_cap_rate, filters.max_cap_rate),
    )
    conditions: list[sa.ColumnElement[bool]] = []
    for column, low, high in bounds:
        if low is not None:
            conditions.append(column >= low)
        if high is not None:
            conditions.append(column <= high)
    exact = (
        (p.zip_code, filters.zip_code),
        (p.state, filters.state.upper() if filters.state else None),
        (p.property_type, filters.property_type),
        (p.listing_type, filters.status),
    )
    conditions.extend(column == value for column, value in exact if value is not None)
    if filters.city is not None:
        conditions.append(sa.func.lower(p.city) == filters.city.lower())
    if filters.source is not None:
        listed_on = sa.cast([{"kind": "listing", "name": filters.source}], JSONB)
        conditions.append(p.enrichment_sources.contains(listed_on))
    if filters.distress == "any":
        conditions.append(sa.func.jsonb_array_length(latest.distress_signals) > 0)
    elif filters.distress is not None:
        conditions.append(latest.distress_signals.contains(sa.cast([filters.distress], JSONB)))
    return conditions


def _search(filters: PropertyFilters, *columns: Any) -> sa.Select:
    """`columns` of the homes matching `filters`; the latest score is joined only when it is
    selected or filtered on, so that a plain count reads `properties` alone."""
    query = sa.select(*columns).where(*_conditions(filters))
    needs_score = any(getattr(filters, name) is not None for name in SCORE_FILTERS)
    if needs_score or any(column in LATEST_SCORE.c.values() for column in columns):
        query = query.select_from(properties.outerjoin(LATEST_SCORE, sa.true()))
    else:
        query = query.select_from(properties)
    return query


def _order(sort: SortKey) -> tuple[sa.ColumnElement[Any], ...]:
    if sort in ("newest", "oldest"):
        direction = sa.desc if sort == "newest" else sa.asc
        return (direction(properties.c.created_at), direction(properties.c.id))
    column = SORT_COLUMNS[sort.lstrip("-")]
    ordered = column.desc() if sort.startswith("-") else column.asc()
    return (ordered.nulls_last(), properties.c.id.desc())


async def count_matching(connection: AsyncConnection, filters: PropertyFilters) -> int:
    return await recent_total(connection, _search(filters, properties.c.id))


def search_query(filters: PropertyFilters, sort: SortKey, limit: int, offset: int) -> sa.Select:
    return _search(filters, *SEARCH_COLUMNS).order_by(*_order(sort)).limit(limit).offset(offset)


async def search(
    connection: AsyncConnection, filters: PropertyFilters, sort: SortKey, limit: int, offset: int
) -> tuple[int, list[Row]]:
    """How many homes match `filters`, and the page of them in `sort` order."""
    total = await count_matching(connection, filters)
    rows = await fetch_all(connection, search_query(filters, sort, limit, offset))
    return total, rows


async def stream_search(connection: AsyncConnection, query: sa.Select) -> AsyncIterator[Row]:
    """The rows of a search, read through a server-side cursor."""
    result = await connection.stream(query)
    async for row in result.mappings():
        yield dict(row)


async def get_property(connection: AsyncConnection, property_id: int) -> Row | None:
    """A search row of one home, with its enrichment data and run id."""
    query = sa.select(
        *SEARCH_COLUMNS, properties.c.enrichment_data, properties.c.dag_run_id
    ).select_from(properties.outerjoin(LATEST_SCORE, sa.true()))
    return await fetch_one(connection, query.where(properties.c.id == property_id))


async def listing_origin(connection: AsyncConnection, prospect_id: int | None) -> Row | None:
    """The scraped listing behind a property, when the scraper still has it."""
    if prospect_id is None:
        return None
    q = prospect_queue.c
    query = sa.select(
        q.id.label("prospect_id"),
        q.source,
        q.source_id,
        q.url,
        q.status,
        q.created_at.label("scraped_at"),
    ).where(q.id == prospect_id)
    return await fetch_one(connection, query)


async def scores_of(connection: AsyncConnection, property_id: int) -> list[Row]:
    """Every score of a home, newest first."""
    query = (
        sa.select(scores).where(scores.c.property_id == property_id).order_by(scores.c.id.desc())
    )
    return await fetch_all(connection, query)


DOCUMENT_COLUMNS = tuple(c for c in documents.c if c.name not in ("storage_uri", "updated_at"))


async def documents_of(connection: AsyncConnection, property_id: int) -> list[Row]:
    """Every packet version of a home, newest first."""
    query = (
        sa.select(*DOCUMENT_COLUMNS)
        .where(documents.c.property_id == property_id)
        .order_by(documents.c.created_at.desc(), documents.c.id.desc())
    )
    return await fetch_all(connection, query)


async def stored_document(
    connection: AsyncConnection, property_id: int, document_id: int | None
) -> Row | None:
    """Where a packet of a home is stored: `document_id`'s, or the newest when None."""
    query = sa.select(documents).where(documents.c.property_id == property_id)
    if document_id is not None:
        query = query.where(documents.c.id == document_id)
    query = query.order_by(documents.c.created_at.desc(), documents.c.id.desc()).limit(1)
    return await fetch_one(connection, query)


async def property_exists(connection: AsyncConnection, property_id: int) -> bool:
    found = await connection.scalar(
        sa.select(properties.c.id).where(properties.c.id == property_id)
    )
    return found is not None
