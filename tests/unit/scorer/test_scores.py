"""Scores follow their documented formulas, report every component, stay in 0-100 and never
reward a higher price."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.scorer.roi import analyse
from services.scorer.scores import (
    NEUTRAL_SCORE,
    ScoreInputs,
    Scores,
    normalise_signals,
    ramp,
    score,
)

GOOD_DEAL = ScoreInputs(
    price=270_000,
    estimated_value=300_000,
    value_low=270_000,
    value_high=330_000,
    cap_rate_percent=6.0,
    cash_on_cash_percent=5.0,
    dscr=1.0,
    distress_signals=(),
    completeness_percent=90.0,
    year_built=1965,
    valuation_year=2015,
    days_on_market=60,
)


def components(result: Scores, which: str) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in result.to_dict()[which]["components"]}


def test_ramp_is_straight_between_its_ends_and_flat_beyond() -> None:
    assert ramp(5.0, 0.0, 10.0) == 50.0
    assert ramp(-1.0, 0.0, 10.0) == 0.0
    assert ramp(11.0, 0.0, 10.0) == 100.0
    assert ramp(0.9, 1.25, 0.8) == pytest.approx(77.78, abs=0.01)


def test_investment_score_of_a_home_10_percent_below_its_value() -> None:
    # discount 10 %: ramp(0.10, -0.20, 0.20) = 75; cap 6 %: ramp(6, 0, 8) = 75;
    # cash-on-cash 5 %: ramp(5, 0, 10) = 50; no distress signal: 0
    # 0.35 x 75 + 0.30 x 75 + 0.20 x 50 + 0.15 x 0 = 26.25 + 22.5 + 10 = 58.75
    result = score(GOOD_DEAL)
    assert result.investment_score == 58.75
    parts = components(result, "investment")
    assert parts["discount_to_value"] == {
        "name": "discount_to_value", "value": 10.0, "sub_score": 75.0, "weight": 0.35,
        "contribution": 26.25,
    }  # fmt: skip
    assert sum(p["contribution"] for p in parts.values()) == pytest.approx(58.75)


def test_risk_and_overall_scores_of_the_same_home() -> None:
    # band (330k - 270k) / 300k = 0.20: ramp(0.2, 0.1, 0.5) = 25 -> 0.25 x 25 = 6.25
    # no distress: 0; completeness 90 %: ramp(90, 100, 50) = 20 -> 0.15 x 20 = 3
    # age 50: ramp(50, 10, 100) = 44.44 -> 6.67; DSCR 1.0: ramp(1.0, 1.25, 0.8) = 55.56 -> 8.33
    # 60 days: ramp(60, 30, 180) = 20 -> 0.10 x 20 = 2; risk = 26.25
    # overall = 0.6 x 58.75 + 0.4 x (100 - 26.25) = 35.25 + 29.5 = 64.75
    result = score(GOOD_DEAL)
    assert result.risk_score == 26.25
    assert result.overall_score == 64.75
    assert components(result, "risk")["building_age"]["value"] == 50.0


def test_missing_inputs_are_reported_missing_and_the_rest_reweighted() -> None:
    result = score(ScoreInputs(price=270_000, estimated_value=300_000))
    parts = components(result, "investment")
    assert parts["cap_rate"]["sub_score"] is None
    assert parts["cap_rate"]["contribution"] == 0.0
    assert result.investment.coverage == 0.35
    assert result.investment_score == 75.0


def test_with_nothing_known_the_scores_are_neutral_and_say_so() -> None:
    result = score(ScoreInputs())
    assert result.investment_score == result.risk_score == NEUTRAL_SCORE
    assert result.investment.insufficient_data and result.risk.insufficient_data


def test_distress_is_both_an_opportunity_and_a_risk() -> None:
    calm = score(GOOD_DEAL)
    distressed = score(replace(GOOD_DEAL, distress_signals=("Pre-Foreclosure",)))
    assert distressed.investment_score > calm.investment_score
    assert distressed.risk_score > calm.risk_score
    assert components(distressed, "risk")["distress_hazard"]["value"] == ["pre_foreclosure"]


def test_signals_are_normalised_and_unknown_ones_still_count() -> None:
    assert normalise_signals(["Tax Delinquent", "vacant", "vacant ", ""]) == (
        "tax_delinquent",
        "vacant",
    )
    unknown = score(ScoreInputs(distress_signals=("hoarder_house",)))
    assert components(unknown, "risk")["distress_hazard"]["sub_score"] == 30.0


def test_the_scores_serialise_to_json() -> None:
    data = json.loads(json.dumps(score(GOOD_DEAL).to_dict()))
    assert {"investment", "risk", "overall"} <= data.keys()


maybe_number = st.none() | st.floats(allow_nan=True, allow_infinity=True)
maybe_year = st.none() | st.integers(min_value=-10_000, max_value=10_000)
maybe_signals = st.none() | st.lists(
    st.sampled_from(["vacant", "Tax Delinquent", "pre-foreclosure", "other", " "]), max_size=5
).map(tuple)


@settings(max_examples=150, deadline=None)
@given(
    st.builds(
        ScoreInputs,
        price=maybe_number,
        estimated_value=maybe_number,
        value_low=maybe_number,
        value_high=maybe_number,
        cap_rate_percent=maybe_number,
        cash_on_cash_percent=maybe_number,
        dscr=maybe_number,
        distress_signals=maybe_signals,
        completeness_percent=maybe_number,
        year_built=maybe_year,
        valuation_year=maybe_year,
        days_on_market=maybe_number,
    )
)
def test_scores_stay_within_0_and_100_whatever_the_inputs(inputs: ScoreInputs) -> None:
    result = score(inputs)
    for value in (result.investment_score, result.risk_score, result.overall_score):
        assert 0.0 <= value <= 100.0


money = st.floats(min_value=10_000, max_value=5_000_000)


@settings(max_examples=200, deadline=None)
@given(
    low_price=money,
    markup=st.floats(min_value=1.0, max_value=3.0),
    rent=st.floats(min_value=0, max_value=30_000),
    value=money,
    hoa=st.none() | st.floats(min_value=0, max_value=3_000),
    tax=st.none() | st.floats(min_value=0, max_value=60_000),
)
def test_a_lower_price_for_the_same_home_never_lowers_its_scores(
    low_price: float, markup: float, rent: float, value: float, hoa: float | None, tax: float | None
) -> None:
    def scored(price: float) -> Scores:
        returns = analyse(price, rent, value, hoa, tax)
        return score(
            ScoreInputs(
                price=price,
                estimated_value=value,
                value_low=0.9 * value,
                value_high=1.1 * value,
                cap_rate_percent=returns.cap_rate_percent,
                cash_on_cash_percent=returns.cash_on_cash_percent,
                dscr=returns.dscr,
                distress_signals=(),
                completeness_percent=90.0,
                year_built=1990,
                valuation_year=2015,
                days_on_market=45,
            )
        )

    cheaper, dearer = scored(low_price), scored(low_price * markup)
    assert cheaper.investment_score >= dearer.investment_score
    assert cheaper.overall_score >= dearer.overall_score
