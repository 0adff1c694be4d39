"""The scoring read API against the running stack; other tests share the database, so each
test inserts its own properties (unique keys) and asserts on those."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from shared.db.tables import properties, property_scores

pytestmark = pytest.mark.stack


@pytest.fixture
async def own_properties(engine: Any) -> AsyncIterator[Any]:
    """Insert properties with their scores: `await add(address, [score, ...])` returns
    (property id, [score ids]); every property is deleted (with its scores) afterwards."""
    keys: list[str] = []

    async def add(address: str, overall_scores: list[float], **facts: Any) -> tuple[int, list[int]]:
        key = f"gateway-test|{uuid.uuid4().hex}"
        keys.append(key)
        async with engine.begin() as connection:
            property_id = await connection.scalar(
                sa.insert(properties)
                .values(property_key=key, address=address, **facts)
                .returning(properties.c.id)
            )
            score_ids = [
                await connection.scalar(
                    sa.insert(property_scores)
                    .values(
                        property_id=property_id,
                        overall_score=score,
                        investment_score=score - 1,
                        risk_score=10.0,
                        roi_estimate=8.5,
                        model_version="gateway-test",
                        input_hash=f"{key}|{position}",
                    )
                    .returning(property_scores.c.id)
                )
                for position, score in enumerate(overall_scores)
            ]
        return property_id, score_ids

    yield add
    async with engine.begin() as connection:
        await connection.execute(sa.delete(properties).where(properties.c.property_key.in_(keys)))


async def test_top_properties_rank_latest_scores_with_property_details(
    client: httpx.AsyncClient, own_properties: Any
) -> None:
    best, [best_score] = await own_properties(
        "1 Best St", [100.0], city="Austin", state="TX", bedrooms=3, bathrooms=2.5, price=250000.0
    )
    rescored, [_, latest_score] = await own_properties("2 Rescored Ave", [100.0, 99.9])

    response = await client.get("/api/scoring/top-properties", params={"limit": 100})
    assert response.status_code == 200
    data = response.json()["data"]
    mine = [entry for entry in data if entry["property_id"] in (best, rescored)]
    assert [(entry["property_id"], entry["score_id"]) for entry in mine] == [
        (best, best_score),
        (rescored, latest_score),
    ]
    assert mine[1]["overall_score"] == 99.9
    assert mine[0]["property"] == {
        "address": "1 Best St",
        "city": "Austin",
        "state": "TX",
        "property_type": None,
        "bedrooms": 3,
        "bathrooms": 2.5,
        "sqft": None,
        "price": 250000.0,
        "estimated_value": None,
    }
    scores = [entry["overall_score"] for entry in data]
    assert scores == sorted(scores, reverse=True)
    assert len({entry["property_id"] for entry in data}) == len(data)


async def test_top_properties_limit_is_checked(client: httpx.AsyncClient) -> None:
    assert (
        len((await client.get("/api/scoring/top-properties", params={"limit": 1})).json()["data"])
        <= 1
    )
    response = await client.get("/api/scoring/top-properties", params={"limit": 0})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
