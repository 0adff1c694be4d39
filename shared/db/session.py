"""Async SQLAlchemy 2 engines and sessions: psycopg 3 for the services, asyncpg for the
gateway's reads."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import func, make_url, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from shared.settings import Settings


def async_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and select the psycopg 3 driver."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def json_bytes(value: Any) -> bytes:
    """JSON for the `json`/`jsonb` columns. orjson writes the large documents a busy
    stage stores (score components, event records) several times faster than the
    standard library; numbers, text and key order come out the same."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)


ONE_CORE = select(
    func.set_config("max_parallel_workers_per_gather", "0", True),
    func.set_config("jit", "off", True),
)
"""For the rest of the transaction: no parallel workers and no JIT compilation. An
aggregate over a large table then takes one core for a little longer, instead of every
core of the machine at once while the work on the other connections waits for one."""


READ_SESSION_DEFAULTS = {
    "default_transaction_read_only": "on",
    "default_transaction_isolation": "repeatable read",
    "TimeZone": "UTC",
    "jit": "off",
    "random_page_cost": "1.1",
}
"""Session defaults of a connection that serves reads, set by the server once per
connection: every transaction a read-only snapshot (REPEATABLE READ READ ONLY); days and
hours computed in UTC; no JIT compilation, which cost a count over a large table 20 ms and
more before it ran, longer than the count itself; a page read out of order costed as one
read from memory or SSD (1.1 of a page read in order; PostgreSQL's default of 4 is a
spinning disk's), so that the planner walks an index that holds the rows a page needs rather
than one in the page's order that holds them among many others."""


def create_engine(
    settings: Settings,
    *,
    application_name: str = "reos",
    pre_ping: bool = True,
) -> AsyncEngine:
    """The engine of a service. `pre_ping=False` saves a round trip per checkout for
    request-serving code that turns a dropped connection into a retryable answer itself."""
    return create_async_engine(
        async_url(settings.database_url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=pre_ping,
        json_serializer=json_bytes,
        json_deserializer=orjson.loads,
        connect_args={"application_name": application_name, "connect_timeout": 5},
    )


ASYNCPG_PARAMETERS = {"sslmode": "ssl"}
"""URL parameters that asyncpg names otherwise than libpq (it takes the same values)."""


def reads_url(url: str) -> str:
    """`url` (any form `async_url` takes) with the asyncpg driver and its parameter names."""
    parsed = make_url(async_url(url))
    query = {ASYNCPG_PARAMETERS.get(name, name): value for name, value in parsed.query.items()}
    reads = parsed.set(drivername="postgresql+asyncpg", query=query)
    return reads.render_as_string(hide_password=False)


def create_reads_engine(settings: Settings, *, application_name: str = "reos") -> AsyncEngine:
    """An engine whose connections can only read, each transaction in one snapshot, with the
    other session defaults of `READ_SESSION_DEFAULTS`, set by the server once per connection
    (set per checkout instead, the isolation level and the read-only flag cost four calls to
    the driver a request). No pre-ping: for request-serving code that turns a dropped
    connection into a retryable answer itself.

    Its driver is asyncpg, not psycopg: reading a page of 50 homes (32 columns) cost the
    gateway 0.46-0.53 ms of CPU with asyncpg against 0.76-0.94 ms with psycopg (whose
    asynchronous wait made a dozen `epoll_ctl` calls per statement), and a whole search
    request 10-14 % less, the same answer byte for byte. asyncpg raises an outage
    met while connecting as a plain `OSError` or `TimeoutError`, which SQLAlchemy passes on
    unwrapped.
    """
    return create_async_engine(
        reads_url(settings.database_url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=False,
        json_serializer=lambda value: json_bytes(value).decode(),
        json_deserializer=orjson.loads,
        connect_args={
            "timeout": 5,
            "server_settings": {"application_name": application_name, **READ_SESSION_DEFAULTS},
        },
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
