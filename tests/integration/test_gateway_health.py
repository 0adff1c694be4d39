"""The gateway's health answers against the running stack, and its Prometheus metrics."""

from __future__ import annotations

import httpx
import pytest

from services.gateway.app import build
from shared.settings import Settings

pytestmark = pytest.mark.stack


async def test_basic_health_names_the_service(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health/")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["service"]) == ("healthy", "Real Estate OS API")
    assert body["timestamp"]


async def test_comprehensive_health_sees_database_kafka_and_storage_healthy(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get("/api/health/comprehensive")).json()
    components = body["components"]
    assert set(components) == {"api", "database", "kafka", "storage", "system"}
    for name in ("api", "database", "kafka", "storage"):
        assert components[name] == {"status": "healthy"}, name
    assert components["system"]["status"] in ("healthy", "warning")
    assert {"memory_percent", "disk_percent"} <= set(components["system"])
    expected = "healthy" if components["system"]["status"] == "healthy" else "degraded"
    assert body["status"] == expected


async def test_database_health_reports_the_connection_pool(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/health/database")).json()
    assert (body["status"], body["database"]) == ("healthy", "connected")
    assert set(body["pool"]) == {"size", "checked_in", "checked_out", "overflow"}


async def test_kafka_health_lists_brokers_and_the_platform_topics(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get("/api/health/kafka")).json()
    kafka = body["kafka"]
    assert body["status"] == kafka["status"] == "healthy"
    assert kafka["brokers"] >= 1
    assert kafka["controller_id"] is not None
    assert {"scrape.requested", "score.created", "score.created.dlq"} <= set(kafka["topics"])


async def test_kafka_health_reports_an_unreachable_broker_without_failing(
    settings: Settings,
) -> None:
    unreachable = settings.model_copy(
        update={"kafka_bootstrap_servers": "127.0.0.1:9", "anonymous_reads": True}
    )
    app = build(unreachable)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        response = await client.get("/api/health/kafka")
    assert response.status_code == 200
    assert response.json()["kafka"]["status"] == "unhealthy"
    assert "error" in response.json()["kafka"]


async def test_system_health_samples_cpu_memory_and_disk(client: httpx.AsyncClient) -> None:
    system = (await client.get("/api/health/system")).json()["system"]
    assert system["cpu"]["count"] >= 1
    assert set(system["memory"]) == {"total_bytes", "available_bytes", "usage_percent"}
    assert set(system["disk"]) == {"total_bytes", "used_bytes", "free_bytes", "usage_percent"}


async def test_ready_and_live(client: httpx.AsyncClient) -> None:
    ready = await client.get("/api/health/ready")
    live = await client.get("/api/health/live")
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")
    assert (live.status_code, live.json()["status"]) == (200, "alive")


async def test_ready_and_reads_are_503_problems_when_the_database_is_unreachable(
    settings: Settings,
) -> None:
    unreachable = settings.model_copy(
        update={
            # No key can be checked without the database: this gateway lets readers in.
            "database_url": "postgresql+psycopg://reos:reos@127.0.0.1:9/reos",
            "anonymous_reads": True,
        }
    )
    app = build(unreachable)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        ready = await client.get("/api/health/ready")
        database = await client.get("/api/health/database")
        scores = await client.get("/api/scoring/scores")
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert ready.json()["detail"]["status"] == "not ready"
    assert "database" in ready.json()["detail"]["error"]
    assert database.status_code == 503
    assert database.json()["detail"]["database"] == "disconnected"
    # A read's connection cannot be opened: an outage to retry, not a fault of the server.
    assert (scores.status_code, scores.headers["retry-after"]) == (503, "5")
    assert scores.headers["content-type"] == "application/problem+json"


async def test_probes_and_request_metrics_are_served(client: httpx.AsyncClient) -> None:
    await client.get("/api/health/live")
    assert (await client.get("/healthz")).json()["status"] == "alive"
    assert (await client.get("/readyz")).json()["status"] == "ready"
    metrics = (await client.get("/metrics")).text
    assert (
        'reos_gateway_http_requests_total{method="GET",route="/api/health/live",status="200"}'
        in metrics
    )
    assert (
        'reos_gateway_http_request_duration_seconds_count{method="GET",route="/api/health/live"}'
        in metrics
    )


async def test_openapi_docs_are_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/api/pipelines/dags/{dag_id}/trigger" in paths


async def test_configured_origins_get_cors_headers(monkeypatch, stack_env) -> None:
    from httpx import ASGITransport, AsyncClient

    from services.gateway.app import build
    from shared.settings import Settings

    monkeypatch.setenv("REOS_CORS_ORIGINS", '["http://dashboard.example"]')
    app = build(Settings())
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        response = await client.get(
            "/api/health/live", headers={"Origin": "http://dashboard.example"}
        )
        stranger = await client.get("/api/health/live", headers={"Origin": "http://evil.example"})
    assert response.headers["access-control-allow-origin"] == "http://dashboard.example"
    assert "access-control-allow-origin" not in stranger.headers


async def test_the_asyncapi_document_lists_every_topic_with_its_schema(client) -> None:
    from shared.topics import all_topic_names

    response = await client.get("/api/events/asyncapi.json")
    assert response.status_code == 200
    document = response.json()
    channels = {channel["address"] for channel in document["channels"].values()}
    assert channels == set(all_topic_names())
    schema = document["components"]["schemas"]["PropertyEnriched"]
    assert {"event_id", "run_id", "schema_version", "property_id", "listing"} <= set(
        schema["properties"]
    )
