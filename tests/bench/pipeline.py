"""Benchmark: 10,000 prospects through enrich -> score -> `score.created`.

    make bench            (or: python -m tests.bench.pipeline --count 10000 [--census])

Starts the enricher and the scorer as separate processes against the running stack,
publishes COUNT `prospect.new` events built from real King County sales (synthetic
street addresses), and measures properties per second end to end and through the
enricher alone (to its `property.enriched`), the latency from each publish to its score
row (`property_scores.created_at`) and to its `property.enriched`, and the CPU time each
service spent per property (what the machine's other work cannot inflate as much as
the wall clock). With `--census` the enricher's Census Geocoder and ACS clients are on,
talking to the local fake Census servers (`deploy.local.census_servers`). Prints a summary and
writes it to bench-results/pipeline.json (pipeline-census.json with `--census`).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import statistics
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared import topics
from shared.db.session import create_engine, create_sessionmaker
from shared.db.tables import properties, property_scores, prospect_queue
from shared.events import ProspectNew
from shared.listing import Listing
from shared.settings import REPO_ROOT, Settings
from deploy.local.census_servers import census_env, census_server
from tests.services import ServiceProcess, assign_at_end, running_services

STREETS = ("Maple", "Cedar", "Alder", "Madrona", "Spruce", "Hemlock", "Juniper", "Laurel")
SUFFIXES = ("Ave", "St", "Rd", "Way", "Ln", "Pl")


def listings(data_dir: Path, count: int, run_token: str, source: str) -> list[Listing]:
    """COUNT listings from real sales; `run_token` in the unit keeps each run's homes new."""
    path = data_dir / "kc_house_data.csv"
    if not path.is_file():
        raise SystemExit(f"bench: {path} not found; set REOS_DATA_DIR to the data folder")
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for index in range(count):
        row = rows[index % len(rows)]
        street = f"{100 + index} {STREETS[index % len(STREETS)]} {SUFFIXES[index % len(SUFFIXES)]}"
        out.append(
            Listing(
                source=source,
                source_id=str(index),
                status="for_sale",
                street=street,
                unit=f"Unit {run_token}",
                state="WA",
                zip_code=row["zipcode"],
                property_type="single_family",
                latitude=float(row["lat"]),
                longitude=float(row["long"]),
                bedrooms=int(row["bedrooms"]),
                bathrooms=float(row["bathrooms"]),
                sqft=int(row["sqft_living"]),
                lot_sqft=float(row["sqft_lot"]),
                year_built=int(row["yr_built"]),
                price=float(row["price"]),
            )
        )
    return out


async def insert_prospects(sessions: Any, source: str, homes: list[Listing]) -> list[int]:
    async with sessions() as session, session.begin():
        result = await session.execute(
            sa.insert(prospect_queue).returning(prospect_queue.c.id, sort_by_parameter_order=True),
            [
                {
                    "source": source,
                    "source_id": home.source_id,
                    "payload": home.model_dump(mode="json"),
                    "content_hash": "b" * 64,
                }
                for home in homes
            ],
        )
        return [int(row[0]) for row in result]


async def count_scores_seen(
    consumer: AIOKafkaConsumer, run_id: str, count: int, timeout: float
) -> tuple[float, dict[int, float]]:
    """Reads score.created until COUNT properties of the run were scored; returns the time
    the last one arrived, and when the enricher published each prospect's
    `property.enriched` (its record's create time), by prospect id. Redelivered
    duplicates are counted once."""
    scored: set[int] = set()
    enriched: dict[int, float] = {}
    last = time.time()
    deadline = time.monotonic() + timeout
    while len(scored) < count or len(enriched) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: only {len(scored)}/{count} scores after {timeout:.0f}s")
        batch = await consumer.getmany(timeout_ms=1000)
        for records in batch.values():
            for record in records:
                event = json.loads(record.value)
                if event.get("run_id") != run_id:
                    continue
                if record.topic == topics.PROPERTY_ENRICHED:
                    enriched.setdefault(event["prospect_id"], record.timestamp / 1000)
                else:
                    scored.add(event["property_id"])
                    last = time.time()
    return last, enriched


