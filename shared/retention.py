"""Pruning the processed-event records.

A record only matters while its event can still be delivered again, that is while the
topic keeps the message (Kafka's `retention.ms`, 7 days by default). Older records are
deleted in small batches so the pruning never holds long locks on a busy table.

    python -m shared.retention --days 8
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.session import create_engine
from shared.db.tables import processed_events
from shared.settings import get_settings

BATCH_ROWS = 10_000


async def prune_processed_events(engine: AsyncEngine, older_than: datetime) -> int:
    """Delete the records processed before `older_than`; returns how many went."""
    table = processed_events
    oldest = (
        sa.select(table.c.service, table.c.event_id)
        .where(table.c.processed_at < older_than)
        .limit(BATCH_ROWS)
        .cte("oldest")
    )
    statement = sa.delete(table).where(
        sa.tuple_(table.c.service, table.c.event_id).in_(
            sa.select(oldest.c.service, oldest.c.event_id)
        )
    )
    deleted = 0
    while True:
        async with engine.begin() as connection:
            batch = (await connection.execute(statement)).rowcount
        deleted += batch
        if batch < BATCH_ROWS:
            return deleted


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.retention", description=__doc__)
    parser.add_argument(
        "--days", type=float, default=8.0, help="keep records younger than this (default 8)"
    )
    args = parser.parse_args(argv)
    cutoff = datetime.now(UTC) - timedelta(days=args.days)

    async def run() -> int:
        engine = create_engine(get_settings(), application_name="reos-retention")
        try:
            return await prune_processed_events(engine, cutoff)
        finally:
            await engine.dispose()

    deleted = asyncio.run(run())
    print(f"processed_events: {deleted} records older than {cutoff:%Y-%m-%d %H:%M} UTC deleted")


if __name__ == "__main__":
    main()
