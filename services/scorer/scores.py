"""Investment, risk and overall scores (0-100), each with the components it is made of.

Pure: the inputs are figures the AVM, the rent model, `roi` and the enricher already
produced. Every score is a weighted mean of sub-scores; each sub-score maps one input
onto 0-100 with a straight ramp between two named thresholds (clamped at both ends).

- investment_score: discount to the estimated value, yield (cap rate), cash-on-cash
  return, and distress signals as an opportunity (motivated sellers negotiate).
- risk_score (higher is riskier): valuation uncertainty (the P10-P90 band relative to
  the estimate), distress signals as a hazard, missing data, building age, days on
  market, and debt-service coverage.
- overall_score: `OVERALL_INVESTMENT_WEIGHT` x investment + the rest x (100 - risk).

A missing input is reported as missing: its component has no sub-score, and the score is
the weighted mean of the components that are present (`coverage` says what share of the
weight that is). With no component present a score is `NEUTRAL_SCORE`, flagged as
`insufficient_data`. Non-finite numbers count as missing.

Monotonicity: for the same home (same estimated value and rent), a lower price never
lowers the investment or the overall score. Discount rises as the price falls; the cap
rate, cash-on-cash return and DSCR rise too whenever the rent covers the costs that do
not scale with the price, and otherwise are at or below zero, where their ramps already
give 0 (yield, cash) or full risk (DSCR). That is why those ramps start at zero and not
below. It holds as long as the estimated value does not depend on the asking price.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from services.scorer.records import plain

NEUTRAL_SCORE = 50.0

INVESTMENT_WEIGHTS: Mapping[str, float] = {
    "discount_to_value": 0.35,
    "cap_rate": 0.30,
    "cash_on_cash": 0.20,
    "distress_opportunity": 0.15,
}
"""The price against the value matters most, then the unlevered yield, then the levered
cash return; a distress signal adds negotiating room. Platform assumption."""
RISK_WEIGHTS: Mapping[str, float] = {
    "valuation_uncertainty": 0.25,
    "distress_hazard": 0.20,
    "missing_data": 0.15,
    "building_age": 0.15,
    "debt_coverage": 0.15,
    "days_on_market": 0.10,
}
"""Platform assumption: how far the value could be off weighs most, then legal and
physical trouble, then what we do not know, the building's age and the loan's cover."""
OVERALL_INVESTMENT_WEIGHT = 0.6
"""The overall score leans toward the opportunity; 40 % is its safety (100 - risk)."""

DISCOUNT_ZERO_AT = -0.20
"""Priced 20 % above the estimated value earns nothing for discount."""
DISCOUNT_FULL_AT = 0.20
"""Priced 20 % below it earns full marks (beyond that it is more likely a bad estimate)."""
CAP_RATE_ZERO_AT = 0.0
CAP_RATE_FULL_AT = 8.0
"""Percent. An 8 % cap rate on a single home is an excellent yield in today's US market."""
CASH_ON_CASH_ZERO_AT = 0.0
CASH_ON_CASH_FULL_AT = 10.0
"""Percent. 10 % cash-on-cash is a common investor target for a leveraged rental."""

DISTRESS_OPPORTUNITY_POINTS: Mapping[str, float] = {
    "pre_foreclosure": 100.0,
    "tax_delinquent": 70.0,
    "probate": 70.0,
    "vacant": 50.0,
    "code_violation": 40.0,
}
"""How much a signal suggests a seller under pressure; the points add up to at most 100.
Platform assumption."""
DISTRESS_HAZARD_POINTS: Mapping[str, float] = {
    "pre_foreclosure": 60.0,
    "code_violation": 50.0,
    "tax_delinquent": 40.0,
    "vacant": 30.0,
    "probate": 30.0,
}
"""How much a signal threatens the deal: title and occupancy issues, liens, repairs and
fines, an unwatched building. The points add up to at most 100. Platform assumption."""
UNKNOWN_SIGNAL_POINTS = 30.0
"""A signal the tables do not name counts this much on both sides."""

