"""Figures as JSON: the scorer's frozen dataclasses turned into plain dicts and lists.

`dataclasses.asdict` deep-copies every leaf; the scorer writes thousands of these records
a second and its leaves are numbers, text and dates, so a plain walk does the same job in
a fraction of the time.
"""

from __future__ import annotations

from datetime import date
from typing import Any

SCALARS = (int, float, str, bool, type(None))


def plain(value: Any) -> Any:
    """`value` with every dataclass a dict, every tuple a list and every date ISO text."""
    if isinstance(value, SCALARS):
        return value
    fields = getattr(value, "__dataclass_fields__", None)
    if fields is not None:
        return {name: plain(getattr(value, name)) for name in fields}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    return value
