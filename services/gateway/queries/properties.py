"""SQL of the property API: the enricher's `properties` with the scorer's latest score of
each (`property_scores`, the highest id), the scraper's prospect it came from, and docgen's
`documents`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from services.gateway.queries import (
    PAGE,
    Row,
    fetch_all,
    fetch_one,
    fetch_rows,
    is_latest_score,
    recent_total,
)
from services.gateway.shapes.properties import FILTERS, PropertyFilters, PropertySummary, SortKey
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

SCORE_FILTERS = frozenset(
    ("min_score", "max_score", "min_cap_rate", "max_cap_rate", "distress", "any_distress")
)

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


def parameters(filters: PropertyFilters) -> dict[str, Any]:
    """The filters given, as the values of the search statements' parameters (named after
    the filters). Their names are the shape of the search: the statements of one shape are
    built and compiled once (see `_conditions`), whatever the values."""
    given = filters.model_dump(include=FILTERS, exclude_none=True)
    if "state" in given:
        given["state"] = given["state"].upper()
    if "city" in given:
        given["city"] = given["city"].lower()
    if "source" in given:
        given["source"] = [{"kind": "listing", "name": given["source"]}]
    if given.get("distress") == "any":
        del given["distress"]
        given["any_distress"] = True
    elif "distress" in given:
        given["distress"] = [given["distress"]]
    return given


def _conditions(
    names: frozenset[str], score: Mapping[str, sa.ColumnElement[Any]]
) -> list[sa.ColumnElement[bool]]:
    """The WHERE conditions of the filters `names` (see `parameters`), each bound to the
    parameter of its name; `score` names the figures of the score they read (the latest
    score joined laterally, or `property_scores`)."""
    p = properties.c
    bounds: tuple[tuple[sa.ColumnElement[Any], str, str], ...] = (
        (p.price, "min_price", "max_price"),
        (p.bedrooms, "min_beds", "max_beds"),
        (p.bathrooms, "min_baths", "max_baths"),
        (p.sqft, "min_sqft", "max_sqft"),
        (p.year_built, "min_year_built", "max_year_built"),
        (score["overall_score"], "min_score", "max_score"),
        (score["cap_rate"], "min_cap_rate", "max_cap_rate"),
    )
    conditions: list[sa.ColumnElement[bool]] = []
    for column, low, high in bounds:
        if low in names:
            conditions.append(column >= sa.bindparam(low, type_=column.type))
        if high in names:
            conditions.append(column <= sa.bindparam(high, type_=column.type))
    exact = (
        (p.zip_code, "zip_code"),
        (p.state, "state"),
        (p.property_type, "property_type"),
        (p.listing_type, "status"),
    )
    conditions.extend(
        column == sa.bindparam(name, type_=column.type) for column, name in exact if name in names
    )
    if "city" in names:
        conditions.append(sa.func.lower(p.city) == sa.bindparam("city", type_=p.city.type))
    if "source" in names:
        conditions.append(p.enrichment_sources.contains(sa.bindparam("source", type_=JSONB)))
    distress = score["distress_signals"]
    if "any_distress" in names:
        conditions.append(sa.func.jsonb_array_length(distress) > 0)
    if "distress" in names:
        conditions.append(distress.contains(sa.bindparam("distress", type_=JSONB)))
    return conditions


SHAPES = 256
"""Search shapes (filters given, sort) whose statements are kept built."""


def _with_latest_score(names: frozenset[str], *columns: Any) -> sa.Select:
    """`columns` of the homes matching the filters `names`, each joined with its latest
    score."""
    return (
        sa.select(*columns)
        .select_from(properties.outerjoin(LATEST_SCORE, sa.true()))
        .where(*_conditions(names, LATEST_FIGURES))
    )


def _latest_scores_by(names: frozenset[str], figure: str, *columns: Any) -> sa.Select:
    """`columns` of the homes matching the filters `names` whose latest score has `figure`,
    read from `property_scores` so that they can be walked in the order of the figure's
    index."""
    return (
        sa.select(*columns)
        .select_from(scores.join(properties, properties.c.id == scores.c.property_id))
        .where(is_latest_score(scores), SCORE_FIGURES[figure].is_not(None))
        .where(*_conditions(names, SCORE_FIGURES))
    )


@lru_cache(maxsize=SHAPES)
def matching(names: frozenset[str]) -> sa.Select:
    """The ids of the homes matching the filters `names`; the latest scores are read only
    when a filter needs them."""
    if names & SCORE_FILTERS:
        return _with_latest_score(names, properties.c.id)
    return sa.select(properties.c.id).where(*_conditions(names, LATEST_FIGURES))


async def count_matching(connection: AsyncConnection, filters: PropertyFilters) -> int:
    """How many homes match `filters` (see `recent_total`)."""
    values = parameters(filters)
    return await recent_total(connection, matching(frozenset(values)), values)


def _direction(sort: SortKey) -> Callable[[Any], sa.UnaryExpression[Any]]:
    return sa.desc if sort.startswith("-") or sort == "newest" else sa.asc


@lru_cache(maxsize=SHAPES)
def _page(names: frozenset[str], sort: SortKey) -> sa.Select:
    """A page of the search rows of the filters `names` in a `sort` on the home's own
    facts, ties broken by id, newest first."""
    key = sort.lstrip("-")
    order = (
        (_direction(sort)(properties.c.created_at), _direction(sort)(properties.c.id))
        if key in ("newest", "oldest")
        else (_direction(sort)(PROPERTY_SORTS[key]).nulls_last(), properties.c.id.desc())
    )
    return (
        _with_latest_score(names, *SEARCH_COLUMNS).order_by(*order).limit(PAGE[0]).offset(PAGE[1])
    )


@lru_cache(maxsize=SHAPES)
def _ranked_page(names: frozenset[str], sort: SortKey) -> sa.Select:
    """A page of the search rows of the filters `names` whose latest score has the figure
    of `sort`, in its order, ties by the score's id, newest first (the order of the
    figure's index)."""
    figure = SCORE_SORTS[sort.lstrip("-")]
    ranked = _latest_scores_by(names, figure, *PROPERTY_COLUMNS, *SCORE_COLUMNS)
    return (
        ranked.order_by(_direction(sort)(SCORE_FIGURES[figure]), scores.c.id.desc())
        .limit(PAGE[0])
        .offset(PAGE[1])
    )


