"""The scorer's composition root: `property.enriched` and `scoring.requested` in,
`score.created` out."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from services.scorer import store
from services.scorer.handlers import Scorer
from shared import topics
from shared.events import PropertyEnriched, ScoreCreated, ScoringRequested
from shared.runtime import ServiceRuntime
from shared.settings import Settings

SERVICE = "scorer"
HTTP_PORT = 9103


def build(settings: Settings) -> AsgiFastStream:
    runtime = ServiceRuntime.create(SERVICE, settings)
    scorer = Scorer(runtime.metrics)

    async def register_model() -> None:
        async with runtime.sessions() as session, session.begin():
            await store.register_model(session)

    runtime.batch_subscriber(
        topics.PROPERTY_ENRICHED, PropertyEnriched, scorer.on_enriched_batch, scorer.on_enriched
    )

    @runtime.messaging.subscriber(topics.SCORING_REQUESTED)
    async def on_scoring_requested(event: ScoringRequested) -> None:
        await runtime.processor.once(event, scorer.on_request)

    runtime.messaging.declares(ScoreCreated)
    return runtime.asgi_app(
        description="Scores enriched properties: rent estimate, cap rate, investment, "
        "risk and overall scores with every component.",
        on_startup=[register_model],
    )