UNCERTAINTY_ZERO_AT = 0.10
"""A P10-P90 band 10 % of the estimate wide (about ±5 %) carries no valuation risk."""
UNCERTAINTY_FULL_AT = 0.50
"""A band half the estimate wide carries full valuation risk."""
COMPLETENESS_ZERO_RISK_AT = 100.0
COMPLETENESS_FULL_RISK_AT = 50.0
"""Percent of the enricher's completeness fields present (its `property_fields` measure)."""
AGE_ZERO_RISK_AT = 10.0
AGE_FULL_RISK_AT = 100.0
"""Years. Systems and envelopes wear out; a century-old building carries full age risk."""
DAYS_ON_MARKET_ZERO_RISK_AT = 30.0
DAYS_ON_MARKET_FULL_RISK_AT = 180.0
"""A listing unsold after six months suggests a defect or a price the market rejects."""
DSCR_FULL_RISK_AT = 0.8
DSCR_ZERO_RISK_AT = 1.25
"""Lenders on rental loans commonly ask for a DSCR of 1.20-1.25; below 1 the rent does
not cover the mortgage."""


@dataclass(frozen=True)
class ScoreInputs:
    """What the scores are computed from; every field may be missing."""

    price: float | None = None
    estimated_value: float | None = None
    value_low: float | None = None
    value_high: float | None = None
    cap_rate_percent: float | None = None
    cash_on_cash_percent: float | None = None
    dscr: float | None = None
    distress_signals: tuple[str, ...] | None = None
    completeness_percent: float | None = None
    year_built: int | None = None
    valuation_year: int | None = None
    days_on_market: float | None = None


@dataclass(frozen=True)
class Component:
    """One input of a score: its value, its 0-100 sub-score, and what it adds to the score."""

    name: str
    value: Any
    sub_score: float | None
    weight: float
    contribution: float

    @property
    def missing(self) -> bool:
        return self.sub_score is None


@dataclass(frozen=True)
class Score:
    score: float
    components: tuple[Component, ...]
    coverage: float
    insufficient_data: bool


@dataclass(frozen=True)
class Scores:
    investment: Score
    risk: Score
    overall: Score

    @property
    def investment_score(self) -> float:
        return self.investment.score

    @property
    def risk_score(self) -> float:
        return self.risk.score

    @property
    def overall_score(self) -> float:
        return self.overall.score

    def to_dict(self) -> dict[str, Any]:
        return plain(self)


Part = tuple[str, Any, float | None]
"""A component before weighting: its name, its input value, its sub-score (None if missing)."""


def ramp(value: float, zero_at: float, full_at: float) -> float:
    """0 at `zero_at`, 100 at `full_at`, straight between, clamped; either may be larger."""
    share = (value - zero_at) / (full_at - zero_at)
    return 100.0 * min(1.0, max(0.0, share))


def combine(parts: Iterable[Part], weights: Mapping[str, float]) -> Score:
    """The weighted mean of the sub-scores present, with every part reported."""
    parts = list(parts)
    present = sum(weights[name] for name, _, sub in parts if sub is not None)
    components = tuple(
        Component(
            name,
            value,
            None if sub is None else round(sub, 2),
            weights[name],
            0.0 if sub is None else round(sub * weights[name] / present, 2),
        )
        for name, value, sub in parts
    )
    total = sum(weights.values())
    if present == 0:
        return Score(NEUTRAL_SCORE, components, 0.0, insufficient_data=True)
    mean = sum(sub * weights[name] for name, _, sub in parts if sub is not None) / present
    return Score(round(min(100.0, max(0.0, mean)), 2), components, round(present / total, 4), False)


def ramped(name: str, value: float | None, zero_at: float, full_at: float) -> Part:
    """A component scored on a ramp; missing when its value is."""
    return name, value, None if value is None else ramp(value, zero_at, full_at)


def signal_part(name: str, signals: tuple[str, ...] | None, points: Mapping[str, float]) -> Part:
    return name, signals, None if signals is None else signal_points(signals, points)


