"""Reading and replaying dead letters.

Reading uses a short-lived consumer outside any consumer group (it commits nothing and moves
no one's offsets), assigned to the dead-letter topic's partitions, reading at most a bounded
number of the newest records within a time budget.

A replay publishes the original value, key and headers to the original topic, exactly once
in effect: the gateway first claims the dead letter's (topic, partition, offset) in
`dead_letter_replays`, publishes inside that transaction and commits after the broker
acknowledged. A dead letter already claimed is not published again; a publish that fails
rolls the claim back, so the replay can be retried. Should the commit fail after the
publish, a second replay publishes the same event again, which the consumers'
processed-event records make harmless.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.gateway.shapes.deadletters import DeadLetter
from shared.db.tables import dead_letter_replays
from shared.messaging import Messaging
from shared.topics import TOPICS, dlq

DEAD_LETTER_TOPICS: tuple[str, ...] = tuple(dlq(spec.name) for spec in TOPICS)
READ_TIMEOUT_SECONDS = 10.0
MAX_READ = 10_000
"""The most dead letters one request reads (a page deep, or a replay of all)."""

replays = dead_letter_replays


class DeadLetterReader:
    """A consumer for one request: `async with DeadLetterReader(servers) as reader:`."""

    def __init__(self, bootstrap_servers: str) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            client_id="reos-gateway-deadletters",
            request_timeout_ms=int(READ_TIMEOUT_SECONDS * 1000),
        )

    async def __aenter__(self) -> DeadLetterReader:
        await self.consumer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.consumer.stop()

    async def _partitions(self, topic: str) -> list[TopicPartition]:
        partitions = self.consumer.partitions_for_topic(topic)
        if partitions is None:
            # A consumer subscribed to nothing fetches every topic's metadata on an update;
            # aiokafka has no public call that refreshes the consumer's own view.
            await self.consumer._client.force_metadata_update()
            partitions = self.consumer.partitions_for_topic(topic) or set()
        return [TopicPartition(topic, partition) for partition in sorted(partitions)]

    async def _bounds(
        self, partitions: Sequence[TopicPartition]
    ) -> dict[TopicPartition, tuple[int, int]]:
        """The first and one-past-last offset of each partition."""
        if not partitions:
            return {}
        first = await self.consumer.beginning_offsets(list(partitions))
        end = await self.consumer.end_offsets(list(partitions))
        return {tp: (first[tp], end[tp]) for tp in partitions}

    async def counts(self, topics: Iterable[str]) -> dict[str, int]:
        """How many dead letters each topic holds."""
        partitions = [tp for topic in topics for tp in await self._partitions(topic)]
        counts: dict[str, int] = {}
        for tp, (first, end) in (await self._bounds(partitions)).items():
            counts[tp.topic] = counts.get(tp.topic, 0) + end - first
        return counts

    async def newest(self, topic: str, count: int) -> tuple[int, list[DeadLetter]]:
        """How many dead letters `topic` holds, and its `count` newest per partition,
        newest first."""
        bounds = await self._bounds(await self._partitions(topic))
        total = sum(end - first for first, end in bounds.values())
        wanted = {tp: (max(first, end - count), end) for tp, (first, end) in bounds.items()}
        letters = await self._read(wanted)
        letters.sort(key=lambda letter: (letter.timestamp_ms, letter.offset), reverse=True)
        return total, letters[:count]

    async def one(self, topic: str, partition: int, offset: int) -> DeadLetter | None:
        tp = TopicPartition(topic, partition)
        if tp not in await self._partitions(topic):
            return None
        first, end = (await self._bounds([tp]))[tp]
        if not first <= offset < end:
            return None
        found = await self._read({tp: (offset, offset + 1)})
        return found[0] if found else None

    async def _read(self, ranges: dict[TopicPartition, tuple[int, int]]) -> list[DeadLetter]:
        """The records in each partition's [start, stop) range, within the time budget."""
        pending = {tp: span for tp, span in ranges.items() if span[0] < span[1]}
        if not pending:
            return []
        self.consumer.assign(list(pending))
        for tp, (start, _) in pending.items():
            self.consumer.seek(tp, start)
        letters: list[DeadLetter] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READ_TIMEOUT_SECONDS
        while pending and loop.time() < deadline:
            batches = await self.consumer.getmany(*pending, timeout_ms=500)
            for tp, records in batches.items():
                stop = pending[tp][1]
                letters.extend(_dead_letter(record) for record in records if record.offset < stop)
                if records and records[-1].offset >= stop - 1:
                    del pending[tp]
            for tp in list(pending):
                if await self.consumer.position(tp) >= pending[tp][1]:
                    del pending[tp]
        return letters


def _dead_letter(record: ConsumerRecord) -> DeadLetter:
    return DeadLetter(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        timestamp_ms=record.timestamp,
        key=record.key,
        value=record.value or b"",
        headers=tuple(record.headers or ()),
    )


async def replayed_at(
    connection: AsyncConnection, topic: str, letters: Sequence[DeadLetter]
) -> dict[tuple[int, int], datetime]:
    """When each of `letters` was replayed, for those that were."""
    if not letters:
        return {}
    query = sa.select(replays.c.partition, replays.c.offset, replays.c.replayed_at).where(
        replays.c.dead_letter_topic == topic,
        sa.tuple_(replays.c.partition, replays.c.offset).in_(
            [(letter.partition, letter.offset) for letter in letters]
        ),
    )
    rows = (await connection.execute(query)).all()
    return {(row.partition, row.offset): row.replayed_at for row in rows}


async def replay_counts(connection: AsyncConnection) -> dict[str, int]:
    query = sa.select(replays.c.dead_letter_topic, sa.func.count()).group_by(
        replays.c.dead_letter_topic
    )
    return {topic: int(count) for topic, count in (await connection.execute(query)).all()}


def _event_id(letter: DeadLetter) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(letter.envelope().get("event_id")))
    except ValueError:
        return None


async def replay(
    engine: AsyncEngine, messaging: Messaging, letter: DeadLetter, replayed_by: str
) -> tuple[bool, datetime]:
    """Publish `letter` to its original topic unless it was replayed before (module doc).
    Returns whether this call published it, and when it was replayed."""
    async with engine.begin() as connection:
        claimed = (
            await connection.execute(
                insert(replays)
                .values(
                    dead_letter_topic=letter.topic,
                    partition=letter.partition,
                    offset=letter.offset,
                    original_topic=letter.original_topic,
                    event_id=_event_id(letter),
                    replayed_by=replayed_by,
                )
                .on_conflict_do_nothing()
                .returning(replays.c.replayed_at)
            )
        ).scalar_one_or_none()
        if claimed is None:
            earlier = await connection.execute(
                sa.select(replays.c.replayed_at).where(
                    replays.c.dead_letter_topic == letter.topic,
                    replays.c.partition == letter.partition,
                    replays.c.offset == letter.offset,
                )
            )
            return False, earlier.scalar_one()
        await messaging.broker.publish(
            letter.value,
            topic=letter.original_topic,
            key=letter.key,
            headers=letter.replay_headers(),
        )
        messaging.metrics.produced.labels(letter.original_topic).inc()
    return True, claimed
