"""Pipeline triggers and runs through the gateway, against the running stack."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from services.gateway.app import build
from services.gateway.cli import create_key
from services.gateway.queries import pipelines as queries
from shared import topics
from shared.db.tables import (
    docgen_jobs,
    enrichment_jobs,
    pipeline_runs,
    properties,
    property_scores,
    scoring_jobs,
    scraping_jobs,
)
from shared.messaging import HEADER_RUN_ID
from shared.settings import Settings
from tests.conftest import unique_run_id

pytestmark = pytest.mark.stack

UNUSED_ID_BASE = 9_000_000_000


def marker() -> str:
    return f"gateway-test-{uuid.uuid4().hex[:10]}"


def unused_ids(count: int) -> list[int]:
    """Ids no service knows, so that nothing downstream acts on them."""
    base = UNUSED_ID_BASE + uuid.uuid4().int % 1_000_000_000
    return [base + offset for offset in range(count)]


async def events_of_run(reader: Any, topic: str, run_id: str, count: int) -> list[Any]:
    """The records of `topic` that belong to run `run_id` (other tests publish too)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    found: list[Any] = []
    while len(found) < count:
        remaining = deadline - loop.time()
        if remaining <= 0:
            pytest.fail(f"expected {count} events of run {run_id} on {topic}, got {len(found)}")
        for record in await reader.read(1, timeout=remaining, topic=topic):
            if json.loads(record.value).get("run_id") == run_id:
                found.append(record)
    return found


async def stored_run(engine: Any, dag_run_id: str) -> Any:
    async with engine.connect() as connection:
        result = await connection.execute(
            sa.select(pipeline_runs).where(pipeline_runs.c.dag_run_id == dag_run_id)
        )
        return result.mappings().one_or_none()


