"""Figures as JSON: the scorer's frozen dataclasses turned into plain dicts and lists.

`dataclasses.asdict` deep-copies every leaf; the scorer writes thousands of these records
a second, each with a few hundred numbers, so a plain walk that returns numbers and text
as they are does the same job in a fraction of the time.
"""

from __future__ import annotations

from datetime import date
from typing import Any

SCALAR_TYPES = frozenset({int, float, str, bool, type(None)})


def plain(value: Any) -> Any:
    """`value` with every dataclass a dict, every tuple a list and every date ISO text."""
    kind = type(value)
    if kind in SCALAR_TYPES:
        return value
    fields = getattr(kind, "__dataclass_fields__", None)
    if fields is not None:
        record = {}
        for name in fields:
            item = getattr(value, name)
            record[name] = item if type(item) in SCALAR_TYPES else plain(item)
        return record
    if isinstance(value, list | tuple):
        return [item if type(item) in SCALAR_TYPES else plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    return value
