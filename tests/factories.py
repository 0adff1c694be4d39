"""Rows that tests write in the place of the service that owns them."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from shared.db.tables import properties, property_scores, scored_properties
from shared.listing import Listing


async def insert_scored_property(
    sessions: Any, prospect_id: int | None = None, **columns: Any
) -> tuple[int, int]:
    """A property (unique key) with one score, as the enricher and the scorer write them,
    and the scorer's copy of it (what a re-score reads)."""
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
    return int(property_id), int(score_id)
