"""Benchmark: prospects through enrich -> score -> `score.created`, as a burst and paced.

    make bench   (or: python -m tests.bench.pipeline --count 10000 [--census] [--rate 450])

Starts the enricher and the scorer as separate processes against the running stack and
publishes `prospect.new` events built from real King County sales (synthetic street
addresses), twice:
- throughput: COUNT events at once (a burst); properties per second end to end and through
  the enricher alone (to its `property.enriched`). Latencies from a burst are mostly
  queueing behind it and are reported as such (`burst_...`);
- latency: PACED_COUNT events published open-loop at RATE per second (each send at its
  scheduled time, whatever the answers), and the latency of each from its scheduled
  publish to its `property.enriched` (the record's create time): p50, p99, max. The
  scorer is stopped first: the figure is the enricher's own, not shared with the scorer.
It also reports the CPU time each service spent per property (what the machine's other
work cannot inflate as much as the wall clock), the enricher's mean batch size and wall
time per step of a batch (its `batch_step_seconds` metric), and the load average around
the run (the machine is shared: figures are noisy). With `--census` the enricher's Census
Geocoder and ACS clients are on, talking to the local Census servers
(`deploy.local.census_servers`, a process of their own). Prints a summary and writes it
to bench-results/pipeline.json (pipeline-census.json with `--census`).
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

import httpx
import orjson
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from deploy.local.census_servers import census_env
from shared import topics
from shared.db.session import create_engine, create_sessionmaker
from shared.db.tables import enrichment_jobs, properties, property_scores, prospect_queue
from shared.events import ProspectNew
from shared.listing import Listing
from shared.messaging import HEADER_RUN_ID
from shared.settings import REPO_ROOT, Settings
from tests.bench.cpu import process_seconds
from tests.services import ServiceProcess, assign_at_end, free_port, running_services

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


async def prepared(
    settings: Settings, sessions: Any, count: int
) -> tuple[str, str, list[Listing], list[int]]:
    """A new run id, its source, COUNT new homes and their prospect rows. The homes' house
    numbers start at a number of the run's own, so their streets are new to the geocoder
    (and its cache) too: each run measures the Census clients, not a warm cache."""
    run_id = f"bench__{uuid.uuid4().hex[:12]}"
    source = f"bench-{run_id[-12:]}"
    first = 10_000 * (uuid.uuid4().int % 900 + 100)
    homes = [
        home.model_copy(update={"street": f"{first + index} {home.street.split(' ', 1)[1]}"})
        for index, home in enumerate(listings(settings.data_dir, count, run_id[-12:], source))
    ]
    return run_id, source, homes, await insert_prospects(sessions, source, homes)


def prospect_event(run_id: str, source: str, prospect_id: int, home: Listing) -> ProspectNew:
    return ProspectNew(
        run_id=run_id,
        prospect_id=prospect_id,
        source=source,
        source_id=home.source_id,
        listing=home,
    )


async def burst(settings: Settings, sessions: Any, count: int, timeout: float) -> dict[str, Any]:
    """COUNT prospects published at once, followed to their scores."""
    run_id, source, homes, prospect_ids = await prepared(settings, sessions, count)
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
        event = prospect_event(run_id, source, prospect_id, home)
        published_at[prospect_id] = datetime.now(UTC)
        futures.append(await producer.send(event.TOPIC, event.body(), key=event.key()))
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
            "burst_latency",
            [
                (created - published_at[prospect_id]).total_seconds()
                for prospect_id, created in rows
            ],
        ),
        "enricher_seconds": round(enriching, 2),
        "enricher_properties_per_second": round(count / enriching, 1),
        **percentiles(
            "burst_enricher_latency",
            [at - published_at[prospect_id].timestamp() for prospect_id, at in enriched.items()],
        ),
    }


async def enriched_of_run(
    consumer: AIOKafkaConsumer, run_id: str, count: int, timeout: float
) -> dict[int, float]:
    """When each of the run's COUNT prospects had its `property.enriched` (the record's
    create time), by prospect id. Other runs' records are skipped by their run-id header,
    unread."""
    run = run_id.encode()
    enriched: dict[int, float] = {}
    deadline = time.monotonic() + timeout
    while len(enriched) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: only {len(enriched)}/{count} enriched after {timeout:.0f}s")
        for records in (await consumer.getmany(timeout_ms=200)).values():
            for record in records:
                if (HEADER_RUN_ID, run) in record.headers:
                    prospect_id = orjson.loads(record.value)["prospect_id"]
                    enriched.setdefault(prospect_id, record.timestamp / 1000)
    return enriched


async def paced(
    settings: Settings, sessions: Any, count: int, rate: float, timeout: float
) -> dict[str, Any]:
    """COUNT prospects published open-loop at RATE per second: the latency of each from its
    scheduled publish to its `property.enriched`."""
    run_id, source, homes, prospect_ids = await prepared(settings, sessions, count)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await consumer.start()
    await assign_at_end(consumer, [topics.PROPERTY_ENRICHED])
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, acks="all", enable_idempotence=True
    )
    await producer.start()
    # Serialized before the clock starts, so that the generator's own work between sends
    # stays small: it shares the two cores with what it measures.
    events = [
        prospect_event(run_id, source, prospect_id, home)
        for prospect_id, home in zip(prospect_ids, homes, strict=True)
    ]
    messages = [(event.prospect_id, event.body(), event.key()) for event in events]
    scheduled: dict[int, float] = {}
    lateness: list[float] = []
    futures = []
    start = time.time() + 0.2
    for index, (prospect_id, body, key) in enumerate(messages):
        due = start + index / rate
        if (wait := due - time.time()) > 0:
            await asyncio.sleep(wait)
        scheduled[prospect_id] = due
        futures.append(await producer.send(topics.PROSPECT_NEW, body, key=key))
        lateness.append(time.time() - due)
    sent = time.time()
    await asyncio.gather(*futures)
    enriched = await enriched_of_run(consumer, run_id, count, timeout)
    await producer.stop()
    await consumer.stop()
    async with sessions() as session:
        started = dict(
            (
                await session.execute(
                    sa.select(enrichment_jobs.c.prospect_id, enrichment_jobs.c.started_at).where(
                        enrichment_jobs.c.dag_run_id == run_id
                    )
                )
            ).all()
        )
    return {
        "paced_run_id": run_id,
        "paced_prospects": count,
        "paced_rate_per_second": rate,
        "paced_achieved_rate_per_second": round(count / (sent - start), 1),
        **percentiles(
            "paced_enricher_latency",
            [at - scheduled[prospect_id] for prospect_id, at in enriched.items()],
        ),
        # How late this benchmark itself handed each event to its producer (it shares the
        # machine): part of the latency above that is not the enricher's.
        **percentiles("paced_send_lateness", lateness),
        # The two parts of it: waiting for the batch (publish to the batch's start, its
        # job row's `started_at`), and the batch (its start to the `property.enriched`).
        **percentiles(
            "paced_waiting",
            [started[pid].timestamp() - scheduled[pid] for pid in enriched if pid in started],
        ),
        **percentiles(
            "paced_in_batch",
            [at - started[pid].timestamp() for pid, at in enriched.items() if pid in started],
        ),
    }


BATCH_SAMPLES = {
    "reos_enricher_batch_size_messages_sum": "events",
    "reos_enricher_batch_size_messages_count": "batches",
    "reos_enricher_batch_duration_seconds_sum": "whole",
}


def enricher_batches(url: str) -> dict[str, float]:
    """The enricher's batch counters so far: `batch_step_seconds` sums per step, the
    batches of `prospect.new`, the events they held and their whole time (the processor's
    `batch_duration_seconds`: claiming the events, the steps, recording the outputs,
    committing and publishing)."""
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(httpx.get(f"{url}/metrics").text):
        for sample in family.samples:
            if sample.name == "reos_enricher_batch_step_seconds_sum":
                found[f"step_{sample.labels['step']}"] = sample.value
            elif sample.name in BATCH_SAMPLES and sample.labels["topic"] == topics.PROSPECT_NEW:
                found[BATCH_SAMPLES[sample.name]] = sample.value
    return found


def batch_figures(prefix: str, before: dict[str, float], after: dict[str, float]) -> dict[str, Any]:
    """Mean batch size, mean milliseconds per batch in each step and in the whole batch
    (claim to publish), between two readings."""
    batches = after.get("batches", 0) - before.get("batches", 0)
    if not batches:
        return {}
    figures: dict[str, Any] = {
        f"{prefix}_batches": int(batches),
        f"{prefix}_mean_batch_size": round(
            (after["events"] - before.get("events", 0)) / batches, 1
        ),
    }
    for name in sorted(set(after) - {"events", "batches"}):
        spent = after[name] - before.get(name, 0.0)
        label = "whole_batch_ms" if name == "whole" else f"{name}_ms_per_batch"
        figures[f"{prefix}_{label}"] = round(1000 * spent / batches, 1)
    return figures


async def measured(phase: str, enricher_url: str, work: Any) -> dict[str, Any]:
    """A phase's own figures and the enricher's batches during it, on an engine of its own."""
    settings = Settings()
    engine = create_engine(settings, application_name="reos-bench")
    try:
        before = enricher_batches(enricher_url)
        result: dict[str, Any] = await work(settings, create_sessionmaker(engine))
        return {**result, **batch_figures(phase, before, enricher_batches(enricher_url))}
    finally:
        await engine.dispose()


def cpu_seconds(service: ServiceProcess) -> float:
    """User and system CPU time the service's process has used so far."""
    return process_seconds(service.process.pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000, help="prospects in the burst")
    parser.add_argument(
        "--paced-count", type=int, default=10_000, help="prospects published paced (0: none)"
    )
    parser.add_argument("--rate", type=float, default=450.0, help="paced prospects per second")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument(
        "--census", action="store_true", help="enable the Census clients, on the local servers"
    )
    args = parser.parse_args()
    out_dir = REPO_ROOT / "bench-results"
    out_dir.mkdir(exist_ok=True)
    load_before = os.getloadavg()
    with ExitStack() as stack:
        env: dict[str, str] = {}
        if args.census:
            port = free_port()
            census = ServiceProcess(
                "deploy.local.census_servers",
                port,
                out_dir,
                dict(os.environ),
                ("--port", str(port)),
            )
            stack.callback(census.stop)
            census.wait_ready("/healthz")
            env = census_env(census.url)
        services = stack.enter_context(
            running_services(["services.enricher", "services.scorer"], out_dir, env)
        )
        enricher, scorer = services["enricher"], services["scorer"]
        idle = {name: cpu_seconds(service) for name, service in services.items()}
        result = asyncio.run(
            measured(
                "burst",
                enricher.url,
                lambda settings, sessions: burst(settings, sessions, args.count, args.timeout),
            )
        )
        for name, service in services.items():
            used = cpu_seconds(service) - idle[name]
            result[f"{name}_cpu_ms_per_property"] = round(1000 * used / args.count, 3)
        if args.paced_count:
            # The enricher's own latency: the scorer (which would share the two cores with
            # it) stops first.
            scorer.stop()
            idle_enricher = cpu_seconds(enricher)
            result |= asyncio.run(
                measured(
                    "paced",
                    enricher.url,
                    lambda settings, sessions: paced(
                        settings, sessions, args.paced_count, args.rate, args.timeout
                    ),
                )
            )
            used = cpu_seconds(enricher) - idle_enricher
            result["paced_enricher_cpu_ms_per_property"] = round(1000 * used / args.paced_count, 3)
        result["census_clients"] = "local servers" if args.census else "off"
    result["load_average_before"] = [round(load, 2) for load in load_before]
    result["load_average_after"] = [round(load, 2) for load in os.getloadavg()]
    name = "pipeline-census.json" if args.census else "pipeline.json"
    (out_dir / name).write_text(json.dumps(result, indent=2) + "\n")
    width = max(len(key) for key in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
