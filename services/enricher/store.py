"""The enricher's tables: properties, enrichment_jobs, data_quality_metrics.

Every write takes many rows at once, so a batch of events costs one statement per table.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.tables import data_quality_metrics, enrichment_jobs, properties, prospect_queue

PIPELINE_ID = "enrichment_property"
QUALITY_UPDATES = ("value", "threshold", "is_passing", "details", "dag_run_id")


async def upsert_properties(session: AsyncSession, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert or update properties by `property_key`; returns the id of each key.

    When one batch holds the same home twice, the later row wins (PostgreSQL refuses to
    update one row twice in a statement).
    """
    by_key = {row["property_key"]: row for row in rows}
    statement = insert(properties).values(list(by_key.values()))
    columns = next(iter(by_key.values())).keys()
    update = {name: statement.excluded[name] for name in columns if name != "property_key"}
    update["updated_at"] = func.now()
    result = await session.execute(
        statement.on_conflict_do_update(index_elements=["property_key"], set_=update).returning(
            properties.c.property_key, properties.c.id
        )
    )
    return {key: int(property_id) for key, property_id in result}


async def record_jobs(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Job rows, one per consumed event; a redelivered event's row is already there."""
    statement = insert(enrichment_jobs).values(
        [{"enrichment_type": "property_data", **row} for row in rows]
    )
    await session.execute(
        statement.on_conflict_do_nothing(index_elements=["source_event_id", "enrichment_type"])
    )


async def record_quality(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    unique = {
        (row["metric_type"], row["metric_name"], row["entity_type"], row["entity_id"]): row
        for row in rows
    }
    statement = insert(data_quality_metrics).values(list(unique.values()))
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["metric_type", "metric_name", "entity_type", "entity_id"],
            set_={name: statement.excluded[name] for name in QUALITY_UPDATES}
            | {"measured_at": func.now()},
        )
    )


async def load_prospect(session: AsyncSession, prospect_id: int) -> dict[str, Any] | None:
    row = await session.execute(
        select(
            prospect_queue.c.id,
            prospect_queue.c.source,
            prospect_queue.c.source_id,
            prospect_queue.c.url,
            prospect_queue.c.payload,
        ).where(prospect_queue.c.id == prospect_id)
    )
    found = row.mappings().one_or_none()
    return dict(found) if found else None
