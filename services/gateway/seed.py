"""Demo data for a fresh machine: the seed's demo counts (SEED.md "Demo Data") written into
the platform's real tables, so that the API and the dashboard look alive before any crawl.

50 prospects, 35 enriched properties, 20 scraping jobs, 30 enrichment jobs, 25 scores with
valuations, bands, rents, returns and comparables, 40 pipeline runs and 50 data-quality
metrics, spread over the last 30 days with a mix of statuses. Every row is marked as demo
data (source `demo-seed`, run ids `seed__...`, property keys `demo-seed:...`), and seeding
again first removes the previous demo rows, so it can be run any number of times.

`python -m services.gateway.seed` (or `reos-gateway seed-demo`).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db.session import create_engine
from shared.db.tables import (
    data_quality_metrics,
    enrichment_jobs,
    pipeline_runs,
    properties,
    property_scores,
    prospect_queue,
    scraping_jobs,
)
from shared.settings import Settings, get_settings

SOURCE = "demo-seed"
RUN_PREFIX = "seed__"
KEY_PREFIX = "demo-seed:"
MODEL_VERSION = "demo-seed-avm"
DAYS = 30
PIPELINES = ("scrape_listings", "discovery_offmarket", "enrichment_property", "score_master")
PLACES = (
    ("Seattle", "WA", "98103", 47.66, -122.34),
    ("Seattle", "WA", "98118", 47.54, -122.27),
    ("Tacoma", "WA", "98405", 47.25, -122.47),
    ("Spokane", "WA", "99205", 47.69, -117.44),
    ("Portland", "OR", "97211", 45.57, -122.65),
)
STREETS = ("Maple Ave", "Cedar St", "Alder Way", "Lake View Dr", "Pine Ct", "Birch Ln", "Hill Rd")
TYPES = ("single_family", "single_family", "condo", "townhouse", "multi_family")
DISTRESS = ("tax_delinquent", "pre_foreclosure", "code_violation", "vacant")


def _run_id(rng: random.Random, when: datetime) -> str:
    return f"{RUN_PREFIX}{when:%Y-%m-%dT%H:%M:%S}_{rng.randrange(16**6):06x}"


def _moment(rng: random.Random, now: datetime) -> datetime:
    return now - timedelta(days=rng.uniform(0, DAYS - 1), minutes=rng.randrange(60))


def _component(name: str, value: Any, sub_score: float, weight: float) -> dict[str, Any]:
    return {
        "name": name,
        "value": value,
        "weight": weight,
        "sub_score": round(sub_score, 2),
        "contribution": round(sub_score * weight, 2),
    }


def _score_row(
    rng: random.Random, property_id: int, home: dict[str, Any], when: datetime
) -> dict[str, Any]:
    """A score as the scorer writes it, with figures consistent with each other."""
    price = home["price"]
    value = round(price * rng.uniform(0.9, 1.25), -2)
    rent = round(value * rng.uniform(0.0045, 0.0065), -1)
    noi = rent * 12 * 0.62
    cap_rate = round(100 * noi / price, 3)
    signals = home["distress"]
    investment = min(100.0, max(0.0, 40 + (value / price - 1) * 150 + (cap_rate - 4) * 6))
    risk = min(100.0, max(0.0, 35 + 12 * len(signals) + rng.uniform(-10, 10)))
    overall = round(0.6 * investment + 0.4 * (100 - risk), 2)
    returns = {
        "price": price,
        "monthly_rent": rent,
        "cap_rate_percent": cap_rate,
        "cash_on_cash_percent": round(cap_rate - 2.5, 3),
        "monthly_cash_flow": round((noi - price * 0.75 * 0.08) / 12, 2),
        "irr_percent": round(cap_rate + 3.1, 3),
        "roi_estimate": cap_rate,
    }
    band = rng.uniform(0.08, 0.15)
    comparables = [
        {
            "price": round(value * rng.uniform(0.85, 1.15), -3),
            "sale_date": (when.date() - timedelta(days=rng.randrange(30, 400))).isoformat(),
            "sqft": home["sqft"] + rng.randrange(-200, 200),
            "bedrooms": home["bedrooms"],
            "bathrooms": home["bathrooms"],
            "year_built": home["year_built"] + rng.randrange(-10, 10),
            "distance_km": round(rng.uniform(0.2, 1.5), 3),
        }
        for _ in range(3)
    ]
    for comparable in comparables:
        comparable["price_per_sqft"] = round(comparable["price"] / comparable["sqft"], 2)
    return {
        "property_id": property_id,
        "dag_run_id": home["run_id"],
        "overall_score": overall,
        "investment_score": round(investment, 2),
        "risk_score": round(risk, 2),
        "roi_estimate": cap_rate,
        "cap_rate": cap_rate,
        "estimated_value": value,
        "value_low": round(value * (1 - band), -2),
        "value_high": round(value * (1 + band), -2),
        "monthly_rent_estimate": rent,
        "comparables": comparables,
        "model_version": MODEL_VERSION,
        "input_hash": uuid.uuid4().hex,
        "features_used": {"distress_signals": signals, "sqft": home["sqft"]},
        "score_components": {
            "overall": {
                "score": overall,
                "components": [
                    _component("investment_score", investment, investment, 0.6),
                    _component("safety", 100 - risk, 100 - risk, 0.4),
                ],
            },
            "investment": {
                "score": round(investment, 2),
                "components": [
                    _component("discount_to_value", round(100 * (value / price - 1), 2), 60, 0.35),
                    _component("cap_rate", cap_rate, min(100, cap_rate * 12), 0.3),
                    _component("distress_opportunity", signals, 40 * len(signals), 0.15),
                ],
            },
            "risk": {
                "score": round(risk, 2),
                "components": [
                    _component("valuation_uncertainty", round(2 * band, 3), 100 * band, 0.25),
                    _component("distress_hazard", signals, 50 * len(signals), 0.2),
                ],
            },
            "valuation": {
                "model_version": MODEL_VERSION,
                "as_of": when.date().isoformat(),
                "estimated_value": value,
                "value_low": round(value * (1 - band), -2),
                "value_high": round(value * (1 + band), -2),
                "reason": None,
                "shap_contributions": [
                    {"feature": "sqft", "percent_effect": round(rng.uniform(-8, 15), 2)},
                    {"feature": "zip_code", "percent_effect": round(rng.uniform(-5, 10), 2)},
                ],
            },
            "rent": {"monthly_rent": rent, "basis": "estimate"},
            "returns": returns,
        },
        "created_at": when,
        "updated_at": when,
    }


def demo_rows(now: datetime, seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """The demo rows of every table but scores (those need the property ids)."""
    rng = random.Random(seed)
    runs = []
    for number in range(40):
        started = _moment(rng, now)
        status = rng.choices(("success", "failed", "running", "queued"), (70, 15, 10, 5))[0]
        done = status in ("success", "failed")
        duration = rng.uniform(40, 900)
        runs.append(
            {
                "dag_id": PIPELINES[number % len(PIPELINES)],
                "dag_run_id": _run_id(rng, started),
                "execution_date": started,
                "status": status,
                "conf": {"source": SOURCE},
                "tasks_total": 4,
                "tasks_success": 4 if status == "success" else rng.randrange(0, 4),
                "tasks_failed": 1 if status == "failed" else 0,
                "duration_seconds": round(duration, 1) if done else None,
                "started_at": None if status == "queued" else started,
                "completed_at": started + timedelta(seconds=duration) if done else None,
                "created_at": started,
            }
        )
    jobs = []
    for number in range(20):
        run = runs[number]
        status = rng.choices(("success", "failed", "running"), (75, 15, 10))[0]
        started = run["execution_date"]
        jobs.append(
            {
                "dag_id": "scrape_listings",
                "dag_run_id": run["dag_run_id"],
                "source": SOURCE,
                "status": status,
                "items_scraped": rng.randrange(5, 60),
                "items_failed": rng.randrange(0, 4) if status != "success" else 0,
                "pages_crawled": rng.randrange(2, 20),
                "config": {"location": PLACES[number % len(PLACES)][0]},
                "error_log": "HTTP 503 from the listing site" if status == "failed" else None,
                "request_event_id": uuid.uuid4(),
                "started_at": started,
                "completed_at": (
                    started + timedelta(seconds=rng.uniform(30, 600))
                    if status != "running"
                    else None
                ),
                "created_at": started,
            }
        )
    homes = []
    for number in range(50):
        city, state, zip_code, lat, lon = PLACES[number % len(PLACES)]
        sqft = rng.randrange(800, 3600, 10)
        homes.append(
            {
                "number": number,
                "street": f"{rng.randrange(100, 9999)} {rng.choice(STREETS)}",
                "city": city,
                "state": state,
                "zip_code": zip_code,
                "latitude": round(lat + rng.uniform(-0.03, 0.03), 5),
                "longitude": round(lon + rng.uniform(-0.03, 0.03), 5),
                "property_type": rng.choice(TYPES),
                "bedrooms": max(1, sqft // 650),
                "bathrooms": rng.choice((1.0, 1.5, 2.0, 2.5, 3.0)),
                "sqft": sqft,
                "year_built": rng.randrange(1905, 2022),
                "price": float(round(sqft * rng.uniform(180, 520), -3)),
                "distress": sorted(rng.sample(DISTRESS, rng.choice((0, 0, 0, 1, 2)))),
                "run_id": jobs[number % len(jobs)]["dag_run_id"],
                "job_index": number % len(jobs),
                "scraped_at": _moment(rng, now),
            }
        )
    return {"runs": runs, "jobs": jobs, "homes": homes}


async def _clear(connection: AsyncConnection) -> None:
    """Remove the demo rows of an earlier seeding (scores and jobs go with their rows)."""
    await connection.execute(
        sa.delete(properties).where(properties.c.property_key.startswith(KEY_PREFIX))
    )
    for table in (enrichment_jobs, data_quality_metrics, pipeline_runs):
        await connection.execute(sa.delete(table).where(table.c.dag_run_id.startswith(RUN_PREFIX)))
    await connection.execute(sa.delete(prospect_queue).where(prospect_queue.c.source == SOURCE))
    await connection.execute(sa.delete(scraping_jobs).where(scraping_jobs.c.source == SOURCE))


async def _insert(connection: AsyncConnection, table: sa.Table, rows: list[dict[str, Any]]) -> list:
    result = await connection.execute(sa.insert(table).returning(table.c.id), rows)
    return [row.id for row in result]


async def seed(connection: AsyncConnection, now: datetime) -> dict[str, int]:
    """Write the demo data (after removing an earlier one); returns rows per table."""
    rows = demo_rows(now)
    await _clear(connection)
    await _insert(connection, pipeline_runs, rows["runs"])
    job_ids = await _insert(connection, scraping_jobs, rows["jobs"])
    homes = rows["homes"]
    statuses = (
        ["enriched"] * 15 + ["scored"] * 20 + ["new"] * 8 + ["failed"] * 4 + ["processing"] * 3
    )
    prospect_ids = await _insert(
        connection,
        prospect_queue,
        [
            {
                "source": SOURCE,
                "source_id": f"demo-{home['number']}",
                "url": f"https://listings.invalid/homes/demo-{home['number']}",
                "payload": {
                    "street": home["street"],
                    "city": home["city"],
                    "price": home["price"],
                    "distress_signals": [{"kind": kind} for kind in home["distress"]],
                },
                "status": status,
                "content_hash": uuid.uuid4().hex * 2,
                "dag_run_id": home["run_id"],
                "scraping_job_id": job_ids[home["job_index"]],
                "created_at": home["scraped_at"],
            }
            for home, status in zip(homes, statuses, strict=True)
        ],
    )
    enriched = homes[:35]
    property_ids = await _insert(
        connection,
        properties,
        [
            {
                "prospect_id": prospect_ids[home["number"]],
                "property_key": f"{KEY_PREFIX}{home['number']}",
                "address": f"{home['street'].upper()}, {home['city']}, {home['state']} "
                f"{home['zip_code']}",
                "city": home["city"],
                "state": home["state"],
                "zip_code": home["zip_code"],
                "property_type": home["property_type"],
                "listing_type": "for_sale",
                "bedrooms": home["bedrooms"],
                "bathrooms": home["bathrooms"],
                "sqft": home["sqft"],
                "lot_size": float(home["sqft"] * 3),
                "year_built": home["year_built"],
                "price": home["price"],
                "latitude": home["latitude"],
                "longitude": home["longitude"],
                "enrichment_data": {
                    "location": {"precision": "listing"},
                    "quality": {"completeness_percent": 92.3},
                },
                "enrichment_sources": [
                    {"name": SOURCE, "kind": "listing"},
                    {"name": "US ZIP centroids", "kind": "reference", "key": home["zip_code"]},
                ],
                "dag_run_id": home["run_id"],
                "created_at": home["scraped_at"] + timedelta(minutes=2),
                "updated_at": home["scraped_at"] + timedelta(minutes=2),
            }
            for home in enriched
        ],
    )
    rng = random.Random(11)
    enrichment = [
        {
            "dag_id": "enrichment_property",
            "dag_run_id": home["run_id"],
            "property_id": property_id,
            "prospect_id": prospect_ids[home["number"]],
            "enrichment_type": "full",
            "status": "success",
            "data_sources_used": [SOURCE, "US ZIP centroids"],
            "fields_enriched": ["latitude", "longitude"],
            "error_log": None,
            "source_event_id": uuid.uuid4(),
            "started_at": home["scraped_at"] + timedelta(minutes=1),
            "completed_at": home["scraped_at"] + timedelta(minutes=2),
            "created_at": home["scraped_at"] + timedelta(minutes=1),
        }
        for home, property_id in list(zip(enriched, property_ids, strict=True))[:30]
    ]
    for job in enrichment[:4]:
        job.update(status="failed", error_log="geocoder timed out", fields_enriched=None)
    await _insert(connection, enrichment_jobs, enrichment)
    scores = [
        _score_row(rng, property_id, home, home["scraped_at"] + timedelta(minutes=3))
        for home, property_id in list(zip(enriched, property_ids, strict=True))[:25]
    ]
    await _insert(connection, property_scores, scores)
    metrics = [
        {
            "metric_type": "completeness",
            "metric_name": name,
            "value": value,
            "threshold": 80.0,
            "is_passing": value >= 80.0,
            "entity_type": "property",
            "entity_id": str(property_id),
            "dag_run_id": home["run_id"],
            "measured_at": home["scraped_at"] + timedelta(minutes=2),
        }
        for home, property_id in zip(enriched, property_ids, strict=True)
        for name, value in (("record_completeness", rng.uniform(60, 100)),)
    ] + [
        {
            "metric_type": "freshness",
            "metric_name": "listing_age_days",
            "value": rng.uniform(0, 20),
            "threshold": 14.0,
            "is_passing": True,
            "entity_type": "property",
            "entity_id": str(property_id),
            "dag_run_id": home["run_id"],
            "measured_at": home["scraped_at"] + timedelta(minutes=2),
        }
        for home, property_id in list(zip(enriched, property_ids, strict=True))[:15]
    ]
    await _insert(connection, data_quality_metrics, metrics)
    return {
        "prospects": len(prospect_ids),
        "properties": len(property_ids),
        "scraping_jobs": len(job_ids),
        "enrichment_jobs": len(enrichment),
        "scores": len(scores),
        "pipeline_runs": len(rows["runs"]),
        "quality_metrics": len(metrics),
    }


async def run(settings: Settings) -> dict[str, int]:
    engine = create_engine(settings, application_name="reos-gateway-seed")
    try:
        async with engine.begin() as connection:
            return await seed(connection, datetime.now(UTC))
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="reos-gateway seed-demo", description=__doc__).parse_args(argv)
    counts = asyncio.run(run(get_settings()))
    print("demo data: " + ", ".join(f"{count} {table}" for table, count in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
