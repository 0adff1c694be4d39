"""Benchmark (`make bench`): the render time of fifty packets through the running docgen."""

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


async def test_render_time_over_fifty_packets(
    docgen: RunningDocgen, seed: Any, sessions: Any, topic_reader: Any, raw_producer: Any
) -> None:
    """Measures, does not judge: prints p50/p95 of the in-service render time."""
    run_id = unique_run_id("docgen-timing")
    props = [await seed() for _ in range(50)]
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
        timeout=240,
    )
    elapsed = asyncio.get_running_loop().time() - started

    jobs = await rows(sessions, sa.select(docgen_jobs).where(docgen_jobs.c.dag_run_id == run_id))
    assert len(jobs) == 50
    assert {job["status"] for job in jobs} == {"success"}
    seconds = sorted(job["render_seconds"] for job in jobs)
    p50 = statistics.median(seconds)
    p95 = statistics.quantiles(seconds, n=20)[-1]
    print(
        f"\ndocgen render over {len(seconds)} packets: p50 {p50 * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {seconds[-1] * 1000:.0f} ms; "
        f"{len(seconds) / elapsed:.1f} packets/s end to end"
    )
