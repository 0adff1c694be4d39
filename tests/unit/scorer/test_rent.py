"""The rent estimate depends on the home and its area, and says how it was reached."""

from __future__ import annotations

import json

import pytest

from services.scorer.rent import (
    COMPARABLE_CREDIBILITY,
    REFERENCE_VALUE,
    RENT_TO_VALUE_AT_REFERENCE,
    US_RENT_INDEX,
    AreaRent,
    Home,
    RentalComparable,
    RentEstimate,
    estimate_rent,
    rent_index_factor,
    rent_to_value_ratio,
    size_factor,
)

BELLEVUE = AreaRent("98004", 1_429)  # the Census table's median contract rent for 98004
MANSION = Home(5_000, 5, 4.5, "single_family", "98004", 2_100_000)
SMALL_CONDO = Home(650, 1, 1.0, "condo", "98004", 400_000)


def rent_of(
    home: Home,
    area: AreaRent | None = BELLEVUE,
    comparables: list[RentalComparable] | None = None,
    year: int = 2015,
) -> RentEstimate:
    estimate = estimate_rent(home, area, year, comparables or [])
    assert estimate is not None
    return estimate


def test_a_5000_sqft_2_1m_house_rents_for_several_thousand_a_month() -> None:
    estimate = rent_of(MANSION)
    assert 4_000 <= estimate.monthly_rent <= 8_000
    assert estimate.low < estimate.monthly_rent < estimate.high
    assert estimate.basis == "estimate"


def test_a_small_condo_in_the_same_zip_rents_for_far_less() -> None:
    assert rent_of(SMALL_CONDO).monthly_rent < rent_of(MANSION).monthly_rent / 2


def test_the_census_method_scales_the_zip_median_to_the_home() -> None:
    # 1,429 x (284.1 / 266.3) x (5,000 / 1,000)^0.5 x (1 + 0.03 x 3) x 1.10 = 4,087
    census = rent_of(MANSION).methods[0]
    assert census.method == "census_zip_median"
    assert census.monthly_rent == pytest.approx(4_087, abs=1)
    assert census.factors["size_factor"] == pytest.approx(5**0.5, abs=1e-4)


def test_a_bigger_home_rents_for_more() -> None:
    rents = [rent_of(Home(sqft, 3, 2.0, "single_family")).monthly_rent for sqft in (800, 1_600)]
    assert rents[0] < rents[1]


def test_bedrooms_stand_in_for_floor_area_when_it_is_unknown() -> None:
    assert size_factor(None, 3) == 1.30
    assert size_factor(None, 9) == size_factor(None, 5)
    assert rent_of(Home(bedrooms=1)).monthly_rent < rent_of(Home(bedrooms=4)).monthly_rent


def test_an_unknown_size_widens_the_band() -> None:
    known = rent_of(Home(1_000, 2))
    unknown = rent_of(Home())
    assert unknown.high / unknown.low > known.high / known.low


def test_rents_are_brought_to_the_valuation_year_by_the_cpi_rent_index() -> None:
    assert rent_index_factor(2013, 2013) == 1.0
    assert rent_index_factor(2013, 2015) == pytest.approx(284.1 / 266.3)
    assert rent_index_factor(2013, 2040) == rent_index_factor(2013, max(US_RENT_INDEX))
    assert rent_of(Home(1_000, 2)).monthly_rent < rent_of(Home(1_000, 2), year=2025).monthly_rent


def test_the_rent_to_value_ratio_falls_as_value_rises() -> None:
    assert rent_to_value_ratio(REFERENCE_VALUE) == pytest.approx(RENT_TO_VALUE_AT_REFERENCE)
    assert rent_to_value_ratio(2_000_000) < rent_to_value_ratio(300_000)


def test_a_top_coded_zip_median_is_a_floor_under_the_estimate() -> None:
    medina = AreaRent("98039", 2_001)
    home = Home(1_000, 2, 1.0, "apartment", "98039", estimated_value=150_000)
    estimate = rent_of(home, medina)
    census = next(m for m in estimate.methods if m.method == "census_zip_median")
    assert census.factors["top_coded"] is True
    assert census.weight == 0.0
    assert estimate.monthly_rent == pytest.approx(census.monthly_rent, abs=1)


def test_comparables_are_scaled_to_the_home_and_weighted_by_distance() -> None:
    # 2,000 for 500 sq ft scaled to 2,000 sq ft: x (2,000 / 500)^0.5 = x 2 -> 4,000;
    # the one 10 miles away weighs 1/101 and cannot move the weighted median.
    home = Home(2_000, 3)
    comparables = [
        RentalComparable(2_000, sqft=500, distance_miles=0.2),
        RentalComparable(4_100, sqft=2_000, distance_miles=0.5),
        RentalComparable(20_000, sqft=2_000, distance_miles=10.0),
    ]
    estimate = rent_of(home, None, comparables=comparables)
    assert [m.method for m in estimate.methods] == ["comparables"]
    assert estimate.monthly_rent == 4_000


def test_comparables_share_the_weight_by_their_number() -> None:
    comparables = [RentalComparable(6_000, 5_000, zip_code="98004")] * 5
    estimate = rent_of(MANSION, comparables=comparables)
    market = next(m for m in estimate.methods if m.method == "comparables")
    assert market.weight == pytest.approx(5 / (5 + COMPARABLE_CREDIBILITY))
    assert sum(m.weight for m in estimate.methods) == pytest.approx(1.0)


def test_fewer_than_three_comparables_are_not_used() -> None:
    comparables = [RentalComparable(9_000, 5_000)] * 2
    estimate = rent_of(MANSION, comparables=comparables)
    assert "comparables" not in [m.method for m in estimate.methods]


def test_no_rent_for_land_or_for_a_home_nothing_informs() -> None:
    assert estimate_rent(Home(property_type="land"), BELLEVUE, 2015) is None
    assert estimate_rent(Home(1_000, 2), None, 2015) is None


def test_the_estimate_records_its_methods_and_inputs_as_json() -> None:
    data = json.loads(json.dumps(rent_of(MANSION).to_dict()))
    assert [m["method"] for m in data["methods"]] == ["census_zip_median", "rent_to_value"]
    assert data["home"]["sqft"] == 5_000
    assert data["methods"][0]["factors"]["zip_median_contract_rent"] == 1_429
