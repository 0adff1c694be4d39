"""Features see only what the market knew before the valuation day."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from services.scorer.features import (
    FEATURE_NAMES,
    ReferenceSales,
    build_features,
    day_number,
)
from services.scorer.sales import Home, Sale
from tests.unit.scorer.synthetic_sales import synthetic_sales

SALES = synthetic_sales(1500, days=200)


def features_of(sales: list[Sale], target: Sale) -> np.ndarray:
    reference = ReferenceSales.from_sales(sales)
    day = np.array([float(day_number(target.sale_date))])
    return build_features([target.home], day, reference).values[0]


def test_a_sales_own_price_never_enters_its_features() -> None:
    target = SALES[1000]
    repriced = [replace(sale, price=sale.price * 3) if sale is target else sale for sale in SALES]

    np.testing.assert_array_equal(features_of(SALES, target), features_of(repriced, target))


def test_sales_on_or_after_the_valuation_day_never_enter_features() -> None:
    target = SALES[1000]
    earlier = [sale for sale in SALES if sale.sale_date < target.sale_date]
    right_next_door = [
        Sale(target.home, target.price * 5, target.sale_date + timedelta(days=offset))
        for offset in (0, 1, 30)
    ]

    expected = features_of(earlier, target)
    np.testing.assert_array_equal(features_of(SALES, target), expected)
    np.testing.assert_array_equal(features_of(SALES + right_next_door, target), expected)


def test_an_earlier_sale_next_door_moves_the_neighbourhood_price() -> None:
    target = SALES[1000]
    next_door = Sale(target.home, target.price * 5, target.sale_date - timedelta(days=1))

    before = features_of(SALES, target)
    after = features_of([*SALES, next_door], target)
    nearby = FEATURE_NAMES.index("nb_log_ppsf")
    assert after[nearby] > before[nearby]


def test_the_earlier_sale_of_the_same_home_is_a_feature() -> None:
    target = SALES[1000]
    first_sale = Sale(target.home, 400_000.0, target.sale_date - timedelta(days=90))

    values = features_of([*SALES, first_sale], target)
    assert values[FEATURE_NAMES.index("previous_sale_log_price")] == pytest.approx(
        np.log(400_000.0)
    )
    assert values[FEATURE_NAMES.index("previous_sale_days")] == 90


def test_unknown_facts_are_missing_values_not_guesses() -> None:
    home = Home(zip_code=SALES[0].home.zip_code)
    reference = ReferenceSales.from_sales(SALES)
    day = np.array([float(day_number(SALES[-1].sale_date))])

    features = build_features([home], day, reference)

    assert np.isnan(features.column("log_sqft")[0])
    assert np.isnan(features.column("nb_log_ppsf")[0])
    assert np.isfinite(features.column("area_log_ppsf")[0])
    assert np.isfinite(features.baseline[0])


def test_the_first_sale_of_a_market_has_no_neighbourhood() -> None:
    values = features_of(SALES, SALES[0])

    assert np.isnan(values[FEATURE_NAMES.index("nb_log_ppsf")])
    assert np.isnan(values[FEATURE_NAMES.index("baseline_log_price")])
