"""The whole platform: the demo site and the five services as separate OS processes on
the real Kafka, PostgreSQL and S3; one `scrape_listings` run triggered through the gateway."""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from services.gateway.cli import create_key
from shared.db.tables import (
    docgen_jobs,
    documents,
    enrichment_jobs,
    properties,
    property_scores,
    prospect_queue,
    scoring_jobs,
    scraping_jobs,
)
from shared.settings import Settings
from shared.storage import ObjectStore
from tests.conftest import count_run_rows
from tests.services import free_port, running_services

pytestmark = [pytest.mark.stack, pytest.mark.e2e]

LISTINGS = 24
SERVICES = [
    "services.scraper.demo_site",
    "services.scraper",
    "services.enricher",
    "services.scorer",
    "services.docgen",
    "services.gateway",
]


@pytest.fixture(scope="module")
def platform(stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory):
    site_port = free_port()
    seed = str(random.randrange(1, 10**9))
    with running_services(
        SERVICES,
        tmp_path_factory.mktemp("e2e-logs"),
        extra_env={"REOS_DEMO_SITE_URL": f"http://127.0.0.1:{site_port}/listings"},
        args={
            "services.scraper.demo_site": (
                "--port",
                str(site_port),
                "--count",
                str(LISTINGS),
                "--seed",
                seed,
            )
        },
        ports={"services.scraper.demo_site": site_port},
    ) as started:
        yield started


async def test_a_scrape_run_reaches_every_stage_exactly_once(platform, sessions) -> None:
    gateway = platform["gateway"].url
    key = await create_key(Settings(), "end-to-end", frozenset({"operate"}))
    async with httpx.AsyncClient(
        base_url=gateway, timeout=30, headers={"X-API-Key": key}
    ) as client:
        response = await client.post(
            "/api/pipelines/dags/scrape_listings/trigger", json={"conf": {"source": "demo"}}
        )
        assert response.status_code == 200, response.text
        run = response.json()["dag_run"]
        assert run["state"] == "queued"
        run_id = run["dag_run_id"]

        deadline = asyncio.get_running_loop().time() + 180
        while (
            await count_run_rows(sessions, docgen_jobs, run_id, docgen_jobs.c.status == "success")
            < LISTINGS
        ):
            assert asyncio.get_running_loop().time() < deadline, (
                "the run did not reach docgen for every listing:\n"
                + "\n".join(p.log_tail(15) for p in platform.values())
            )
            await asyncio.sleep(1)
        await asyncio.sleep(3)  # anything duplicated late would show now

        async with sessions() as session:
            job = (
                (
                    await session.execute(
                        sa.select(scraping_jobs).where(scraping_jobs.c.dag_run_id == run_id)
                    )
                )
                .mappings()
                .one()
            )
        assert job["status"] == "success"
        assert (job["items_scraped"], job["items_failed"]) == (LISTINGS, 0)
        assert job["completed_at"] >= job["started_at"]
        assert await count_run_rows(sessions, prospect_queue, run_id) == LISTINGS
        assert await count_run_rows(sessions, properties, run_id) == LISTINGS
        assert (
            await count_run_rows(
                sessions, enrichment_jobs, run_id, enrichment_jobs.c.status == "success"
            )
            == LISTINGS
        )
        assert await count_run_rows(sessions, property_scores, run_id) == LISTINGS
        assert (
            await count_run_rows(sessions, scoring_jobs, run_id, scoring_jobs.c.status == "success")
            == LISTINGS
        )
        assert await count_run_rows(sessions, docgen_jobs, run_id) == LISTINGS
        assert await count_run_rows(sessions, documents, run_id) == LISTINGS

        async with sessions() as session:
            statuses = (
                (
                    await session.execute(
                        sa.select(prospect_queue.c.status).where(
                            prospect_queue.c.dag_run_id == run_id
                        )
                    )
                )
                .scalars()
                .all()
            )
            scored = (
                await session.execute(
                    sa.select(property_scores.c.property_id, property_scores.c.overall_score)
                    .where(property_scores.c.dag_run_id == run_id)
                    .order_by(property_scores.c.overall_score.desc())
                )
            ).all()
            uri = (
                (
                    await session.execute(
                        sa.select(documents.c.storage_uri).where(documents.c.dag_run_id == run_id)
                    )
                )
                .scalars()
                .first()
            )
        assert set(statuses) == {"scored"}

        tasks = (
            await client.get(f"/api/pipelines/dags/scrape_listings/runs/{run_id}/tasks")
        ).json()["task_instances"]
        assert [(t["task_id"], t["state"], t["items_success"]) for t in tasks] == [
            ("scrape", "success", LISTINGS),
            ("enrich", "success", LISTINGS),
            ("score", "success", LISTINGS),
            ("docgen", "success", LISTINGS),
        ]

        for property_id, overall in scored:
            history = (await client.get(f"/api/scoring/properties/{property_id}/scores")).json()
            assert [item["overall_score"] for item in history["data"]] == [overall]
        top = (await client.get("/api/scoring/top-properties", params={"limit": 100})).json()
        ranked = [item["overall_score"] for item in top["data"]]
        assert ranked == sorted(ranked, reverse=True)
        if scored[0][1] >= ranked[-1]:
            assert scored[0][0] in {item["property_id"] for item in top["data"]}

    pdf = ObjectStore(Settings()).get(uri)
    assert pdf.startswith(b"%PDF")
    from io import BytesIO

    text = PdfReader(BytesIO(pdf)).pages[0].extract_text()
    assert "Overall" in text or "overall" in text


def test_every_service_exports_prometheus_metrics_and_is_ready(platform) -> None:
    for name, process in platform.items():
        if name == "demo_site":
            continue
        assert httpx.get(process.url + "/readyz", timeout=10).status_code == 200, name
        metrics = httpx.get(process.url + "/metrics", timeout=10).text
        service = "gateway" if name == "gateway" else name
        assert f"reos_{service}_" in metrics, name


def test_each_service_documents_the_topics_it_reads_and_writes(platform) -> None:
    expected = {
        "scraper": {"scrape.requested", "prospect.new", "property.enriched", "score.created"},
        "enricher": {"prospect.new", "enrichment.requested", "property.enriched"},
        "scorer": {"property.enriched", "scoring.requested", "score.created"},
        "docgen": {"score.created", "docgen.requested", "packet.generated"},
    }
    for name, topics_of_service in expected.items():
        document = httpx.get(platform[name].url + "/asyncapi.json", timeout=10).json()
        addresses = {channel["address"] for channel in document["channels"].values()}
        assert topics_of_service <= addresses, name
