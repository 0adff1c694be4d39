"""What the scorer does with each event."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.scorer import store
from services.scorer.transparent import score
from shared.events import (
    Event,
    PropertyEnriched,
    ScoreCreated,
    ScoringRequested,
    derived_event_id,
)
from shared.messaging import PoisonMessage
from shared.observability import ServiceMetrics


@dataclass
class Scorer:
    metrics: ServiceMetrics

    def __post_init__(self) -> None:
        self.inference = self.metrics.histogram(
            "model_inference_seconds", "Time to score one property", ["model_version"]
        )
        self.created = self.metrics.counter(
            "scores_created_total", "Scores written", ["model_version"]
        )

    async def on_enriched(self, session: AsyncSession, event: PropertyEnriched) -> list[Event]:
        facts = event.facts.model_dump()
        return await self._score(
            session, event, event.property_id, event.prospect_id, facts, event.enrichment
        )

    async def on_request(self, session: AsyncSession, event: ScoringRequested) -> list[Event]:
        found = await store.load_property(session, event.property_id)
        if found is None:
            raise PoisonMessage(f"property {event.property_id} does not exist")
        return await self._score(
            session, event, found["id"], found["prospect_id"], found, found["enrichment_data"]
        )

    async def _score(
        self,
        session: AsyncSession,
        event: Event,
        property_id: int,
        prospect_id: int | None,
        facts: dict[str, Any],
        enrichment: dict[str, Any],
    ) -> list[Event]:
        started = time.perf_counter()
        result = score(facts, enrichment)
        self.inference.labels(result.model_version).observe(time.perf_counter() - started)
        score_id = await store.save_score(session, property_id, result, event.run_id)
        self.created.labels(result.model_version).inc()
        return [
            ScoreCreated(
                event_id=derived_event_id("scorer", event.event_id),
                run_id=event.run_id,
                score_id=score_id,
                property_id=property_id,
                prospect_id=prospect_id,
                model_version=result.model_version,
                overall_score=result.overall_score,
                investment_score=result.investment_score,
                risk_score=result.risk_score,
                roi_estimate=result.roi_estimate,
            )
        ]
