"""A ZIP's market figures as the enricher reads them from PostgreSQL: the homes for sale
alone make the inventory and the medians; a price cut within the window counts, a rise
does not; a ZIP with only a sold home still counts its recent cut."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from services.enricher import store
from shared.db.tables import properties, property_field_history

pytestmark = pytest.mark.stack


def zip_code() -> str:
    """A ZIP of this test's own (the column takes ten characters; no home has it)."""
    return f"T{uuid.uuid4().hex[:9]}"


async def homes(sessions, zip_code: str, *rows: dict) -> list[int]:
    async with sessions() as session, session.begin():
        result = await session.execute(
            sa.insert(properties).returning(properties.c.id),
            [
                {
                    "property_key": f"{zip_code}|{index}",
                    "address": f"{index} Market St",
                    "zip_code": zip_code,
                    "list_date": None,
                    "sqft": None,
                    **row,
                }
                for index, row in enumerate(rows)
            ],
        )
        return list(result.scalars())


async def price_change(sessions, property_id: int, old: float, new: float) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            sa.insert(property_field_history).values(
                property_id=property_id,
                field="price",
                old_value=old,
                new_value=new,
                source="demo",
                source_id=str(property_id),
                observed_at=sa.func.now(),
                event_id=uuid.uuid4(),
            )
        )


async def test_market_figures_come_from_the_homes_for_sale_and_recent_cuts(sessions) -> None:
    area, sold_only, empty = zip_code(), zip_code(), zip_code()
    listed = date.today() - timedelta(days=10)
    for_sale = {"listing_type": "for_sale", "list_date": listed}
    ids = await homes(
        sessions,
        area,
        {**for_sale, "price": 300_000.0, "sqft": 1_000},
        {**for_sale, "price": 500_000.0, "sqft": 1_000, "list_date": listed - timedelta(days=20)},
        {**for_sale, "price": 900_000.0, "sqft": 1_000},
        {**for_sale, "price": 450_000.0, "sqft": None},
        {"listing_type": "pending", "price": 5_000_000.0, "sqft": 1_000},
    )
    (sold,) = await homes(sessions, sold_only, {"listing_type": None, "price": 400_000.0})
    await price_change(sessions, ids[0], 320_000.0, 300_000.0)
    await price_change(sessions, ids[1], 480_000.0, 500_000.0)
    await price_change(sessions, sold, 420_000.0, 400_000.0)

    async with sessions() as session:
        figures = await store.market_stats(session, [area, sold_only, empty])

    assert figures[area] == {
        "zip_code": area,
        "active_listings": 4,
        "median_price_per_sqft": 500.0,
        "median_days_on_market": 10.0,
        "recent_price_drops": 1,
        "price_drop_window_days": store.PRICE_DROP_DAYS,
    }
    assert figures[sold_only]["active_listings"] == 0
    assert figures[sold_only]["median_price_per_sqft"] is None
    assert figures[sold_only]["recent_price_drops"] == 1
    assert empty not in figures
