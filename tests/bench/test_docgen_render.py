"""Benchmark (`make bench`): packets through the running docgen: the render time of each
(in its worker process), packets per second from publishing the scores to the last
`packet.generated`, and docgen's CPU for each packet it rendered meanwhile (its process,
which here also runs the test's Kafka clients, plus its render workers; on a shared stack
it also renders what others publish): cores / that CPU is what this machine reaches when
nothing else runs."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from shared import topics
from shared.db.tables import docgen_jobs
from shared.events import derived_event_id
from tests.conftest import publish, unique_run_id
from tests.integration.test_docgen_service import (
    RunningDocgen,
    records_where,
    rows,
    score_created,
)

pytestmark = pytest.mark.stack

PACKETS = 60


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU of a live process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def packets_rendered(docgen: RunningDocgen) -> float:
    """Packets this docgen has rendered so far, whoever asked (its metrics)."""
    metrics = (await docgen.get("/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("reos_docgen_packets_generated_total{")
    )


def docgen_cpu_seconds() -> tuple[float, float]:
    """CPU of this process (the in-process docgen) and of its children (render workers)."""
    me = os.getpid()
    children = {
        int(pid)
        for task in Path(f"/proc/{me}/task").iterdir()
        for pid in (task / "children").read_text().split()
    }
    return process_cpu_seconds(me), sum(process_cpu_seconds(pid) for pid in children)


async def test_render_time_and_packets_per_second(
    docgen: RunningDocgen, seed: Any, sessions: Any, topic_reader: Any, raw_producer: Any
) -> None:
    """Measures, does not judge: prints p50/p95/p99 render time, packets/s and CPU."""
    run_id = unique_run_id("docgen-timing")
    props = [await seed() for _ in range(PACKETS)]
    events = [score_created(prop, run_id) for prop in props]
    wanted = {str(derived_event_id("docgen", event.event_id)) for event in events}
    reader = await topic_reader(topics.PACKET_GENERATED)
    load_before = os.getloadavg()[0]
    cpu_before = docgen_cpu_seconds()
    rendered_before = await packets_rendered(docgen)
    started = asyncio.get_running_loop().time()

    for event in events:
        await publish(raw_producer, event)
    await records_where(
        reader,
        topics.PACKET_GENERATED,
        lambda record: json.loads(record.value)["event_id"] in wanted,
        count=len(events),
        timeout=300,
    )
    elapsed = asyncio.get_running_loop().time() - started
    cpu_after = docgen_cpu_seconds()
    rendered = await packets_rendered(docgen) - rendered_before
    service_cpu, workers_cpu = (
        (after - before) / rendered for after, before in zip(cpu_after, cpu_before, strict=True)
    )
    cpu_per_packet = service_cpu + workers_cpu

    jobs = await rows(sessions, sa.select(docgen_jobs).where(docgen_jobs.c.dag_run_id == run_id))
    assert len(jobs) == PACKETS
    assert {job["status"] for job in jobs} == {"success"}
    seconds = sorted(job["render_seconds"] for job in jobs)
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    print(
        f"\ndocgen over {len(seconds)} packets: render p50 {statistics.median(seconds) * 1000:.0f} "
        f"ms, p95 {cuts[94] * 1000:.0f} ms, p99 {cuts[98] * 1000:.0f} ms, max "
        f"{seconds[-1] * 1000:.0f} ms; {len(seconds) / elapsed:.1f} packets/s end to end; "
        f"docgen rendered {rendered:.0f} packets meanwhile (others' too), CPU "
        f"{cpu_per_packet * 1000:.0f} ms a packet (service {service_cpu * 1000:.0f}, "
        f"render workers {workers_cpu * 1000:.0f}; {os.cpu_count()} cores: at most "
        f"{(os.cpu_count() or 1) / cpu_per_packet:.1f} packets/s); load average "
        f"{load_before:.1f} -> {os.getloadavg()[0]:.1f}"
    )
