"""Request count and latency per route template, as Prometheus metrics."""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.observability import ServiceMetrics

UNMATCHED_ROUTE = "unmatched"


class HttpMetrics:
    def __init__(self, metrics: ServiceMetrics) -> None:
        self.requests: Counter = metrics.counter(
            "http_requests_total", "HTTP requests answered", ["method", "route", "status"]
        )
        self.duration: Histogram = metrics.histogram(
            "http_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"]
        )


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/api/scoring/scores/{score_id}`), never the raw
    path, so that ids do not explode the label set."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class RequestMetricsMiddleware:
    """Plain ASGI middleware (no per-request task or body buffering)."""

    def __init__(self, app: ASGIApp, http_metrics: HttpMetrics) -> None:
        self.app = app
        self.http_metrics = http_metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            method, route = scope["method"], route_template(scope)
            self.http_metrics.requests.labels(method, route, str(status)).inc()
            self.http_metrics.duration.labels(method, route).observe(time.perf_counter() - started)
