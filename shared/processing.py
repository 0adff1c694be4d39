"""Exactly-once effect for at-least-once delivery.

`EventProcessor.once` runs a handler and records the event as processed in the same
database transaction, together with the events the handler wants published. Those
are published only after the commit. A redelivered event (the broker's at-least-once
promise, or a crash between commit and publish) is answered by re-publishing the
recorded outputs, whose event ids are the same, so nothing downstream changes either.

`EventProcessor.consume_batch` does the same for a batch of Kafka records in one
transaction, which is what makes a busy stage fast: records that are not valid events
are dead-lettered first, and if the batch as a whole fails for any reason other than
an outage, its events are processed again one by one under the usual retry and
dead-letter policy, so one bad message never holds the others back.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import orjson
import pydantic
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.idempotency import claim, record_outputs, recorded_outputs
from shared.events import EVENT_TYPES, Event
from shared.messaging import Messaging, is_transient

log = logging.getLogger("reos.processing")

BATCH_DURATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.35, 0.5, 0.75, 1, 2.5, 5, 10)
"""Fine between 100 and 500 ms, where a batch's latency target lies."""

E = TypeVar("E", bound=Event)
Handler = Callable[[AsyncSession, E], Awaitable[list[Event]]]
BatchHandler = Callable[[AsyncSession, list[E]], Awaitable[dict[uuid.UUID, list[Event]]]]


Serialized = list[tuple[Event, bytes]]
"""Events with their JSON: serialized once, for the record and for the topic alike."""


def _serialized(events: Sequence[Event]) -> Serialized:
    return [(event, event.body()) for event in events]


def _recorded(outputs: Serialized) -> list[dict[str, Any]]:
    return [{"topic": out.TOPIC, "event": orjson.Fragment(body)} for out, body in outputs]


def _replayed(items: list[dict[str, Any]]) -> list[Event]:
    return [EVENT_TYPES[item["topic"]].model_validate(item["event"]) for item in items]


class EventProcessor:
    def __init__(self, service: str, sessions: async_sessionmaker, messaging: Messaging) -> None:
        self.service = service
        self.sessions = sessions
        self.messaging = messaging
        metrics = messaging.metrics
        self.batch_size = metrics.histogram(
            "batch_size_messages",
            "Events processed in one transaction",
            ["topic"],
            buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000),
        )
        self.batch_duration = metrics.histogram(
            "batch_duration_seconds",
            "Time to process one batch of events",
            ["topic"],
            buckets=BATCH_DURATION_BUCKETS,
        )

    async def once(self, event: E, handle: Handler[E]) -> list[Event]:
        """Process one event (see the module doc); returns what was published."""

        async def handle_batch(
            session: AsyncSession, fresh: list[E]
        ) -> dict[uuid.UUID, list[Event]]:
            return {item.event_id: await handle(session, item) for item in fresh}

        return await self.many([event], handle_batch)

    async def many(self, events: Sequence[E], handle_batch: BatchHandler[E]) -> list[Event]:
        """Process `events` in one transaction; those processed before are answered from
        the record. Returns what was published."""
        unique = list({event.event_id: event for event in events}.values())
        async with self.sessions() as session, session.begin():
            claimed = await claim(
                session, self.service, [(event.event_id, event.TOPIC) for event in unique]
            )
            fresh = [event for event in unique if event.event_id in claimed]
            outputs = await handle_batch(session, fresh) if fresh else {}
            serialized = {eid: _serialized(outs) for eid, outs in outputs.items()}
            await record_outputs(
                session, self.service, {eid: _recorded(outs) for eid, outs in serialized.items()}
            )
            seen = [event.event_id for event in unique if event.event_id not in claimed]
            replayed = await recorded_outputs(session, self.service, seen)
        if duplicates := len(events) - len(fresh):
            self.messaging.metrics.redelivered.labels(unique[0].TOPIC).inc(duplicates)
        published = [item for outs in serialized.values() for item in outs]
        published += [item for items in replayed.values() for item in _serialized(_replayed(items))]
        await self.messaging.publish_many(
            [event for event, _ in published], [body for _, body in published]
        )
        return [event for event, _ in published]

    async def consume_batch(
        self,
        records: Sequence[Any],
        event_type: type[E],
        handle_batch: BatchHandler[E],
        handle_one: Handler[E],
    ) -> None:
        """Validate, then process a batch of Kafka records (see the module doc)."""
        dead_letters, metrics = self.messaging.dead_letters, self.messaging.metrics
        valid: list[tuple[Any, E]] = []
        for record in records:
            try:
                valid.append((record, event_type.model_validate_json(record.value)))
            except pydantic.ValidationError as error:
                metrics.consumed.labels(record.topic).inc()
                metrics.failed.labels(record.topic, type(error).__name__).inc()
                await dead_letters.dead_letter(record, error, 1)
        if not valid:
            return
        topic = valid[0][0].topic
        started = time.perf_counter()
        try:
            await self.many([event for _, event in valid], handle_batch)
        except Exception as error:
            if is_transient(error):
                log.error(
                    "infrastructure unavailable, batch left for redelivery",
                    extra={"topic": topic, "size": len(valid), "error": repr(error)},
                )
                await asyncio.sleep(dead_letters.policy.backoff_max_seconds)
                raise
            log.warning(
                "batch failed, processing its events one by one",
                extra={"topic": topic, "size": len(valid), "error": repr(error)},
            )
            for record, event in valid:
                await dead_letters.process(
                    record,
                    lambda event=event: self.once(event, handle_one),  # type: ignore[misc]
                )
            return
        metrics.consumed.labels(topic).inc(len(valid))
        self.batch_size.labels(topic).observe(len(valid))
        self.batch_duration.labels(topic).observe(time.perf_counter() - started)
