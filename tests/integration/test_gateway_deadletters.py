"""Dead letters through the gateway, on the running broker: a message a consumer gave up on
is listed with why it failed, replayed once to its original topic with its original value
and headers, and never twice; replaying needs the `operate` scope. Other tests dead-letter
messages on the same topics, so each test finds its own by a unique event id."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.gateway.cli import create_key
from shared import topics
from shared.events import DocgenRequested
from shared.messaging import (
    HEADER_ATTEMPTS,
    HEADER_ERROR_MESSAGE,
    HEADER_ERROR_TYPE,
    HEADER_ORIGINAL_TOPIC,
    HEADER_RUN_ID,
    HEADER_SERVICE,
)
from shared.settings import Settings
from tests.conftest import unique_run_id

pytestmark = pytest.mark.stack

DEAD_LETTER_TOPIC = topics.dlq(topics.DOCGEN_REQUESTED)


@pytest.fixture(scope="module")
async def operator_key(settings: Settings) -> str:
    return await create_key(settings, f"dlq-test-{uuid.uuid4().hex[:8]}", frozenset({"operate"}))


@pytest.fixture(scope="module")
async def reader_key(settings: Settings) -> str:
    return await create_key(settings, f"dlq-reader-{uuid.uuid4().hex[:8]}", frozenset({"read"}))


@pytest.fixture
async def dead_letter(raw_producer: Any) -> AsyncIterator[dict[str, Any]]:
    """A docgen.requested event dead-lettered as the docgen service does it."""
    run_id = unique_run_id("dlq")
    event = DocgenRequested(run_id=run_id, property_id=987_654_321)
    body = event.model_dump_json().encode()
    original_headers = [
        ("content-type", b"application/json"),
        (HEADER_RUN_ID, run_id.encode()),
    ]
    failure = [
        (HEADER_ERROR_TYPE, b"RuntimeError"),
        (HEADER_ERROR_MESSAGE, b"template exploded"),
        (HEADER_ATTEMPTS, b"3"),
        (HEADER_SERVICE, b"docgen"),
        (HEADER_ORIGINAL_TOPIC, topics.DOCGEN_REQUESTED.encode()),
    ]
    sent = await raw_producer.send_and_wait(
        DEAD_LETTER_TOPIC, body, key=event.key(), headers=original_headers + failure
    )
    yield {
        "event": event,
        "body": body,
        "partition": sent.partition,
        "offset": sent.offset,
        "headers": dict(original_headers),
    }


async def find(client: httpx.AsyncClient, event_id: str) -> dict[str, Any]:
    listed = await client.get(f"/api/deadletters/{DEAD_LETTER_TOPIC}", params={"limit": 100})
    assert listed.status_code == 200, listed.text
    found = [row for row in listed.json()["data"] if row["event_id"] == event_id]
    assert found, f"dead letter of {event_id} not listed"
    return found[0]


async def test_dead_letter_is_listed_with_its_error_headers(
    client: httpx.AsyncClient, dead_letter: dict[str, Any]
) -> None:
    overview = (await client.get("/api/deadletters")).json()["data"]
    counts = {row["topic"]: row["messages"] for row in overview}
    assert counts[DEAD_LETTER_TOPIC] >= 1
    assert set(counts) == {topics.dlq(spec.name) for spec in topics.TOPICS}

    row = await find(client, str(dead_letter["event"].event_id))
    assert (row["partition"], row["offset"]) == (dead_letter["partition"], dead_letter["offset"])
    assert row["original_topic"] == topics.DOCGEN_REQUESTED
    assert (row["error_type"], row["error_message"]) == ("RuntimeError", "template exploded")
    assert (row["attempts"], row["service"]) == (3, "docgen")
    assert row["run_id"] == dead_letter["event"].run_id
    assert row["value"] == dead_letter["body"].decode()
    assert row["replayed_at"] is None

    one = await client.get(
        f"/api/deadletters/{DEAD_LETTER_TOPIC}/{row['partition']}/{row['offset']}"
    )
    assert one.json()["event_id"] == row["event_id"]


async def test_replay_publishes_the_original_once(
    client: httpx.AsyncClient,
    dead_letter: dict[str, Any],
    operator_key: str,
    topic_reader: Any,
) -> None:
    reader = await topic_reader(topics.DOCGEN_REQUESTED)
    path = (
        f"/api/deadletters/{DEAD_LETTER_TOPIC}/{dead_letter['partition']}/{dead_letter['offset']}"
    )
    first = await client.post(f"{path}/replay", headers={"X-API-Key": operator_key})
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "replayed"
    assert first.json()["event_id"] == str(dead_letter["event"].event_id)

    records = await reader.read(1, topic=topics.DOCGEN_REQUESTED)
    mine = [r for r in records if r.value == dead_letter["body"]]
    assert len(mine) == 1
    headers = {name: value.decode() for name, value in mine[0].headers}
    assert headers["content-type"] == "application/json"
    assert headers[HEADER_RUN_ID] == dead_letter["event"].run_id
    assert HEADER_ERROR_TYPE not in headers
    assert headers["x-reos-replayed-from"] == (
        f"{DEAD_LETTER_TOPIC}:{dead_letter['partition']}:{dead_letter['offset']}"
    )
    assert mine[0].key == dead_letter["event"].key()

    again = await client.post(f"{path}/replay", headers={"X-API-Key": operator_key})
    assert again.json()["status"] == "already_replayed"
    everything = await client.post(
        f"/api/deadletters/{DEAD_LETTER_TOPIC}/replay", headers={"X-API-Key": operator_key}
    )
    assert everything.status_code == 200
    batch = await reader.consumer.getmany(timeout_ms=2000)
    republished = [r for rs in batch.values() for r in rs if r.value == dead_letter["body"]]
    assert republished == []
    listed = await find(client, str(dead_letter["event"].event_id))
    assert listed["replayed_at"] is not None


async def test_replay_needs_the_operate_scope(
    client: httpx.AsyncClient, dead_letter: dict[str, Any], reader_key: str
) -> None:
    path = (
        f"/api/deadletters/{DEAD_LETTER_TOPIC}/{dead_letter['partition']}/{dead_letter['offset']}"
    )
    anonymous = await client.post(f"{path}/replay", headers={"X-API-Key": ""})
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    reader = await client.post(f"{path}/replay", headers={"X-API-Key": reader_key})
    assert reader.status_code == 403
    all_as_reader = await client.post(
        f"/api/deadletters/{DEAD_LETTER_TOPIC}/replay", headers={"X-API-Key": reader_key}
    )
    assert all_as_reader.status_code == 403


async def test_unknown_topic_and_dead_letter_are_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/deadletters/prospect.new")).status_code == 404
    missing = await client.get(f"/api/deadletters/{DEAD_LETTER_TOPIC}/0/{2**62}")
    assert missing.status_code == 404
    assert (await client.get(f"/api/deadletters/{DEAD_LETTER_TOPIC}/999/0")).status_code == 404
