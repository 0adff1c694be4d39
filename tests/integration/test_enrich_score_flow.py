"""The enricher and the scorer on the real stack: prospects in, scores out, exactly once."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from shared import topics
from shared.db.tables import (
    enrichment_jobs,
    properties,
    property_scores,
    prospect_queue,
)
from shared.events import ProspectNew
from shared.listing import Listing
from shared.messaging import HEADER_ATTEMPTS, HEADER_ERROR_TYPE, HEADER_SERVICE
from tests.conftest import publish, unique_run_id
from tests.services import running_services

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def enricher_and_scorer(stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory):
    with running_services(
        ["services.enricher", "services.scorer"], tmp_path_factory.mktemp("logs")
    ) as started:
        yield started


async def insert_prospect(sessions, source: str, source_id: str, payload: dict) -> int:
    async with sessions() as session, session.begin():
        result = await session.execute(
            sa.insert(prospect_queue)
            .values(source=source, source_id=source_id, payload=payload, content_hash="t" * 64)
            .returning(prospect_queue.c.id)
        )
        return int(result.scalar_one())


def listing(source_id: str, street: str, price: float = 500_000) -> Listing:
    return Listing(
        source="itest",
        source_id=source_id,
        status="for_sale",
        street=street,
        city="Seattle",
        state="WA",
        zip_code="98103",
        latitude=47.6615,
        longitude=-122.3431,
        property_type="single_family",
        bedrooms=3,
        bathrooms=2.0,
        sqft=1700,
        year_built=1978,
        price=price,
    )


async def new_prospect(sessions, run_id: str, street: str | None = None) -> ProspectNew:
    source_id = uuid.uuid4().hex
    home = listing(
        source_id, street or f"{uuid.uuid4().int % 90000 + 100} Test {source_id[:8]} Ave"
    )
    payload = home.model_dump(mode="json")
    prospect_id = await insert_prospect(sessions, "itest", source_id, payload)
    return ProspectNew(
        run_id=run_id, prospect_id=prospect_id, source="itest", source_id=source_id, listing=home
    )


def duplicate_count(service, topic: str) -> float:
    """How many already-processed events the service has answered from its record."""
    text = httpx.get(service.url + "/metrics", timeout=5).text
    for line in text.splitlines():
        if line.startswith("reos_") and "_messages_duplicate_total{" in line and topic in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def wait_for_rows(sessions, query, count: int, timeout: float = 45.0) -> list:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with sessions() as session:
            rows = (await session.execute(query)).mappings().all()
        if len(rows) >= count or asyncio.get_running_loop().time() > deadline:
            return list(rows)
        await asyncio.sleep(0.3)


async def test_prospects_become_scored_properties_with_job_rows(
    enricher_and_scorer, sessions, raw_producer, topic_reader
) -> None:
    run_id = unique_run_id()
    reader = await topic_reader(topics.SCORE_CREATED)
    events = [await new_prospect(sessions, run_id) for _ in range(5)]
    for event in events:
        await publish(raw_producer, event)

    scores = await wait_for_rows(
        sessions, sa.select(property_scores).where(property_scores.c.dag_run_id == run_id), 5
    )
    assert len(scores) == 5
    assert all(0 <= row["overall_score"] <= 100 for row in scores)
    assert all(row["score_components"]["rent"]["monthly_rent"] > 0 for row in scores)
    assert all(row["estimated_value"] and row["value_low"] < row["value_high"] for row in scores)
    assert all(row["comparables"] for row in scores)
    jobs = await wait_for_rows(
        sessions, sa.select(enrichment_jobs).where(enrichment_jobs.c.dag_run_id == run_id), 5
    )
    assert {job["status"] for job in jobs} == {"success"}
    assert all(job["completed_at"] >= job["started_at"] for job in jobs)
    async with sessions() as session:
        rows = (
            (await session.execute(sa.select(properties).where(properties.c.dag_run_id == run_id)))
            .mappings()
            .all()
        )
    assert sorted(row["prospect_id"] for row in rows) == sorted(e.prospect_id for e in events)
    assert all(row["enrichment_data"]["location"]["county"] == "King" for row in rows)
    published = await reader.read(5, topic=topics.SCORE_CREATED)
    mine = [json.loads(r.value) for r in published if json.loads(r.value)["run_id"] == run_id]
    assert len(mine) == 5
    assert all(event["valuation"]["estimated_value"] for event in mine)
    assert all(event["returns"]["cap_rate_percent"] is not None for event in mine)


async def test_a_version_1_prospect_of_flat_facts_is_still_enriched_and_scored(
    enricher_and_scorer, sessions, raw_producer
) -> None:
    run_id = unique_run_id()
    source_id = uuid.uuid4().hex
    payload = {
        "address": f"{uuid.uuid4().int % 90000 + 100} Flat {source_id[:8]} St",
        "zip_code": "98103",
        "price": "$450,000",
        "sqft": "1,500",
        "listing_type": "for_sale",
    }
    prospect_id = await insert_prospect(sessions, "itest", source_id, payload)
    version_1 = {
        "event_id": str(uuid.uuid4()),
        "event_type": "prospect.new",
        "schema_version": 1,
        "occurred_at": "2026-12-01T00:00:00Z",
        "run_id": run_id,
        "prospect_id": prospect_id,
        "source": "itest",
        "source_id": source_id,
        "payload": payload,
    }
    await raw_producer.send_and_wait(
        topics.PROSPECT_NEW, json.dumps(version_1).encode(), key=f"itest:{source_id}".encode()
    )

    scores = await wait_for_rows(
        sessions, sa.select(property_scores).where(property_scores.c.dag_run_id == run_id), 1
    )
    assert len(scores) == 1
    assert scores[0]["features_used"]["price"] == 450_000
    assert scores[0]["features_used"]["sqft"] == 1500


async def test_redelivered_prospect_creates_no_duplicate(
    enricher_and_scorer, sessions, raw_producer
) -> None:
    run_id = unique_run_id()
    event = await new_prospect(sessions, run_id)
    await publish(raw_producer, event)
    await wait_for_rows(
        sessions, sa.select(property_scores).where(property_scores.c.dag_run_id == run_id), 1
    )
    duplicates_before = duplicate_count(enricher_and_scorer["enricher"], topics.PROSPECT_NEW)
    await publish(raw_producer, event)
    await publish(raw_producer, event)
    deadline = asyncio.get_running_loop().time() + 30
    while duplicate_count(enricher_and_scorer["enricher"], topics.PROSPECT_NEW) < (
        duplicates_before + 2
    ):
        assert asyncio.get_running_loop().time() < deadline, "redeliveries were not consumed"
        await asyncio.sleep(0.3)
    async with sessions() as session:
        counts = {
            name: (
                await session.execute(
                    sa.select(sa.func.count())
                    .select_from(table)
                    .where(table.c.dag_run_id == run_id)
                )
            ).scalar_one()
            for name, table in (
                ("properties", properties),
                ("enrichment_jobs", enrichment_jobs),
                ("property_scores", property_scores),
            )
        }
    assert counts == {"properties": 1, "enrichment_jobs": 1, "property_scores": 1}


@pytest.mark.parametrize(
    ("topic", "service"),
    [
        (topics.PROSPECT_NEW, "enricher"),
        (topics.ENRICHMENT_REQUESTED, "enricher"),
        (topics.PROPERTY_ENRICHED, "scorer"),
        (topics.SCORING_REQUESTED, "scorer"),
    ],
)
async def test_bad_messages_go_to_the_dead_letter_topic_and_good_ones_follow(
    enricher_and_scorer, sessions, raw_producer, topic_reader, topic: str, service: str
) -> None:
    reader = await topic_reader(topics.dlq(topic))
    marker = uuid.uuid4().hex
    not_json = f"not json {marker}".encode()
    wrong_schema = json.dumps({"event_type": topic, "marker": marker}).encode()
    await raw_producer.send_and_wait(topic, not_json, key=marker.encode())
    await raw_producer.send_and_wait(topic, wrong_schema, key=marker.encode())

    run_id = unique_run_id()
    good = await new_prospect(sessions, run_id)
    await publish(raw_producer, good)

    dead = await reader.read(2, topic=topics.dlq(topic))
    mine = [record for record in dead if marker.encode() in record.value]
    assert [record.value for record in mine] == [not_json, wrong_schema]
    for record in mine:
        headers = {key: value.decode() for key, value in record.headers}
        assert headers[HEADER_SERVICE] == service
        assert headers[HEADER_ATTEMPTS] == "1"
        assert headers[HEADER_ERROR_TYPE] in ("ValidationError", "JSONDecodeError")
    scored = await wait_for_rows(
        sessions, sa.select(property_scores).where(property_scores.c.dag_run_id == run_id), 1
    )
    assert len(scored) == 1


async def test_a_listing_without_address_is_dead_lettered_with_its_reason(
    enricher_and_scorer, sessions, raw_producer, topic_reader
) -> None:
    reader = await topic_reader(topics.dlq(topics.PROSPECT_NEW))
    run_id = unique_run_id()
    source_id = uuid.uuid4().hex
    prospect_id = await insert_prospect(sessions, "itest", source_id, {"price": 1})
    event = ProspectNew(
        run_id=run_id,
        prospect_id=prospect_id,
        source="itest",
        source_id=source_id,
        payload={"price": 1},
    )
    await publish(raw_producer, event)
    dead = [r for r in await reader.read(1) if source_id.encode() in r.value]
    headers = {key: value.decode() for key, value in dead[0].headers}
    assert headers[HEADER_ERROR_TYPE] == "PoisonMessage"
    assert "no street address" in headers["x-reos-error-message"]
    jobs = await wait_for_rows(
        sessions, sa.select(enrichment_jobs).where(enrichment_jobs.c.dag_run_id == run_id), 1
    )
    assert jobs[0]["status"] == "failed"
    assert "no street address" in jobs[0]["error_log"]


def test_log_lines_are_json_with_run_and_event_ids(enricher_and_scorer) -> None:
    log = Path(enricher_and_scorer["enricher"].log_path).read_text().splitlines()
    entries = [json.loads(line) for line in log if line.startswith("{")]
    assert entries, "the enricher wrote no JSON log lines"
    assert all(
        {"ts", "level", "service", "message", "run_id", "event_id"} <= set(e) for e in entries
    )


async def test_one_unusable_listing_in_a_batch_holds_none_of_the_others_back(
    enricher_and_scorer, sessions, raw_producer, topic_reader
) -> None:
    reader = await topic_reader(topics.dlq(topics.PROSPECT_NEW))
    run_id = unique_run_id()
    good = [await new_prospect(sessions, run_id) for _ in range(10)]
    source_id = uuid.uuid4().hex
    prospect_id = await insert_prospect(sessions, "itest", source_id, {"price": 1})
    bad = ProspectNew(
        run_id=run_id,
        prospect_id=prospect_id,
        source="itest",
        source_id=source_id,
        payload={"price": 1},
    )
    await asyncio.gather(*(publish(raw_producer, event) for event in [*good[:5], bad, *good[5:]]))

    scores = await wait_for_rows(
        sessions, sa.select(property_scores).where(property_scores.c.dag_run_id == run_id), 10
    )
    assert len(scores) == 10
    dead = [r for r in await reader.read(1) if source_id.encode() in r.value]
    assert dict(dead[0].headers)[HEADER_ERROR_TYPE] == b"PoisonMessage"
    jobs = await wait_for_rows(
        sessions, sa.select(enrichment_jobs).where(enrichment_jobs.c.dag_run_id == run_id), 11
    )
    assert sorted(job["status"] for job in jobs) == ["failed"] + ["success"] * 10


async def test_rescoring_unchanged_inputs_records_a_job_and_reuses_the_score(
    enricher_and_scorer, sessions, raw_producer
) -> None:
    from shared.db.tables import scoring_jobs
    from shared.events import ScoringRequested

    first_run = unique_run_id()
    await publish(raw_producer, await new_prospect(sessions, first_run))
    (score,) = await wait_for_rows(
        sessions, sa.select(property_scores).where(property_scores.c.dag_run_id == first_run), 1
    )
    rescore_run = unique_run_id("rescore")
    await publish(
        raw_producer, ScoringRequested(run_id=rescore_run, property_id=score["property_id"])
    )
    (job,) = await wait_for_rows(
        sessions, sa.select(scoring_jobs).where(scoring_jobs.c.dag_run_id == rescore_run), 1
    )
    assert (job["status"], job["score_id"], job["dag_id"]) == (
        "success",
        score["id"],
        "score_master",
    )
    async with sessions() as session:
        scores = (
            await session.execute(
                sa.select(sa.func.count()).where(
                    property_scores.c.property_id == score["property_id"]
                )
            )
        ).scalar_one()
    assert scores == 1
