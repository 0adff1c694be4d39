"""The gateway's SQL, one module per resource, and the helpers they share.

Page totals and statistics over large tables are reused for `RECENT_SECONDS`, or longer
when computing one takes over `MOST_BUSY` of that time (see `services.gateway.caching`): a
total of at least `EXACT_BELOW` rows may be that old, while a smaller one is always counted
afresh within the page's snapshot.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping
from datetime import UTC, date, datetime, time
from functools import partial, wraps
from typing import Any, TypeVar

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import Compiled
from sqlalchemy.ext.asyncio import AsyncConnection

from services.gateway.caching import Recent
from shared.db import tables
from shared.db.session import ONE_CORE
from shared.db.tables import property_scores

Row = dict[str, Any]

RECENT_SECONDS = 5.0
EXACT_BELOW = 1_000
"""Totals and statistics covering fewer rows than this are never reused."""

MOST_BUSY = 0.05
"""The share of the time a worker's recomputations of one total or statistic may take: one
over 1,000,000 jobs took 0.45 s of PostgreSQL, a core for a tenth of the time over two
workers with a reuse of 5 s, and every request served meanwhile waited longer (the p99 of
a statistic 190 ms on a slow machine). Kept 9 s instead, it takes a twentieth."""

TOTALS: Recent[int] = Recent(RECENT_SECONDS, max_busy=MOST_BUSY)
STATISTICS: Recent[Any] = Recent(RECENT_SECONDS, max_busy=MOST_BUSY)


async def fetch_all(
    connection: AsyncConnection, query: sa.Executable, values: Mapping[str, Any] | None = None
) -> list[Row]:
    return [dict(row) for row in (await connection.execute(query, values)).mappings()]


_COMPILED: dict[Hashable, Compiled] = {}
_DIALECT = asyncpg_dialect()


def _plain_sql(
    query: sa.Select | sa.CompoundSelect, values: Mapping[str, Any] | None = None
) -> tuple[str, list[Any]] | None:
    """`query` as asyncpg's SQL text and positional parameters (as SQLAlchemy would send
    them, with `values` for its unvalued parameters, those to be written into the SQL
    written in), compiled once per structure; None when it has expanding parameters (`IN`
    lists)."""
    cache_key = query._generate_cache_key()
    if cache_key is None:
        return None
    compiled = _COMPILED.get(cache_key.key)
    if compiled is None:
        compiled = query.compile(dialect=_DIALECT, cache_key=cache_key)
        if len(_COMPILED) >= 4096:
            _COMPILED.clear()
        _COMPILED[cache_key.key] = compiled
    if compiled.post_compile_params:
        return None
    parameters = compiled.construct_params(values, extracted_parameters=cache_key.bindparams)
    for name, process in compiled._bind_processors.items():
        if name in parameters:
            parameters[name] = process(parameters[name])
    if compiled.literal_execute_params:
        written = compiled._process_parameters_for_postcompile(parameters)
        return written.statement, [written.parameters[name] for name in written.positiontup]
    return compiled.string, [parameters[name] for name in compiled.positiontup]


async def fetch_rows(
    connection: AsyncConnection,
    query: sa.Select | sa.CompoundSelect,
    *,
    alone: bool = False,
    values: Mapping[str, Any] | None = None,
) -> list[Row]:
    """The rows of `query` as dicts (`values` bound to its unvalued parameters), read by
    asyncpg itself on a connection of the reads engine (`create_reads_engine`). For selects
    of table columns and aggregates (their values need no conversion by SQLAlchemy): it
    saves SQLAlchemy's execution and result machinery, most of a page's cost. Read through
    SQLAlchemy otherwise, and on the other engine's connections (the run settler's).

    `alone`: the statement needs no snapshot shared with the request's later reads. When
    the connection is in no transaction, it then runs outside one, which saves the BEGIN
    and ROLLBACK round trips, a third of a page's cost; otherwise it runs in the request's
    transaction, begun now if need be.
    """
    driver = (await connection.get_raw_connection()).driver_connection
    if not isinstance(driver, asyncpg.Connection):
        return await fetch_all(connection, query, values)
    plain = _plain_sql(query, values)
    if plain is None or not (alone or driver.is_in_transaction()):
        return await fetch_all(connection, query, values)
    sql, parameters = plain
    records = await driver.fetch(sql, *parameters)
    if not records:
        return []
    # Values zipped with the names: dict(record) looks each name up again (a page of 50
    # homes cost 33 us more of a 1.4 ms request).
    names = tuple(records[0].keys())
    return [dict(zip(names, record, strict=True)) for record in records]


async def fetch_one(connection: AsyncConnection, query: sa.Executable) -> Row | None:
    row = (await connection.execute(query)).mappings().one_or_none()
    return dict(row) if row is not None else None


async def count(
    connection: AsyncConnection, query: sa.Select, values: Mapping[str, Any] | None = None
) -> int:
    """The number of rows `query` selects (`values` bound to its unvalued parameters)."""
    counted = sa.select(sa.func.count()).select_from(query.subquery())
    total = await connection.scalar(counted, values)
    return int(total or 0)


def _statement_key(query: sa.Select, values: Mapping[str, Any] | None = None) -> Hashable:
    """The structure and values of `query` (its bound ones and `values`): equal for equal
    filters. SQLAlchemy's own cache key of the statement costs a tenth of compiling it to
    SQL, and nothing for a statement built once."""
    given = repr(sorted(values.items())) if values else ""
    cache_key = query._generate_cache_key()
    if cache_key is None:
        compiled = query.compile(dialect=postgresql.dialect())
        return f"{compiled}|{sorted(compiled.params.items())!r}|{given}"
    return cache_key.key, repr([bound.effective_value for bound in cache_key.bindparams]), given


def covers_many(*counts: Any) -> bool:
    """Whether a figure covers enough rows to be worth reusing."""
    return sum(int(value or 0) for value in counts) >= EXACT_BELOW


async def recent_total(
    connection: AsyncConnection, query: sa.Select, values: Mapping[str, Any] | None = None
) -> int:
    """`count(query, values)`, reused for a few seconds when it is large (see the module
    docs)."""
    return await TOTALS.value(
        _statement_key(query, values), partial(count, connection, query, values), keep=covers_many
    )


Statistic = TypeVar("Statistic")


def reused_when_large(
    size: Callable[[Any], int],
) -> Callable[
    [Callable[[AsyncConnection], Awaitable[Statistic]]],
    Callable[[AsyncConnection], Awaitable[Statistic]],
]:
    """A statistic over whole tables, reused for a few seconds when `size` of it (the rows
    it covers) is large (see the module docs)."""

    def reused(
        compute: Callable[[AsyncConnection], Awaitable[Statistic]],
    ) -> Callable[[AsyncConnection], Awaitable[Statistic]]:
        name = f"{compute.__module__}.{compute.__qualname__}"

        async def on_one_core(connection: AsyncConnection) -> Statistic:
            await connection.execute(ONE_CORE)
            return await compute(connection)

        @wraps(compute)
        async def statistic(connection: AsyncConnection) -> Statistic:
            value: Statistic = await STATISTICS.value(
                name,
                partial(on_one_core, connection),
                keep=lambda value: covers_many(size(value)),
            )
            return value

        return statistic

    return reused


PAGE = (
    sa.bindparam("limit", type_=sa.BigInteger, literal_execute=True),
    sa.bindparam("offset", type_=sa.BigInteger, literal_execute=True),
)
"""The page of a statement built once (`.limit(PAGE[0]).offset(PAGE[1])`), its bounds
written into the SQL when it runs (bigint, as far as an offset may go). Given as parameters,
they left PostgreSQL to assume a page of a tenth of the rows in a prepared statement's
generic plan, which then cost more than a plan for the values at hand: it planned every
execution anew (the score-sorted page 0.85-0.96 ms of PostgreSQL against 0.41-0.42 with
its bounds in the SQL, planned once)."""

Condition = Callable[[sa.BindParameter[Any]], sa.ColumnElement[bool]]
"""A filter's condition on the parameter that carries its value."""


