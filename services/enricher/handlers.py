"""What the enricher does with each event: short handlers over the pure logic.

One core, `_enrich_all`, serves a single event and a batch alike: it archives the raw
prospects, enriches them, and writes properties, quality measures and job rows with one
statement per table.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.enricher import store
from services.enricher.enrich import EnrichedProperty, UnusableListing, enrich_listing
from services.enricher.quality import measure
from services.enricher.reference import ReferenceData
from shared.events import (
    EnrichmentRequested,
    Event,
    PropertyEnriched,
    ProspectNew,
    derived_event_id,
)
from shared.listing import Listing, listing_from_payload
from shared.messaging import PoisonMessage
from shared.observability import ServiceMetrics
from shared.storage import ObjectStore


@dataclass(frozen=True)
class Prospect:
    """One prospect to enrich, with the event that asked for it."""

    event: Event
    prospect_id: int
    listing: Listing
    dag_id: str

    @property
    def source(self) -> str:
        return self.listing.source

    @property
    def source_id(self) -> str:
        return self.listing.source_id


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
        return await self._enrich_one(session, self._prospect(event))

    async def on_prospects(
        self, session: AsyncSession, events: list[ProspectNew]
    ) -> dict[uuid.UUID, list[Event]]:
        return await self._enrich_all(session, [self._prospect(event) for event in events])

    async def on_request(self, session: AsyncSession, event: EnrichmentRequested) -> list[Event]:
        prospect = await store.load_prospect(session, event.prospect_id)
        if prospect is None:
            raise PoisonMessage(f"prospect {event.prospect_id} does not exist")
        try:
            listing = listing_from_payload(
                prospect["payload"], prospect["source"], prospect["source_id"], prospect["url"]
            )
        except ValueError as error:
            raise PoisonMessage(
                f"prospect {event.prospect_id} holds no listing: {error}"
            ) from error
        return await self._enrich_one(
            session, Prospect(event, prospect["id"], listing, store.PIPELINE_ID)
        )

    @staticmethod
    def _prospect(event: ProspectNew) -> Prospect:
        return Prospect(event, event.prospect_id, event.listing, "scrape_listings")

    async def _enrich_one(self, session: AsyncSession, listing: Prospect) -> list[Event]:
        try:
            outputs = await self._enrich_all(session, [listing])
        except UnusableListing as error:
            await self._record_rejection(listing, str(error))
            raise PoisonMessage(
                f"prospect {listing.prospect_id} ({listing.source}:{listing.source_id}): {error}"
            ) from error
        return outputs[listing.event.event_id]

    async def _enrich_all(
        self, session: AsyncSession, listings: list[Prospect]
    ) -> dict[uuid.UUID, list[Event]]:
        """Raises `UnusableListing` for the first listing that cannot become a property."""
        started_at = datetime.now(UTC)
        await self._archive(listings)
        enriched: list[tuple[Prospect, EnrichedProperty]] = []
        for listing in listings:
            try:
                enriched.append((listing, enrich_listing(listing.listing, self.reference)))
            except UnusableListing:
                self.rejected.labels("unusable_listing").inc()
                raise
        ids = await store.upsert_properties(
            session,
            [
                {
                    **result.columns,
                    "property_key": result.property_key,
                    "prospect_id": listing.prospect_id,
                    "enrichment_data": result.enrichment_data,
                    "enrichment_sources": result.enrichment_sources,
                    "dag_run_id": listing.event.run_id,
                }
                for listing, result in enriched
            ],
        )
        await store.record_quality(
            session,
            [
                {
                    "metric_type": m.metric_type,
                    "metric_name": m.metric_name,
                    "value": m.value,
                    "threshold": m.threshold,
                    "is_passing": m.is_passing,
                    "entity_type": "property",
                    "entity_id": str(ids[result.property_key]),
                    "details": m.details,
                    "dag_run_id": listing.event.run_id,
                }
                for listing, result in enriched
                for m in measure(result.columns)
            ],
        )
        await store.record_jobs(
            session,
            [
                {
                    **self._job(listing, started_at, "success"),
                    "property_id": ids[result.property_key],
                    "data_sources_used": [item["name"] for item in result.enrichment_sources],
                    "fields_enriched": result.fields_enriched,
                }
                for listing, result in enriched
            ],
        )
        for listing, _ in enriched:
            self.enriched.labels(listing.source).inc()
        return {
            listing.event.event_id: [
                PropertyEnriched(
                    event_id=derived_event_id("enricher", listing.event.event_id),
                    run_id=listing.event.run_id,
                    property_id=ids[result.property_key],
                    prospect_id=listing.prospect_id,
                    property_key=result.property_key,
                    address=result.columns["address"],
                    listing=result.listing,
                    enrichment=result.enrichment_data,
                )
            ]
            for listing, result in enriched
        }

    @staticmethod
    def _job(listing: Prospect, started_at: datetime, status: str) -> dict[str, Any]:
        return {
            "dag_id": listing.dag_id,
            "dag_run_id": listing.event.run_id,
            "prospect_id": listing.prospect_id,
            "status": status,
            "source_event_id": listing.event.event_id,
            "started_at": started_at,
            "completed_at": func.greatest(func.now(), started_at),
        }

    async def _archive(self, listings: list[Prospect]) -> None:
        """The raw events, as received, in one JSON-lines object per batch: written before
        anything else, keyed by the events it holds, so a redelivered batch rewrites it."""
        lines = [listing.event.model_dump_json() for listing in listings]
        digest = hashlib.sha256(
            json.dumps(sorted(str(listing.event.event_id) for listing in listings)).encode()
        ).hexdigest()
        day = datetime.now(UTC).strftime("%Y/%m/%d")
        await self.archive.aput(
            f"raw/prospects/{day}/{digest}.jsonl",
            ("\n".join(lines) + "\n").encode(),
            "application/x-ndjson",
        )

    async def _record_rejection(self, listing: Prospect, error: str) -> None:
        """Keep the failed job row although the event's own transaction rolls back."""
        async with self.sessions() as session, session.begin():
            await store.record_jobs(
                session, [{**self._job(listing, datetime.now(UTC), "failed"), "error_log": error}]
            )
