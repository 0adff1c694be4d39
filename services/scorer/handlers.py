"""What the scorer does with each event."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
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
        return (await self.on_enriched_batch(session, [event]))[event.event_id]

    async def on_enriched_batch(
        self, session: AsyncSession, events: list[PropertyEnriched]
    ) -> dict[uuid.UUID, list[Event]]:
        return await self._score_all(
            session,
            [
                (
                    event,
                    event.property_id,
                    event.prospect_id,
                    event.listing.model_dump(),
                    event.enrichment,
                )
                for event in events
            ],
        )

    async def on_request(self, session: AsyncSession, event: ScoringRequested) -> list[Event]:
        found = await store.load_property(session, event.property_id)
        if found is None:
            raise PoisonMessage(f"property {event.property_id} does not exist")
        outputs = await self._score_all(
            session,
            [(event, found["id"], found["prospect_id"], found, found["enrichment_data"])],
        )
        return outputs[event.event_id]

    async def _score_all(
        self,
        session: AsyncSession,
        items: list[tuple[Event, int, int | None, dict[str, Any], dict[str, Any]]],
    ) -> dict[uuid.UUID, list[Event]]:
        """Score each `(event, property_id, prospect_id, facts, enrichment)`, one write."""
        started_at = datetime.now(UTC)
        results = []
        for _, _, _, facts, enrichment in items:
            started = time.perf_counter()
            result = score(facts, enrichment)
            self.inference.labels(result.model_version).observe(time.perf_counter() - started)
            results.append(result)
        score_ids = await store.save_scores(
            session,
            [
                (item[1], result, item[0].run_id)
                for item, result in zip(items, results, strict=True)
            ],
        )
        await store.record_jobs(
            session,
            [
                {
                    "dag_run_id": event.run_id,
                    "property_id": property_id,
                    "score_id": score_id,
                    "model_version": result.model_version,
                    "status": "success",
                    "source_event_id": event.event_id,
                    "started_at": started_at,
                    "completed_at": func.greatest(func.now(), started_at),
                }
                for (event, property_id, _, _, _), result, score_id in zip(
                    items, results, score_ids, strict=True
                )
            ],
        )
        outputs: dict[uuid.UUID, list[Event]] = {}
        for (event, property_id, prospect_id, _, _), result, score_id in zip(
            items, results, score_ids, strict=True
        ):
            self.created.labels(result.model_version).inc()
            outputs[event.event_id] = [
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
        return outputs