def equals(column: sa.ColumnElement[Any]) -> Condition:
    return lambda value: column == value


class Listing:
    """The statements of a list endpoint: `select` narrowed by the filters given (each the
    condition of its name on a parameter of that name), in `order`, a page at a time.

    Building a statement and keying it cost more than the rest of a page's work, so each
    set of filters given is built once; a page binds the filters' values and its bounds.
    """

    def __init__(
        self,
        select: sa.Select,
        order: tuple[sa.ColumnElement[Any], ...],
        conditions: Mapping[str, Condition] | None = None,
    ) -> None:
        self.select = select
        self.order = order
        self.conditions = dict(conditions or {})
        self._built: dict[frozenset[str], tuple[sa.Select, sa.Select]] = {}

    def statements(self, names: frozenset[str]) -> tuple[sa.Select, sa.Select]:
        """The rows matching the filters `names`, and a page of them in order."""
        built = self._built.get(names)
        if built is None:
            matching = self.select.where(
                *(self.conditions[name](sa.bindparam(name)) for name in sorted(names))
            )
            page = matching.order_by(*self.order).limit(PAGE[0]).offset(PAGE[1])
            built = self._built[names] = (matching, page)
        return built

    async def page(
        self, connection: AsyncConnection, filters: Mapping[str, Any], limit: int, offset: int
    ) -> tuple[int, list[Row]]:
        """How many rows match the filters given (the ones not None; see `recent_total`),
        and the page of them from `offset`: the last reads of the request. Counted now,
        the total and the rows share the request's snapshot; with a reused total, the rows
        are its only read."""
        values = {name: value for name, value in filters.items() if value is not None}
        matching, page = self.statements(frozenset(values))
        total = await recent_total(connection, matching, values)
        bounds = {**values, "limit": limit, "offset": offset}
        return total, await fetch_rows(connection, page, alone=True, values=bounds)


