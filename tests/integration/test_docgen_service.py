"""docgen against the real stack: Kafka in, PostgreSQL rows, an S3 object and an event out.

The service runs in-process (`app.start()`/`stop()`, what its ASGI lifespan runs), in a
consumer group of its own whose offsets start at the end of its topics, so it sees only
what these tests publish from then on (plus whatever others publish meanwhile, which the
assertions ignore). Another docgen on the same stack may process these events first: the
assertions hold whichever instance did, since both answer an event exactly once.
"""

from __future__ import annotations

import asyncio
import io
import json
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import httpx
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from botocore.exceptions import BotoCoreError
from pypdf import PdfReader

from services.docgen import store as docgen_store
from services.docgen.app import build
from services.docgen.config import DocgenConfig
from services.docgen.handlers import DocgenMetrics, PacketGenerator
from services.docgen.photos import PhotoFetcher
from services.docgen.render import RenderPool
from shared import topics
from shared.db.tables import (
    docgen_jobs,
    docgen_properties,
    docgen_scores,
    documents,
    properties,
    property_scores,
    prospect_queue,
)
from shared.events import DocgenRequested, PropertyEnriched, ScoreCreated, derived_event_id
from shared.messaging import is_transient
from shared.observability import ServiceMetrics
from shared.settings import Settings
from shared.storage import ObjectStore
from tests.conftest import publish, unique_run_id
from tests.unit.docgen import samples

pytestmark = pytest.mark.stack

CONSUMED_TOPICS = (topics.PROPERTY_ENRICHED, topics.SCORE_CREATED, topics.DOCGEN_REQUESTED)
MISSING_PROPERTY_ID = 9_000_000_000_000


# --- the service under test ----------------------------------------------------


