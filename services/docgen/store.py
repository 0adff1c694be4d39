"""The SQL of docgen: reads properties and scores, writes `documents` and `docgen_jobs`."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.tables import docgen_jobs, documents, properties, property_scores, prospect_queue

PIPELINE = "docgen_packet"


async def load_property(session: AsyncSession, property_id: int) -> dict[str, Any] | None:
    """A `properties` row with the source and URL of the listing it came from."""
    query = (
        sa.select(
            properties,
            prospect_queue.c.source.label("listing_source"),
            prospect_queue.c.url.label("listing_url"),
        )
        .select_from(properties.outerjoin(prospect_queue))
        .where(properties.c.id == property_id)
    )
    row = (await session.execute(query)).mappings().one_or_none()
    return dict(row) if row else None


async def load_score(session: AsyncSession, score_id: int) -> dict[str, Any] | None:
    query = sa.select(property_scores).where(property_scores.c.id == score_id)
    row = (await session.execute(query)).mappings().one_or_none()
    return dict(row) if row else None


async def latest_score_id(session: AsyncSession, property_id: int) -> int | None:
    query = sa.select(sa.func.max(property_scores.c.id)).where(
        property_scores.c.property_id == property_id
    )
    return (await session.execute(query)).scalar_one()


async def lock_packet(session: AsyncSession, object_key: str) -> None:
    """Serialise the generations of one packet until this transaction ends.

    Two events (a new score and a docgen request) may ask for the same packet at
    once; without the lock both would upload and the later commit could record the
    checksum of the object the other one overwrote.
    """
    await session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(object_key))))


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
class CompletedJob:
    source_event_id: uuid.UUID
    dag_run_id: str | None
    property_id: int
    score_id: int
    document_id: int
    render_seconds: float
    started_at: datetime
    completed_at: datetime


async def record_job(session: AsyncSession, job: CompletedJob) -> int:
    """The `docgen_jobs` row of one consumed event (one row per event, ever)."""
    values = {**asdict(job), "dag_id": PIPELINE, "status": "success"}
    new = insert(docgen_jobs).values(values)
    upsert = new.on_conflict_do_update(
        index_elements=[docgen_jobs.c.source_event_id],
        set_={**{key: new.excluded[key] for key in values}, "updated_at": sa.func.now()},
    )
    return (await session.execute(upsert.returning(docgen_jobs.c.id))).scalar_one()
