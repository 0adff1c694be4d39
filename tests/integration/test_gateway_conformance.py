"""The JSON the read routes write themselves (`api.responses.json_response`, which FastAPI
neither validates nor re-encodes) is exactly what their declared response models describe:
every field valid, none dropped or added by the model, timestamps written as pydantic
writes them. On the real stack, with a row of each kind to read."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from services.gateway import queries
from services.gateway.api.routes import ROUTERS
from shared.db.tables import enrichment_jobs, pipeline_runs, scraping_jobs
from tests.factories import insert_scored_property

pytestmark = pytest.mark.stack

DATA_PREFIXES = (
    "/api/pipelines",
    "/api/scraping",
    "/api/enrichment",
    "/api/scoring",
    "/api/metrics",
    "/api/properties",
)
FILTERED = (
    "/api/scoring/scores?min_score=0&max_score=100",
    "/api/scraping/jobs?status=success",
    "/api/properties?sort=-score&min_score=0",
    "/api/properties?sort=price&min_beds=1",
    "/api/pipelines/dags/{dag_id}/runs?state=queued",
)


@pytest.fixture
async def ids(engine: Any, sessions: Any) -> AsyncIterator[dict[str, Any]]:
    """A scored property, a scraping job, an enrichment job and a pipeline run."""
    property_id, score_id = await insert_scored_property(sessions, bedrooms=3, price=420000.0)
    dag_run_id = f"conformance__{uuid.uuid4().hex[:12]}"
    async with engine.begin() as connection:
        await connection.execute(
            sa.insert(pipeline_runs).values(dag_id="scrape_listings", dag_run_id=dag_run_id)
        )
        scraping_job = await connection.scalar(
            sa.insert(scraping_jobs)
            .values(
                dag_id="scrape_listings",
                dag_run_id=dag_run_id,
                source="conformance",
                status="success",
                items_scraped=3,
                items_failed=0,
                request_event_id=uuid.uuid4(),
            )
            .returning(scraping_jobs.c.id)
        )
        enrichment_job = await connection.scalar(
            sa.insert(enrichment_jobs)
            .values(
                dag_id="enrichment_property",
                dag_run_id=dag_run_id,
                property_id=property_id,
                status="success",
                enrichment_type="conformance",
                source_event_id=uuid.uuid4(),
            )
            .returning(enrichment_jobs.c.id)
        )
    queries.TOTALS.clear()
    queries.STATISTICS.clear()
    yield {
        "property_id": property_id,
        "score_id": score_id,
        "dag_id": "scrape_listings",
        "dag_run_id": dag_run_id,
        "/api/scraping/job_id": scraping_job,
        "/api/enrichment/job_id": enrichment_job,
    }
    async with engine.begin() as connection:
        await connection.execute(sa.delete(scraping_jobs).where(scraping_jobs.c.id == scraping_job))
        await connection.execute(
            sa.delete(enrichment_jobs).where(enrichment_jobs.c.id == enrichment_job)
        )
        await connection.execute(
            sa.delete(pipeline_runs).where(pipeline_runs.c.dag_run_id == dag_run_id)
        )


def json_read_routes() -> dict[str, Any]:
    """Path template -> response model of every GET route of the data resources."""
    return {
        route.path: route.response_model
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        and "GET" in route.methods
        and route.response_model is not None
        and route.path.startswith(DATA_PREFIXES)
    }


def concrete(template: str, ids: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        prefix = "/".join(template.split("/")[:3])
        return str(ids.get(f"{prefix}/{name}", ids.get(name)))

    return re.sub(r"\{(\w+)\}", value, template)


async def test_every_read_answers_exactly_its_declared_model(
    client: httpx.AsyncClient, ids: dict[str, Any]
) -> None:
    routes = json_read_routes()
    assert len(routes) >= 25
    requests = [(template, concrete(template, ids)) for template in routes]
    requests += [(path.split("?")[0], concrete(path, ids)) for path in FILTERED]
    checked: list[str] = []
    for template, path in requests:
        response = await client.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
        if not response.headers["content-type"].startswith("application/json"):
            continue
        adapter = TypeAdapter(routes[template])
        declared = adapter.validate_json(response.content)
        assert adapter.dump_python(declared, mode="json", by_alias=True) == response.json(), path
        checked.append(path)
    assert "/api/scoring/scores" in checked and "/api/properties" in checked
