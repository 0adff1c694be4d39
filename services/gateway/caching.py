"""Figures that are costly to compute on large tables, reused for a few seconds.

A value is kept for `ttl` seconds after it was computed, or longer when it took long to
compute: with `max_busy`, for at least the time that makes its recomputation take no more
than that share of the time (a statistic that takes 0.45 s, with `max_busy` 0.05, is kept
9 s; the time is the caller's wait, so a busy process keeps values longer). When it is
older, the next caller recomputes it while the callers that arrive meanwhile still get the
previous value, so that one request per key and period pays for the computation, never a
crowd at once.
The first computation of a key is not repeated by the callers that arrive while it runs
either: they wait for it and take its value when it is kept.
Whether a value is kept at all is the caller's choice (`keep`): the gateway keeps only
figures over large tables, so small results (and the tests' fresh rows) are always exact.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class Recent(Generic[Value]):
    """Recently computed values by key, each reused for `ttl` seconds, or for as long as
    makes its computation at most `max_busy` of the time (see the module docs); at most
    `max_entries` keys (all are dropped when a new key would exceed it)."""

    def __init__(
        self,
        ttl: float,
        max_entries: int = 4096,
        clock: Callable[[], float] = time.monotonic,
        max_busy: float | None = None,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.max_busy = max_busy
        self._clock = clock
        # Per key: until when its value is fresh (on `clock`), and the value.
        self._entries: dict[Hashable, tuple[float, Value]] = {}
        self._refreshing: dict[Hashable, asyncio.Event] = {}

    async def value(
        self,
        key: Hashable,
        compute: Callable[[], Awaitable[Value]],
        keep: Callable[[Value], bool] = lambda _: True,
    ) -> Value:
        """The value of `key`: the kept one while it is fresh (or being recomputed by
        another caller), else `compute()`, kept when `keep` says so. A caller arriving
        during the first computation of `key` waits for it, and computes anew only when
        its value was not kept (or it failed)."""
        entry = self._entries.get(key)
        if entry is None and key in self._refreshing:
            await self._refreshing[key].wait()
            entry = self._entries.get(key)
        if entry is not None and (self._clock() < entry[0] or key in self._refreshing):
            return entry[1]
        done = self._refreshing.setdefault(key, asyncio.Event())
        try:
            started = self._clock()
            value = await compute()
            self._store(key, value, keep(value), self._kept_for(self._clock() - started))
        finally:
            if self._refreshing.get(key) is done:
                del self._refreshing[key]
            done.set()
        return value

    def _kept_for(self, computing_seconds: float) -> float:
        if self.max_busy is None:
            return self.ttl
        return max(self.ttl, computing_seconds / self.max_busy)

    def _store(self, key: Hashable, value: Value, kept: bool, seconds: float) -> None:
        if not kept:
            self._entries.pop(key, None)
            return
        if key not in self._entries and len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (self._clock() + seconds, value)

    def clear(self) -> None:
        self._entries.clear()
