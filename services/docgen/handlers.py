"""What docgen does with each event: keep its copies of the events, then write packets.

- `property.enriched`: keep the property's snapshot; a score that arrived before it (the
  two topics are not ordered against each other) is written up now.
- `score.created`: keep the score; write its packet, unless this score's packet already
  exists with this template (the same score never renders twice unless asked) or the
  property's snapshot has not arrived yet (the job waits, `queued`).
- `docgen.requested`: re-render, always: one property (its latest score, or a named one),
  a list of properties, or the top N by overall score.

Handlers run inside `EventProcessor`, so their rows commit with the processed-event
record. PDFs are uploaded before that commit under a key derived from the property, score
and template version, so a retry overwrites the same object instead of adding one.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import Counter, Histogram
from sqlalchemy.ext.asyncio import AsyncSession

from services.docgen import store
from services.docgen.packet import (
    CONTENT_TYPE,
    DOCUMENT_TYPE,
    TEMPLATE_VERSION,
    PropertySnapshot,
    build_packet,
    packet_key,
)
from services.docgen.photos import PhotoFetcher
from services.docgen.render import RenderedPdf, RenderPool
from shared.events import (
    DocgenRequested,
    Event,
    PacketGenerated,
    PropertyEnriched,
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
Outputs = dict[uuid.UUID, list[Event]]


@dataclass(frozen=True)
class DocgenMetrics:
    render_seconds: Histogram
    packets_generated: Counter
    packets_skipped: Counter
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
            packets_skipped=metrics.counter(
                "packets_skipped_total",
                "Scores not rendered: already rendered, or waiting for the property",
                ["reason"],
            ),
            pdf_bytes=metrics.histogram(
                "pdf_bytes", "Size of one rendered packet", buckets=PDF_SIZE_BUCKETS
            ),
        )


@dataclass(frozen=True)
class Order:
    """One packet to write, and on whose behalf."""

    cause: Event
    property_id: int
    score_id: int
    output_id: uuid.UUID
    job_id: uuid.UUID | None  # None: complete the score's waiting jobs instead


class PacketGenerator:
    """Generates the packets the events ask for (see the module doc)."""

    def __init__(
        self,
        renderer: RenderPool,
        objects: ObjectStore,
        metrics: DocgenMetrics,
        photos: PhotoFetcher,
        clock: Callable[[], datetime] = utcnow,
        template_version: str = TEMPLATE_VERSION,
    ) -> None:
        self.renderer = renderer
        self.objects = objects
        self.metrics = metrics
        self.photos = photos
        self.clock = clock
        self.template_version = template_version

    async def on_property_enriched(
        self, session: AsyncSession, event: PropertyEnriched
    ) -> list[Event]:
        return (await self.on_property_enriched_batch(session, [event]))[event.event_id]

    async def on_property_enriched_batch(
        self, session: AsyncSession, events: list[PropertyEnriched]
    ) -> Outputs:
        await store.lock_properties(session, (event.property_id for event in events))
        await store.remember_properties(session, events)
        causes = {event.property_id: event for event in events}
        waiting = await store.waiting_scores(session, causes)
        orders = [
            Order(
                causes[property_id],
                property_id,
                score_id,
                derived_event_id(SERVICE, causes[property_id].event_id, score_id),
                job_id=None,
            )
            for property_id, score_id in waiting.items()
        ]
        return self.by_cause(events, await self.write(session, orders))

    async def on_score_created(self, session: AsyncSession, event: ScoreCreated) -> list[Event]:
        return (await self.on_score_created_batch(session, [event]))[event.event_id]

    async def on_score_created_batch(
        self, session: AsyncSession, events: list[ScoreCreated]
    ) -> Outputs:
        await store.lock_properties(session, (event.property_id for event in events))
        await store.remember_scores(session, events)
        rendered = await store.rendered_documents(
            session, (event.score_id for event in events), self.template_version
        )
        snapshots = await store.load_snapshots(session, (event.property_id for event in events))
        now = self.clock()
        settled, orders = [], []
        for event in events:
            job = store.Job(event.event_id, event.run_id, event.property_id, event.score_id,
                            "queued", started_at=now)  # fmt: skip
            if event.score_id in rendered:
                self.metrics.packets_skipped.labels("already_rendered").inc()
                settled.append(job.done(rendered[event.score_id], completed_at=now))
            elif event.property_id not in snapshots:
                self.metrics.packets_skipped.labels("waiting_for_property").inc()
                settled.append(job)
            else:
                orders.append(
                    Order(event, event.property_id, event.score_id,
                          derived_event_id(SERVICE, event.event_id), event.event_id)
                )  # fmt: skip
        await store.record_jobs(session, settled)
        return self.by_cause(events, await self.write(session, orders))

    async def on_docgen_requested(
        self, session: AsyncSession, event: DocgenRequested
    ) -> list[Event]:
        targets = await self.targets(session, event)
        single = event.property_id is not None
        orders = [
            Order(
                event,
                property_id,
                score_id,
                derived_event_id(SERVICE, event.event_id, *(() if single else (property_id,))),
                event.event_id if single else derived_event_id(event.event_id, property_id),
            )
            for property_id, score_id in targets
        ]
        return [packet for _, packet in await self.write(session, orders)]

    async def targets(self, session: AsyncSession, event: DocgenRequested) -> list[tuple[int, int]]:
        """(property, score) of every packet a request asks for."""
        if event.top is not None:
            return await store.top_scores(session, event.top)
        if event.property_id is None:
            latest = await store.latest_score_ids(session, event.property_ids)
            if not latest:
                raise PoisonMessage(f"none of properties {event.property_ids} has a score")
            return sorted(latest.items())
        property_id = event.property_id
        score_id = event.score_id
        if score_id is None:
            score_id = (await store.latest_score_ids(session, [property_id])).get(property_id)
        if score_id is None:
            raise PoisonMessage(f"property {property_id} does not exist")
        score = (await store.load_scores(session, [score_id])).get(score_id)
        if score is None:
            raise PoisonMessage(f"score {score_id} does not exist")
        if score.property_id != property_id:
            raise PoisonMessage(
                f"score {score_id} belongs to property {score.property_id}, not {property_id}"
            )
        return [(property_id, score_id)]

    async def write(
        self, session: AsyncSession, orders: list[Order]
    ) -> list[tuple[Order, PacketGenerated]]:
        """Render, upload and record the packets of `orders` (rendered side by side)."""
        if not orders:
            return []
        started_at = self.clock()
        snapshots = await store.load_snapshots(session, (order.property_id for order in orders))
        scores = await store.load_scores(session, (order.score_id for order in orders))
        for order in orders:
            if order.property_id not in snapshots:
                raise PoisonMessage(f"property {order.property_id} has not reached docgen")
        keys = {
            order.score_id: packet_key(order.property_id, order.score_id, self.template_version)
            for order in orders
        }
        await store.lock_packets(session, keys.values())
        unique = list({order.score_id: order for order in orders}.values())
        pdfs = await asyncio.gather(
            *(
                self.render(order, snapshots[order.property_id], scores[order.score_id], started_at)
                for order in unique
            )
        )
        uris = await asyncio.gather(
            *(
                self.objects.aput(
                    keys[order.score_id],
                    pdf.data,
                    CONTENT_TYPE,
                    {
                        "property-id": str(order.property_id),
                        "score-id": str(order.score_id),
                        "sha256": pdf.sha256,
                    },
                )
                for order, pdf in zip(unique, pdfs, strict=True)
            )
        )
        completed_at = self.clock()
        written: dict[int, tuple[int, str, RenderedPdf]] = {}
        for order, pdf, uri in zip(unique, pdfs, uris, strict=True):
            document_id = await store.upsert_document(
                session,
                store.StoredDocument(
                    property_id=order.property_id,
                    score_id=order.score_id,
                    document_type=DOCUMENT_TYPE,
                    template_version=self.template_version,
                    storage_uri=uri,
                    content_type=CONTENT_TYPE,
                    size_bytes=pdf.size,
                    sha256=pdf.sha256,
                    dag_run_id=order.cause.run_id,
                ),
            )
            written[order.score_id] = (document_id, uri, pdf)
            await store.complete_waiting_jobs(
                session, order.score_id, document_id, pdf.seconds, completed_at
            )
            self.observe(order, pdf, uri)
        await store.record_jobs(
            session,
            [
                store.Job(
                    order.job_id,
                    order.cause.run_id,
                    order.property_id,
                    order.score_id,
                    "success",
                    started_at,
                    completed_at,
                    written[order.score_id][0],
                    written[order.score_id][2].seconds,
                )
                for order in orders
                if order.job_id is not None
            ],
        )
        return [(order, self.generated(order, *written[order.score_id])) for order in orders]

    async def render(
        self, order: Order, snapshot: PropertySnapshot, score: ScoreCreated, at: datetime
    ) -> RenderedPdf:
        packet = build_packet(
            snapshot,
            score,
            generated_at=at,
            run_id=order.cause.run_id,
            photo=await self.photos.cover(snapshot.listing.photos),
            template_version=self.template_version,
        )
        return await self.renderer.pdf(packet)

    def observe(self, order: Order, pdf: RenderedPdf, uri: str) -> None:
        self.metrics.render_seconds.observe(pdf.seconds)
        self.metrics.pdf_bytes.observe(pdf.size)
        self.metrics.packets_generated.labels(order.cause.TOPIC).inc()
        log.info(
            "packet generated",
            extra={"storage_uri": uri, "size_bytes": pdf.size, "pages": pdf.pages,
                   "render_seconds": round(pdf.seconds, 4)},
        )  # fmt: skip

    def generated(
        self, order: Order, document_id: int, uri: str, pdf: RenderedPdf
    ) -> PacketGenerated:
        return PacketGenerated(
            event_id=order.output_id,
            run_id=order.cause.run_id,
            document_id=document_id,
            property_id=order.property_id,
            score_id=order.score_id,
            storage_uri=uri,
            size_bytes=pdf.size,
            sha256=pdf.sha256,
        )

    @staticmethod
    def by_cause(events: Sequence[Event], written: list[tuple[Order, PacketGenerated]]) -> Outputs:
        outputs: Outputs = {event.event_id: [] for event in events}
        for order, packet in written:
            outputs[order.cause.event_id].append(packet)
        return outputs
