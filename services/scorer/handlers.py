"""What the scorer does with each event: value, rent, returns and scores for a batch of
properties (`appraisal`), one write per table, one `score.created` per property."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.scorer import store
from services.scorer.appraisal import Appraisal, appraise, home_of
from services.scorer.avm import Valuation
from services.scorer.config import ScorerConfig
from services.scorer.registry import ModelHolder
from shared.events import (
    Event,
    PropertyEnriched,
    RentFigure,
    ScoreCreated,
    ScoringRequested,
    derived_event_id,
)
from shared.messaging import PoisonMessage
from shared.observability import ServiceMetrics

INFERENCE_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5)
SCORE_BUCKETS = tuple(float(edge) for edge in range(10, 101, 10))


@dataclass
class Scorer:
    metrics: ServiceMetrics
    models: ModelHolder
    config: ScorerConfig

    def __post_init__(self) -> None:
        self.assumptions = self.config.assumptions()
        self.inference = self.metrics.histogram(
            "model_inference_seconds",
            "Time to value one batch of properties with the AVM",
            ["model_version"],
            INFERENCE_BUCKETS,
        )
        self.created = self.metrics.counter(
            "scores_created_total", "Scores written", ["model_version"]
        )
        self.overall = self.metrics.histogram(
            "overall_score",
            "Overall score (0-100) of each score written",
            buckets=SCORE_BUCKETS,
        )
        self.unvalued = self.metrics.counter(
            "properties_unvalued_total", "Properties the AVM could not value", ["reason"]
        )

    async def on_enriched(self, session: AsyncSession, event: PropertyEnriched) -> list[Event]:
        return (await self.on_enriched_batch(session, [event]))[event.event_id]

    async def on_enriched_batch(
        self, session: AsyncSession, events: list[PropertyEnriched]
    ) -> dict[uuid.UUID, list[Event]]:
        await store.remember_properties(session, events)
        subjects = [
            store.Subject(event.property_id, event.prospect_id, event.listing, event.enrichment)
            for event in events
        ]
        return await self._score_all(session, list(zip(events, subjects, strict=True)))

    async def on_request(self, session: AsyncSession, event: ScoringRequested) -> list[Event]:
        subject = await store.load_subject(session, event.property_id)
        if subject is None:
            raise PoisonMessage(f"property {event.property_id} has never reached the scorer")
        return (await self._score_all(session, [(event, subject)]))[event.event_id]

    async def _score_all(
        self, session: AsyncSession, items: list[tuple[Event, store.Subject]]
    ) -> dict[uuid.UUID, list[Event]]:
        started_at = datetime.now(UTC)
        as_of = self.config.as_of()
        subjects = [subject for _, subject in items]
        valuations = await self._value(subjects)
        rentals = await store.rentals_in(
            session,
            {subject.listing.zip_code for subject in subjects if subject.listing.zip_code},
            self.config.rental_comparables_per_zip,
        )
        appraisals = [
            appraise(
                subject.listing,
                subject.enrichment,
                valuation,
                rentals.get(subject.listing.zip_code or "", []),
                as_of,
                self.assumptions,
            )
            for subject, valuation in zip(subjects, valuations, strict=True)
        ]
        score_ids = await store.save_scores(
            session,
            [
                (subject.property_id, appraisal, event.run_id)
                for (event, subject), appraisal in zip(items, appraisals, strict=True)
            ],
        )
        await store.record_jobs(
            session,
            [
                {
                    "dag_run_id": event.run_id,
                    "property_id": subject.property_id,
                    "score_id": score_id,
                    "model_version": appraisal.model_version,
                    "status": "success",
                    "source_event_id": event.event_id,
                    "started_at": started_at,
                    "completed_at": max(datetime.now(UTC), started_at),
                }
                for (event, subject), appraisal, score_id in zip(
                    items, appraisals, score_ids, strict=True
                )
            ],
        )
        outputs: dict[uuid.UUID, list[Event]] = {}
        for (event, subject), appraisal, score_id in zip(items, appraisals, score_ids, strict=True):
            self.created.labels(appraisal.model_version).inc()
            self.overall.observe(appraisal.scores.overall_score)
            outputs[event.event_id] = [score_created(event, subject, appraisal, score_id)]
        return outputs

    async def _value(self, subjects: list[store.Subject]) -> list[Valuation | None]:
        """The production AVM's valuations, or none while no model is in production."""
        valuer = self.models.current
        if valuer is None:
            self.unvalued.labels("no_model").inc(len(subjects))
            return [None] * len(subjects)
        homes = [home_of(subject.listing) for subject in subjects]
        started = time.perf_counter()
        valuations = await asyncio.to_thread(valuer.value, homes, self.config.as_of())
        self.inference.labels(valuer.version).observe(time.perf_counter() - started)
        for valuation in valuations:
            if valuation.estimated_value is None:
                self.unvalued.labels("not_valuable").inc()
        return list(valuations)


def score_created(
    event: Event, subject: store.Subject, appraisal: Appraisal, score_id: int
) -> ScoreCreated:
    """The event of a written score, from the same JSON figures as its row."""
    valuation, rent = appraisal.valuation, appraisal.rent
    return ScoreCreated(
        event_id=derived_event_id("scorer", event.event_id),
        run_id=event.run_id,
        score_id=score_id,
        property_id=subject.property_id,
        prospect_id=subject.prospect_id,
        model_version=appraisal.model_version,
        overall_score=appraisal.scores.overall_score,
        investment_score=appraisal.scores.investment_score,
        risk_score=appraisal.scores.risk_score,
        roi_estimate=appraisal.roi_estimate,
        valuation=None
        if valuation is None
        else {
            "model_version": valuation.model_version,
            "estimated_value": valuation.estimated_value,
            "value_low": valuation.value_low,
            "value_high": valuation.value_high,
            "reason": valuation.reason,
            "comparables": appraisal.comparables,
            "baseline_value": valuation.baseline_value,
            "contributions": appraisal.components["valuation"]["shap_contributions"],
        },
        rent=None
        if rent is None
        else RentFigure(monthly_rent=rent.monthly_rent, low=rent.low, high=rent.high),
        returns=appraisal.components["returns"],
    )
