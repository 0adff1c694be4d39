from datetime import date

import pytest

from services.scorer.transparent import score

FACTS = {
    "price": 400_000.0,
    "sqft": 1600,
    "bedrooms": 3,
    "bathrooms": 2.0,
    "year_built": 1990,
    "zip_code": "98052",
}
ENRICHMENT = {
    "location": {"precision": "listing"},
    "demographics": {"median_rent": 1300.0, "median_household_income": 100_000.0},
}
TODAY = date(2026, 1, 1)


def test_cap_rate_follows_from_rent_and_stated_assumptions() -> None:
    result = score(FACTS, ENRICHMENT, today=TODAY)
    rent = 1300.0 * 1.1
    noi = rent * 12 * 0.95 * 0.60
    assert result.components["rent_estimate_monthly"] == pytest.approx(rent)
    assert result.components["net_operating_income"] == pytest.approx(noi, abs=0.01)
    assert result.roi_estimate == pytest.approx(100 * noi / 400_000, abs=0.001)
    assert result.components["price_to_income"] == 4.0
    assert result.components["meets_one_percent_rule"] is False


def test_scores_stay_within_0_and_100_for_extreme_inputs() -> None:
    for price in (1.0, 1e9):
        result = score({**FACTS, "price": price}, ENRICHMENT, today=TODAY)
        for value in (result.overall_score, result.investment_score, result.risk_score):
            assert 0.0 <= value <= 100.0


def test_a_cheaper_home_in_the_same_zip_scores_higher() -> None:
    cheap = score({**FACTS, "price": 250_000.0}, ENRICHMENT, today=TODAY)
    dear = score({**FACTS, "price": 900_000.0}, ENRICHMENT, today=TODAY)
    assert cheap.investment_score > dear.investment_score
    assert cheap.overall_score > dear.overall_score


def test_missing_facts_raise_risk_and_are_named() -> None:
    full = score(FACTS, ENRICHMENT, today=TODAY)
    gaps = score({**FACTS, "sqft": None, "year_built": None}, ENRICHMENT, today=TODAY)
    assert gaps.risk_score > full.risk_score
    assert gaps.components["missing_facts"] == ["sqft", "year_built"]


def test_without_market_data_no_rent_or_roi_is_invented() -> None:
    result = score(FACTS, {}, today=TODAY)
    assert result.roi_estimate is None
    assert result.components["rent_estimate_monthly"] is None
    assert result.components["insufficient_data"] is True


def test_same_inputs_hash_alike_and_changed_inputs_do_not() -> None:
    assert score(FACTS, ENRICHMENT).input_hash == score(dict(FACTS), ENRICHMENT).input_hash
    assert (
        score(FACTS, ENRICHMENT).input_hash != score({**FACTS, "price": 1.0}, ENRICHMENT).input_hash
    )
