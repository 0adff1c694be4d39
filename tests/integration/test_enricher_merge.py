"""The running enricher with local Census servers: one home from three sources becomes one
property with per-field provenance and tract-level demographics; two sources' prices in one
batch are both in the history; a slow geocoder falls back with the right precision; an
expired Census answer is asked again; a redelivered prospect creates nothing twice."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from deploy.local.census_servers import census_env, census_server
from shared import topics
from shared.db.tables import (
    enrichment_jobs,
    geocode_cache,
    properties,
    property_field_history,
    prospect_queue,
)
from shared.events import PropertyEnriched, ProspectNew
from shared.listing import Listing
from tests.conftest import publish, unique_run_id
from tests.services import running_services

pytestmark = pytest.mark.stack

SEEN = datetime(2026, 12, 1, 9, tzinfo=UTC)
CACHE_TTL_SECONDS = 6.0


@pytest.fixture(scope="module")
def census(stack_env: dict[str, str]):
    with census_server() as (base_url, state):
        yield base_url, state


@pytest.fixture(scope="module")
def enricher(census, tmp_path_factory: pytest.TempPathFactory):
    base_url, _ = census
    env = {
        **census_env(base_url),
        "REOS_CENSUS_TIMEOUT_SECONDS": "0.5",
        "REOS_CENSUS_BATCH_TIMEOUT_SECONDS": "0.5",
        "REOS_CENSUS_RETRIES": "0",
        "REOS_CENSUS_BREAKER_RESET_SECONDS": "1",
        "REOS_CENSUS_CACHE_TTL_SECONDS": str(CACHE_TTL_SECONDS),
    }
    with running_services(
        ["services.enricher"], tmp_path_factory.mktemp("logs"), extra_env=env
    ) as started:
        yield started["enricher"]


def listing(source: str, street: str, **facts) -> Listing:
    return Listing(
        source=source,
        source_id=uuid.uuid4().hex,
        street=street,
        city="Seattle",
        state="WA",
        zip_code="98103",
        property_type="single_family",
        **{"status": "for_sale", **facts},
    )


async def prospect(sessions, run_id: str, home: Listing, seen: datetime) -> ProspectNew:
    """The prospect row the scraper would have written, and its event."""
    async with sessions() as session, session.begin():
        prospect_id = (
            await session.execute(
                sa.insert(prospect_queue)
                .values(
                    source=home.source,
                    source_id=home.source_id,
                    payload=home.model_dump(mode="json"),
                    content_hash="m" * 64,
                )
                .returning(prospect_queue.c.id)
            )
        ).scalar_one()
    return ProspectNew(
        run_id=run_id,
        prospect_id=prospect_id,
        source=home.source,
        source_id=home.source_id,
        listing=home,
        scraped_at=seen,
    )


async def publish_together(producer, events: list[ProspectNew]) -> None:
    """The events as one record batch on one partition: the enricher reads them together,
    in one batch of its own."""
    batch = producer.create_batch()
    for event in events:
        batch.append(
            key=event.key(),
            value=event.model_dump_json().encode(),
            timestamp=None,
            headers=[("content-type", b"application/json")],
        )
    await (await producer.send_batch(batch, topics.PROSPECT_NEW, partition=0))


async def field_history(sessions, property_id: int, field: str) -> list[dict]:
    async with sessions() as session:
        rows = await session.execute(
            sa.select(property_field_history)
            .where(
                property_field_history.c.property_id == property_id,
                property_field_history.c.field == field,
            )
            .order_by(property_field_history.c.observed_at)
        )
        return [dict(row) for row in rows.mappings()]


async def wait_for(sessions, query, ready, timeout: float = 45.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with sessions() as session:
            rows = (await session.execute(query)).mappings().all()
        if ready(rows) or asyncio.get_running_loop().time() > deadline:
            return list(rows)
        await asyncio.sleep(0.3)


def a_street() -> str:
    return f"{uuid.uuid4().int % 90000 + 100} Merge {uuid.uuid4().hex[:8]} Avenue North"


async def test_the_same_home_from_three_sources_is_one_property_with_provenance(
    enricher, sessions, raw_producer, topic_reader
) -> None:
    reader = await topic_reader(topics.PROPERTY_ENRICHED)
    run_id = unique_run_id("merge")
    street = a_street()
    feed = listing("feed:king-county", street.upper(), sqft=1710, year_built=1978, bedrooms=3)
    zillow = listing("zillow", street, price=500_000.0, sqft=1700, bedrooms=3, bathrooms=2.0)
    redfin = listing(
        "redfin", street.replace("Avenue North", "Ave N"), price=489_000.0, status="pending"
    )
    the_home = sa.select(properties).where(
        properties.c.address.like(f"%{street.split()[2].upper()}%")
    )
    # One source after the other, as they would arrive over hours: each is merged into
    # what the earlier ones left, so the price change lands in the history.
    for hours, home_listing in enumerate((feed, zillow, redfin)):
        seen = SEEN + timedelta(hours=hours)
        await publish(raw_producer, await prospect(sessions, run_id, home_listing, seen))
        rows = await wait_for(
            sessions,
            the_home,
            lambda rows, merged=hours + 1: rows and len(rows[0]["source_listings"]) == merged,
        )
    assert len(rows) == 1
    home = rows[0]
    assert (home["price"], home["listing_type"], home["sqft"], home["year_built"]) == (
        489_000.0,
        "pending",
        1700,
        1978,
    )
    origin = home["field_provenance"]
    assert origin["price"]["source"] == "redfin"
    assert origin["sqft"]["source"] == "zillow"
    assert origin["year_built"]["source"] == "feed:king-county"
    assert origin["bathrooms"]["source"] == "zillow"
    losing = home["enrichment_data"]["alternatives"]
    assert {"value": 500_000.0, "source": "zillow"}.items() <= losing["price"][0].items()
    assert losing["sqft"][0]["value"] == 1710
    location = home["enrichment_data"]["location"]
    assert (location["precision"], home["location_precision"]) == ("interpolated",) * 2
    assert home["census_tract"].startswith("53033")
    figures = home["enrichment_data"]["demographics"]
    assert (figures["geography"], figures["tract"]) == ("tract", home["census_tract"])
    assert figures["field_geographies"]["median_household_income"] == "tract"
    assert figures["median_home_value"] > 0
    history = await field_history(sessions, home["id"], "price")
    assert [(row["new_value"], row["source"]) for row in history][-1] == (489_000.0, "redfin")
    published = await reader.read(3, topic=topics.PROPERTY_ENRICHED)
    mine = [r for r in published if run_id.encode() in r.value]

    events = [PropertyEnriched.model_validate_json(r.value) for r in mine]
    assert {event.property_id for event in events} == {home["id"]}
    assert any(
        (event.listing.price, event.listing.status) == (489_000.0, "pending") for event in events
    )


async def test_two_sources_prices_in_one_batch_are_both_in_the_history(
    enricher, sessions, raw_producer
) -> None:
    run_id = unique_run_id("inbatch")
    street = a_street()
    feed = listing("feed:king-county", street.upper(), sqft=1710, year_built=1978)
    zillow = listing("zillow", street, price=500_000.0)
    redfin = listing("redfin", street.replace("Avenue North", "Ave N"), price=489_000.0)
    the_home = sa.select(properties).where(
        properties.c.address.like(f"%{street.split()[2].upper()}%")
    )
    await publish(raw_producer, await prospect(sessions, run_id, feed, SEEN))
    await wait_for(sessions, the_home, lambda rows: rows)
    later = await prospect(sessions, run_id, redfin, SEEN + timedelta(hours=2))
    earlier = await prospect(sessions, run_id, zillow, SEEN + timedelta(hours=1))
    await publish_together(raw_producer, [later, earlier])
    (home,) = await wait_for(
        sessions, the_home, lambda rows: rows and len(rows[0]["source_listings"]) == 3
    )

    assert home["price"] == 489_000.0
    history = await field_history(sessions, home["id"], "price")
    assert [
        (row["old_value"], row["new_value"], row["source"], row["event_id"]) for row in history
    ] == [
        (None, 500_000.0, "zillow", earlier.event_id),
        (500_000.0, 489_000.0, "redfin", later.event_id),
    ]
    async with sessions() as session:
        started = (
            (
                await session.execute(
                    sa.select(enrichment_jobs.c.started_at).where(
                        enrichment_jobs.c.source_event_id.in_([earlier.event_id, later.event_id])
                    )
                )
            )
            .scalars()
            .all()
        )
    assert len(started) == 2 and len(set(started)) == 1, "both listings in one batch"


async def test_an_expired_census_answer_is_asked_again(
    enricher, census, sessions, raw_producer
) -> None:
    _, state = census
    run_id = unique_run_id("expiry")
    street = a_street()
    token = street.split()[2].upper()
    the_home = sa.select(properties).where(properties.c.address.like(f"%{token}%"))

    def geocoded() -> int:
        return sum(token in address.upper() for address in state.addresses)

    def tract_asked(tract: str) -> int:
        return sum(
            tract[5:] in unquote(request)
            for request in state.requests
            if "tract:" in unquote(request)
        )

    await publish(raw_producer, await prospect(sessions, run_id, listing("zillow", street), SEEN))
    (home,) = await wait_for(sessions, the_home, lambda rows: rows)
    answered = asyncio.get_running_loop().time()
    tract = home["census_tract"]
    await publish(raw_producer, await prospect(sessions, run_id, listing("redfin", street), SEEN))
    await wait_for(sessions, the_home, lambda rows: len(rows[0]["source_listings"]) == 2)
    fresh = (geocoded(), tract_asked(tract))
    (kept,) = await wait_for(
        sessions,
        sa.select(geocode_cache).where(geocode_cache.c.address_key.like(f"%{token}%")),
        lambda rows: rows,
    )
    assert kept["match"]["tract"] == tract

    await asyncio.sleep(CACHE_TTL_SECONDS + 0.5 - (asyncio.get_running_loop().time() - answered))
    await publish(raw_producer, await prospect(sessions, run_id, listing("realtor", street), SEEN))
    await wait_for(sessions, the_home, lambda rows: len(rows[0]["source_listings"]) == 3)

    assert fresh == (1, 1), "a fresh answer is reused"
    assert (geocoded(), tract_asked(tract)) == (2, 2), "an expired one is asked again"


async def test_a_geocoder_timeout_falls_back_with_the_right_precision(
    enricher, census, sessions, raw_producer
) -> None:
    _, state = census
    run_id = unique_run_id("geofall")
    with_coordinates = listing("zillow", a_street(), latitude=47.6615, longitude=-122.3431)
    without = listing("zillow", a_street())
    state.delay_seconds = 2.0
    try:
        await publish(raw_producer, await prospect(sessions, run_id, with_coordinates, SEEN))
        await publish(raw_producer, await prospect(sessions, run_id, without, SEEN))
        rows = await wait_for(
            sessions,
            sa.select(properties).where(properties.c.dag_run_id == run_id),
            lambda rows: len(rows) == 2,
        )
    finally:
        state.delay_seconds = 0.0
    by_street = {row["source_listings"].popitem()[1]["listing"]["source_id"]: row for row in rows}
    located = by_street[with_coordinates.source_id]
    centroid = by_street[without.source_id]
    assert located["location_precision"] == "listing"
    assert (located["latitude"], located["longitude"]) == (47.6615, -122.3431)
    assert located["enrichment_data"]["location"]["geocoder"] == "unavailable"
    assert centroid["location_precision"] == "zip_centroid"
    assert centroid["enrichment_data"]["location"]["latitude"] == centroid["latitude"]
    assert centroid["census_tract"] is None


async def test_a_redelivered_prospect_creates_nothing_twice(
    enricher, sessions, raw_producer
) -> None:
    run_id = unique_run_id("redeliver")
    home = listing("realtor", a_street(), price=610_000.0)
    event = await prospect(sessions, run_id, home, SEEN)
    for _ in range(3):
        await publish(raw_producer, event)
    again = event.model_copy(
        update={"event_id": uuid.uuid4(), "scraped_at": SEEN + timedelta(minutes=5)}
    )
    await publish(raw_producer, again)
    jobs = await wait_for(
        sessions,
        sa.select(enrichment_jobs).where(enrichment_jobs.c.dag_run_id == run_id),
        lambda rows: len(rows) >= 2,
    )
    await asyncio.sleep(2)
    async with sessions() as session:
        rows = (
            (await session.execute(sa.select(properties).where(properties.c.dag_run_id == run_id)))
            .mappings()
            .all()
        )
        history = (
            await session.execute(
                sa.select(sa.func.count()).where(
                    property_field_history.c.property_id == rows[0]["id"]
                )
            )
        ).scalar_one()
    assert len(jobs) == 2
    assert len(rows) == 1
    assert len(rows[0]["source_listings"]) == 1
    assert history == 0
