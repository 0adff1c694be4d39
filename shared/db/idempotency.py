"""The processed-event record that makes a redelivered event change nothing."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.tables import processed_events


async def claim(
    session: AsyncSession, service: str, events: list[tuple[uuid.UUID, str]]
) -> set[uuid.UUID]:
    """Claim `(event_id, topic)` pairs for `service` inside the caller's transaction;
    returns the ids this transaction is the first to process.

    A concurrent claim of the same event waits on the primary key until this transaction
    ends, so two consumers can never both process one event.
    """
    if not events:
        return set()
    # One cached statement with many parameter sets (not a new multi-row INSERT per batch).
    result = await session.execute(
        insert(processed_events).on_conflict_do_nothing().returning(processed_events.c.event_id),
        [{"service": service, "event_id": eid, "topic": topic} for eid, topic in events],
    )
    return set(result.scalars())


async def record_outputs(
    session: AsyncSession, service: str, outputs: dict[uuid.UUID, list[dict[str, Any]]]
) -> None:
    if not outputs:
        return
    await session.execute(
        update(processed_events)
        .where(
            processed_events.c.service == bindparam("b_service"),
            processed_events.c.event_id == bindparam("b_event_id"),
        )
        .values(outputs=bindparam("b_outputs")),
        [
            {"b_service": service, "b_event_id": eid, "b_outputs": items}
            for eid, items in outputs.items()
        ],
    )


async def recorded_outputs(
    session: AsyncSession, service: str, event_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    if not event_ids:
        return {}
    rows = await session.execute(
        select(processed_events.c.event_id, processed_events.c.outputs).where(
            processed_events.c.service == service, processed_events.c.event_id.in_(event_ids)
        )
    )
    return {eid: list(outputs) for eid, outputs in rows}