async def start_group_at_end(bootstrap: str, group_id: str, topic_names: tuple[str, ...]) -> None:
    """Commit the group's offsets at the end of `topic_names`, so it skips their history."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False
    )
    await consumer.start()
    try:
        # As in conftest's TopicReader: the public `topics()` drops the partition map.
        cluster = await consumer._client.fetch_all_metadata()
        partitions = [
            TopicPartition(topic, partition)
            for topic in topic_names
            for partition in cluster.partitions_for_topic(topic) or ()
        ]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        offsets = {tp: OffsetAndMetadata(await consumer.position(tp), "") for tp in partitions}
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


@dataclass
class RunningDocgen:
    app: Any
    settings: Settings

    async def get(self, path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://docgen") as client:
            return await client.get(path)


@pytest.fixture(scope="module")
async def docgen(settings: Settings) -> AsyncIterator[RunningDocgen]:
    service_settings = settings.model_copy(
        update={
            "consumer_group_prefix": f"test-docgen-{uuid.uuid4().hex[:8]}",
            "retry_backoff_seconds": 0.05,
            "retry_backoff_max_seconds": 0.2,
        }
    )
    await start_group_at_end(
        settings.kafka_bootstrap_servers,
        f"{service_settings.consumer_group_prefix}-docgen",
        CONSUMED_TOPICS,
    )
    app = build(service_settings, DocgenConfig(REOS_DOCGEN_FETCH_PHOTOS=False))
    await app.start()
    try:
        yield RunningDocgen(app, service_settings)
    finally:
        await app.stop()


# --- test data: what the enricher and the scorer would have written and published ---


@dataclass
class SeededProperty:
    property_id: int
    address: str
    score_ids: list[int]
    scores: tuple[float, ...]


@pytest.fixture
async def seed(sessions: Any) -> AsyncIterator[Callable[..., Any]]:
    """`await seed(scores=(72.5,))` inserts a property with those scores, as the enricher
    and the scorer write them, and docgen's copies of its `property.enriched` and
    `score.created` events unless `snapshot=False`."""
    property_ids: list[int] = []
    prospect_ids: list[int] = []

    async def insert(
        scores: tuple[float, ...] = (72.46,), address: str | None = None, snapshot: bool = True
    ) -> SeededProperty:
        tag = uuid.uuid4().hex[:10]
        address = address or f"{100 + len(property_ids)} Docgen Test Ave #{tag}"
        async with sessions() as session, session.begin():
            prospect_id = (
                await session.execute(
                    sa.insert(prospect_queue)
                    .values(
                        source="docgen-test",
                        source_id=tag,
                        url=f"http://127.0.0.1:9180/homes/{tag}",
                        payload={"address": address},
                        content_hash=tag,
                    )
                    .returning(prospect_queue.c.id)
                )
            ).scalar_one()
            property_id = (
                await session.execute(
                    sa.insert(properties)
                    .values(
                        prospect_id=prospect_id, property_key=f"docgen-test:{tag}", address=address
                    )
                    .returning(properties.c.id)
                )
            ).scalar_one()
            score_ids = []
            for index, overall in enumerate(scores):
                score_ids.append(
                    (
                        await session.execute(
                            sa.insert(property_scores)
                            .values(
                                property_id=property_id,
                                overall_score=overall,
                                investment_score=68.0,
                                risk_score=35.3,
                                model_version="test-model-1",
                                input_hash=f"{tag}-{index}",
                            )
                            .returning(property_scores.c.id)
                        )
                    ).scalar_one()
                )
        property_ids.append(property_id)
        prospect_ids.append(prospect_id)
        prop = SeededProperty(property_id, address, score_ids, scores)
        if snapshot:
            async with sessions() as session, session.begin():
                await docgen_store.remember_properties(session, [property_enriched(prop)])
                await docgen_store.remember_scores(
                    session, [score_created(prop, "docgen-seed", i) for i in range(len(scores))]
                )
        return prop

    yield insert

    async with sessions() as session, session.begin():
        for table in (docgen_jobs, docgen_scores, docgen_properties):
            await session.execute(sa.delete(table).where(table.c.property_id.in_(property_ids)))
        await session.execute(sa.delete(properties).where(properties.c.id.in_(property_ids)))
        await session.execute(
            sa.delete(prospect_queue).where(prospect_queue.c.id.in_(prospect_ids))
        )


def property_enriched(prop: SeededProperty, run_id: str | None = None) -> PropertyEnriched:
    street = prop.address.split(" #")[0]
    return PropertyEnriched(
        run_id=run_id,
        property_id=prop.property_id,
        property_key=f"docgen-test:{prop.property_id}",
        address=prop.address,
        listing=samples.listing(source="docgen-test", street=street, photos=()),
        enrichment=samples.ENRICHMENT,
    )


def score_created(prop: SeededProperty, run_id: str, score_index: int = 0) -> ScoreCreated:
    return samples.score(
        occurred_at=datetime.now(UTC),
        run_id=run_id,
        score_id=prop.score_ids[score_index],
        property_id=prop.property_id,
        overall_score=prop.scores[score_index],
    )


async def publish_scores(raw_producer: Any, prop: SeededProperty, run_id: str) -> None:
    """Every score of `prop`, as the scorer published them."""
    for index in range(len(prop.score_ids)):
        await publish(raw_producer, score_created(prop, run_id, index))


# --- Kafka, S3 and database helpers ---------------------------------------------


async def records_where(
    reader: Any, topic: str, matches: Callable[[Any], bool], count: int = 1, timeout: float = 60
) -> list[Any]:
    """The first records of `topic` that `matches`, one per event id, until there are `count`.

    One per event id: a redelivered event re-publishes its outputs under the same ids.
    Records read meanwhile that do not match are gone for the next call: wait for all the
    records one step produces in one call. Fails the test on timeout.
    """
    found: dict[str, Any] = {}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(found) < count:
        remaining = deadline - loop.time()
        if remaining <= 0:
            pytest.fail(f"expected {count} matching events on {topic}, got {len(found)}")
        batch = await reader.consumer.getmany(timeout_ms=int(min(remaining, 1.0) * 1000))
        for records in batch.values():
            for record in records:
                if record.topic == topic and matches(record):
                    found.setdefault(json.loads(record.value)["event_id"], record)
    return list(found.values())[:count]


def event_id_is(event_id: uuid.UUID) -> Callable[[Any], bool]:
    return lambda record: json.loads(record.value)["event_id"] == str(event_id)


def s3_client(settings: Settings) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=settings.s3_secret_access_key,
    )


def object_key(uri: str, settings: Settings) -> str:
    prefix = f"s3://{settings.s3_bucket}/"
    assert uri.startswith(prefix)
    return uri[len(prefix) :]


async def rows(sessions: Any, query: Any) -> list[Any]:
    async with sessions() as session:
        return list((await session.execute(query)).mappings())


async def job_of(sessions: Any, event_id: uuid.UUID, timeout: float = 60) -> Any:
    """The `docgen_jobs` row of an event, once docgen has recorded it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        found = await rows(
            sessions, sa.select(docgen_jobs).where(docgen_jobs.c.source_event_id == event_id)
        )
        if found:
            return found[0]
        await asyncio.sleep(0.2)
    pytest.fail(f"no docgen job for event {event_id}")


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


