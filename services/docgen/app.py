"""The composition root of docgen: what it consumes, what it publishes, what it is made of."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from services.docgen.handlers import SERVICE, DocgenMetrics, PacketGenerator
from services.docgen.render import PacketRenderer
from shared import topics
from shared.events import DocgenRequested, PacketGenerated, ScoreCreated
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.storage import ObjectStore

DEFAULT_PORT = 9104


def build(settings: Settings) -> AsgiFastStream:
    runtime = ServiceRuntime.create(SERVICE, settings)
    objects = ObjectStore(settings)
    runtime.health.checks["object_store"] = objects.acheck
    packets = PacketGenerator(PacketRenderer(), objects, DocgenMetrics.register(runtime.metrics))

    @runtime.messaging.subscriber(topics.SCORE_CREATED)
    async def on_score_created(event: ScoreCreated) -> None:
        """Write up every new score as a packet."""
        await runtime.processor.once(event, packets.on_score_created)

    @runtime.messaging.subscriber(topics.DOCGEN_REQUESTED)
    async def on_docgen_requested(event: DocgenRequested) -> None:
        """(Re)generate a property's packet, from its latest score unless one is named."""
        await runtime.processor.once(event, packets.on_docgen_requested)

    runtime.messaging.declares(PacketGenerated)

    return runtime.asgi_app(
        description="Renders one-page PDF property packets from scores (Jinja2 + WeasyPrint), "
        "stores them in object storage and records them in documents and docgen_jobs."
    )
