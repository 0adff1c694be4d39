"""Starting a service: wait for its dependencies, then serve Kafka and HTTP in one process.

Every service answers `/healthz` (the process is alive), `/readyz` (its database and
broker answer) and `/metrics` (Prometheus) on its HTTP port.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import uvicorn
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared.db.session import async_url
from shared.observability import ServiceMetrics
from shared.settings import Settings
from shared.workers import Workers

Check = Callable[[], Awaitable[Any]]


class DependencyUnavailable(RuntimeError):
    """A dependency did not answer in time; the message names it and its endpoint."""


@dataclass
class Endpoint:
    name: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.name} at {self.host}:{self.port}"


def kafka_endpoints(settings: Settings) -> list[Endpoint]:
    endpoints = []
    for server in settings.kafka_bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        endpoints.append(Endpoint("Kafka", host or "localhost", int(port or 9092)))
    return endpoints


def database_endpoint(settings: Settings) -> Endpoint:
    parsed = urlparse(async_url(settings.database_url))
    return Endpoint("PostgreSQL", parsed.hostname or "localhost", parsed.port or 5432)


def _reachable(endpoint: Endpoint) -> str | None:
    try:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=2):
            return None
    except OSError as error:
        return error.strerror or type(error).__name__


def wait_for(endpoints: Sequence[Endpoint], wait_seconds: float) -> None:
    """Return once every endpoint accepts connections; raise after `wait_seconds`."""
    deadline = time.monotonic() + wait_seconds
    for endpoint in endpoints:
        while (reason := _reachable(endpoint)) is not None:
            if time.monotonic() >= deadline:
                raise DependencyUnavailable(f"cannot reach {endpoint} ({reason.lower()})")
            time.sleep(1.0)


async def ping_database(engine: AsyncEngine) -> None:
    """Raise unless the database answers a query."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def ping_kafka(broker: KafkaBroker, bootstrap_servers: str) -> None:
    """Raise unless the broker answers."""
    if not await broker.ping(timeout=2.0):
        raise ConnectionError(f"no answer from {bootstrap_servers}")


@dataclass
class HealthChecks:
    """Named readiness checks; each raises when its dependency is not usable."""

    checks: dict[str, Check] = field(default_factory=dict)

    async def run(self, seconds: float = 3.0) -> dict[str, str]:
        async def one(check: Check) -> str:
            try:
                await asyncio.wait_for(check(), seconds)
            except Exception as error:
                return f"unavailable: {type(error).__name__}: {error}"[:300]
            return "ok"

        names = list(self.checks)
        results = await asyncio.gather(*(one(self.checks[name]) for name in names))
        return dict(zip(names, results, strict=True))


def observability_routes(service: str, metrics: ServiceMetrics, health: HealthChecks) -> Starlette:
    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "alive", "service": service})

    async def readyz(_: Request) -> JSONResponse:
        results = await health.run()
        ready = all(result == "ok" for result in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "service": service, "checks": results},
            status_code=200 if ready else 503,
        )

    async def metrics_endpoint(_: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
        ]
    )


def serve(
    app: Any,
    settings: Settings,
    default_port: int,
    service: str,
    workers: int = 1,
    loop: str = "asyncio",
    http: str = "h11",
) -> None:
    """Wait for Kafka and PostgreSQL, then run `app` (ASGI) until SIGTERM/SIGINT.

    With `workers` > 1, `app` is the import path of a function making the app
    (`"package.module:function"`) and uvicorn runs it in that many processes, to which
    this process deals the connections it accepts (see `shared.workers`), replacing any
    that dies; their metrics are summed by `PROMETHEUS_MULTIPROC_DIR` (see
    `ServiceMetrics.exposition`), which the caller sets before. `loop` and `http` are
    uvicorn's event loop and HTTP parser (`uvloop` and `httptools` where installed).

    An unreachable dependency ends the process with one line naming it and exit code 2,
    unless `REOS_STARTUP_WAIT_SECONDS` gives it time to come up.
    """
    try:
        wait_for(
            [database_endpoint(settings), *kafka_endpoints(settings)],
            settings.startup_wait_seconds,
        )
    except DependencyUnavailable as error:
        print(f"reos-{service}: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    options: dict[str, Any] = {
        "host": settings.http_host,
        "port": settings.http_port or default_port,
        "log_config": None,
        "access_log": False,
        "lifespan": "on",
        "factory": isinstance(app, str),
        "loop": loop,
        "http": http,
    }
    if workers > 1:
        try:
            Workers(uvicorn.Config(app, workers=workers, **options)).run()
        except OSError as error:
            print(
                f"reos-{service}: cannot listen on port {options['port']}: {error}", file=sys.stderr
            )
            raise SystemExit(1) from None
    else:
        uvicorn.run(app, **options)
