"""Benchmark: the scorer alone, 10,000 `property.enriched` through value -> rent -> returns
-> scores -> `score.created`.

    make bench            (or: python -m tests.bench.scorer --count 10000)

Starts the scorer as its own process against the running stack (with the production AVM
`make model` registered), publishes COUNT enriched properties built from real King County
sales with the Census rent of their ZIP, and measures properties per second from the first
score to the last, and the scorer's own batch durations (its
`reos_scorer_batch_duration_seconds` histogram: p99 as the bucket bound that holds 99 %
of the batches). `--replicas N` runs N scorer processes in one consumer group (one per
core is how the chart scales it). Writes bench-results/scorer.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from services.enricher.reference import ReferenceData
from shared import topics
from shared.db.session import create_engine, create_sessionmaker
from shared.db.tables import properties
from shared.events import PropertyEnriched
from shared.settings import REPO_ROOT, Settings
from tests.bench.cpu import machine_busy_seconds, process_seconds, stack_seconds
from tests.bench.pipeline import listings
from tests.services import ServiceProcess, assign_at_end, running_services

BATCH_METRIC = "reos_scorer_batch_duration_seconds"


async def property_rows(keys: list[str]) -> list[int]:
    """The `properties` rows the enricher would have written (scores refer to them)."""
    settings = Settings()
    engine = create_engine(settings, application_name="reos-bench")
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            result = await session.execute(
                sa.insert(properties).returning(properties.c.id, sort_by_parameter_order=True),
                [{"property_key": key, "address": key} for key in keys],
            )
            return [int(row[0]) for row in result]
    finally:
        await engine.dispose()


async def enriched(data_dir: Path, count: int, run_id: str) -> list[PropertyEnriched]:
    """COUNT enriched properties from real sales (listed at their sale price), as the
    pipeline benchmark lists them, with their ZIP's Census figures."""
    reference = ReferenceData.load(data_dir)
    homes = listings(data_dir, count, run_id[-12:], "bench")
    keys = [f"bench|{run_id}|{index}" for index in range(count)]
    property_ids = await property_rows(keys)
    return [
        PropertyEnriched(
            run_id=run_id,
            property_id=property_id,
            property_key=key,
            address=home.address_line or key,
            listing=home,
            enrichment={
                "demographics": reference.demographics.get(home.zip_code or "", {}),
                "quality": {"completeness_percent": 100.0},
            },
        )
        for home, key, property_id in zip(homes, keys, property_ids, strict=True)
    ]


async def scores_seen(consumer: AIOKafkaConsumer, run_id: str, count: int, timeout: float):
    """(first, last) arrival times of the run's COUNT scores."""
    scored: set[int] = set()
    first = last = 0.0
    deadline = time.monotonic() + timeout
    while len(scored) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: only {len(scored)}/{count} scores after {timeout:.0f}s")
        batch = await consumer.getmany(timeout_ms=1000)
        for records in batch.values():
            for record in records:
                event = json.loads(record.value)
                if event.get("run_id") == run_id:
                    first = first or time.time()
                    scored.add(event["property_id"])
                    last = time.time()
    return first, last


def batch_quantile(metrics_texts: list[str], quantile: float) -> tuple[float | None, int, float]:
    """The smallest bucket bound holding `quantile` of the property.enriched batches of
    every replica, the number of batches and their mean duration."""
    buckets: dict[float, float] = {}
    count, total = 0, 0.0
    samples = (
        sample
        for text in metrics_texts
        for family in text_string_to_metric_families(text)
        if family.name == BATCH_METRIC
        for sample in family.samples
        if sample.labels.get("topic") == topics.PROPERTY_ENRICHED
    )
    for sample in samples:
        if sample.name.endswith("_bucket"):
            bound = float(sample.labels["le"])
            buckets[bound] = buckets.get(bound, 0.0) + sample.value
        elif sample.name.endswith("_count"):
            count += int(sample.value)
        elif sample.name.endswith("_sum"):
            total += sample.value
    needed = quantile * count
    bound = next((le for le, seen in sorted(buckets.items()) if seen >= needed), None)
    return bound, count, (total / count if count else 0.0)


class CpuLedger:
    """CPU time of each part of the machine across a run: the scorer processes, the stack's
    servers, this benchmark (it publishes and reads the events) and the whole machine."""

    def __init__(self, scorers: list[ServiceProcess]) -> None:
        self.scorers = scorers

    def sample(self) -> dict[str, float]:
        times = os.times()
        return {
            "scorer": sum(process_seconds(s.process.pid) for s in self.scorers),
            **stack_seconds(),
            "load_generator": times.user + times.system,
            "machine": machine_busy_seconds(),
        }

    @staticmethod
    def per_property(before: dict[str, float], after: dict[str, float], count: int) -> dict:
        figures = {
            f"{part}_cpu_ms_per_property": round(1000 * (after[part] - before[part]) / count, 3)
            for part in before
        }
        # The most the machine's cores could carry at this cost, with nothing else running.
        machine = (after["machine"] - before["machine"]) / count
        figures["machine_bound_properties_per_second"] = round(os.cpu_count() / machine, 1)
        return figures


async def run(scorers: list[ServiceProcess], count: int, timeout: float) -> dict[str, Any]:
    scorer_urls = [process.url for process in scorers]
    cpu = CpuLedger(scorers)
    settings = Settings()
    run_id = f"bench__{uuid.uuid4().hex[:12]}"
    events = await enriched(settings.data_dir, count, run_id)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await consumer.start()
    await assign_at_end(consumer, [topics.SCORE_CREATED])
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
    )
    await producer.start()
    cpu_before = cpu.sample()
    started = time.time()
    sends = [await producer.send(event.TOPIC, event.body(), key=event.key()) for event in events]
    await asyncio.gather(*sends)
    published = time.time() - started
    first, last = await scores_seen(consumer, run_id, count, timeout)
    cpu_after = cpu.sample()
    await producer.stop()
    await consumer.stop()
    metrics = [await asyncio.to_thread(httpx.get, url + "/metrics") for url in scorer_urls]
    p99, batches, mean = batch_quantile([answer.text for answer in metrics], 0.99)
    return {
        "run_id": run_id,
        "replicas": len(scorer_urls),
        "properties": count,
        "publish_seconds": round(published, 2),
        "scoring_seconds": round(last - first, 2),
        "properties_per_second": round(count / max(last - first, 1e-9), 1),
        "end_to_end_seconds": round(last - started, 2),
        "batches": batches,
        "batch_mean_seconds": round(mean, 4),
        "batch_p99_at_most_seconds": p99,
        **CpuLedger.per_property(cpu_before, cpu_after, count),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument(
        "--replicas", type=int, default=1, help="scorer processes sharing the partitions"
    )
    args = parser.parse_args()
    out_dir = REPO_ROOT / "bench-results"
    out_dir.mkdir(exist_ok=True)
    with running_services(["services.scorer"] * args.replicas, out_dir) as started:
        result = asyncio.run(run(list(started.values()), args.count, args.timeout))
    name = "scorer.json" if args.replicas == 1 else f"scorer-{args.replicas}-replicas.json"
    (out_dir / name).write_text(json.dumps(result, indent=2) + "\n")
    width = max(len(key) for key in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
