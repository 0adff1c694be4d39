"""The scorer's composition root: `property.enriched` and `scoring.requested` in,
`score.created` out; the production AVM held and refreshed from the model registry."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from faststream.asgi import AsgiFastStream

from services.scorer.config import ScorerConfig
from services.scorer.handlers import Scorer
from services.scorer.registry import ModelHolder
from shared import topics
from shared.events import PropertyEnriched, ScoreCreated, ScoringRequested
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.storage import ObjectStore

SERVICE = "scorer"
HTTP_PORT = 9103

log = logging.getLogger("reos.scorer.app")


def build(settings: Settings, config: ScorerConfig | None = None) -> AsgiFastStream:
    config = config or ScorerConfig()
    runtime = ServiceRuntime.create(SERVICE, settings)
    models = ModelHolder(runtime.sessions, ObjectStore(settings), config.model_refresh_seconds)
    scorer = Scorer(runtime.metrics, models, config)
    runtime.metrics.gauge(
        "model_age_seconds", "Seconds since the production AVM in use was trained"
    ).set_function(models.age_seconds)
    watching: list[asyncio.Task[None]] = []

    async def hold_the_production_model() -> None:
        # Loaded before the first message is consumed; a promotion reaches the service
        # within `model_refresh_seconds`, without a restart. A model that cannot be
        # loaded is reported and tried again; meanwhile scores say they have no value.
        try:
            await models.refresh()
        except Exception:
            log.exception("could not load the production AVM; scoring without a valuation")
        watching.append(asyncio.get_running_loop().create_task(models.watch()))

    async def stop_watching() -> None:
        for task in watching:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    runtime.batch_subscriber(
        topics.PROPERTY_ENRICHED,
        PropertyEnriched,
        scorer.on_enriched_batch,
        scorer.on_enriched,
        max_records=config.batch_size,
        consumers=config.batch_consumers,
    )

    @runtime.messaging.subscriber(topics.SCORING_REQUESTED)
    async def on_scoring_requested(event: ScoringRequested) -> None:
        await runtime.processor.once(event, scorer.on_request)

    runtime.messaging.declares(ScoreCreated)
    return runtime.asgi_app(
        description="Values enriched properties with the production AVM (estimate, P10-P90 "
        "band, comparables, SHAP contributions), estimates rent and returns under stated "
        "assumptions, and scores investment, risk and overall with every component.",
        on_startup=[hold_the_production_model],
        on_shutdown=[stop_watching],
    )
