"""Bad input on every consumed topic: a message that is not JSON and one that fails its
schema each land in that topic's `.dlq`, with the reason and the consuming service, and
the good message that follows is still processed. The four consuming services run as
separate processes."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import sqlalchemy as sa

from shared import topics
from shared.db.tables import (
    processed_events,
    prospect_queue,
    scraping_jobs,
)
from shared.events import (
    DocgenRequested,
    EnrichmentRequested,
    Event,
    PropertyEnriched,
    ProspectNew,
    ScoreCreated,
    ScoringRequested,
    ScrapeRequested,
)
from shared.listing import Listing
from shared.messaging import (
    HEADER_ATTEMPTS,
    HEADER_ERROR_MESSAGE,
    HEADER_ERROR_TYPE,
    HEADER_ORIGINAL_TOPIC,
    HEADER_SERVICE,
)
from tests.conftest import unique_run_id
from tests.factories import insert_scored_property
from tests.services import running_services

pytestmark = pytest.mark.stack

CONSUMERS = [
    (topics.SCRAPE_REQUESTED, "scraper"),
    (topics.PROSPECT_NEW, "enricher"),
    (topics.ENRICHMENT_REQUESTED, "enricher"),
    (topics.PROPERTY_ENRICHED, "scorer"),
    (topics.PROPERTY_ENRICHED, "scraper"),
    (topics.SCORING_REQUESTED, "scorer"),
    (topics.SCORE_CREATED, "docgen"),
    (topics.SCORE_CREATED, "scraper"),
    (topics.DOCGEN_REQUESTED, "docgen"),
]


@pytest.fixture(scope="module")
def consumers(stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory):
    with running_services(
        ["services.scraper", "services.enricher", "services.scorer", "services.docgen"],
        tmp_path_factory.mktemp("dlq-logs"),
    ) as started:
        yield started


@pytest.fixture
async def scored_property(sessions) -> tuple[int, int]:
    return await insert_scored_property(sessions, price=400_000.0)


async def good_event(sessions, topic: str, property_id: int, score_id: int, run_id: str) -> Event:
    """A valid event for `topic` whose processing leaves a trace to wait for."""
    if topic == topics.SCRAPE_REQUESTED:
        return ScrapeRequested(run_id=run_id, source=f"no-such-source-{uuid.uuid4().hex[:6]}")
    if topic in (topics.PROSPECT_NEW, topics.ENRICHMENT_REQUESTED):
        return await prospect_event(sessions, topic, run_id)
    if topic == topics.PROPERTY_ENRICHED:
        return PropertyEnriched(
            run_id=run_id,
            property_id=property_id,
            property_key="k",
            address="1 DLQ TEST ST",
            listing=Listing(
                source="dlqtest",
                source_id="k",
                status="for_sale",
                street="1 DLQ TEST ST",
                zip_code="98103",
                price=400_000.0,
            ),
        )
    if topic == topics.SCORING_REQUESTED:
        return ScoringRequested(run_id=run_id, property_id=property_id)
    if topic == topics.SCORE_CREATED:
        return ScoreCreated(
            run_id=run_id,
            score_id=score_id,
            property_id=property_id,
            model_version="test",
            overall_score=50.0,
            investment_score=50.0,
            risk_score=50.0,
        )
    return DocgenRequested(run_id=run_id, property_id=property_id, score_id=score_id)


async def processed(sessions, service: str, event: Event) -> bool:
    async with sessions() as session:
        if service == "scraper" and event.TOPIC == topics.SCRAPE_REQUESTED:
            query = sa.select(scraping_jobs.c.status).where(
                scraping_jobs.c.request_event_id == event.event_id,
                scraping_jobs.c.status == "failed",
            )
        else:
            query = sa.select(processed_events.c.event_id).where(
                processed_events.c.service == service,
                processed_events.c.event_id == event.event_id,
            )
        return (await session.execute(query)).first() is not None


@pytest.mark.parametrize(("topic", "service"), CONSUMERS)
async def test_garbage_and_schema_failures_are_dead_lettered_and_good_messages_follow(
    consumers, sessions, raw_producer, topic_reader, scored_property, topic: str, service: str
) -> None:
    reader = await topic_reader(topics.dlq(topic))
    marker = uuid.uuid4().hex
    not_json = b"\x00\xffnot json " + marker.encode()
    wrong_schema = json.dumps({"event_type": topic, "schema_version": 1, "marker": marker}).encode()
    for body in (not_json, wrong_schema):
        await raw_producer.send_and_wait(topic, body, key=marker.encode())
    good = await good_event(sessions, topic, *scored_property, unique_run_id())
    await raw_producer.send_and_wait(topic, good.model_dump_json().encode(), key=good.key())

    deadline = asyncio.get_running_loop().time() + 60
    dead: list = []
    while len(dead) < 2:
        assert asyncio.get_running_loop().time() < deadline, f"{service} dead-lettered {dead}"
        records = await reader.read(1, topic=topics.dlq(topic), timeout=60)
        dead += [
            r
            for r in records
            if marker.encode() in r.value
            and dict(r.headers).get(HEADER_SERVICE, b"").decode() == service
        ]
    assert [record.value for record in dead] == [not_json, wrong_schema]
    for record in dead:
        headers = {key: value.decode() for key, value in record.headers}
        assert headers[HEADER_ORIGINAL_TOPIC] == topic
        assert headers[HEADER_ATTEMPTS] == "1"
        assert headers[HEADER_ERROR_TYPE] in ("ValidationError", "JSONDecodeError")
        assert headers[HEADER_ERROR_MESSAGE]

    while not await processed(sessions, service, good):
        assert asyncio.get_running_loop().time() < deadline, f"{service} skipped the good message"
        await asyncio.sleep(0.3)


async def prospect_event(sessions, topic: str, run_id: str) -> Event:
    source_id = uuid.uuid4().hex
    payload = {
        "address": f"{uuid.uuid4().int % 9000 + 10} Dlq Test Ave",
        "zip_code": "98103",
        "price": 350_000,
    }
    async with sessions() as session, session.begin():
        prospect_id = (
            await session.execute(
                sa.insert(prospect_queue)
                .values(
                    source="dlqtest", source_id=source_id, payload=payload, content_hash="d" * 64
                )
                .returning(prospect_queue.c.id)
            )
        ).scalar_one()
    if topic == topics.ENRICHMENT_REQUESTED:
        return EnrichmentRequested(run_id=run_id, prospect_id=prospect_id)
    return ProspectNew(
        run_id=run_id,
        prospect_id=prospect_id,
        source="dlqtest",
        source_id=source_id,
        payload=payload,
    )
