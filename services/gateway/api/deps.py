"""What route handlers are given: the gateway's resources, a database connection, paging."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.gateway.queries import pipelines as pipeline_runs
from shared.messaging import Messaging
from shared.observability import ServiceMetrics
from shared.service import HealthChecks
from shared.settings import Settings
from shared.storage import ObjectStore


@dataclass
class Gateway:
    """The long-lived resources of the gateway, built once in `app.build`."""

    settings: Settings
    metrics: ServiceMetrics
    messaging: Messaging
    engine: AsyncEngine
    store: ObjectStore
    readiness: HealthChecks


def get_gateway(request: Request) -> Gateway:
    return request.app.state.gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


@asynccontextmanager
async def _read_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="REPEATABLE READ")
        yield connection


async def get_connection(gateway: GatewayDep) -> AsyncIterator[AsyncConnection]:
    """A read connection for one request; nothing it does is committed. Its queries share
    one snapshot, so that a page's `total` and rows, or the parts of a statistic, agree
    while the services keep writing."""
    async with _read_connection(gateway.engine) as connection:
        yield connection


ConnectionDep = Annotated[AsyncConnection, Depends(get_connection)]


async def get_settled_connection(gateway: GatewayDep) -> AsyncIterator[AsyncConnection]:
    """A read connection after the stored run states were brought up to date. The settling
    transaction ends before the read connection is taken: a request never holds two pooled
    connections at once, which under load would exhaust the pool with requests that each
    wait for a second one."""
    await pipeline_runs.settle(gateway.engine)
    async with _read_connection(gateway.engine) as connection:
        yield connection


SettledConnectionDep = Annotated[AsyncConnection, Depends(get_settled_connection)]


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def get_page(
    limit: Annotated[int, Query(ge=1, le=100, description="rows per page")] = 50,
    offset: Annotated[int, Query(ge=0, description="rows to skip")] = 0,
) -> Page:
    return Page(limit, offset)


PageDep = Annotated[Page, Depends(get_page)]


JobStatus = Literal["queued", "running", "success", "failed", "cancelled"]
