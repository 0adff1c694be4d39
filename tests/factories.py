"""Rows that tests write in the place of the service that owns them."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from shared.db.tables import (
    docgen_properties,
    docgen_scores,
    properties,
    property_scores,
    scored_properties,
)
from shared.events import ScoreCreated
from shared.listing import Listing


async def insert_scored_property(
    sessions: Any, prospect_id: int | None = None, **columns: Any
) -> tuple[int, int]:
    """A property (unique key) with one score, as the enricher and the scorer write them,
    and the copies the scorer and docgen keep of what they received (what a re-score and a
    re-render read)."""
    values = {"address": "1 Test St", "city": "Seattle", "state": "WA", "zip_code": "98103"}
    async with sessions() as session, session.begin():
        property_id = (
            await session.execute(
                sa.insert(properties)
                .values(
                    prospect_id=prospect_id,
                    property_key=f"test:{uuid.uuid4().hex}",
                    **{**values, **columns},
                )
                .returning(properties.c.id)
            )
        ).scalar_one()
        score_id = (
            await session.execute(
                sa.insert(property_scores)
                .values(
                    property_id=property_id,
                    overall_score=50.0,
                    investment_score=50.0,
                    risk_score=50.0,
                    model_version="test",
                    input_hash=uuid.uuid4().hex,
                )
                .returning(property_scores.c.id)
            )
        ).scalar_one()
        facts = {**values, **columns}
        listing = Listing(
            source="test",
            source_id=str(property_id),
            status="for_sale",
            street=facts["address"],
            city=facts.get("city"),
            state=facts.get("state"),
            zip_code=facts.get("zip_code"),
            price=facts.get("price"),
            bedrooms=facts.get("bedrooms"),
            bathrooms=facts.get("bathrooms"),
            sqft=facts.get("sqft"),
        )
        await session.execute(
            sa.insert(scored_properties).values(
                property_id=property_id,
                prospect_id=prospect_id,
                address=facts["address"],
                listing=listing.model_dump(mode="json"),
                status=listing.status,
                zip_code=listing.zip_code,
                source_event_id=uuid.uuid4(),
            )
        )
        await session.execute(
            sa.insert(docgen_properties).values(
                property_id=property_id,
                prospect_id=prospect_id,
                address=facts["address"],
                listing=listing.model_dump(mode="json"),
                enriched_at=sa.func.now(),
                source_event_id=uuid.uuid4(),
            )
        )
        score = ScoreCreated(
            score_id=score_id,
            property_id=property_id,
            prospect_id=prospect_id,
            model_version="test",
            overall_score=50.0,
            investment_score=50.0,
            risk_score=50.0,
        )
        await session.execute(
            sa.insert(docgen_scores).values(
                score_id=score_id,
                property_id=property_id,
                overall_score=score.overall_score,
                score=score.model_dump(mode="json"),
                scored_at=sa.func.now(),
                source_event_id=score.event_id,
            )
        )
    return int(property_id), int(score_id)
