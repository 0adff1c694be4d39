"""The composition root of docgen: what it consumes, what it publishes, what it is made of."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from services.docgen.config import DocgenConfig
from services.docgen.handlers import SERVICE, DocgenMetrics, PacketGenerator
from services.docgen.photos import PhotoFetcher
from services.docgen.render import RenderPool
from shared import topics
from shared.events import DocgenRequested, PacketGenerated, PropertyEnriched, ScoreCreated
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.storage import ObjectStore

DEFAULT_PORT = 9104


def build(settings: Settings, config: DocgenConfig | None = None) -> AsgiFastStream:
    config = config or DocgenConfig()
    runtime = ServiceRuntime.create(SERVICE, settings)
    objects = ObjectStore(settings)
    runtime.health.checks["object_store"] = objects.acheck
    renderer = RenderPool(config.render_workers, config.page_size)
    photos = PhotoFetcher(config.photo_timeout_seconds, config.photo_max_bytes, config.fetch_photos)
    packets = PacketGenerator(renderer, objects, DocgenMetrics.register(runtime.metrics), photos)

    runtime.batch_subscriber(
        topics.PROPERTY_ENRICHED,
        PropertyEnriched,
        packets.on_property_enriched_batch,
        packets.on_property_enriched,
    )
    runtime.batch_subscriber(
        topics.SCORE_CREATED,
        ScoreCreated,
        packets.on_score_created_batch,
        packets.on_score_created,
        max_records=config.batch_size,
    )

    @runtime.messaging.subscriber(topics.DOCGEN_REQUESTED)
    async def on_docgen_requested(event: DocgenRequested) -> None:
        """Re-render packets: one property's, a list's, or the top N's."""
        await runtime.processor.once(event, packets.on_docgen_requested)

    runtime.messaging.declares(PacketGenerated)

    async def stop_rendering() -> None:
        await photos.close()
        renderer.close()

    return runtime.asgi_app(
        description="Writes investor packets (PDF: cover, summary, details, valuation with "
        "comparables and SHAP chart, financing and returns, five-year projection, "
        "neighbourhood, risks and sources) from property.enriched and score.created, stores "
        "them in object storage and records them in documents and docgen_jobs.",
        on_shutdown=[stop_rendering],
    )
