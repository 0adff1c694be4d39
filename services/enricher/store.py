"""The enricher's tables: properties, enrichment_jobs, data_quality_metrics."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.enricher.enrich import EnrichedProperty
from services.enricher.quality import QualityMeasure
from shared.db.tables import data_quality_metrics, enrichment_jobs, properties, prospect_queue

PIPELINE_ID = "enrichment_property"


async def upsert_property(
    session: AsyncSession, enriched: EnrichedProperty, prospect_id: int | None, run_id: str | None
) -> int:
    """Insert or update the property with this key; returns its id."""
    values = {
        **enriched.columns,
        "property_key": enriched.property_key,
        "prospect_id": prospect_id,
        "enrichment_data": enriched.enrichment_data,
        "enrichment_sources": enriched.enrichment_sources,
        "dag_run_id": run_id,
    }
    statement = insert(properties).values(**values)
    update = {name: statement.excluded[name] for name in values if name != "property_key"}
    update["updated_at"] = func.now()
    result = await session.execute(
        statement.on_conflict_do_update(index_elements=["property_key"], set_=update).returning(
            properties.c.id
        )
    )
    return int(result.scalar_one())


async def record_job(
    session: AsyncSession,
    *,
    source_event_id: uuid.UUID,
    run_id: str | None,
    dag_id: str,
    property_id: int | None,
    prospect_id: int | None,
    status: str,
    started_at: datetime,
    data_sources_used: list[str] | None = None,
    fields_enriched: list[str] | None = None,
    error_log: str | None = None,
) -> None:
    statement = insert(enrichment_jobs).values(
        dag_id=dag_id,
        dag_run_id=run_id,
        property_id=property_id,
        prospect_id=prospect_id,
        enrichment_type="property_data",
        status=status,
        data_sources_used=data_sources_used,
        fields_enriched=fields_enriched,
        error_log=error_log,
        source_event_id=source_event_id,
        started_at=started_at,
        completed_at=func.greatest(func.now(), started_at),
    )
    await session.execute(
        statement.on_conflict_do_nothing(index_elements=["source_event_id", "enrichment_type"])
    )


async def record_quality(
    session: AsyncSession, property_id: int, measures: list[QualityMeasure], run_id: str | None
) -> None:
    rows = [
        {
            "metric_type": m.metric_type,
            "metric_name": m.metric_name,
            "value": m.value,
            "threshold": m.threshold,
            "is_passing": m.is_passing,
            "entity_type": "property",
            "entity_id": str(property_id),
            "details": m.details,
            "dag_run_id": run_id,
        }
        for m in measures
    ]
    statement = insert(data_quality_metrics).values(rows)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["metric_type", "metric_name", "entity_type", "entity_id"],
            set_={
                name: statement.excluded[name]
                for name in ("value", "threshold", "is_passing", "details", "dag_run_id")
            }
            | {"measured_at": func.now()},
        )
    )


async def load_prospect(session: AsyncSession, prospect_id: int) -> dict[str, Any] | None:
    row = await session.execute(
        select(
            prospect_queue.c.id,
            prospect_queue.c.source,
            prospect_queue.c.source_id,
            prospect_queue.c.payload,
        ).where(prospect_queue.c.id == prospect_id)
    )
    found = row.mappings().one_or_none()
    return dict(found) if found else None
