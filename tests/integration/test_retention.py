"""Pruning processed-event records deletes the old ones and keeps the recent ones."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from shared.db.tables import processed_events
from shared.retention import prune_processed_events

pytestmark = pytest.mark.stack


async def test_records_older_than_the_cutoff_are_deleted_and_newer_ones_kept(engine) -> None:
    service = f"retention-test-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    old = [uuid.uuid4() for _ in range(25)]
    recent = [uuid.uuid4() for _ in range(5)]
    async with engine.begin() as connection:
        await connection.execute(
            sa.insert(processed_events),
            [
                {"service": service, "event_id": event_id, "topic": "t", "processed_at": when}
                for ids, when in ((old, now - timedelta(days=10)), (recent, now))
                for event_id in ids
            ],
        )
    deleted = await prune_processed_events(engine, now - timedelta(days=8))
    assert deleted >= 25
    async with engine.connect() as connection:
        left = set(
            (
                await connection.execute(
                    sa.select(processed_events.c.event_id).where(
                        processed_events.c.service == service
                    )
                )
            ).scalars()
        )
    assert left == set(recent)