# --- tests ------------------------------------------------------------------------


async def test_new_score_becomes_stored_packet_with_document_job_and_event(
    docgen: RunningDocgen, seed: Any, sessions: Any, topic_reader: Any, raw_producer: Any
) -> None:
    prop = await seed()
    run_id = unique_run_id("docgen")
    event = score_created(prop, run_id)
    reader = await topic_reader(topics.PACKET_GENERATED)
    started = datetime.now(UTC)

    await publish(raw_producer, event)

    (record,) = await records_where(
        reader, topics.PACKET_GENERATED, event_id_is(derived_event_id("docgen", event.event_id))
    )
    generated = json.loads(record.value)
    settings = docgen.settings
    key = f"packets/{prop.property_id}/score-{prop.score_ids[0]}-v2.pdf"
    assert record.key == str(prop.property_id).encode()
    assert generated["run_id"] == run_id
    assert generated["property_id"] == prop.property_id
    assert generated["score_id"] == prop.score_ids[0]
    assert generated["storage_uri"] == f"s3://{settings.s3_bucket}/{key}"

    (document,) = await rows(
        sessions, sa.select(documents).where(documents.c.property_id == prop.property_id)
    )
    assert document["id"] == generated["document_id"]
    assert document["score_id"] == prop.score_ids[0]
    assert document["document_type"] == "property_packet"
    assert document["template_version"] == "v2"
    assert document["storage_uri"] == generated["storage_uri"]
    assert document["content_type"] == "application/pdf"
    assert document["sha256"] == generated["sha256"]
    assert document["size_bytes"] == generated["size_bytes"]
    assert document["dag_run_id"] == run_id

    (job,) = await rows(
        sessions, sa.select(docgen_jobs).where(docgen_jobs.c.source_event_id == event.event_id)
    )
    assert job["dag_id"] == "docgen_packet"
    assert job["dag_run_id"] == run_id
    assert job["status"] == "success"
    assert job["document_id"] == document["id"]
    assert (job["property_id"], job["score_id"]) == (prop.property_id, prop.score_ids[0])
    assert job["render_seconds"] > 0
    assert started <= job["started_at"] <= job["completed_at"]

    stored = s3_client(settings).get_object(Bucket=settings.s3_bucket, Key=key)
    data = stored["Body"].read()
    assert stored["ContentType"] == "application/pdf"
    assert stored["Metadata"] == {
        "property-id": str(prop.property_id),
        "score-id": str(prop.score_ids[0]),
        "sha256": document["sha256"],
    }
    assert len(data) == document["size_bytes"]
    pages, text = pdf_text(data)
    flat = " ".join(text.split())
    assert pages >= 6
    assert prop.address in flat
    assert f"Page {pages} of {pages}" in flat
    assert "Overall score 72.5" in flat
    assert "Asking price $425,000" in flat
    assert "Estimated value $468,000" in flat
    assert "Cash needed $119,000" in flat
    assert "Aug 19, 2025 0.41 km $455,000" in flat
    assert f"run {run_id}" in flat
    assert "Listing: docgen-test" in flat
    assert "Median household income $84,069" in flat

    metrics = (await docgen.get("/metrics")).text
    assert 'reos_docgen_messages_consumed_total{topic="score.created"}' in metrics
    assert "# TYPE reos_docgen_pdf_render_seconds histogram" in metrics
    assert "# TYPE reos_docgen_pdf_bytes histogram" in metrics
    assert "# TYPE reos_docgen_packets_generated_total counter" in metrics


