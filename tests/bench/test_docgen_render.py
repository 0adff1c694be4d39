"""Benchmark (`make bench`): packets through the running docgen: the render time of each
(in its worker process) and packets per second from publishing the scores to the last
`packet.generated`."""

from __future__ import annotations

import asyncio
import json
import statistics
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


async def test_render_time_and_packets_per_second(
    docgen: RunningDocgen, seed: Any, sessions: Any, topic_reader: Any, raw_producer: Any
) -> None:
    """Measures, does not judge: prints p50/p95/p99 render time and packets/s."""
    run_id = unique_run_id("docgen-timing")
    props = [await seed() for _ in range(PACKETS)]
    events = [score_created(prop, run_id) for prop in props]
    wanted = {str(derived_event_id("docgen", event.event_id)) for event in events}
    reader = await topic_reader(topics.PACKET_GENERATED)
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

    jobs = await rows(sessions, sa.select(docgen_jobs).where(docgen_jobs.c.dag_run_id == run_id))
    assert len(jobs) == PACKETS
    assert {job["status"] for job in jobs} == {"success"}
    seconds = sorted(job["render_seconds"] for job in jobs)
    cuts = statistics.quantiles(seconds, n=100)
    print(
        f"\ndocgen over {len(seconds)} packets: render p50 {statistics.median(seconds) * 1000:.0f} "
        f"ms, p95 {cuts[94] * 1000:.0f} ms, p99 {cuts[98] * 1000:.0f} ms, max "
        f"{seconds[-1] * 1000:.0f} ms; {len(seconds) / elapsed:.1f} packets/s end to end"
    )