def is_latest_score(score: sa.FromClause) -> sa.ColumnElement[bool]:
    """Whether a row of `score` (`property_scores` or an alias of it) is the latest score of
    its property, i.e. no score of that property has a higher id (an index probe on
    (property_id, id))."""
    newer = property_scores.alias("newer")
    return ~sa.exists().where(newer.c.property_id == score.c.property_id, newer.c.id > score.c.id)


def latest_score_figure(figure: sa.Column[Any]) -> sa.ScalarSelect[Any]:
    """`figure` (a `property_scores` column) of the latest score of the outer query's
    `properties` row, or NULL when it has none."""
    # `tables.properties`: the name `properties` is this package's module of that name.
    return (
        sa.select(figure)
        .where(property_scores.c.property_id == tables.properties.c.id)
        .order_by(property_scores.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def job_counts(status: sa.ColumnElement[Any]) -> tuple[sa.ColumnElement[Any], ...]:
    """The columns of JobCounts for a job table's status column."""
    return (
        sa.func.count().label("total"),
        sa.func.count().filter(status == "running").label("running"),
        sa.func.count().filter(status == "queued").label("queued"),
        sa.func.count().filter(status == "success").label("successful"),
        sa.func.count().filter(status == "failed").label("failed"),
    )


def since_hours(hours: int) -> sa.ColumnElement[Any]:
    return sa.func.now() - sa.func.make_interval(0, 0, 0, 0, hours)


def utc_day(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """The UTC calendar day of a timestamp."""
    return sa.func.date(sa.func.timezone("UTC", column))


def start_of(day: date) -> datetime:
    """Midnight UTC at the start of `day`, to compare indexed timestamps with."""
    return datetime.combine(day, time(), UTC)
