"""The scraper's event handlers besides the crawl itself.

Following a prospect downstream: its `prospect_queue.status` moves forward as the
enricher, the scorer or the dead-letter topic report on it. Cancelling crawls: a
`scrape.cancel_requested` marks the named running jobs cancelled, and their crawls stop.
These run inside the exactly-once processor (a batch of events, or one) and publish
nothing.

Firing a schedule's tick: the tick is claimed and its request published in one
transaction, so that only one replica publishes it.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from typing import Any, ClassVar, Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scraper import SERVICE, store
from services.scraper.schedules import Schedule
from shared import topics
from shared.events import (
    Event,
    PropertyEnriched,
    ScoreCreated,
    ScrapeCancelRequested,
    ScrapeRequested,
    derived_event_id,
)
from shared.messaging import Messaging

# A status only moves forward: a late or replayed event never undoes a later stage.
ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "enriched": ("new", "processing"),
    "scored": ("new", "processing", "enriched"),
    "failed": ("new", "processing"),
}

log = logging.getLogger("reos.scraper.handlers")


class DeadLetteredProspect(Event):
    """A `prospect.new` message that its consumer gave up on, as found on the DLQ."""

    TOPIC: ClassVar[str] = topics.dlq(topics.PROSPECT_NEW)
    event_type: Literal["prospect.new.dlq"] = "prospect.new.dlq"
    prospect_id: int | None = None
    error: str | None = None


def dead_lettered_prospect(
    body: bytes, partition: int, offset: int, error: str | None
) -> DeadLetteredProspect:
    """The dead-lettered message, whatever its shape: its prospect id when it has one.

    Its identity is its place on the DLQ, so each dead-lettering counts once.
    """
    data: Any
    try:
        data = json.loads(body)
    except (ValueError, TypeError):
        data = None
    prospect_id = data.get("prospect_id") if isinstance(data, dict) else None
    run_id = data.get("run_id") if isinstance(data, dict) else None
    return DeadLetteredProspect(
        event_id=derived_event_id(SERVICE, DeadLetteredProspect.TOPIC, partition, offset),
        run_id=run_id if isinstance(run_id, str) else None,
        prospect_id=_integer(prospect_id),
        error=error,
    )


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


async def mark_enriched(
    session: AsyncSession, events: list[PropertyEnriched]
) -> dict[uuid.UUID, list[Event]]:
    return await _mark(session, events, "enriched")


async def mark_scored(
    session: AsyncSession, events: list[ScoreCreated]
) -> dict[uuid.UUID, list[Event]]:
    return await _mark(session, events, "scored")


async def mark_enriched_one(session: AsyncSession, event: PropertyEnriched) -> list[Event]:
    return (await mark_enriched(session, [event]))[event.event_id]


async def mark_scored_one(session: AsyncSession, event: ScoreCreated) -> list[Event]:
    return (await mark_scored(session, [event]))[event.event_id]


async def mark_failed(session: AsyncSession, event: DeadLetteredProspect) -> list[Event]:
    if event.prospect_id is None:
        log.warning(
            "dead-lettered prospect message names no prospect", extra={"error": event.error}
        )
        return []
    await store.advance_prospects(session, [event.prospect_id], "failed", ALLOWED_FROM["failed"])
    return []


async def cancel_crawls(session: AsyncSession, event: ScrapeCancelRequested) -> list[Event]:
    cancelled = await store.cancel_jobs(
        session, job_id=event.job_id, run_id=event.run_id, reason=event.reason
    )
    log.info(
        "scraping jobs cancelled" if cancelled else "no running scraping job to cancel",
        extra={"job_ids": cancelled, "job_id": event.job_id, "reason": event.reason},
    )
    return []


async def fire_tick(
    sessions: async_sessionmaker,
    messaging: Messaging,
    schedule: Schedule,
    tick: datetime,
    request: ScrapeRequested,
) -> bool:
    """Claim the tick and publish its request; False when another replica claimed it. A
    request that cannot be published leaves the tick unclaimed, for this or another
    replica to fire."""
    async with sessions() as session, session.begin():
        if not await store.claim_tick(session, schedule.name, tick, request):
            return False
        await messaging.publish(request)
    return True


async def _mark(
    session: AsyncSession, events: list[PropertyEnriched] | list[ScoreCreated], status: str
) -> dict[uuid.UUID, list[Event]]:
    """Move the prospects behind `events` to `status`, one statement for them all."""
    unknown = [event.property_id for event in events if event.prospect_id is None]
    found = await store.prospects_of_properties(session, unknown)
    prospect_ids = [event.prospect_id or found.get(event.property_id) for event in events]
    await store.advance_prospects(
        session, [pid for pid in prospect_ids if pid is not None], status, ALLOWED_FROM[status]
    )
    return {event.event_id: [] for event in events}