@lru_cache(maxsize=SHAPES)
def _ranked(names: frozenset[str], figure: str) -> sa.Select:
    """The ids of the homes of `_ranked_page`, to count them."""
    return _latest_scores_by(names, figure, properties.c.id)


@lru_cache(maxsize=SHAPES)
def _unranked_page(names: frozenset[str], figure: str) -> sa.Select:
    """A page of the search rows of the filters `names` whose latest score lacks `figure`
    (or who have none), newest first."""
    return (
        _with_latest_score(names, *SEARCH_COLUMNS)
        .where(LATEST_FIGURES[figure].is_(None))
        .order_by(properties.c.id.desc())
        .limit(PAGE[0])
        .offset(PAGE[1])
    )


Reader = Callable[[AsyncConnection, sa.Select, dict[str, Any]], AsyncIterator[Row]]
"""Reads the rows of a select with the values of its parameters."""


async def _fetched(
    connection: AsyncConnection, query: sa.Select, values: dict[str, Any]
) -> AsyncIterator[Row]:
    for row in await fetch_rows(connection, query, alone=True, values=values):
        yield row


async def streamed(
    connection: AsyncConnection, query: sa.Select, values: dict[str, Any]
) -> AsyncIterator[Row]:
    """The rows of `query`, read through a server-side cursor (for long exports), in the
    request's transaction (a server-side cursor lives in one)."""
    result = await connection.stream(query, values)
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

    Ties are broken by id, newest first: the home's, or in a sort on a figure of the
    score, the latest score's. Such a sort walks the latest scores in the order of that
    figure's index and stops after the page; the homes without that figure (not scored
    yet) come after every home that has it.

    Each read is a statement of its own (`fetch_rows`'s `alone`) unless the total was just
    counted in a transaction: in one, a read cost PostgreSQL about twice as much (0.8-1.0
    against 0.37 ms for the score-sorted page). A page that spans the homes with the figure
    and those without reads them in two statements; a home scored between the two may be
    missing from that page.
    """
    values = parameters(filters)
    names = frozenset(values)
    key = sort.lstrip("-")
    if key not in SCORE_SORTS:
        async for row in read(
            connection, _page(names, sort), {**values, "limit": limit, "offset": offset}
        ):
            yield row
        return
    listed = 0
    ranked = _ranked_page(names, sort)
    async for row in read(connection, ranked, {**values, "limit": limit, "offset": offset}):
        listed += 1
        yield row
    if listed == limit:
        return
    figure = SCORE_SORTS[key]
    if listed:
        unranked_offset = 0
    else:
        unranked_offset = max(
            offset - await recent_total(connection, _ranked(names, figure), values), 0
        )
    page = {**values, "limit": limit - listed, "offset": unranked_offset}
    async for row in read(connection, _unranked_page(names, figure), page):
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