def investment_score(inputs: ScoreInputs) -> Score:
    discount = discount_to_value(inputs.price, inputs.estimated_value)
    return combine(
        [
            (
                "discount_to_value",
                None if discount is None else round(100 * discount, 3),
                None if discount is None else ramp(discount, DISCOUNT_ZERO_AT, DISCOUNT_FULL_AT),
            ),
            ramped(
                "cap_rate", _finite(inputs.cap_rate_percent), CAP_RATE_ZERO_AT, CAP_RATE_FULL_AT
            ),
            ramped(
                "cash_on_cash",
                _finite(inputs.cash_on_cash_percent),
                CASH_ON_CASH_ZERO_AT,
                CASH_ON_CASH_FULL_AT,
            ),
            signal_part(
                "distress_opportunity",
                normalise_signals(inputs.distress_signals),
                DISTRESS_OPPORTUNITY_POINTS,
            ),
        ],
        INVESTMENT_WEIGHTS,
    )


def risk_score(inputs: ScoreInputs) -> Score:
    width = relative_band_width(inputs.estimated_value, inputs.value_low, inputs.value_high)
    return combine(
        [
            ramped(
                "valuation_uncertainty",
                None if width is None else round(width, 4),
                UNCERTAINTY_ZERO_AT,
                UNCERTAINTY_FULL_AT,
            ),
            signal_part(
                "distress_hazard",
                normalise_signals(inputs.distress_signals),
                DISTRESS_HAZARD_POINTS,
            ),
            ramped(
                "missing_data",
                _finite(inputs.completeness_percent),
                COMPLETENESS_ZERO_RISK_AT,
                COMPLETENESS_FULL_RISK_AT,
            ),
            ramped(
                "building_age",
                building_age(inputs.year_built, inputs.valuation_year),
                AGE_ZERO_RISK_AT,
                AGE_FULL_RISK_AT,
            ),
            ramped("debt_coverage", _finite(inputs.dscr), DSCR_ZERO_RISK_AT, DSCR_FULL_RISK_AT),
            ramped(
                "days_on_market",
                _finite(inputs.days_on_market),
                DAYS_ON_MARKET_ZERO_RISK_AT,
                DAYS_ON_MARKET_FULL_RISK_AT,
            ),
        ],
        RISK_WEIGHTS,
    )


def score(inputs: ScoreInputs) -> Scores:
    investment = investment_score(inputs)
    risk = risk_score(inputs)
    overall = combine(
        [
            ("investment_score", investment.score, investment.score),
            ("safety", round(100.0 - risk.score, 2), 100.0 - risk.score),
        ],
        {"investment_score": OVERALL_INVESTMENT_WEIGHT, "safety": 1 - OVERALL_INVESTMENT_WEIGHT},
    )
    return Scores(investment, risk, overall)


def discount_to_value(price: float | None, estimated_value: float | None) -> float | None:
    """How far below the estimate the price is, as a share of it (negative: above it)."""
    price, value = _positive(price), _positive(estimated_value)
    if price is None or value is None:
        return None
    return 1.0 - price / value


def relative_band_width(
    estimate: float | None, low: float | None, high: float | None
) -> float | None:
    """(P90 - P10) / estimate; None unless all three are known and the band is ordered."""
    estimate, low, high = _positive(estimate), _finite(low), _finite(high)
    if estimate is None or low is None or high is None or high < low:
        return None
    return (high - low) / estimate


def building_age(year_built: int | None, valuation_year: int | None) -> float | None:
    if year_built is None or valuation_year is None:
        return None
    return float(max(0, valuation_year - year_built))


def normalise_signals(signals: Iterable[str] | None) -> tuple[str, ...] | None:
    """`["Tax Delinquent", "vacant", "vacant"]` → `("tax_delinquent", "vacant")`."""
    if signals is None:
        return None
    names = {"_".join(str(signal).strip().lower().replace("-", " ").split()) for signal in signals}
    return tuple(sorted(name for name in names if name))


def signal_points(signals: Iterable[str], points: Mapping[str, float]) -> float:
    return min(100.0, sum(points.get(signal, UNKNOWN_SIGNAL_POINTS) for signal in signals))


def _finite(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _positive(value: float | None) -> float | None:
    number = _finite(value)
    return number if number is not None and number > 0 else None
