"""The enricher's tables: properties (with each source's listing and the per-field
provenance), property_field_history, geocode_cache, enrichment_jobs, data_quality_metrics.

A batch of events costs one statement per table: every write is one cached statement
executed with the batch's parameter sets (psycopg pipelines them), never a statement
compiled anew for the batch's rows; every read asks for all the batch's keys at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Float, Text, case, cast, func, literal, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.session import ONE_CORE
from shared.db.tables import (
    data_quality_metrics,
    enrichment_jobs,
    geocode_cache,
    properties,
    property_field_history,
    prospect_queue,
)

PIPELINE_ID = "enrichment_property"
QUALITY_UPDATES = ("value", "threshold", "is_passing", "details", "dag_run_id")
PRICE_DROP_DAYS = 30


async def lock_homes(session: AsyncSession, keys: list[str]) -> None:
    """Hold each home's key for the transaction: listings of one home from two sources
    arrive on different partitions, maybe on two replicas, and must merge one after the
    other. Keys are locked in one order, so two batches never wait on each other in a ring."""
    await session.execute(
        text(
            "SELECT pg_advisory_xact_lock(hashtextextended(key, 0))"
            " FROM (SELECT unnest(CAST(:keys AS text[])) AS key ORDER BY 1) AS homes"
        ),
        {"keys": sorted(set(keys))},
    )


async def load_homes(session: AsyncSession, keys: list[str]) -> dict[str, dict[str, Any]]:
    """The id and the source listings of each home already known, by property key."""
    rows = await session.execute(
        select(properties.c.property_key, properties.c.id, properties.c.source_listings).where(
            properties.c.property_key == func.any(_texts(keys))
        )
    )
    return {
        row.property_key: {"id": row.id, "source_listings": row.source_listings} for row in rows
    }


async def upsert_properties(session: AsyncSession, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert or update properties by `property_key` (one row per key: the caller merged
    the batch); returns the id of each key."""
    statement = insert(properties)
    update: dict[str, Any] = {
        name: statement.excluded[name] for name in rows[0] if name != "property_key"
    }
    update["updated_at"] = func.now()
    await session.execute(
        statement.on_conflict_do_update(index_elements=["property_key"], set_=update), rows
    )
    found = await session.execute(
        select(properties.c.property_key, properties.c.id).where(
            properties.c.property_key == func.any(_texts([row["property_key"] for row in rows]))
        )
    )
    return {key: int(property_id) for key, property_id in found}


async def record_history(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Changed facts of merged homes; an event's changes are recorded once."""
    if rows:
        await session.execute(
            insert(property_field_history).on_conflict_do_nothing(
                index_elements=["event_id", "property_id", "field"]
            ),
            rows,
        )


async def load_geocodes(
    session: AsyncSession, keys: list[str], ttl_seconds: float
) -> dict[str, tuple[Any, float]]:
    """Cached geocoder answers younger than `ttl_seconds`, by address key, each with its
    age in seconds (a None answer: the Census has no match); older ones are asked again."""
    age = func.extract("epoch", func.now() - geocode_cache.c.geocoded_at)
    rows = await session.execute(
        select(geocode_cache.c.address_key, geocode_cache.c.match, age.label("age")).where(
            geocode_cache.c.address_key == func.any(_texts(keys)),
            age < ttl_seconds,
        )
    )
    return {row.address_key: (row.match, float(row.age)) for row in rows}


async def save_geocodes(session: AsyncSession, answers: dict[str, Any]) -> None:
    if answers:
        statement = insert(geocode_cache)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["address_key"],
                set_={"match": statement.excluded.match, "geocoded_at": func.now()},
            ),
            [{"address_key": key, "match": match} for key, match in answers.items()],
        )


