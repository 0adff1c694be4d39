"""The scorer's tables: property_scores and the model registry."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scorer.transparent import ASSUMPTIONS, KEY_FACTS, MODEL_NAME, MODEL_VERSION, Score
from shared.db.tables import model_registry, properties, property_scores


async def save_score(
    session: AsyncSession, property_id: int, result: Score, run_id: str | None
) -> int:
    """The id of the score row for these inputs, writing it if it is new."""
    inserted = await session.execute(
        insert(property_scores)
        .values(
            property_id=property_id,
            dag_run_id=run_id,
            overall_score=result.overall_score,
            investment_score=result.investment_score,
            risk_score=result.risk_score,
            roi_estimate=result.roi_estimate,
            score_components=result.components,
            model_version=result.model_version,
            features_used=result.features_used,
            input_hash=result.input_hash,
        )
        .on_conflict_do_nothing(index_elements=["property_id", "model_version", "input_hash"])
        .returning(property_scores.c.id)
    )
    score_id = inserted.scalar_one_or_none()
    if score_id is None:
        existing = await session.execute(
            select(property_scores.c.id).where(
                property_scores.c.property_id == property_id,
                property_scores.c.model_version == result.model_version,
                property_scores.c.input_hash == result.input_hash,
            )
        )
        score_id = existing.scalar_one()
    return int(score_id)


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
