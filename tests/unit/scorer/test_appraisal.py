"""One property's appraisal: valuation, rent, returns and scores composed, and the hash
that identifies a score."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from services.scorer import roi
from services.scorer.appraisal import NO_MODEL_VERSION, appraise, home_of
from services.scorer.avm import Valuation
from shared.listing import DistressSignal, Listing

AS_OF = date(2015, 4, 1)
ENRICHMENT = {
    "demographics": {"median_rent": 1_100.0},
    "quality": {"completeness_percent": 92.3},
    "location": {"precision": "listing"},
}
HOUSE = Listing(
    source="demo",
    source_id="H-1",
    status="for_sale",
    price=350_000,
    street="1 Elm St",
    zip_code="98178",
    property_type="single_family",
    bedrooms=3,
    bathrooms=1.5,
    sqft=1_600,
    year_built=1960,
    days_on_market=20,
)


def valuation(value: float = 380_000, model_version: str = "avm-test") -> Valuation:
    return Valuation(
        as_of=AS_OF,
        model_version=model_version,
        estimated_value=value,
        value_low=value * 0.9,
        value_high=value * 1.1,
    )


def test_a_house_for_sale_gets_value_rent_returns_and_scores() -> None:
    appraisal = appraise(HOUSE, ENRICHMENT, valuation(), [], AS_OF)

    assert appraisal.model_version == "avm-test"
    assert appraisal.estimated_value == 380_000
    assert appraisal.rent is not None and 1_000 < appraisal.rent.monthly_rent < 3_000
    assert isinstance(appraisal.returns, roi.Returns)
    assert appraisal.roi_estimate == appraisal.returns.cap_rate_percent
    components = appraisal.components
    assert components["valuation"]["estimated_value"] == 380_000
    assert components["returns"]["meets_seventy_percent_rule"] is False
    assert components["investment"]["components"]


def test_a_rental_listing_is_never_put_through_a_sale_price_formula() -> None:
    rental = HOUSE.model_copy(update={"status": "for_rent", "price": 2_400})

    appraisal = appraise(rental, ENRICHMENT, valuation(), [], AS_OF)

    assert isinstance(appraisal.returns, roi.NotApplicable)
    assert appraisal.returns.observed_monthly_rent == 2_400
    assert appraisal.roi_estimate is None
    assert appraisal.estimated_value == 380_000, "the home itself is still valued"


def test_without_a_model_the_scores_say_what_is_missing() -> None:
    appraisal = appraise(HOUSE, ENRICHMENT, None, [], AS_OF)

    assert appraisal.model_version == NO_MODEL_VERSION
    assert appraisal.estimated_value is None
    assert appraisal.components["valuation"] is None
    assert 0 <= appraisal.scores.overall_score <= 100


def test_a_lower_price_for_the_same_home_never_lowers_its_investment_score() -> None:
    full = appraise(HOUSE, ENRICHMENT, valuation(), [], AS_OF)
    cheaper = appraise(
        HOUSE.model_copy(update={"price": 300_000}), ENRICHMENT, valuation(), [], AS_OF
    )

    assert cheaper.scores.investment_score >= full.scores.investment_score


def test_distress_signals_reach_the_scores() -> None:
    distressed = HOUSE.model_copy(
        update={"distress_signals": (DistressSignal(kind="pre_foreclosure"),)}
    )

    appraisal = appraise(distressed, ENRICHMENT, valuation(), [], AS_OF)

    assert appraisal.features_used["distress_signals"] == ["pre_foreclosure"]
    assert (
        appraisal.scores.investment_score
        != appraise(HOUSE, ENRICHMENT, valuation(), [], AS_OF).scores.investment_score
    )


def test_the_input_hash_covers_facts_model_assumptions_and_date() -> None:
    base = appraise(HOUSE, ENRICHMENT, valuation(), [], AS_OF).input_hash

    assert appraise(HOUSE, ENRICHMENT, valuation(), [], AS_OF).input_hash == base
    dearer_loan = replace(roi.DEFAULT_ASSUMPTIONS, mortgage_rate=0.08)
    assert appraise(HOUSE, ENRICHMENT, valuation(), [], AS_OF, dearer_loan).input_hash != base
    assert (
        appraise(HOUSE, ENRICHMENT, valuation(model_version="avm-2"), [], AS_OF).input_hash != base
    )
    assert appraise(HOUSE, ENRICHMENT, valuation(), [], date(2015, 5, 1)).input_hash != base
    relisted = HOUSE.model_copy(update={"price": 349_000})
    assert appraise(relisted, ENRICHMENT, valuation(), [], AS_OF).input_hash != base


def test_the_model_reads_the_listing_facts() -> None:
    home = home_of(HOUSE)

    assert (home.sqft, home.bedrooms, home.zip_code, home.year_built) == (1_600, 3, "98178", 1960)
