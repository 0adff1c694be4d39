"""The transparent first scoring model: every figure follows from the enriched facts
and the assumptions below, and every component is returned so a reader can check it.

The rent estimate is the ZIP's median gross rent (Census ACS 2013, ZCTA) adjusted by
bedroom count; income figures come from the Census ACS (table B19013). The learned
models (XGBoost valuation and rent) replace these estimates in a later version; this
one is the baseline they are measured against.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

MODEL_NAME = "transparent"
MODEL_VERSION = "transparent-v1"


@dataclass(frozen=True)
class Assumptions:
    vacancy_rate: float = 0.05
    operating_expense_ratio: float = 0.40
    rent_per_extra_bedroom: float = 0.10
    baseline_bedrooms: int = 2
    cap_rate_for_full_marks: float = 10.0
    price_to_income_best: float = 2.0
    price_to_income_worst: float = 12.0
    building_age_worst_years: float = 120.0
    investment_weight: float = 0.6


ASSUMPTIONS = Assumptions()
KEY_FACTS = ("price", "sqft", "bedrooms", "bathrooms", "year_built", "zip_code")


@dataclass(frozen=True)
class Score:
    overall_score: float
    investment_score: float
    risk_score: float
    roi_estimate: float | None
    components: dict[str, Any]
    features_used: dict[str, Any]
    input_hash: str
    model_version: str = MODEL_VERSION


def _clamp(value: float, low: float = 0.0, high: float = 100.0) -> float:
    return max(low, min(high, value))


def _linear(value: float, worst: float, best: float) -> float:
    """0 at `worst`, 100 at `best`, clamped; works whichever of the two is larger."""
    return _clamp(100.0 * (value - worst) / (best - worst))


def input_hash(features: dict[str, Any]) -> str:
    canonical = json.dumps({"model": MODEL_VERSION, **features}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def features_of(facts: dict[str, Any], enrichment: dict[str, Any]) -> dict[str, Any]:
    demographics = enrichment.get("demographics") or {}
    location = enrichment.get("location") or {}
    return {
        **{name: facts.get(name) for name in KEY_FACTS},
        "zip_median_rent": demographics.get("median_rent"),
        "zip_median_household_income": demographics.get("median_household_income"),
        "location_precision": location.get("precision"),
    }


def score(
    facts: dict[str, Any],
    enrichment: dict[str, Any],
    assumptions: Assumptions = ASSUMPTIONS,
    today: date | None = None,
) -> Score:
    features = features_of(facts, enrichment)
    price = features["price"]
    valid_price = price is not None and price > 0
    components: dict[str, Any] = {"assumptions": asdict(assumptions)}

    monthly_rent = None
    if features["zip_median_rent"]:
        bedrooms = max(0, min(6, features["bedrooms"] or assumptions.baseline_bedrooms))
        factor = 1 + assumptions.rent_per_extra_bedroom * (bedrooms - assumptions.baseline_bedrooms)
        monthly_rent = round(features["zip_median_rent"] * factor, 2)
    components["rent_estimate_monthly"] = monthly_rent

    cap_rate = None
    if monthly_rent and valid_price:
        gross = monthly_rent * 12
        noi = gross * (1 - assumptions.vacancy_rate) * (1 - assumptions.operating_expense_ratio)
        cap_rate = round(100.0 * noi / price, 3)
        components.update(
            gross_rent_annual=round(gross, 2),
            net_operating_income=round(noi, 2),
            cap_rate_percent=cap_rate,
            gross_rent_multiplier=round(price / gross, 2),
            rent_to_price_percent=round(100.0 * monthly_rent / price, 3),
            meets_one_percent_rule=monthly_rent / price >= 0.01,
        )
    price_to_income = None
    if valid_price and features["zip_median_household_income"]:
        price_to_income = round(price / features["zip_median_household_income"], 2)
    components["price_to_income"] = price_to_income
    if valid_price and features["sqft"]:
        components["price_per_sqft"] = round(price / features["sqft"], 2)

    yield_score = (
        _linear(cap_rate, 0.0, assumptions.cap_rate_for_full_marks)
        if cap_rate is not None
        else None
    )
    affordability_score = (
        _linear(
            price_to_income, assumptions.price_to_income_worst, assumptions.price_to_income_best
        )
        if price_to_income is not None
        else None
    )
    parts = [(s, w) for s, w in ((yield_score, 0.7), (affordability_score, 0.3)) if s is not None]
    investment = sum(s * w for s, w in parts) / sum(w for _, w in parts) if parts else 50.0

    year = (today or date.today()).year
    age = year - features["year_built"] if features["year_built"] else None
    age_risk = (
        _clamp(100.0 * age / assumptions.building_age_worst_years) if age is not None else 50.0
    )
    market_risk = 100.0 - affordability_score if affordability_score is not None else 50.0
    missing = [name for name in KEY_FACTS if features[name] is None]
    data_gap_risk = 100.0 * len(missing) / len(KEY_FACTS)
    if features["location_precision"] != "listing":
        data_gap_risk = min(100.0, data_gap_risk + 10.0)
    risk = 0.3 * age_risk + 0.3 * market_risk + 0.4 * data_gap_risk

    overall = assumptions.investment_weight * investment + (1 - assumptions.investment_weight) * (
        100.0 - risk
    )
    components.update(
        yield_score=None if yield_score is None else round(yield_score, 2),
        affordability_score=None if affordability_score is None else round(affordability_score, 2),
        building_age_years=age,
        age_risk=round(age_risk, 2),
        market_risk=round(market_risk, 2),
        data_gap_risk=round(data_gap_risk, 2),
        missing_facts=missing,
        insufficient_data=not parts,
    )
    return Score(
        overall_score=round(_clamp(overall), 2),
        investment_score=round(_clamp(investment), 2),
        risk_score=round(_clamp(risk), 2),
        roi_estimate=cap_rate,
        components=components,
        features_used=features,
        input_hash=input_hash(features),
    )
