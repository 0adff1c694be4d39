"""The gateway's composition root: the FastAPI app with its resources, routes, error
format, metrics and the broker it publishes pipeline requests on (no subscribers)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.routing import Route

from services.gateway import workers
from services.gateway.api import problems
from services.gateway.api.deps import Gateway
from services.gateway.api.instrumentation import HttpMetrics, RequestMetricsMiddleware
from services.gateway.api.limits import RequestSizeLimit
from services.gateway.api.routes import ROUTERS
from services.gateway.queries import pipelines as pipeline_runs
from shared.db.session import create_engine, create_reads_engine
from shared.messaging import Messaging
from shared.observability import ServiceMetrics, configure_logging
from shared.service import HealthChecks, observability_routes, ping_database, ping_kafka
from shared.settings import Settings, get_settings
from shared.storage import ObjectStore

SERVICE = "gateway"
DESCRIPTION = (
    "The read API of Real Estate OS (scraping, enrichment, scoring, pipeline runs, platform "
    "metrics, health) and the pipeline triggers, which publish request events on Kafka."
)


def build(settings: Settings) -> FastAPI:
    configure_logging(SERVICE, settings.log_level)
    metrics = ServiceMetrics(SERVICE)
    messaging = Messaging(settings, SERVICE, metrics)
    # No pre-ping: a connection the database dropped fails one request with a 503 and
    # Retry-After (api.problems), and the pool is refreshed; a ping would cost every request.
    engine = create_engine(settings, application_name=f"reos-{SERVICE}", pre_ping=False)
    reads = create_reads_engine(settings, application_name=f"reos-{SERVICE}")
    readiness = HealthChecks()
    gateway = Gateway(
        settings=settings,
        metrics=metrics,
        messaging=messaging,
        engine=engine,
        reads=reads,
        store=ObjectStore(settings),
        readiness=readiness,
    )

    readiness.checks.update(
        database=partial(ping_database, engine),
        kafka=partial(ping_kafka, messaging.broker, settings.kafka_bootstrap_servers),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await messaging.broker.connect()
        settler = asyncio.create_task(pipeline_runs.keep_runs_settled(engine))
        # What the process made to start lives as long as it: out of the collector's sight,
        # a full collection walks only what requests made. It walked everything, up to
        # 160 ms at a time while every request in flight waited (a tenth of the CPU).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            settler.cancel()
            await messaging.broker.stop()
            await engine.dispose()
            await reads.dispose()
            workers.worker_ended()

    app = FastAPI(
        title="Real Estate OS API",
        description=DESCRIPTION,
        version="1.0.0",
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    problems.install(app)
    app.add_middleware(RequestMetricsMiddleware, http_metrics=HttpMetrics(metrics))
    app.add_middleware(RequestSizeLimit, max_bytes=settings.max_request_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["*"],
        )
    # The resource routers' routes are the app's own (each already has its whole path, tags
    # and dependencies): included as routers, every request walked each router's routes
    # through FastAPI's per-router context before reaching its own.
    app.router.routes.extend(route for router in ROUTERS for route in router.routes)
    observability = observability_routes(SERVICE, metrics, readiness)
    app.router.routes.extend(
        Route(path, observability, include_in_schema=False)
        for path in ("/healthz", "/readyz", "/metrics")
    )
    return app


def from_environment() -> FastAPI:
    """The app as each worker process makes it (`serve` with several workers)."""
    return build(get_settings())