def percentiles(prefix: str, latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        f"{prefix}_p50_seconds": round(statistics.median(ordered), 3),
        f"{prefix}_p99_seconds": round(ordered[int(0.99 * (len(ordered) - 1))], 3),
        f"{prefix}_max_seconds": round(ordered[-1], 3),
    }


async def run(count: int, timeout: float) -> dict[str, Any]:
    settings = Settings()
    engine = create_engine(settings, application_name="reos-bench")
    sessions = create_sessionmaker(engine)
    run_id = f"bench__{uuid.uuid4().hex[:12]}"
    source = f"bench-{run_id[-12:]}"
    homes = listings(settings.data_dir, count, run_id[-12:], source)
    prospect_ids = await insert_prospects(sessions, source, homes)

    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await consumer.start()
    await assign_at_end(consumer, [topics.PROPERTY_ENRICHED, topics.SCORE_CREATED])

    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
    )
    await producer.start()
    published_at: dict[int, datetime] = {}
    started = time.time()
    futures = []
    for prospect_id, home in zip(prospect_ids, homes, strict=True):
        event = ProspectNew(
            run_id=run_id,
            prospect_id=prospect_id,
            source=source,
            source_id=home.source_id,
            listing=home,
        )
        published_at[prospect_id] = datetime.now(UTC)
        futures.append(
            await producer.send(event.TOPIC, event.model_dump_json().encode(), key=event.key())
        )
    await asyncio.gather(*futures)
    publish_seconds = time.time() - started
    last, enriched = await count_scores_seen(consumer, run_id, count, timeout)
    await producer.stop()
    await consumer.stop()

    async with sessions() as session:
        rows = (
            await session.execute(
                sa.select(properties.c.prospect_id, property_scores.c.created_at)
                .join(property_scores, property_scores.c.property_id == properties.c.id)
                .where(property_scores.c.dag_run_id == run_id)
            )
        ).all()
    await engine.dispose()
    elapsed = last - started
    enriching = max(enriched.values()) - started
    return {
        "run_id": run_id,
        "prospects": count,
        "scores": len(rows),
        "publish_seconds": round(publish_seconds, 2),
        "elapsed_seconds": round(elapsed, 2),
        "properties_per_second": round(count / elapsed, 1),
        **percentiles(
            "latency",
            [
                (created - published_at[prospect_id]).total_seconds()
                for prospect_id, created in rows
            ],
        ),
        "enricher_seconds": round(enriching, 2),
        "enricher_properties_per_second": round(count / enriching, 1),
        **percentiles(
            "enricher_latency",
            [at - published_at[prospect_id].timestamp() for prospect_id, at in enriched.items()],
        ),
    }


def cpu_seconds(service: ServiceProcess) -> float:
    """User and system CPU time the service's process has used so far (Linux `/proc`)."""
    fields = Path(f"/proc/{service.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument(
        "--census", action="store_true", help="enable the Census clients, on the fake servers"
    )
    args = parser.parse_args()
    out_dir = REPO_ROOT / "bench-results"
    out_dir.mkdir(exist_ok=True)
    with ExitStack() as stack:
        env: dict[str, str] = {}
        if args.census:
            base_url, _ = stack.enter_context(census_server())
            env = census_env(base_url)
        services = stack.enter_context(
            running_services(["services.enricher", "services.scorer"], out_dir, env)
        )
        idle = {name: cpu_seconds(service) for name, service in services.items()}
        result = asyncio.run(run(args.count, args.timeout))
        result["census_clients"] = "fake servers" if args.census else "off"
        for name, service in services.items():
            used = cpu_seconds(service) - idle[name]
            result[f"{name}_cpu_ms_per_property"] = round(1000 * used / args.count, 3)
    name = "pipeline-census.json" if args.census else "pipeline.json"
    (out_dir / name).write_text(json.dumps(result, indent=2) + "\n")
    width = max(len(key) for key in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
