"""Running a batch's independent steps at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any


async def concurrently(*steps: Awaitable[Any]) -> list[Any]:
    """The steps' results, run at once; every step ends before this does. A failure is
    raised as it is, not grouped: the processor tells an outage from a bad event by its
    type."""
    results = await asyncio.gather(*steps, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results
