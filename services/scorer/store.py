"""The scorer's tables: property_scores, scoring_jobs and the model registry."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scorer.transparent import ASSUMPTIONS, KEY_FACTS, MODEL_NAME, MODEL_VERSION, Score
from shared.db.tables import model_registry, properties, property_scores, scoring_jobs

PIPELINE_ID = "score_master"


async def save_scores(
    session: AsyncSession, scores: list[tuple[int, Score, str | None]]
) -> list[int]:
    """The id of the score row of each `(property_id, score, run_id)`, writing the new ones.

    A score is identified by its property, model version and input hash: the same inputs
    scored again (a redelivery, a re-score without changes) find the row already there.
    """

    def identity(property_id: int, result: Score) -> tuple[int, str, str]:
        return property_id, result.model_version, result.input_hash

    rows = {
        identity(property_id, result): {
            "property_id": property_id,
            "dag_run_id": run_id,
            "overall_score": result.overall_score,
            "investment_score": result.investment_score,
            "risk_score": result.risk_score,
            "roi_estimate": result.roi_estimate,
            "score_components": result.components,
            "model_version": result.model_version,
            "features_used": result.features_used,
            "input_hash": result.input_hash,
        }
        for property_id, result, run_id in scores
    }
    await session.execute(
        insert(property_scores)
        .values(list(rows.values()))
        .on_conflict_do_nothing(index_elements=["property_id", "model_version", "input_hash"])
    )
    found = await session.execute(
        select(
            property_scores.c.property_id,
            property_scores.c.model_version,
            property_scores.c.input_hash,
            property_scores.c.id,
        ).where(
            tuple_(
                property_scores.c.property_id,
                property_scores.c.model_version,
                property_scores.c.input_hash,
            ).in_(list(rows))
        )
    )
    ids = {(pid, version, digest): int(score_id) for pid, version, digest, score_id in found}
    return [ids[identity(property_id, result)] for property_id, result, _ in scores]


async def record_jobs(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """One job row per consumed event; a redelivered event's row is already there."""
    await session.execute(
        insert(scoring_jobs)
        .values([{"dag_id": PIPELINE_ID, **row} for row in rows])
        .on_conflict_do_nothing(index_elements=["source_event_id"])
    )


async def load_property(session: AsyncSession, property_id: int) -> dict[str, Any] | None:
    row = await session.execute(select(properties).where(properties.c.id == property_id))
    found = row.mappings().one_or_none()
    return dict(found) if found else None


async def register_model(session: AsyncSession) -> None:
    """Record the transparent model in the registry, in production (idempotent)."""
    await session.execute(
        insert(model_registry)
        .values(
            model_name=MODEL_NAME,
            model_version=MODEL_VERSION,
            stage="production",
            algorithm="rules",
            params=asdict(ASSUMPTIONS),
            feature_names=[*KEY_FACTS, "zip_median_rent", "zip_median_household_income"],
        )
        .on_conflict_do_nothing(index_elements=["model_name", "model_version"])
    )
