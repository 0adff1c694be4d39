"""What the enricher does with each event: short handlers over the pure logic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.enricher import store
from services.enricher.enrich import UnusableListing, enrich_listing
from services.enricher.quality import measure
from services.enricher.reference import ReferenceData
from shared.events import (
    EnrichmentRequested,
    Event,
    PropertyEnriched,
    PropertyFacts,
    ProspectNew,
    derived_event_id,
)
from shared.messaging import PoisonMessage
from shared.observability import ServiceMetrics
from shared.storage import ObjectStore


@dataclass
class Enricher:
    reference: ReferenceData
    archive: ObjectStore
    metrics: ServiceMetrics
    sessions: async_sessionmaker

    def __post_init__(self) -> None:
        self.enriched = self.metrics.counter(
            "properties_enriched_total", "Properties written or updated", ["source"]
        )
        self.rejected = self.metrics.counter(
            "listings_rejected_total", "Listings that could not become a property", ["reason"]
        )

    async def on_prospect(self, session: AsyncSession, event: ProspectNew) -> list[Event]:
        return await self._enrich(
            session,
            event,
            event.prospect_id,
            event.source,
            event.source_id,
            event.payload,
            dag_id="scrape_listings",
        )

    async def on_request(self, session: AsyncSession, event: EnrichmentRequested) -> list[Event]:
        prospect = await store.load_prospect(session, event.prospect_id)
        if prospect is None:
            raise PoisonMessage(f"prospect {event.prospect_id} does not exist")
        return await self._enrich(
            session,
            event,
            prospect["id"],
            prospect["source"],
            prospect["source_id"],
            prospect["payload"],
            dag_id=store.PIPELINE_ID,
        )

    async def _enrich(
        self,
        session: AsyncSession,
        event: Event,
        prospect_id: int,
        source: str,
        source_id: str,
        payload: dict[str, Any],
        *,
        dag_id: str,
    ) -> list[Event]:
        started_at = datetime.now(UTC)
        await self.archive.aput(
            f"raw/prospects/{source}/{source_id}/{event.event_id}.json",
            event.model_dump_json().encode(),
            "application/json",
        )
        try:
            enriched = enrich_listing(payload, source, self.reference)
        except UnusableListing as error:
            self.rejected.labels(type(error).__name__).inc()
            await self._record_rejection(
                source_event_id=event.event_id,
                run_id=event.run_id,
                dag_id=dag_id,
                prospect_id=prospect_id,
                started_at=started_at,
                error=str(error),
            )
            raise PoisonMessage(
                f"prospect {prospect_id} ({source}:{source_id}): {error}"
            ) from error
        property_id = await store.upsert_property(session, enriched, prospect_id, event.run_id)
        await store.record_quality(session, property_id, measure(enriched.columns), event.run_id)
        await store.record_job(
            session,
            source_event_id=event.event_id,
            run_id=event.run_id,
            dag_id=dag_id,
            property_id=property_id,
            prospect_id=prospect_id,
            status="success",
            started_at=started_at,
            data_sources_used=[item["name"] for item in enriched.enrichment_sources],
            fields_enriched=enriched.fields_enriched,
        )
        self.enriched.labels(source).inc()
        return [
            PropertyEnriched(
                event_id=derived_event_id("enricher", event.event_id),
                run_id=event.run_id,
                property_id=property_id,
                prospect_id=prospect_id,
                property_key=enriched.property_key,
                facts=PropertyFacts(**enriched.columns),
                enrichment=enriched.enrichment_data,
            )
        ]

    async def _record_rejection(
        self,
        *,
        source_event_id: Any,
        run_id: str | None,
        dag_id: str,
        prospect_id: int,
        started_at: datetime,
        error: str,
    ) -> None:
        """Keep the failed job row although the event's own transaction rolls back."""
        async with self.sessions() as session, session.begin():
            await store.record_job(
                session,
                source_event_id=source_event_id,
                run_id=run_id,
                dag_id=dag_id,
                property_id=None,
                prospect_id=prospect_id,
                status="failed",
                started_at=started_at,
                error_log=error,
            )