async def market_stats(session: AsyncSession, zip_codes: list[str]) -> dict[str, dict[str, Any]]:
    """Per ZIP, from the homes the platform knows: median $/sq ft and days on market of the
    homes for sale, how many are for sale, and how many cut their price lately. An
    aggregate over every home of the ZIPs: on one core, from the index of the homes for
    sale (`ix_properties_for_sale_zip_code`)."""
    price_per_sqft = properties.c.price / properties.c.sqft
    days_listed = func.current_date() - properties.c.list_date
    await session.execute(ONE_CORE)
    rows = await session.execute(
        select(
            properties.c.zip_code,
            func.count().label("active_listings"),
            func.percentile_cont(0.5)
            .within_group(price_per_sqft)
            .filter((properties.c.sqft > 0) & (properties.c.price > 0))
            .label("median_price_per_sqft"),
            func.percentile_cont(0.5)
            .within_group(days_listed)
            .filter(properties.c.list_date.is_not(None))
            .label("median_days_on_market"),
        )
        .where(properties.c.listing_type == "for_sale", properties.c.zip_code.in_(zip_codes))
        .group_by(properties.c.zip_code)
    )
    stats = {
        row.zip_code: _market(
            row.zip_code,
            active_listings=int(row.active_listings),
            median_price_per_sqft=_rounded(row.median_price_per_sqft),
            median_days_on_market=_rounded(row.median_days_on_market),
        )
        for row in rows
    }
    history = property_field_history.c
    numbers = (func.jsonb_typeof(history.old_value) == "number") & (
        func.jsonb_typeof(history.new_value) == "number"
    )
    dropped = case(
        (numbers, cast(history.new_value, Float) < cast(history.old_value, Float)), else_=False
    )
    drops = await session.execute(
        select(properties.c.zip_code, func.count(func.distinct(history.property_id)))
        .join(properties, properties.c.id == history.property_id)
        .where(
            history.field == "price",
            history.recorded_at > func.now() - text(f"interval '{PRICE_DROP_DAYS} days'"),
            dropped,
            properties.c.zip_code.in_(zip_codes),
        )
        .group_by(properties.c.zip_code)
    )
    for zip_code, count in drops:
        stats.setdefault(zip_code, _market(zip_code))["recent_price_drops"] = int(count)
    return stats


def _market(
    zip_code: str,
    active_listings: int = 0,
    median_price_per_sqft: float | None = None,
    median_days_on_market: float | None = None,
) -> dict[str, Any]:
    """A ZIP's market figures (none for sale, no drops: the figures of a ZIP whose homes
    are all sold or pending)."""
    return {
        "zip_code": zip_code,
        "active_listings": active_listings,
        "median_price_per_sqft": median_price_per_sqft,
        "median_days_on_market": median_days_on_market,
        "recent_price_drops": 0,
        "price_drop_window_days": PRICE_DROP_DAYS,
    }


def _texts(values: list[str]) -> Any:
    """One `text[]` parameter for `= ANY(...)`: one statement whatever the batch's size."""
    return literal(values, ARRAY(Text))


def _rounded(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


async def record_jobs(
    session: AsyncSession, started_at: datetime, rows: list[dict[str, Any]]
) -> None:
    """Job rows, one per consumed event, all started at `started_at` and completed now
    (never before they started, whatever the clocks say); a redelivered event's row is
    already there."""
    statement = insert(enrichment_jobs).values(
        enrichment_type="property_data",
        started_at=started_at,
        completed_at=func.greatest(func.now(), started_at),
    )
    await session.execute(
        statement.on_conflict_do_nothing(index_elements=["source_event_id", "enrichment_type"]),
        rows,
    )


async def record_quality(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    unique = {
        (row["metric_type"], row["metric_name"], row["entity_type"], row["entity_id"]): row
        for row in rows
    }
    statement = insert(data_quality_metrics)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["metric_type", "metric_name", "entity_type", "entity_id"],
            set_={name: statement.excluded[name] for name in QUALITY_UPDATES}
            | {"measured_at": func.now()},
        ),
        list(unique.values()),
    )


async def load_prospect(session: AsyncSession, prospect_id: int) -> dict[str, Any] | None:
    row = await session.execute(
        select(
            prospect_queue.c.id,
            prospect_queue.c.source,
            prospect_queue.c.source_id,
            prospect_queue.c.url,
            prospect_queue.c.payload,
            prospect_queue.c.updated_at,
        ).where(prospect_queue.c.id == prospect_id)
    )
    found = row.mappings().one_or_none()
    return dict(found) if found else None
