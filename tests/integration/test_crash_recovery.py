"""A service killed mid-stream loses nothing and duplicates nothing: what it had not
committed is redelivered to its successor, and what it had is not done twice."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from shared.db.tables import enrichment_jobs, properties, property_scores
from tests.conftest import count_run_rows, publish, unique_run_id
from tests.integration.test_enrich_score_flow import new_prospect
from tests.services import ServiceProcess, free_port, running_services

pytestmark = pytest.mark.stack

# Enough for several of the enricher's batches (up to 500 events each), so that the kill
# lands between them.
PROSPECTS = 1500


async def test_enricher_killed_mid_stream_loses_and_duplicates_nothing(
    stack_env, sessions, raw_producer, tmp_path
) -> None:
    run_id = unique_run_id("crash")
    events = [await new_prospect(sessions, run_id) for _ in range(PROSPECTS)]
    env = {**os.environ, "REOS_STARTUP_WAIT_SECONDS": "30"}
    with running_services(["services.enricher", "services.scorer"], tmp_path) as started:
        await asyncio.gather(*(publish(raw_producer, event) for event in events))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while await count_run_rows(sessions, enrichment_jobs, run_id) < 20:
            assert loop.time() < deadline, started["enricher"].log_tail()
            await asyncio.sleep(0.05)
        started["enricher"].process.send_signal(signal.SIGKILL)
        started["enricher"].process.wait()
        done_before_crash = await count_run_rows(sessions, enrichment_jobs, run_id)
        assert done_before_crash < PROSPECTS, "the enricher finished before it was killed"

        successor = ServiceProcess("services.enricher", free_port(), tmp_path, env)
        try:
            successor.wait_ready()
            deadline = loop.time() + 120
            while await count_run_rows(sessions, property_scores, run_id) < PROSPECTS:
                assert loop.time() < deadline, successor.log_tail()
                await asyncio.sleep(0.5)
            await asyncio.sleep(2)
        finally:
            successor.stop()

    assert await count_run_rows(sessions, enrichment_jobs, run_id) == PROSPECTS
    assert await count_run_rows(sessions, properties, run_id) == PROSPECTS
    assert await count_run_rows(sessions, property_scores, run_id) == PROSPECTS
