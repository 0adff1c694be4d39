"""Following a prospect downstream: its `prospect_queue.status` moves forward as the
enricher, the scorer or the dead-letter topic report on it.

Each handler runs inside `EventProcessor.once` and publishes nothing.
"""

from __future__ import annotations

import json
import logging
from typing import Any, ClassVar, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from services.scraper import SERVICE, store
from shared import topics
from shared.events import Event, PropertyEnriched, ScoreCreated, derived_event_id

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

    def key(self) -> bytes:
        return str(self.prospect_id).encode()


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


async def mark_enriched(session: AsyncSession, event: PropertyEnriched) -> list[Event]:
    prospect_id = event.prospect_id or await store.prospect_of_property(session, event.property_id)
    await _advance(session, prospect_id, "enriched")
    return []


async def mark_scored(session: AsyncSession, event: ScoreCreated) -> list[Event]:
    prospect_id = event.prospect_id or await store.prospect_of_property(session, event.property_id)
    await _advance(session, prospect_id, "scored")
    return []


async def mark_failed(session: AsyncSession, event: DeadLetteredProspect) -> list[Event]:
    if event.prospect_id is None:
        log.warning(
            "dead-lettered prospect message names no prospect", extra={"error": event.error}
        )
    await _advance(session, event.prospect_id, "failed")
    return []


async def _advance(session: AsyncSession, prospect_id: int | None, status: str) -> None:
    if prospect_id is not None:
        await store.advance_prospect_status(session, prospect_id, status, ALLOWED_FROM[status])
