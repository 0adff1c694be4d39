"""Page totals are reused by the statement they count and its values: equal filters share
one total, other values or other filters never do."""

from __future__ import annotations

import sqlalchemy as sa

from services.gateway.queries import Listing, _plain_sql, _statement_key, equals
from services.gateway.queries.properties import matching, parameters
from services.gateway.shapes.properties import PropertyFilters
from shared.db.tables import scraping_jobs


def key_of(**filters: object) -> object:
    values = parameters(PropertyFilters(**filters))
    return _statement_key(matching(frozenset(values)), values)


def test_equal_filters_share_a_total() -> None:
    assert key_of(min_score=60, city="Seattle") == key_of(min_score=60, city="Seattle")


def test_other_values_or_filters_count_apart() -> None:
    seattle = key_of(min_score=60, city="Seattle")
    assert seattle != key_of(min_score=61, city="Seattle")
    assert seattle != key_of(min_score=60, city="Kent")
    assert seattle != key_of(max_score=60, city="Seattle")
    assert key_of(source="zillow") != key_of(source="redfin")
    assert key_of(distress="any") != key_of(distress="tax_delinquent")


def test_one_statement_serves_every_value_of_a_shape() -> None:
    kent = parameters(PropertyFilters(city="Kent", min_price=1))
    seattle = parameters(PropertyFilters(city="SEATTLE", min_price=2))
    assert matching(frozenset(kent)) is matching(frozenset(seattle))
    assert seattle == {"city": "seattle", "min_price": 2}


def test_a_listing_builds_each_set_of_filters_once_and_counts_values_apart() -> None:
    listing = Listing(
        sa.select(scraping_jobs.c.id),
        (scraping_jobs.c.id.desc(),),
        {"source": equals(scraping_jobs.c.source), "status": equals(scraping_jobs.c.status)},
    )
    matching, page = listing.statements(frozenset({"source"}))
    assert listing.statements(frozenset({"source"})) == (matching, page)
    assert listing.statements(frozenset()) != (matching, page)
    assert _statement_key(matching, {"source": "zillow"}) != _statement_key(
        matching, {"source": "redfin"}
    )
    assert "LIMIT" in str(page) and "WHERE" in str(matching)


def test_a_page_has_its_bounds_written_into_the_sql_and_its_filters_bound() -> None:
    """Bounds known to the planner let PostgreSQL plan a prepared page once; filter values
    stay parameters."""
    listing = Listing(
        sa.select(scraping_jobs.c.id),
        (scraping_jobs.c.id.desc(),),
        {"source": equals(scraping_jobs.c.source)},
    )
    _, page = listing.statements(frozenset({"source"}))
    plain = _plain_sql(page, {"source": "zillow", "limit": 50, "offset": 100})
    assert plain is not None
    sql, parameters = plain
    assert "LIMIT 50 OFFSET 100" in sql
    assert "zillow" not in sql and parameters == ["zillow"]
