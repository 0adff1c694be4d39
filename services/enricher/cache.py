"""A bounded cache of answers that go stale: what the Census told the enricher.

A geocoder match or an ACS figure is asked once and reused, but not for ever: the Census
re-draws tracts and publishes a new ACS year, so an answer older than `ttl_seconds` is
dropped and asked again. At most `limit` answers are kept; the least recently used go
first. A remembered `None` (the Census has no match) is an answer too. Pure: no I/O.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

V = TypeVar("V")


class ExpiringCache(Generic[V]):
    def __init__(
        self, ttl_seconds: float, limit: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.limit = limit
        self.clock = clock
        self.entries: OrderedDict[str, tuple[float, V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self.entries)

    def fresh(self, keys: Iterable[str]) -> dict[str, V]:
        """The answers still fresh among `keys`; stale ones are forgotten."""
        oldest = self.clock() - self.ttl_seconds
        found: dict[str, V] = {}
        for key in keys:
            entry = self.entries.get(key)
            if entry is None:
                continue
            if entry[0] < oldest:
                del self.entries[key]
                continue
            self.entries.move_to_end(key)
            found[key] = entry[1]
        return found

    def remember(self, key: str, value: V, age_seconds: float = 0.0) -> None:
        """Keep `value` as the answer for `key`, given `age_seconds` ago (just now by default)."""
        self.entries[key] = (self.clock() - age_seconds, value)
        self.entries.move_to_end(key)
        if len(self.entries) > self.limit:
            self.entries.popitem(last=False)
