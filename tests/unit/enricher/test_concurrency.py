"""A batch's steps run at once; a failure surfaces as itself once every step has ended."""

import asyncio

import pytest

from services.enricher.concurrency import concurrently


async def test_steps_run_at_once_and_give_their_results_in_order() -> None:
    started: list[str] = []

    async def step(name: str, seconds: float) -> str:
        started.append(name)
        await asyncio.sleep(seconds)
        return name

    loop = asyncio.get_running_loop()
    begun = loop.time()
    assert await concurrently(step("slow", 0.2), step("fast", 0.1)) == ["slow", "fast"]
    assert loop.time() - begun < 0.29
    assert started == ["slow", "fast"]


async def test_a_failure_is_raised_as_itself_after_every_step_ended() -> None:
    finished: list[str] = []

    async def fails() -> None:
        raise ConnectionRefusedError("database down")

    async def slow() -> None:
        await asyncio.sleep(0.1)
        finished.append("slow")

    with pytest.raises(ConnectionRefusedError, match="database down"):
        await concurrently(fails(), slow())
    assert finished == ["slow"]
