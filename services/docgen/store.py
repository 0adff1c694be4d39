"""The SQL of docgen: its copies of the events it writes packets from
(`docgen_properties`, `docgen_scores`), and the packets it wrote (`documents`,
`docgen_jobs`). It reads no other service's table."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.docgen.packet import PropertySnapshot
from shared.db.tables import docgen_jobs, docgen_properties, docgen_scores, documents
from shared.events import PropertyEnriched, ScoreCreated
from shared.listing import Listing

PIPELINE = "docgen_packet"


async def remember_properties(session: AsyncSession, events: Iterable[PropertyEnriched]) -> None:
    """Keep the latest `property.enriched` of each property (an older one arriving late
    changes nothing)."""
    latest: dict[int, PropertyEnriched] = {}
    for event in events:
        kept = latest.get(event.property_id)
        if kept is None or event.occurred_at >= kept.occurred_at:
            latest[event.property_id] = event
    if not latest:
        return
    new = insert(docgen_properties).values(
        [
            {
                "property_id": event.property_id,
                "prospect_id": event.prospect_id,
                "address": event.address,
                "listing": event.listing.model_dump(mode="json"),
                "enrichment": event.enrichment,
                "enriched_at": event.occurred_at,
                "source_event_id": event.event_id,
            }
            for event in latest.values()
        ]
    )
    columns = ("prospect_id", "address", "listing", "enrichment", "enriched_at", "source_event_id")
    await session.execute(
        new.on_conflict_do_update(
            index_elements=[docgen_properties.c.property_id],
            set_={
                **{name: new.excluded[name] for name in columns},
                "updated_at": sa.func.now(),
            },
            where=new.excluded.enriched_at >= docgen_properties.c.enriched_at,
        )
    )


async def remember_scores(session: AsyncSession, events: Iterable[ScoreCreated]) -> None:
    """Keep every `score.created`; a score is immutable, so a repeat changes nothing."""
    rows = {
        event.score_id: {
            "score_id": event.score_id,
            "property_id": event.property_id,
            "overall_score": event.overall_score,
            "score": event.model_dump(mode="json"),
            "scored_at": event.occurred_at,
            "source_event_id": event.event_id,
        }
        for event in events
    }
    if rows:
        await session.execute(
            insert(docgen_scores).values(list(rows.values())).on_conflict_do_nothing()
        )


async def load_snapshots(
    session: AsyncSession, property_ids: Iterable[int]
) -> dict[int, PropertySnapshot]:
    query = sa.select(docgen_properties).where(
        docgen_properties.c.property_id.in_(set(property_ids))
    )
    return {
        row["property_id"]: PropertySnapshot(
            property_id=row["property_id"],
            address=row["address"],
            listing=Listing.model_validate(row["listing"]),
            enrichment=row["enrichment"],
            enriched_at=row["enriched_at"],
        )
        for row in (await session.execute(query)).mappings()
    }


async def load_scores(session: AsyncSession, score_ids: Iterable[int]) -> dict[int, ScoreCreated]:
    query = sa.select(docgen_scores.c.score_id, docgen_scores.c.score).where(
        docgen_scores.c.score_id.in_(set(score_ids))
    )
    return {
        row.score_id: ScoreCreated.model_validate(row.score) for row in await session.execute(query)
    }


async def latest_score_ids(session: AsyncSession, property_ids: Iterable[int]) -> dict[int, int]:
    """The latest score of each of `property_ids` whose snapshot docgen holds."""
    query = (
        sa.select(docgen_scores.c.property_id, sa.func.max(docgen_scores.c.score_id))
        .join(docgen_properties, docgen_properties.c.property_id == docgen_scores.c.property_id)
        .where(docgen_scores.c.property_id.in_(set(property_ids)))
        .group_by(docgen_scores.c.property_id)
    )
    return {property_id: score_id for property_id, score_id in await session.execute(query)}


async def top_scores(session: AsyncSession, count: int) -> list[tuple[int, int]]:
    """(property, latest score) of the `count` properties whose latest score is best,
    among those whose snapshot docgen holds."""
    latest = (
        sa.select(
            docgen_scores.c.property_id, docgen_scores.c.score_id, docgen_scores.c.overall_score
        )
        .join(docgen_properties, docgen_properties.c.property_id == docgen_scores.c.property_id)
        .ext(distinct_on(docgen_scores.c.property_id))
        .order_by(docgen_scores.c.property_id, docgen_scores.c.score_id.desc())
        .subquery()
    )
    query = (
        sa.select(latest.c.property_id, latest.c.score_id)
        .order_by(latest.c.overall_score.desc(), latest.c.property_id)
        .limit(count)
    )
    return [(row.property_id, row.score_id) for row in await session.execute(query)]


async def rendered_documents(
    session: AsyncSession, score_ids: Iterable[int], template_version: str
) -> dict[int, int]:
    """The document of each of `score_ids` already rendered with this template."""
    query = sa.select(documents.c.score_id, documents.c.id).where(
        documents.c.score_id.in_(set(score_ids)),
        documents.c.template_version == template_version,
    )
    return {score_id: document_id for score_id, document_id in await session.execute(query)}


PROPERTY_LOCK_CLASS = 0xD0C6
"""First key of docgen's per-property advisory locks (the second is the property id)."""