async def test_redelivered_score_event_creates_no_second_job_document_or_object(
    docgen: RunningDocgen, seed: Any, sessions: Any, topic_reader: Any, raw_producer: Any
) -> None:
    prop = await seed()
    event = score_created(prop, unique_run_id("docgen"))
    output_id = derived_event_id("docgen", event.event_id)
    reader = await topic_reader(topics.PACKET_GENERATED)
    settings = docgen.settings
    s3 = s3_client(settings)

    body = await publish(raw_producer, event)
    (first,) = await records_where(reader, topics.PACKET_GENERATED, event_id_is(output_id))
    key = object_key(json.loads(first.value)["storage_uri"], settings)
    before = s3.head_object(Bucket=settings.s3_bucket, Key=key)
    await raw_producer.send_and_wait(event.TOPIC, body, key=event.key())
    (again,) = await records_where(reader, topics.PACKET_GENERATED, event_id_is(output_id))

    assert json.loads(again.value) == json.loads(first.value)
    job_rows = await rows(
        sessions, sa.select(docgen_jobs).where(docgen_jobs.c.source_event_id == event.event_id)
    )
    document_rows = await rows(
        sessions, sa.select(documents).where(documents.c.property_id == prop.property_id)
    )
    assert len(job_rows) == 1
    assert len(document_rows) == 1
    listing = s3.list_objects_v2(Bucket=settings.s3_bucket, Prefix=f"packets/{prop.property_id}/")
    recent = [
        item["Key"]
        for item in listing.get("Contents", [])
        if item["LastModified"] >= before["LastModified"]
    ]
    assert recent == [key]
    after = s3.head_object(Bucket=settings.s3_bucket, Key=key)
    assert (after["ETag"], after["LastModified"]) == (before["ETag"], before["LastModified"])


async def test_same_score_published_again_is_not_rendered_again(
    docgen: RunningDocgen, seed: Any, sessions: Any, topic_reader: Any, raw_producer: Any
) -> None:
    prop = await seed()
    first, again = (score_created(prop, unique_run_id("docgen")) for _ in range(2))
    reader = await topic_reader(topics.PACKET_GENERATED)
    settings = docgen.settings

    await publish(raw_producer, first)
    (record,) = await records_where(
        reader, topics.PACKET_GENERATED, event_id_is(derived_event_id("docgen", first.event_id))
    )
    key = object_key(json.loads(record.value)["storage_uri"], settings)
    before = s3_client(settings).head_object(Bucket=settings.s3_bucket, Key=key)
    await publish(raw_producer, again)
    job = await job_of(sessions, again.event_id)

    (document,) = await rows(
        sessions, sa.select(documents).where(documents.c.property_id == prop.property_id)
    )
    assert job["status"] == "success"
    assert job["document_id"] == document["id"]
    assert job["render_seconds"] is None
    after = s3_client(settings).head_object(Bucket=settings.s3_bucket, Key=key)
    assert after["LastModified"] == before["LastModified"]


