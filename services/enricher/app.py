"""The enricher's composition root: `prospect.new` and `enrichment.requested` in,
`property.enriched` out."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from services.enricher.handlers import Enricher
from services.enricher.reference import ReferenceData
from shared import topics
from shared.events import EnrichmentRequested, PropertyEnriched, ProspectNew
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.storage import ObjectStore

SERVICE = "enricher"
HTTP_PORT = 9102


def build(settings: Settings) -> AsgiFastStream:
    runtime = ServiceRuntime.create(SERVICE, settings)
    archive = ObjectStore(settings)
    runtime.health.checks["storage"] = archive.acheck
    enricher = Enricher(
        reference=ReferenceData.load(settings.data_dir),
        archive=archive,
        metrics=runtime.metrics,
        sessions=runtime.sessions,
    )

    runtime.batch_subscriber(
        topics.PROSPECT_NEW, ProspectNew, enricher.on_prospects, enricher.on_prospect
    )

    @runtime.messaging.subscriber(topics.ENRICHMENT_REQUESTED)
    async def on_enrichment_requested(event: EnrichmentRequested) -> None:
        await runtime.processor.once(event, enricher.on_request)

    runtime.messaging.declares(PropertyEnriched)
    return runtime.asgi_app(
        description="Normalises scraped listings into properties and adds ZIP-level "
        "location and Census data; archives every raw prospect to object storage."
    )
