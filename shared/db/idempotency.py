"""The processed-event record that makes a redelivered event change nothing."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.tables import processed_events


async def claim(session: AsyncSession, service: str, event_id: uuid.UUID, topic: str) -> bool:
    """Claim `event_id` for `service` inside the caller's transaction.

    True when this transaction is the first to process it. A concurrent claim of the
    same event waits on the primary key until this transaction ends, so two
    consumers can never both process one event.
    """
    result = await session.execute(
        insert(processed_events)
        .values(service=service, event_id=event_id, topic=topic)
        .on_conflict_do_nothing()
        .returning(processed_events.c.event_id)
    )
    return result.scalar_one_or_none() is not None


async def record_outputs(
    session: AsyncSession, service: str, event_id: uuid.UUID, outputs: list[dict[str, Any]]
) -> None:
    await session.execute(
        update(processed_events)
        .where(processed_events.c.service == service, processed_events.c.event_id == event_id)
        .values(outputs=outputs)
    )


async def recorded_outputs(
    session: AsyncSession, service: str, event_id: uuid.UUID
) -> list[dict[str, Any]]:
    row = await session.execute(
        select(processed_events.c.outputs).where(
            processed_events.c.service == service, processed_events.c.event_id == event_id
        )
    )
    return list(row.scalar_one())