async def lock_properties(session: AsyncSession, property_ids: Iterable[int]) -> None:
    """Serialise, until this transaction ends, the handling of these properties' snapshots
    and scores.

    A score may be handled while its property's snapshot is being stored by another
    consumer: without the lock the score would find no snapshot and wait, and the snapshot
    would find no waiting score, so the packet would never be made. Under the lock the
    second of the two sees what the first committed. Ids are locked in order, so two
    batches never wait on each other.
    """
    ids = sorted({int(property_id) % 2**31 for property_id in property_ids})
    if ids:
        ordered = sa.select(sa.func.unnest(sa.cast(ids, ARRAY(sa.Integer))).label("id"))
        ordered = ordered.order_by("id").subquery()
        await session.execute(
            sa.select(sa.func.pg_advisory_xact_lock(PROPERTY_LOCK_CLASS, ordered.c.id))
        )


async def waiting_scores(session: AsyncSession, property_ids: Iterable[int]) -> dict[int, int]:
    """The latest score of each property that waits for the property's snapshot."""
    query = (
        sa.select(docgen_jobs.c.property_id, sa.func.max(docgen_jobs.c.score_id))
        .where(
            docgen_jobs.c.property_id.in_(set(property_ids)),
            docgen_jobs.c.status == "queued",
        )
        .group_by(docgen_jobs.c.property_id)
    )
    return {property_id: score_id for property_id, score_id in await session.execute(query)}


async def lock_packets(session: AsyncSession, object_keys: Iterable[str]) -> None:
    """Serialise the generations of these packets until this transaction ends.

    Two events (a new score and a docgen request) may ask for the same packet at once;
    without the lock both would upload and the later commit could record the checksum of
    the object the other one overwrote. Keys are locked in order, so two batches never
    wait on each other.
    """
    for key in sorted(set(object_keys)):
        await session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(key))))


@dataclass(frozen=True)
class StoredDocument:
    property_id: int
    score_id: int
    document_type: str
    template_version: str
    storage_uri: str
    content_type: str
    size_bytes: int
    sha256: str
    dag_run_id: str | None


async def upsert_document(session: AsyncSession, document: StoredDocument) -> int:
    """The `documents` row of this packet, created or pointed at the new object."""
    new = insert(documents).values(asdict(document))
    upsert = new.on_conflict_do_update(
        index_elements=[
            documents.c.property_id,
            documents.c.score_id,
            documents.c.document_type,
            documents.c.template_version,
        ],
        set_={
            "storage_uri": new.excluded.storage_uri,
            "content_type": new.excluded.content_type,
            "size_bytes": new.excluded.size_bytes,
            "sha256": new.excluded.sha256,
            "dag_run_id": new.excluded.dag_run_id,
            "updated_at": sa.func.now(),
        },
    )
    return (await session.execute(upsert.returning(documents.c.id))).scalar_one()


@dataclass(frozen=True)
class Job:
    """One `docgen_jobs` row: what one event (or one packet of a request for many)
    asked for and what became of it."""

    source_event_id: uuid.UUID
    dag_run_id: str | None
    property_id: int
    score_id: int | None
    status: str
    started_at: datetime
    completed_at: datetime | None = None
    document_id: int | None = None
    render_seconds: float | None = None
    error_log: str | None = None

    def done(self, document_id: int, completed_at: datetime) -> Job:
        """This job answered by a packet that already exists."""
        return replace(self, status="success", document_id=document_id, completed_at=completed_at)


async def record_jobs(session: AsyncSession, jobs: list[Job]) -> None:
    if not jobs:
        return
    values = [{**asdict(job), "dag_id": PIPELINE} for job in jobs]
    new = insert(docgen_jobs).values(values)
    await session.execute(
        new.on_conflict_do_update(
            index_elements=[docgen_jobs.c.source_event_id],
            set_={
                **{key: new.excluded[key] for key in values[0] if key != "source_event_id"},
                "updated_at": sa.func.now(),
            },
        )
    )


async def complete_waiting_jobs(
    session: AsyncSession, score_id: int, document_id: int, render_seconds: float, now: datetime
) -> None:
    """The queued jobs of a score whose packet has now been written."""
    await session.execute(
        sa.update(docgen_jobs)
        .where(docgen_jobs.c.score_id == score_id, docgen_jobs.c.status == "queued")
        .values(
            status="success",
            document_id=document_id,
            render_seconds=render_seconds,
            completed_at=now,
            updated_at=sa.func.now(),
        )
    )