async def settled(engine: Any, dag_run_id: str, status: str, timeout: float = 15.0) -> bool:
    """Whether the gateway's settler stores `status` for the run within `timeout` s."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if (await stored_run(engine, dag_run_id))["status"] == status:
            return True
        await asyncio.sleep(0.2)
    return False


async def test_trigger_scrape_listings_records_the_run_and_requests_the_crawl(
    client: httpx.AsyncClient, engine: Any, topic_reader: Any
) -> None:
    reader = await topic_reader(topics.SCRAPE_REQUESTED)
    source = marker()
    response = await client.post(
        "/api/pipelines/dags/scrape_listings/trigger",
        json={"conf": {"source": source, "location": "Austin, TX", "max_items": 1}},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"] == "DAG scrape_listings triggered successfully"
    run = body["dag_run"]
    assert (run["dag_id"], run["state"]) == ("scrape_listings", "queued")
    assert run["dag_run_id"].startswith("manual__")
    assert run["conf"]["source"] == source

    row = await stored_run(engine, run["dag_run_id"])
    assert row is not None
    assert row["dag_id"] == "scrape_listings"
    assert row["conf"]["source"] == source
    assert row["conf"]["max_items"] == 1

    [record] = await events_of_run(reader, topics.SCRAPE_REQUESTED, run["dag_run_id"], 1)
    event = json.loads(record.value)
    assert event["pipeline"] == "scrape_listings"
    assert (event["source"], event["location"], event["max_items"]) == (source, "Austin, TX", 1)
    assert (event["start_urls"], event["listing_type"]) == ([], "for_sale")
    assert record.key == run["dag_run_id"].encode()
    assert dict(record.headers)[HEADER_RUN_ID] == run["dag_run_id"].encode()


async def test_trigger_discovery_offmarket_requests_an_off_market_crawl(
    client: httpx.AsyncClient, topic_reader: Any
) -> None:
    reader = await topic_reader(topics.SCRAPE_REQUESTED)
    source = marker()
    response = await client.post(
        "/api/pipelines/dags/discovery_offmarket/trigger", json={"conf": {"source": source}}
    )
    assert response.status_code == 200, response.text
    run_id = response.json()["dag_run"]["dag_run_id"]
    [record] = await events_of_run(reader, topics.SCRAPE_REQUESTED, run_id, 1)
    event = json.loads(record.value)
    assert (event["pipeline"], event["listing_type"], event["source"]) == (
        "discovery_offmarket",
        "off_market",
        source,
    )


@pytest.mark.parametrize(
    ("dag_id", "key", "topic", "id_field"),
    [
        ("enrichment_property", "prospect_ids", topics.ENRICHMENT_REQUESTED, "prospect_id"),
        ("score_master", "property_ids", topics.SCORING_REQUESTED, "property_id"),
        ("docgen_packet", "property_ids", topics.DOCGEN_REQUESTED, "property_id"),
    ],
)
async def test_trigger_publishes_one_request_per_id_with_the_run_id(
    client: httpx.AsyncClient,
    engine: Any,
    topic_reader: Any,
    dag_id: str,
    key: str,
    topic: str,
    id_field: str,
) -> None:
    reader = await topic_reader(topic)
    ids = unused_ids(3)
    response = await client.post(f"/api/pipelines/dags/{dag_id}/trigger", json={"conf": {key: ids}})
    assert response.status_code == 200, response.text
    run_id = response.json()["dag_run"]["dag_run_id"]
    assert response.json()["events_published"] == 3

    records = await events_of_run(reader, topic, run_id, 3)
    assert sorted(json.loads(record.value)[id_field] for record in records) == ids
    assert {record.key for record in records} == {str(item).encode() for item in ids}
    row = await stored_run(engine, run_id)
    assert (row["dag_id"], row["conf"][key]) == (dag_id, ids)


async def test_trigger_of_an_unknown_pipeline_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/pipelines/dags/nope/trigger", json={"conf": {}})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "DAG nope not found"


async def test_trigger_with_bad_conf_is_422_problem_and_records_nothing(
    client: httpx.AsyncClient, engine: Any
) -> None:
    location = marker()
    response = await client.post(
        "/api/pipelines/dags/scrape_listings/trigger",
        json={"conf": {"location": location, "max_items": 0}},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert "body.conf.max_items" in problem["detail"]
    assert "greater than or equal to 1" in problem["detail"]
    async with engine.connect() as connection:
        count = await connection.scalar(
            sa.select(sa.func.count())
            .select_from(pipeline_runs)
            .where(pipeline_runs.c.conf["location"].astext == location)
        )
    assert count == 0


async def test_trigger_without_required_ids_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/pipelines/dags/enrichment_property/trigger", json={"conf": {}}
    )
    assert response.status_code == 422
    assert "body.conf.prospect_ids: Field required" in response.json()["detail"]


async def test_trigger_when_the_broker_refuses_is_503_and_the_run_is_failed(
    settings: Settings, engine: Any
) -> None:
    app = build(settings)
    location = marker()
    key = await create_key(settings, "broker-refuses", frozenset({"operate"}))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=transport, base_url="http://gateway", headers={"X-API-Key": key}
        ) as client,
    ):
        await app.state.gateway.messaging.broker.stop()
        response = await client.post(
            "/api/pipelines/dags/scrape_listings/trigger",
            json={"conf": {"source": marker(), "location": location}},
        )
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert "marked failed" in response.json()["detail"]

        async with engine.connect() as connection:
            row = (
                (
                    await connection.execute(
                        sa.select(pipeline_runs).where(
                            pipeline_runs.c.conf["location"].astext == location
                        )
                    )
                )
                .mappings()
                .one()
            )
        assert row["status"] == "failed"

        run = await client.get(f"/api/pipelines/dags/scrape_listings/runs/{row['dag_run_id']}")
        tasks = await client.get(
            f"/api/pipelines/dags/scrape_listings/runs/{row['dag_run_id']}/tasks"
        )
    assert run.json()["state"] == "failed"
    assert {task["state"] for task in tasks.json()["task_instances"]} == {"upstream_failed"}


async def insert_run_rows(engine: Any, run_id: str, started: datetime) -> int:
    """A run as the services would leave it: one scrape job with two listings, two
    enrichment jobs, one property and its score; returns the property id."""
    async with engine.begin() as connection:
        await connection.execute(
            sa.insert(pipeline_runs).values(
                dag_id="scrape_listings",
                dag_run_id=run_id,
                execution_date=started,
                conf={"source": "gateway-test"},
            )
        )
        await connection.execute(
            sa.insert(scraping_jobs).values(
                dag_id="scrape_listings",
                dag_run_id=run_id,
                source="gateway-test",
                status="success",
                items_scraped=2,
                request_event_id=uuid.uuid4(),
                started_at=started,
                completed_at=started + timedelta(seconds=20),
            )
        )
        await connection.execute(
            sa.insert(enrichment_jobs),
            [
                {
                    "dag_id": "scrape_listings",
                    "dag_run_id": run_id,
                    "enrichment_type": "property_data",
                    "status": "success",
                    "source_event_id": uuid.uuid4(),
                    "started_at": started + timedelta(seconds=21),
                    "completed_at": started + timedelta(seconds=22),
                }
                for _ in range(2)
            ],
        )
        property_id = await connection.scalar(
            sa.insert(properties)
            .values(property_key=f"gateway-test|{run_id}", address="1 Test Way")
            .returning(properties.c.id)
        )
        await connection.execute(
            sa.insert(scoring_jobs).values(
                dag_id="score_master",
                dag_run_id=run_id,
                property_id=property_id,
                status="success",
                source_event_id=uuid.uuid4(),
                started_at=started + timedelta(seconds=30),
                completed_at=started + timedelta(seconds=30),
            )
        )
    return property_id


async def delete_run_rows(engine: Any, run_id: str) -> None:
    async with engine.begin() as connection:
        for table in (docgen_jobs, scoring_jobs, enrichment_jobs, scraping_jobs, pipeline_runs):
            await connection.execute(sa.delete(table).where(table.c.dag_run_id == run_id))
        await connection.execute(
            sa.delete(properties).where(properties.c.property_key == f"gateway-test|{run_id}")
        )


async def test_run_state_and_tasks_are_derived_from_the_job_rows_of_the_run(
    client: httpx.AsyncClient, engine: Any
) -> None:
    run_id = unique_run_id("gateway")
    started = datetime.now(UTC) - timedelta(minutes=5)
    property_id = await insert_run_rows(engine, run_id, started)
    try:
        run = (await client.get(f"/api/pipelines/dags/scrape_listings/runs/{run_id}")).json()
        tasks = (
            await client.get(f"/api/pipelines/dags/scrape_listings/runs/{run_id}/tasks")
        ).json()
        assert run["state"] == "running"
        assert (run["tasks_total"], run["tasks_success"], run["tasks_failed"]) == (4, 3, 0)
        assert [(task["task_id"], task["state"]) for task in tasks["task_instances"]] == [
            ("scrape", "success"),
            ("enrich", "success"),
            ("score", "success"),
            ("docgen", "queued"),
        ]
        scrape = tasks["task_instances"][0]
        assert (scrape["items_total"], scrape["items_success"], scrape["duration"]) == (2, 2, 20.0)

        completed = started + timedelta(seconds=90)
        async with engine.begin() as connection:
            await connection.execute(
                sa.insert(docgen_jobs).values(
                    dag_id="scrape_listings",
                    dag_run_id=run_id,
                    property_id=property_id,
                    status="success",
                    source_event_id=uuid.uuid4(),
                    started_at=completed - timedelta(seconds=1),
                    completed_at=completed,
                )
            )
        run = (await client.get(f"/api/pipelines/dags/scrape_listings/runs/{run_id}")).json()
        assert run["state"] == "success"
        assert run["duration_seconds"] == pytest.approx(90.0)
        assert (run["tasks_success"], run["tasks_failed"]) == (4, 0)
        assert await settled(engine, run_id, "success"), "the settler did not store the run"

        successes = (
            await client.get(
                "/api/pipelines/dags/scrape_listings/runs",
                params={"state": "success", "limit": 100},
            )
        ).json()
        assert run_id in {entry["dag_run_id"] for entry in successes["dag_runs"]}
        assert {entry["state"] for entry in successes["dag_runs"]} == {"success"}
    finally:
        await delete_run_rows(engine, run_id)


async def test_tallies_of_more_runs_than_one_statement_takes_count_each_run_once(
    engine: Any,
) -> None:
    first, last = unique_run_id("tally-first"), unique_run_id("tally-last")
    started = datetime.now(UTC) - timedelta(minutes=5)
    others = [unique_run_id("tally-none") for _ in range(queries.RUNS_PER_TALLY + 5)]
    for run_id in (first, last):
        await insert_run_rows(engine, run_id, started)
    try:
        async with engine.connect() as connection:
            # The last run is in a second statement, its id repeated in the spare slots.
            tallies = await queries.stage_tallies(connection, [first, *others, last])
    finally:
        for run_id in (first, last):
            await delete_run_rows(engine, run_id)

    assert set(tallies) == {first, last}
    for run_id in (first, last):
        assert set(tallies[run_id]) == {"scrape", "enrich", "score"}
        scrape, enrich = tallies[run_id]["scrape"], tallies[run_id]["enrich"]
        assert (scrape.jobs_total, scrape.items_total, scrape.items_success) == (1, 2, 2)
        assert (enrich.jobs_total, enrich.items_success) == (2, 2)


async def test_runs_of_an_unknown_run_id_are_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/pipelines/dags/scrape_listings/runs/manual__nope/tasks")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_triggered_runs_appear_in_the_lists_and_daily_stats(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/pipelines/dags/docgen_packet/trigger", json={"conf": {"property_ids": unused_ids(1)}}
    )
    run_id = response.json()["dag_run"]["dag_run_id"]

    runs = (await client.get("/api/pipelines/dags/docgen_packet/runs")).json()
    mine = next(entry for entry in runs["dag_runs"] if entry["dag_run_id"] == run_id)
    assert mine["state"] == "queued"  # no stage has a job row for it
    assert mine["conf"] == {"property_ids": response.json()["dag_run"]["conf"]["property_ids"]}
    assert runs["total_entries"] >= 1

    recent = (await client.get("/api/pipelines/runs/recent", params={"limit": 100})).json()
    assert run_id in {entry["dag_run_id"] for entry in recent["data"]}

    overview = (await client.get("/api/pipelines/overview")).json()
    assert overview["total_dags"] == 5
    docgen = next(dag for dag in overview["dags"] if dag["dag_id"] == "docgen_packet")
    assert docgen["last_run_at"] is not None
    assert len(docgen["recent_runs"]) <= 5

    dags = (await client.get("/api/pipelines/dags")).json()
    assert dags["total_entries"] == 5
    details = (await client.get("/api/pipelines/dags/docgen_packet")).json()
    assert "property_ids" in details["params"]["properties"]
    assert (await client.get("/api/pipelines/dags/nope")).status_code == 404

    daily = (await client.get("/api/pipelines/stats/daily", params={"days": 2})).json()["data"]
    assert [entry["date"] for entry in daily] == [
        (datetime.now(UTC).date() - timedelta(days=1)).isoformat(),
        datetime.now(UTC).date().isoformat(),
    ]
    assert daily[-1]["total_runs"] >= 1


async def test_many_concurrent_run_reads_never_exhaust_the_connection_pool(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    pool_capacity = 2 * settings.db_pool_size
    paths = ["/api/pipelines/overview", "/api/pipelines/runs/recent", "/api/metrics/overview"]
    requests = [client.get(paths[number % 3]) for number in range(3 * pool_capacity)]
    responses = await asyncio.wait_for(asyncio.gather(*requests), timeout=60)
    assert {response.status_code for response in responses} == {200}


async def test_score_master_all_requests_the_newest_properties_up_to_the_limit(
    client: httpx.AsyncClient, engine: Any, topic_reader: Any
) -> None:
    reader = await topic_reader(topics.SCORING_REQUESTED)
    response = await client.post(
        "/api/pipelines/dags/score_master/trigger",
        json={"conf": {"all": True, "limit": 2, "reason": "gateway test"}},
    )
    assert response.status_code == 200, response.text
    assert response.json()["events_published"] == 2
    run_id = response.json()["dag_run"]["dag_run_id"]
    requested = [
        json.loads(record.value)
        for record in await events_of_run(reader, topics.SCORING_REQUESTED, run_id, 2)
    ]
    ids = sorted(event["property_id"] for event in requested)
    async with engine.connect() as connection:
        known = await connection.scalars(sa.select(properties.c.id).where(properties.c.id.in_(ids)))
        assert sorted(known) == ids
    assert {event["reason"] for event in requested} == {"gateway test"}


async def test_stale_properties_are_those_whose_latest_score_is_not_the_production_model(
    engine: Any,
) -> None:
    production, old = f"prod-{marker()}", f"old-{marker()}"
    async with engine.connect() as connection, connection.begin() as transaction:
        ids = [
            await connection.scalar(
                sa.insert(properties)
                .values(property_key=f"{marker()}:{n}", address=f"{n} Stale St")
                .returning(properties.c.id)
            )
            for n in range(4)
        ]
        by_old, by_production, rescored, _unscored = ids
        versions = ((by_old, old), (by_production, production), (rescored, old))
        for property_id, version in (*versions, (rescored, production)):
            await connection.execute(
                sa.insert(property_scores).values(
                    property_id=property_id,
                    overall_score=50.0,
                    investment_score=50.0,
                    risk_score=50.0,
                    model_version=version,
                    input_hash=marker(),
                )
            )
        chosen = await queries.properties_to_rescore(connection, "stale", production, 1_000_000)
        everything = await queries.properties_to_rescore(connection, "all", production, 1_000_000)
        await transaction.rollback()
    assert [item for item in chosen if item in ids] == [_unscored, by_old]
    assert [item for item in everything if item in ids] == ids[::-1]
