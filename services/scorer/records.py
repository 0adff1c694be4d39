"""Figures as JSON: the scorer's frozen dataclasses turned into plain dicts and lists.

`dataclasses.asdict` deep-copies every leaf and a walk in Python visits every number; the
scorer turns thousands of these records a second, each with a few hundred numbers, into
JSON, so orjson (which reads dataclasses, tuples, dates and numpy numbers natively) writes
them and reads them back as plain values in a fraction of the time.
"""

from __future__ import annotations

from typing import Any

import orjson

from shared.db.session import json_bytes


def plain(value: Any) -> Any:
    """`value` with every dataclass a dict, every tuple a list and every date ISO text,
    as the database's JSON columns store it."""
    return orjson.loads(json_bytes(value))
