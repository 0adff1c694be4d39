"""Turning a score into a stored packet: load, render, upload, record.

Each handler runs inside `EventProcessor.once`, so its database writes commit together
with the processed-event record. The PDF is uploaded before that commit: its key is
derived from the property, score and template version, so a retry after a failed
commit overwrites the same object instead of leaving a second one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import Counter, Histogram
from sqlalchemy.ext.asyncio import AsyncSession

from services.docgen import store
from services.docgen.packet import (
    CONTENT_TYPE,
    DOCUMENT_TYPE,
    TEMPLATE_VERSION,
    build_packet,
    packet_key,
)
from services.docgen.render import PacketRenderer
from shared.events import (
    DocgenRequested,
    Event,
    PacketGenerated,
    ScoreCreated,
    derived_event_id,
    utcnow,
)
from shared.messaging import PoisonMessage
from shared.observability import ServiceMetrics
from shared.storage import ObjectStore

SERVICE = "docgen"
log = logging.getLogger("reos.docgen")
PDF_SIZE_BUCKETS = (
    5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000
)  # fmt: skip


@dataclass(frozen=True)
class DocgenMetrics:
    render_seconds: Histogram
    packets_generated: Counter
    pdf_bytes: Histogram

    @classmethod
    def register(cls, metrics: ServiceMetrics) -> DocgenMetrics:
        return cls(
            render_seconds=metrics.histogram(
                "pdf_render_seconds", "Time to lay out and write one packet PDF, queueing excluded"
            ),
            packets_generated=metrics.counter(
                "packets_generated_total", "Packets rendered and stored", ["trigger"]
            ),
            pdf_bytes=metrics.histogram(
                "pdf_bytes", "Size of one rendered packet", buckets=PDF_SIZE_BUCKETS
            ),
        )


class PacketGenerator:
    """Generates the packet a `score.created` or `docgen.requested` event asks for."""

    def __init__(
        self,
        renderer: PacketRenderer,
        objects: ObjectStore,
        metrics: DocgenMetrics,
        clock: Callable[[], datetime] = utcnow,
        template_version: str = TEMPLATE_VERSION,
    ) -> None:
        self.renderer = renderer
        self.objects = objects
        self.metrics = metrics
        self.clock = clock
        self.template_version = template_version

    async def on_score_created(self, session: AsyncSession, event: ScoreCreated) -> list[Event]:
        return [await self.generate(session, event, event.property_id, event.score_id)]

    async def on_docgen_requested(
        self, session: AsyncSession, event: DocgenRequested
    ) -> list[Event]:
        score_id = event.score_id
        if score_id is None:
            score_id = await store.latest_score_id(session, event.property_id)
        if score_id is None:
            if await store.load_property(session, event.property_id) is None:
                raise PoisonMessage(f"property {event.property_id} does not exist")
            raise PoisonMessage(f"property {event.property_id} has no score to write up")
        return [await self.generate(session, event, event.property_id, score_id)]

    async def generate(
        self, session: AsyncSession, event: Event, property_id: int, score_id: int
    ) -> PacketGenerated:
        started_at = self.clock()
        prop = await store.load_property(session, property_id)
        if prop is None:
            raise PoisonMessage(f"property {property_id} does not exist")
        score = await store.load_score(session, score_id)
        if score is None:
            raise PoisonMessage(f"score {score_id} does not exist")
        if score["property_id"] != property_id:
            raise PoisonMessage(
                f"score {score_id} belongs to property {score['property_id']}, not {property_id}"
            )

        key = packet_key(property_id, score_id, self.template_version)
        await store.lock_packet(session, key)
        packet = build_packet(
            prop,
            score,
            generated_at=started_at,
            run_id=event.run_id,
            template_version=self.template_version,
        )
        pdf = await asyncio.to_thread(self.renderer.pdf, packet)
        if pdf.pages != 1:
            log.warning("packet overflows one page", extra={"object_key": key, "pages": pdf.pages})

        # An unreachable object store is an outage (shared.messaging.is_transient): the
        # event is retried and redelivered, never dead-lettered.
        storage_uri = await self.objects.aput(
            key,
            pdf.data,
            CONTENT_TYPE,
            {"property-id": str(property_id), "score-id": str(score_id), "sha256": pdf.sha256},
        )
        document_id = await store.upsert_document(
            session,
            store.StoredDocument(
                property_id=property_id,
                score_id=score_id,
                document_type=DOCUMENT_TYPE,
                template_version=self.template_version,
                storage_uri=storage_uri,
                content_type=CONTENT_TYPE,
                size_bytes=pdf.size,
                sha256=pdf.sha256,
                dag_run_id=event.run_id,
            ),
        )
        await store.record_job(
            session,
            store.CompletedJob(
                source_event_id=event.event_id,
                dag_run_id=event.run_id,
                property_id=property_id,
                score_id=score_id,
                document_id=document_id,
                render_seconds=pdf.seconds,
                started_at=started_at,
                completed_at=self.clock(),
            ),
        )

        self.metrics.render_seconds.observe(pdf.seconds)
        self.metrics.pdf_bytes.observe(pdf.size)
        self.metrics.packets_generated.labels(event.TOPIC).inc()
        log.info(
            "packet generated",
            extra={
                "storage_uri": storage_uri,
                "size_bytes": pdf.size,
                "render_seconds": round(pdf.seconds, 4),
            },
        )
        return PacketGenerated(
            event_id=derived_event_id(SERVICE, event.event_id),
            run_id=event.run_id,
            document_id=document_id,
            property_id=property_id,
            score_id=score_id,
            storage_uri=storage_uri,
            size_bytes=pdf.size,
            sha256=pdf.sha256,
        )
