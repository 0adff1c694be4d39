"""SQL of the property API: the enricher's `properties` with the scorer's latest score of
each (`property_scores`, the highest id), the scraper's prospect it came from, and docgen's
`documents`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from services.gateway.queries import (
    Row,
    fetch_all,
    fetch_one,
    fetch_rows,
    is_latest_score,
    recent_total,
)
from services.gateway.shapes.properties import PropertyFilters, PropertySummary, SortKey
from shared.db.tables import documents, properties, property_scores, prospect_queue

scores = property_scores

SCORE_FIGURES: dict[str, sa.ColumnElement[Any]] = {
    "score_id": scores.c.id,
    "overall_score": scores.c.overall_score,
    "investment_score": scores.c.investment_score,
    "risk_score": scores.c.risk_score,
    "roi_estimate": scores.c.roi_estimate,
    "cap_rate": scores.c.cap_rate,
    "estimated_value": scores.c.estimated_value,
    "value_low": scores.c.value_low,
    "value_high": scores.c.value_high,
    "monthly_rent_estimate": scores.c.monthly_rent_estimate,
    "model_version": scores.c.model_version,
    "distress_signals": scores.c.features_used["distress_signals"],
    "scored_at": scores.c.created_at,
}
"""What a search shows of a home's score, by the name it is shown under."""

SCORE_COLUMNS = tuple(column.label(name) for name, column in SCORE_FIGURES.items())

LATEST_SCORE = (
    sa.select(*SCORE_COLUMNS)
    .where(scores.c.property_id == properties.c.id)
    .order_by(scores.c.id.desc())
    .limit(1)
    .lateral("latest")
)
"""The latest score of the property in the outer query (one index probe on
(property_id, id))."""
LATEST_FIGURES: dict[str, sa.ColumnElement[Any]] = {
    name: LATEST_SCORE.c[name] for name in SCORE_FIGURES
}

PROPERTY_COLUMNS = tuple(
    column
    for column in properties.c
    if column.name in PropertySummary.model_fields or column.name == "listing_type"
)
"""The facts a search shows of a home (its listing type as `status`), not its provenance
or enrichment documents."""

SEARCH_COLUMNS = (*PROPERTY_COLUMNS, *LATEST_SCORE.c)

SCORE_FILTERS = ("min_score", "max_score", "min_cap_rate", "max_cap_rate", "distress")

PROPERTY_SORTS: dict[str, sa.ColumnElement[Any]] = {
    "price": properties.c.price,
    "sqft": properties.c.sqft,
    "year_built": properties.c.year_built,
}
SCORE_SORTS = {
    "score": "overall_score",
    "cap_rate": "cap_rate",
    "estimated_value": "estimated_value",
}
"""Sorts on a figure of the latest score, by the figure's name in SCORE_FIGURES."""


