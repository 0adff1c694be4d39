"""The demo run of `make up`: trigger `scrape_listings` over the demo listing site through
the gateway, follow the run through every stage, say how the enricher located the run's
homes and at which level their demographics are (the local Census servers answer its
Census clients), then say where everything is.

    python -m deploy.local.demo [--gateway http://127.0.0.1:8000] [--timeout 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

import httpx
import sqlalchemy as sa

from services.gateway.cli import create_key
from shared.db.session import create_engine
from shared.db.tables import (
    docgen_jobs,
    documents,
    enrichment_jobs,
    properties,
    property_scores,
    prospect_queue,
    scraping_jobs,
)
from shared.settings import Settings

SERVICE_PORTS = {"scraper": 9101, "enricher": 9102, "scorer": 9103, "docgen": 9104}
CENSUS_PORT = int(os.environ.get("REOS_CENSUS_PORT", "9185"))


async def stage_counts(engine: sa.ext.asyncio.AsyncEngine, run_id: str) -> dict[str, int]:
    queries = {
        "scraped": sa.select(sa.func.coalesce(sa.func.sum(scraping_jobs.c.items_scraped), 0)).where(
            scraping_jobs.c.dag_run_id == run_id
        ),
        "scrape_finished": sa.select(sa.func.count()).where(
            scraping_jobs.c.dag_run_id == run_id,
            scraping_jobs.c.status.in_(("success", "failed", "cancelled")),
        ),
        "new_or_changed": sa.select(sa.func.count()).where(prospect_queue.c.dag_run_id == run_id),
        "enriched": sa.select(sa.func.count()).where(
            enrichment_jobs.c.dag_run_id == run_id, enrichment_jobs.c.status == "success"
        ),
        "scored": sa.select(sa.func.count()).where(property_scores.c.dag_run_id == run_id),
        "packets": sa.select(sa.func.count()).where(
            docgen_jobs.c.dag_run_id == run_id, docgen_jobs.c.status == "success"
        ),
    }
    async with engine.connect() as connection:
        return {
            name: int((await connection.execute(q)).scalar_one()) for name, q in queries.items()
        }


async def enrichment_sources(run_id: str) -> dict[tuple[str, str], int]:
    """How many of the run's homes were located how (`location_precision`) and at which
    level their demographics are (`tract`, `zcta`, `none`)."""
    engine = create_engine(Settings(), application_name="reos-demo")
    level = properties.c.enrichment_data["demographics"]["geography"].astext
    query = (
        sa.select(properties.c.location_precision, level, sa.func.count())
        .where(properties.c.dag_run_id == run_id)
        .group_by(properties.c.location_precision, level)
    )
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(query)).all()
    finally:
        await engine.dispose()
    return {
        (precision or "unknown", geography or "none"): count for precision, geography, count in rows
    }


def census_summary(counts: dict[tuple[str, str], int]) -> str:
    homes = sum(counts.values())
    geocoded = sum(n for (precision, _), n in counts.items() if precision == "interpolated")
    by_tract = sum(n for (_, geography), n in counts.items() if geography == "tract")
    return (
        f"Census: {geocoded} of {homes} homes located by the Census Geocoder (the others by"
        f" the listing or the ZIP centroid), {by_tract} with ACS figures of their census tract"
    )


async def follow(run_id: str, timeout: float) -> tuple[dict[str, int], list[str]]:
    engine = create_engine(Settings(), application_name="reos-demo")
    deadline = time.monotonic() + timeout
    last: dict[str, int] = {}
    try:
        while time.monotonic() < deadline:
            counts = await stage_counts(engine, run_id)
            if counts != last:
                print(
                    "  "
                    + "  ".join(f"{k}={v}" for k, v in counts.items() if k != "scrape_finished")
                )
                last = counts
            # Unchanged listings are not published again, so the run's work is the
            # new or changed prospects; each ends in one packet.
            if counts["scrape_finished"] and counts["packets"] >= counts["new_or_changed"]:
                break
            await asyncio.sleep(1.0)
        async with engine.connect() as connection:
            latest = sa.select(documents.c.storage_uri).order_by(documents.c.id.desc()).limit(3)
            of_run = latest.join(docgen_jobs, docgen_jobs.c.document_id == documents.c.id).where(
                docgen_jobs.c.dag_run_id == run_id
            )
            uris = (await connection.execute(of_run)).scalars().all() or (
                await connection.execute(latest)
            ).scalars().all()
    finally:
        await engine.dispose()
    return last, list(uris)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--gateway", default=os.environ.get("REOS_GATEWAY_URL", "http://127.0.0.1:8000")
    )
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    gateway = args.gateway.rstrip("/")

    development_key = asyncio.run(create_key(Settings(), "local-demo", frozenset({"operate"})))
    response = httpx.post(
        f"{gateway}/api/pipelines/dags/scrape_listings/trigger",
        json={"conf": {"source": "demo"}},
        headers={"X-API-Key": development_key},
        timeout=30,
    )
    if response.status_code != 200:
        sys.exit(f"demo: trigger failed: {response.status_code} {response.text}")
    run_id = response.json()["dag_run"]["dag_run_id"]
    print(f"demo: scrape_listings triggered over the demo market, run {run_id}")
    counts, packets = asyncio.run(follow(run_id, args.timeout))
    if counts.get("packets", 0) < counts.get("new_or_changed", 0) or not counts.get("scraped"):
        sys.exit("demo: the run did not finish in time; see .stack/logs/*.log")
    if not counts["new_or_changed"]:
        print("demo: every listing was already known and unchanged; nothing new to process")

    print(census_summary(asyncio.run(enrichment_sources(run_id))))

    top = httpx.get(f"{gateway}/api/scoring/top-properties", params={"limit": 5}, timeout=30)
    print("\nTop properties (overall score):")
    for item in top.json().get("data", []):
        place = item["property"]
        print(
            f"  {item['overall_score']:6.2f}  {place['address']}, {place['city']} {place['state']}"
            f"  price {place['price']:,.0f}  roi {item['roi_estimate']}"
        )
    print("\nLatest packets:")
    for uri in packets:
        print(f"  {uri}")
    print(f"""
Where things are:
  API            {gateway}/api/health/comprehensive
  API docs       {gateway}/docs
  gateway        {gateway}/metrics""")
    for name, port in SERVICE_PORTS.items():
        print(f"  {name:<14} http://127.0.0.1:{port}/metrics   (AsyncAPI: /asyncapi)")
    print(
        f"  census (local) http://127.0.0.1:{CENSUS_PORT}/geocoder and /data"
        "   (Geocoder and ACS 5-year stand-ins)"
    )
    print("  logs           .stack/logs/\n  stop           make down")
    print(
        "\nReads need no key on this local stack (REOS_ANONYMOUS_READS=true); triggering"
        " needs\nthis development key (scopes read, operate), sent as X-API-Key:"
        f"\n  {development_key}"
    )


if __name__ == "__main__":
    main()
