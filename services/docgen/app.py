"""The composition root of docgen: what it consumes, what it publishes, what it is made of."""

from __future__ import annotations

import logging

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
    # WeasyPrint (and fontTools, where it subsets fonts) log every step of every render at INFO.
    for noisy in ("weasyprint.progress", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    objects = ObjectStore(settings)
    runtime.health.checks["object_store"] = objects.acheck
    packets = PacketGenerator(PacketRenderer(), objects, DocgenMetrics.register(runtime.metrics))
    broker = runtime.messaging.broker

    @runtime.messaging.subscriber(topics.SCORE_CREATED)
    async def on_score_created(event: ScoreCreated) -> None:
        """Write up every new score as a packet."""
        await runtime.processor.once(event, packets.on_score_created)

    @runtime.messaging.subscriber(topics.DOCGEN_REQUESTED)
    async def on_docgen_requested(event: DocgenRequested) -> None:
        """(Re)generate a property's packet, from its latest score unless one is named."""
        await runtime.processor.once(event, packets.on_docgen_requested)

    # Outputs go out through the exactly-once processor; this declares the topic and its
    # schema in the AsyncAPI document for the consumers outside the project.
    broker.publisher(
        topics.PACKET_GENERATED,
        title=f"{topics.PACKET_GENERATED}:PacketGenerated",
        description="A property packet was stored in object storage and recorded in documents.",
        schema=PacketGenerated,
    )

    return runtime.asgi_app(
        description="Renders one-page PDF property packets from scores (Jinja2 + WeasyPrint), "
        "stores them in object storage and records them in documents and docgen_jobs."
    )
