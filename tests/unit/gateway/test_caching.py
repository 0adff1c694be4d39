"""Figures reused for a few seconds: fresh ones are served, old ones recomputed once while
the callers meanwhile get the previous value, small ones never kept."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from services.gateway.caching import Recent


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> int:
        self.calls += 1
        return self.calls


@pytest.mark.parametrize("max_busy", [None, 0.05])
async def test_a_fresh_value_is_reused_and_an_old_one_recomputed(max_busy: float | None) -> None:
    """Computed at once, a value is kept the given time, whatever share of the time its
    computation may take."""
    now = [0.0]
    recent: Recent[int] = Recent(5.0, clock=lambda: now[0], max_busy=max_busy)
    compute = Counter()
    assert await recent.value("total", compute) == 1
    now[0] = 4.9
    assert await recent.value("total", compute) == 1
    now[0] = 5.0
    assert await recent.value("total", compute) == 2


async def test_callers_during_a_recomputation_get_the_previous_value() -> None:
    now = [0.0]
    recent: Recent[str] = Recent(5.0, clock=lambda: now[0])
    release = asyncio.Event()

    async def slow() -> str:
        await release.wait()
        return "new"

    async def first() -> str:
        return "old"

    await recent.value("stat", first)
    now[0] = 10.0
    refreshing = asyncio.create_task(recent.value("stat", slow))
    await asyncio.sleep(0)
    assert await recent.value("stat", slow) == "old"
    release.set()
    assert await refreshing == "new"
    assert await recent.value("stat", first) == "new"


async def callers_at_once(
    recent: Recent[int], key: str, count: int, keep: Callable[[int], bool] = lambda _: True
) -> tuple[list[int], Counter]:
    """What `count` callers get when they all ask for `key` before a computation ends."""
    release = asyncio.Event()
    compute = Counter()

    async def slow() -> int:
        await release.wait()
        return await compute()

    callers = [asyncio.create_task(recent.value(key, slow, keep=keep)) for _ in range(count)]
    await asyncio.sleep(0)
    release.set()
    return list(await asyncio.gather(*callers)), compute


async def test_callers_during_the_first_computation_wait_for_it() -> None:
    values, compute = await callers_at_once(Recent(5.0), "stat", 20)
    assert values == [1] * 20
    assert compute.calls == 1


async def test_callers_during_a_first_computation_not_kept_compute_their_own() -> None:
    values, _ = await callers_at_once(Recent(5.0), "small", 3, keep=lambda _: False)
    assert sorted(values) == [1, 2, 3]


async def test_a_value_not_worth_keeping_is_computed_every_time() -> None:
    recent: Recent[int] = Recent(5.0)
    compute = Counter()
    for expected in (1, 2, 3):
        assert await recent.value("small", compute, keep=lambda total: total > 100) == expected


async def test_the_number_of_keys_is_bounded() -> None:
    recent: Recent[int] = Recent(5.0, max_entries=2)
    for key in ("a", "b", "c"):
        await recent.value(key, Counter())
    assert len(recent._entries) <= 2


async def test_a_value_long_to_compute_is_kept_longer() -> None:
    now = [0.0]
    recent: Recent[int] = Recent(5.0, clock=lambda: now[0], max_busy=0.05)
    calls = Counter()

    async def one_second_long() -> int:
        now[0] += 1.0
        return await calls()

    assert await recent.value("stat", one_second_long) == 1
    # Computed in 1 s: kept 20 s from then, so that recomputing takes 5 % of the time.
    now[0] = 20.9
    assert await recent.value("stat", one_second_long) == 1
    now[0] = 21.0
    assert await recent.value("stat", one_second_long) == 2
