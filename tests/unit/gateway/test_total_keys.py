"""Page totals are reused by the statement they count: equal filters share one total,
other values or other filters never do."""

from __future__ import annotations

from services.gateway.queries import _statement_key
from services.gateway.queries.properties import _with_latest_score, properties
from services.gateway.shapes.properties import PropertyFilters


def key_of(**filters: object) -> object:
    return _statement_key(_with_latest_score(PropertyFilters(**filters), properties.c.id))


def test_equal_filters_share_a_total() -> None:
    assert key_of(min_score=60, city="Seattle") == key_of(min_score=60, city="Seattle")


def test_other_values_or_filters_count_apart() -> None:
    seattle = key_of(min_score=60, city="Seattle")
    assert seattle != key_of(min_score=61, city="Seattle")
    assert seattle != key_of(min_score=60, city="Kent")
    assert seattle != key_of(max_score=60, city="Seattle")
    assert key_of(source="zillow") != key_of(source="redfin")