async def test_score_that_arrives_before_its_property_is_written_up_when_the_property_comes(
    docgen: RunningDocgen, seed: Any, sessions: Any, topic_reader: Any, raw_producer: Any
) -> None:
    prop = await seed(snapshot=False)
    run_id = unique_run_id("docgen")
    score = score_created(prop, run_id)
    enriched = property_enriched(prop, run_id)
    reader = await topic_reader(topics.PACKET_GENERATED)

    await publish(raw_producer, score)
    waiting = await job_of(sessions, score.event_id)
    await publish(raw_producer, enriched)
    (record,) = await records_where(
        reader,
        topics.PACKET_GENERATED,
        event_id_is(derived_event_id("docgen", enriched.event_id, prop.score_ids[0])),
    )

    assert waiting["status"] == "queued"
    generated = json.loads(record.value)
    assert generated["score_id"] == prop.score_ids[0]
    (job,) = await rows(
        sessions, sa.select(docgen_jobs).where(docgen_jobs.c.source_event_id == score.event_id)
    )
    assert job["status"] == "success"
    assert job["document_id"] == generated["document_id"]


async def test_docgen_request_without_score_writes_up_the_latest_score_again(
    docgen: RunningDocgen, seed: Any, sessions: Any, topic_reader: Any, raw_producer: Any
) -> None:
    prop = await seed(scores=(41.0, 88.84))
    run_id = unique_run_id("docgen")
    reader = await topic_reader(topics.PACKET_GENERATED)
    await publish_scores(raw_producer, prop, run_id)
    await records_where(
        reader, topics.PACKET_GENERATED, lambda r: json.loads(r.value)["run_id"] == run_id, 2
    )
    request = DocgenRequested(run_id=unique_run_id("docgen"), property_id=prop.property_id)

    await publish(raw_producer, request)

    (record,) = await records_where(
        reader, topics.PACKET_GENERATED, event_id_is(derived_event_id("docgen", request.event_id))
    )
    generated = json.loads(record.value)
    assert generated["score_id"] == max(prop.score_ids)
    assert generated["storage_uri"].endswith(
        f"packets/{prop.property_id}/score-{max(prop.score_ids)}-v2.pdf"
    )
    data = (
        s3_client(docgen.settings)
        .get_object(
            Bucket=docgen.settings.s3_bucket,
            Key=object_key(generated["storage_uri"], docgen.settings),
        )["Body"]
        .read()
    )
    assert "Overall score 88.8" in " ".join(pdf_text(data)[1].split())
    (job,) = await rows(
        sessions, sa.select(docgen_jobs).where(docgen_jobs.c.source_event_id == request.event_id)
    )
    assert job["render_seconds"] > 0


async def test_docgen_request_for_a_list_and_for_the_top_renders_each_packet(
    docgen: RunningDocgen, seed: Any, sessions: Any, topic_reader: Any, raw_producer: Any
) -> None:
    props = [await seed(scores=(60.0,)), await seed(scores=(61.0,))]
    run_id = unique_run_id("docgen")
    reader = await topic_reader(topics.PACKET_GENERATED)
    async with sessions() as session, session.begin():
        await docgen_store.remember_scores(session, [score_created(p, run_id) for p in props])
    listed = DocgenRequested(
        run_id=unique_run_id("docgen"), property_ids=[p.property_id for p in props]
    )
    top = DocgenRequested(run_id=unique_run_id("docgen"), top=2)

    await publish(raw_producer, listed)
    await publish(raw_producer, top)

    # Both requests' packets are read in one pass: the two requests may be handled in either
    # order, and records of the one not waited for would be consumed and dropped.
    packets = await records_where(
        reader,
        topics.PACKET_GENERATED,
        lambda r: json.loads(r.value)["run_id"] in {listed.run_id, top.run_id},
        count=4,
    )
    by_list = [r for r in packets if json.loads(r.value)["run_id"] == listed.run_id]
    by_top = [r for r in packets if json.loads(r.value)["run_id"] == top.run_id]
    assert len(by_list) == len(by_top) == 2
    assert sorted(json.loads(r.value)["property_id"] for r in by_list) == sorted(
        p.property_id for p in props
    )
    assert len({json.loads(r.value)["property_id"] for r in by_top}) == 2
    jobs = await rows(
        sessions, sa.select(docgen_jobs).where(docgen_jobs.c.dag_run_id == listed.run_id)
    )
    assert {job["status"] for job in jobs} == {"success"} and len(jobs) == 2


