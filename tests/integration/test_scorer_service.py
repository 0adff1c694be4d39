"""The running scorer: a promoted model reaches it without a restart, a re-score reads the
scorer's own copy of the property, a redelivered event scores nothing twice, a burst is
scored once per property by two consumers in one process, and a rental is never put
through a purchase formula.

Whatever AVM was in production before these tests is put back afterwards.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from services.scorer import registry
from shared import topics
from shared.db.tables import properties, property_scores
from shared.events import PropertyEnriched, ScoringRequested
from shared.listing import Listing
from shared.settings import Settings
from shared.storage import ObjectStore
from tests.conftest import publish, unique_run_id
from tests.integration.test_scorer_models import (  # noqa: F401  (fixtures)
    learned_sales,
    production_restored,
    register,
    report,
    sales_slices,
)
from tests.services import running_services

pytestmark = pytest.mark.stack

REFRESH_SECONDS = "1"


@pytest.fixture(scope="module")
def scorer(stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory):
    with running_services(
        ["services.scorer"],
        tmp_path_factory.mktemp("scorer-logs"),
        extra_env={
            "REOS_SCORER_MODEL_REFRESH_SECONDS": REFRESH_SECONDS,
            "REOS_SCORER_VALUATION_DATE": "2015-04-01",
            # Two batches at once in one process, as an operator may configure it.
            "REOS_SCORER_BATCH_CONSUMERS": "2",
        },
    ) as started:
        yield started["scorer"]


async def new_property(sessions: Any, **facts: Any) -> PropertyEnriched:
    """A property as the enricher would announce it (its `properties` row included)."""
    key = f"scorer-test|{uuid.uuid4().hex}"
    async with sessions() as session, session.begin():
        property_id = (
            await session.execute(
                sa.insert(properties)
                .values(property_key=key, address="412 ALDER WAY")
                .returning(properties.c.id)
            )
        ).scalar_one()
    listing = Listing(
        source="itest",
        source_id=key,
        status="for_sale",
        street="412 Alder Way",
        city="Kirkland",
        state="WA",
        zip_code="98033",
        latitude=47.6769,
        longitude=-122.2060,
        property_type="single_family",
        bedrooms=3,
        bathrooms=2.25,
        sqft=2_050,
        lot_sqft=7_200,
        year_built=1978,
        price=620_000,
        **facts,
    )
    return PropertyEnriched(
        run_id=unique_run_id("scorer"),
        property_id=int(property_id),
        property_key=key,
        address="412 ALDER WAY",
        listing=listing,
        enrichment={"demographics": {"median_rent": 1_301.0}},
    )


async def scores_of(sessions: Any, property_id: int, count: int, timeout: float = 30.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with sessions() as session:
            rows = (
                (
                    await session.execute(
                        sa.select(property_scores)
                        .where(property_scores.c.property_id == property_id)
                        .order_by(property_scores.c.id)
                    )
                )
                .mappings()
                .all()
            )
        if len(rows) >= count or asyncio.get_running_loop().time() > deadline:
            return list(rows)
        await asyncio.sleep(0.3)


async def production_version(sessions: Any) -> str | None:
    async with sessions() as session:
        entry = await registry.production(session)
    return entry.version if entry else None


async def test_a_promoted_model_scores_the_next_request_without_a_restart(
    scorer,
    settings: Settings,
    sessions: Any,
    raw_producer,
    report,  # noqa: F811
    learned_sales,  # noqa: F811
    production_restored,  # noqa: F811
) -> None:
    enriched = await new_property(sessions)
    await publish(raw_producer, enriched)
    (first,) = await scores_of(sessions, enriched.property_id, 1)
    assert first["model_version"] == (await production_version(sessions) or "none")

    entry = await register(sessions, ObjectStore(settings), report, learned_sales)
    async with sessions() as session, session.begin():
        await registry.promote(session, entry.version)
    await asyncio.sleep(float(REFRESH_SECONDS) * 3)
    await publish(
        raw_producer,
        ScoringRequested(run_id=enriched.run_id, property_id=enriched.property_id),
    )

    rows = await scores_of(sessions, enriched.property_id, 2)
    assert [row["model_version"] for row in rows] == [first["model_version"], entry.version]
    rescored = rows[1]
    assert rescored["estimated_value"] is not None
    assert rescored["value_low"] < rescored["estimated_value"] < rescored["value_high"]
    assert rescored["features_used"]["sqft"] == 2_050, "re-scored from the scorer's own copy"


async def test_a_redelivered_property_is_scored_once(
    scorer, sessions: Any, raw_producer, topic_reader
) -> None:
    reader = await topic_reader(topics.SCORE_CREATED)
    enriched = await new_property(sessions)

    await publish(raw_producer, enriched)
    await scores_of(sessions, enriched.property_id, 1)
    # Delivered again after it was scored (as after a crash before the offset commit): its
    # recorded `score.created` is published again, nothing is scored twice.
    await publish(raw_producer, enriched)

    records = await reader.read(2, topic=topics.SCORE_CREATED, timeout=20)
    mine = [
        json.loads(r.value) for r in records if json.loads(r.value)["run_id"] == enriched.run_id
    ]
    assert len(await scores_of(sessions, enriched.property_id, 2, timeout=3)) == 1
    assert len({event["event_id"] for event in mine}) == 1


async def test_a_burst_over_every_partition_is_scored_once_each_by_two_consumers(
    scorer, sessions: Any, raw_producer
) -> None:
    homes = [await new_property(sessions, days_on_market=i) for i in range(40)]

    await asyncio.gather(*(publish(raw_producer, home) for home in homes))

    for home in homes:
        (row,) = await scores_of(sessions, home.property_id, 1)
        assert row["features_used"]["days_on_market"] == home.listing.days_on_market
    again = [await scores_of(sessions, home.property_id, 2, timeout=0) for home in homes]
    assert all(len(rows) == 1 for rows in again)


async def test_a_rental_is_valued_but_gets_no_purchase_returns(
    scorer, sessions: Any, raw_producer
) -> None:
    enriched = await new_property(sessions)
    rental = enriched.model_copy(
        update={
            "listing": enriched.listing.model_copy(update={"status": "for_rent", "price": 2_950})
        }
    )

    await publish(raw_producer, rental)

    (row,) = await scores_of(sessions, rental.property_id, 1)
    assert row["roi_estimate"] is None and row["cap_rate"] is None
    returns = row["score_components"]["returns"]
    assert returns["observed_monthly_rent"] == 2_950
    assert "purchase price" in returns["reason"]
