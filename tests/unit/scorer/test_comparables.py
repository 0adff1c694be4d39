"""Comparables are earlier, nearby, similar sales, most similar first."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from services.scorer.comparables import Comparable, comparables_of
from services.scorer.features import ReferenceSales
from services.scorer.sales import Home, Sale
from tests.unit.scorer.synthetic_sales import synthetic_sales

SALES = synthetic_sales(1500, days=200)
REFERENCE_SALES = ReferenceSales.from_sales(SALES)
AS_OF = SALES[-1].sale_date


def find_comparables(reference: ReferenceSales, home: Home, as_of: date) -> list[Comparable]:
    """One home's comparables, valued alone."""
    return comparables_of(reference, [home], as_of)[0]


def test_comparables_sold_before_the_valuation_day_most_similar_first() -> None:
    comparables = find_comparables(REFERENCE_SALES, SALES[800].home, SALES[800].sale_date)

    assert len(comparables) == 5
    assert all(c.sale_date < SALES[800].sale_date for c in comparables)
    similarities = [c.similarity for c in comparables]
    assert similarities == sorted(similarities, reverse=True)
    assert all(0 < s <= 1 for s in similarities)


def test_the_same_home_sold_yesterday_next_door_is_the_best_comparable() -> None:
    home = SALES[700].home
    twin = Sale(
        replace(home, latitude=home.latitude + 0.0005, parcel_id="twin"),
        512_000.0,
        AS_OF - timedelta(days=1),
    )
    reference = ReferenceSales.from_sales([*SALES, twin])

    best = find_comparables(reference, home, AS_OF)[0]

    assert best.price == 512_000.0
    assert best.distance_km is not None and best.distance_km < 0.1
    assert best.similarity > 0.9
    assert best.price_per_sqft == round(512_000.0 / home.sqft, 2)


def test_a_home_without_coordinates_gets_comparables_from_its_area() -> None:
    home = Home(sqft=1800, bedrooms=3, bathrooms=2, zip_code=SALES[0].home.zip_code)

    comparables = find_comparables(REFERENCE_SALES, home, AS_OF)

    assert comparables
    assert all(c.distance_km is None for c in comparables)
    area_prices = {s.price for s in SALES if s.home.zip_code == home.zip_code}
    assert {c.price for c in comparables} <= area_prices


def test_a_home_with_no_location_has_no_comparables() -> None:
    assert find_comparables(REFERENCE_SALES, Home(sqft=1800), AS_OF) == []


def test_a_batch_gets_the_comparables_each_home_gets_alone() -> None:
    homes = [sale.home for sale in SALES[600:900:3]]
    homes += [replace(home, latitude=None, longitude=None) for home in homes[:10]]
    homes += [replace(home, sqft=None, bedrooms=None, year_built=None) for home in homes[:10]]
    homes.append(Home(sqft=1800))

    batch = comparables_of(REFERENCE_SALES, homes, AS_OF)

    assert batch == [find_comparables(REFERENCE_SALES, home, AS_OF) for home in homes]
    assert sum(bool(found) for found in batch) == len(homes) - 1
