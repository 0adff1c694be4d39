"""Exactly-once effect for at-least-once delivery.

`EventProcessor.once` runs a handler and records the event as processed in the same
database transaction, together with the events the handler wants published. Those
are published only after the commit. A redelivered event (the broker's at-least-once
promise, or a crash between commit and publish) is answered by re-publishing the
recorded outputs, whose event ids are the same, so nothing downstream changes either.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.idempotency import claim, record_outputs, recorded_outputs
from shared.events import EVENT_TYPES, Event
from shared.messaging import Messaging

E = TypeVar("E", bound=Event)
Handler = Callable[[AsyncSession, E], Awaitable[list[Event]]]


class EventProcessor:
    def __init__(self, service: str, sessions: async_sessionmaker, messaging: Messaging) -> None:
        self.service = service
        self.sessions = sessions
        self.messaging = messaging

    async def once(self, event: E, handle: Handler[E]) -> list[Event]:
        async with self.sessions() as session, session.begin():
            if await claim(session, self.service, event.event_id, event.TOPIC):
                outputs = await handle(session, event)
                await record_outputs(
                    session,
                    self.service,
                    event.event_id,
                    [{"topic": out.TOPIC, "event": out.model_dump(mode="json")} for out in outputs],
                )
            else:
                self.messaging.metrics.redelivered.labels(event.TOPIC).inc()
                outputs = [
                    EVENT_TYPES[item["topic"]].model_validate(item["event"])
                    for item in await recorded_outputs(session, self.service, event.event_id)
                ]
        await self.messaging.publish_many(outputs)
        return outputs
