"""A database or broker restarted mid-stream loses nothing and duplicates nothing: the
services ride out the outage (retrying, leaving messages uncommitted) and carry on.

These stop and start parts of the local stack (`deploy/local/stack.sh stop PART` and
`up`), which `make test` runs; against external endpoints there is nothing of ours to stop.
"""

from __future__ import annotations

import asyncio
import os
import subprocess

import pytest

from shared.db.tables import enrichment_jobs, properties, property_scores
from shared.settings import REPO_ROOT
from tests.conftest import count_run_rows, publish, unique_run_id
from tests.integration.test_enrich_score_flow import new_prospect
from tests.services import running_services

pytestmark = pytest.mark.stack

PROSPECTS = 2000
OUTAGE_SECONDS = 3
STACK = REPO_ROOT / "deploy" / "local" / "stack.sh"


def stack(*args: str) -> None:
    """Run the local stack's script; the endpoints it would skip are not passed on."""
    result = subprocess.run(
        [str(STACK), *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "S3_ENDPOINT_URL")
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("part", ["postgres", "kafka"])
async def test_an_outage_mid_stream_loses_and_duplicates_nothing(
    stack_env, sessions, raw_producer, tmp_path, part: str
) -> None:
    run_id = unique_run_id(f"outage-{part}")
    events = [await new_prospect(sessions, run_id) for _ in range(PROSPECTS)]
    with running_services(["services.enricher", "services.scorer"], tmp_path) as started:
        await asyncio.gather(*(publish(raw_producer, event) for event in events))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while await count_run_rows(sessions, enrichment_jobs, run_id) < 1:
            assert loop.time() < deadline, started["enricher"].log_tail()
            await asyncio.sleep(0.02)
        await asyncio.to_thread(stack, "stop", part)
        await asyncio.sleep(OUTAGE_SECONDS)
        await asyncio.to_thread(stack, "up")
        assert await count_run_rows(sessions, property_scores, run_id) < PROSPECTS, (
            "everything was done before the outage"
        )
        deadline = loop.time() + 240
        while await count_run_rows(sessions, property_scores, run_id) < PROSPECTS:
            assert loop.time() < deadline, "\n".join(p.log_tail(20) for p in started.values())
            await asyncio.sleep(1)
        await asyncio.sleep(3)
        for process in started.values():
            assert process.process.poll() is None, f"{process.name} died:\n{process.log_tail()}"

    assert await count_run_rows(sessions, enrichment_jobs, run_id) == PROSPECTS
    assert await count_run_rows(sessions, properties, run_id) == PROSPECTS
    assert await count_run_rows(sessions, property_scores, run_id) == PROSPECTS