async def test_request_for_missing_property_is_dead_lettered_and_next_request_still_served(
    docgen: RunningDocgen, seed: Any, sessions: Any, topic_reader: Any, raw_producer: Any
) -> None:
    prop = await seed()
    run_id = unique_run_id("docgen")
    missing = DocgenRequested(run_id=run_id, property_id=MISSING_PROPERTY_ID)
    good = DocgenRequested(run_id=run_id, property_id=prop.property_id)
    dead_letters = await topic_reader(topics.dlq(topics.DOCGEN_REQUESTED))
    packets = await topic_reader(topics.PACKET_GENERATED)

    missing_body = await publish(raw_producer, missing)
    await publish(raw_producer, good)

    (dead,) = await records_where(
        dead_letters, topics.dlq(topics.DOCGEN_REQUESTED), event_id_is(missing.event_id)
    )
    headers = {key: value.decode() for key, value in dead.headers}
    assert dead.value == missing_body
    assert headers["x-reos-error-type"] == "PoisonMessage"
    assert headers["x-reos-error-message"] == f"property {MISSING_PROPERTY_ID} does not exist"
    assert headers["x-reos-service"] == "docgen"
    assert headers["x-reos-original-topic"] == topics.DOCGEN_REQUESTED
    assert headers["x-reos-attempts"] == "1"
    await records_where(
        packets, topics.PACKET_GENERATED, event_id_is(derived_event_id("docgen", good.event_id))
    )
    jobs = await rows(sessions, sa.select(docgen_jobs).where(docgen_jobs.c.dag_run_id == run_id))
    assert [job["source_event_id"] for job in jobs] == [good.event_id]


async def test_score_of_another_property_is_dead_lettered(
    docgen: RunningDocgen, seed: Any, sessions: Any, topic_reader: Any, raw_producer: Any
) -> None:
    prop, other = await seed(), await seed()
    async with sessions() as session, session.begin():
        await docgen_store.remember_scores(session, [score_created(other, "docgen-other")])
    request = DocgenRequested(
        run_id=unique_run_id("docgen"), property_id=prop.property_id, score_id=other.score_ids[0]
    )
    reader = await topic_reader(topics.dlq(topics.DOCGEN_REQUESTED))

    await publish(raw_producer, request)

    (dead,) = await records_where(
        reader, topics.dlq(topics.DOCGEN_REQUESTED), event_id_is(request.event_id)
    )
    headers = {key: value.decode() for key, value in dead.headers}
    assert headers["x-reos-error-message"] == (
        f"score {other.score_ids[0]} belongs to property {other.property_id}, "
        f"not {prop.property_id}"
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_object_store_outage_is_an_outage_and_records_nothing(
    settings: Settings, seed: Any, sessions: Any
) -> None:
    prop = await seed()
    unreachable = settings.model_copy(
        update={"s3_endpoint_url": f"http://127.0.0.1:{closed_port()}"}
    )
    renderer = RenderPool(1)
    generator = PacketGenerator(
        renderer,
        ObjectStore(unreachable),
        DocgenMetrics.register(ServiceMetrics("docgen_outage_test")),
        PhotoFetcher(1.0, 1000, enabled=False),
    )
    event = score_created(prop, unique_run_id("docgen"))

    try:
        with pytest.raises(BotoCoreError) as raised:
            async with sessions() as session, session.begin():
                await generator.on_score_created(session, event)
    finally:
        renderer.close()

    assert is_transient(raised.value)
    assert (
        await rows(
            sessions, sa.select(docgen_jobs).where(docgen_jobs.c.source_event_id == event.event_id)
        )
        == []
    )
    assert (
        await rows(
            sessions, sa.select(documents).where(documents.c.property_id == prop.property_id)
        )
        == []
    )


async def test_readiness_checks_database_broker_and_object_store(docgen: RunningDocgen) -> None:
    response = await docgen.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "kafka": "ok", "object_store": "ok"}
