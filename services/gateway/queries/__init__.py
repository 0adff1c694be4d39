"""The gateway's SQL, one module per resource, and the helpers they share."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

Row = dict[str, Any]


async def fetch_all(connection: AsyncConnection, query: sa.Executable) -> list[Row]:
    return [dict(row) for row in (await connection.execute(query)).mappings()]


async def fetch_one(connection: AsyncConnection, query: sa.Executable) -> Row | None:
    row = (await connection.execute(query)).mappings().one_or_none()
    return dict(row) if row is not None else None


async def count(connection: AsyncConnection, query: sa.Select) -> int:
    """The number of rows `query` selects."""
    total = await connection.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    return int(total or 0)


async def page_of(
    connection: AsyncConnection,
    query: sa.Select,
    order_by: tuple[sa.ColumnElement[Any], ...],
    limit: int,
    offset: int,
) -> tuple[int, list[Row]]:
    """How many rows `query` selects, and the page of them in `order_by` order."""
    total = await count(connection, query)
    rows = await fetch_all(connection, query.order_by(*order_by).limit(limit).offset(offset))
    return total, rows


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