def _conditions(
    filters: PropertyFilters, score: Mapping[str, sa.ColumnElement[Any]]
) -> list[sa.ColumnElement[bool]]:
    """The WHERE conditions of `filters`, bound as parameters; `score` names the figures
    of the score they read (the latest score joined laterally, or `property_scores`)."""
    p = properties.c
    bounds: tuple[tuple[sa.ColumnElement[Any], Any, Any], ...] = (
        (p.price, filters.min_price, filters.max_price),
        (p.bedrooms, filters.min_beds, filters.max_beds),
        (p.bathrooms, filters.min_baths, filters.max_baths),
        (p.sqft, filters.min_sqft, filters.max_sqft),
        (p.year_built, filters.min_year_built, filters.max_year_built),
        (score["overall_score"], filters.min_score, filters.max_score),
        (score["cap_rate"], filters.min_cap_rate, filters.max_cap_rate),
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
    distress = score["distress_signals"]
    if filters.distress == "any":
        conditions.append(sa.func.jsonb_array_length(distress) > 0)
    elif filters.distress is not None:
        conditions.append(distress.contains(sa.cast([filters.distress], JSONB)))
    return conditions


def _with_latest_score(filters: PropertyFilters, *columns: Any) -> sa.Select:
    """`columns` of the homes matching `filters`, each joined with its latest score."""
    return (
        sa.select(*columns)
        .select_from(properties.outerjoin(LATEST_SCORE, sa.true()))
        .where(*_conditions(filters, LATEST_FIGURES))
    )


def _latest_scores_by(filters: PropertyFilters, figure: str, *columns: Any) -> sa.Select:
    """`columns` of the homes matching `filters` whose latest score has `figure`, read from
    `property_scores` so that they can be walked in the order of the figure's index."""
    return (
        sa.select(*columns)
        .select_from(scores.join(properties, properties.c.id == scores.c.property_id))
        .where(is_latest_score(scores), SCORE_FIGURES[figure].is_not(None))
        .where(*_conditions(filters, SCORE_FIGURES))
    )


async def count_matching(connection: AsyncConnection, filters: PropertyFilters) -> int:
    """How many homes match `filters` (see `recent_total`); the latest scores are read only
    when a filter needs them."""
    if any(getattr(filters, name) is not None for name in SCORE_FILTERS):
        query = _with_latest_score(filters, properties.c.id)
    else:
        query = sa.select(properties.c.id).where(*_conditions(filters, LATEST_FIGURES))
    return await recent_total(connection, query)


def _direction(sort: SortKey) -> Callable[[Any], sa.UnaryExpression[Any]]:
    return sa.desc if sort.startswith("-") or sort == "newest" else sa.asc


Reader = Callable[[AsyncConnection, sa.Select, bool], AsyncIterator[Row]]
"""Reads the rows of a select; the flag says it is the search's last read (`fetch_rows`'s
`alone`)."""


async def _fetched(connection: AsyncConnection, query: sa.Select, last: bool) -> AsyncIterator[Row]:
    for row in await fetch_rows(connection, query, alone=last):
        yield row


async def streamed(connection: AsyncConnection, query: sa.Select, last: bool) -> AsyncIterator[Row]:
    """The rows of `query`, read through a server-side cursor (for long exports), in the
    request's transaction (a server-side cursor lives in one)."""
    result = await connection.stream(query)
    async for row in result.mappings():
        yield dict(row)


async def search(
    connection: AsyncConnection,
    filters: PropertyFilters,
    sort: SortKey,
    limit: int,
    offset: int,
    read: Reader = _fetched,
) -> AsyncIterator[Row]:
    """The homes matching `filters`, `limit` of them from `offset` in `sort` order, as
    search rows (SEARCH_COLUMNS).

    Ties are broken by id, newest first. A sort on a figure of the score walks the
    latest scores in the order of that figure's index and stops after the page; the homes
    without that figure (not scored yet) come after every home that has it.
    """
    key = sort.lstrip("-")
    if key not in SCORE_SORTS:
        order = (
            (_direction(sort)(properties.c.created_at), _direction(sort)(properties.c.id))
            if key in ("newest", "oldest")
            else (_direction(sort)(PROPERTY_SORTS[key]).nulls_last(), properties.c.id.desc())
        )
        query = _with_latest_score(filters, *SEARCH_COLUMNS).order_by(*order)
        async for row in read(connection, query.limit(limit).offset(offset), True):
            yield row
        return
    figure = SCORE_SORTS[key]
    ranked = _latest_scores_by(filters, figure, *PROPERTY_COLUMNS, *SCORE_COLUMNS).order_by(
        _direction(sort)(SCORE_FIGURES[figure]), properties.c.id.desc()
    )
    listed = 0
    async for row in read(connection, ranked.limit(limit).offset(offset), False):
        listed += 1
        yield row
    if listed == limit:
        return
    if listed:
        unranked_offset = 0
    else:
        with_figure = _latest_scores_by(filters, figure, properties.c.id)
        unranked_offset = max(offset - await recent_total(connection, with_figure), 0)
    unranked = (
        _with_latest_score(filters, *SEARCH_COLUMNS)
        .where(LATEST_FIGURES[figure].is_(None))
        .order_by(properties.c.id.desc())
    )
    page = unranked.limit(limit - listed).offset(unranked_offset)
    async for row in read(connection, page, True):
        yield row


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
