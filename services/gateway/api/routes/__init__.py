"""One router per resource. Each router carries its whole prefix (`/api/<resource>`) so that
a route's path is its full template, which is what the request metrics are labelled with."""

from fastapi import APIRouter

from services.gateway.api.routes import (
    cancellation,
    dashboard,
    deadletters,
    enrichment,
    events,
    health,
    metrics,
    pipelines,
    properties,
    scoring,
    scraping,
)

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    pipelines.router,
    scraping.router,
    enrichment.router,
    scoring.router,
    metrics.router,
    events.router,
    properties.router,
    deadletters.router,
    cancellation.router,
    dashboard.router,
)
