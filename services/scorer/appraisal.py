"""One property's appraisal: what it is worth, what it would rent for, what it would
return and how it scores, each figure with the inputs and assumptions behind it.

The steps, in order, each a module of its own:
1. value (`avm`): the estimate, its P10-P90 band, the features that moved it and the
   comparable sales it rests on; done for a batch before this module is called;
2. rent (`rent`): a monthly rent estimate with its band, from the home, its ZIP's Census
   rent and the platform's own rental listings nearby;
3. returns (`roi`): NOI, cap rate, cash flow, cash-on-cash, DSCR, GRM, the 1 % and 70 %
   rules, a five-year projection and its IRR, under stated assumptions. A rental
   listing's price is a monthly rent: it gets no purchase returns, never a sale-price
   formula;
4. scores (`scores`): investment, risk and overall, every component listed.

`input_hash` covers everything the figures depend on (the facts used, the model
version, the assumptions and the valuation date), so the same inputs make the same
score row and any change makes a new one. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

import orjson

from services.scorer import rent, roi, scores
from services.scorer.avm import Valuation
from services.scorer.records import plain
from services.scorer.sales import Home
from shared.listing import Listing

NO_MODEL_VERSION = "none"
"""The score's model version when no AVM is in production: the figures that need a
value are missing and say so."""

SCORED_FACTS = (
    "status",
    "price",
    "sqft",
    "lot_sqft",
    "bedrooms",
    "bathrooms",
    "year_built",
    "year_renovated",
    "stories",
    "property_type",
    "zip_code",
    "latitude",
    "longitude",
    "hoa_fee",
    "tax_annual_amount",
    "days_on_market",
)


@dataclass(frozen=True)
class Appraisal:
    valuation: Valuation | None
    rent: rent.RentEstimate | None
    returns: roi.Returns | roi.NotApplicable
    scores: scores.Scores
    features_used: dict[str, Any]
    input_hash: str

    @property
    def model_version(self) -> str:
        return self.valuation.model_version if self.valuation else NO_MODEL_VERSION

    @property
    def estimated_value(self) -> float | None:
        return self.valuation.estimated_value if self.valuation else None

    @property
    def cap_rate(self) -> float | None:
        return self.returns.cap_rate_percent if isinstance(self.returns, roi.Returns) else None

    @property
    def roi_estimate(self) -> float | None:
        """The annual figure the seed's API reports: the cap rate, in percent."""
        return self.cap_rate

    @cached_property
    def comparables(self) -> list[dict[str, Any]]:
        """The comparable sales as JSON, as the score row and `score.created` carry them."""
        return plain(self.valuation.comparables) if self.valuation else []

    @cached_property
    def components(self) -> dict[str, Any]:
        """`score_components`: each score's inputs and contributions, and the valuation,
        rent and returns that fed them."""
        return {
            **self.scores.to_dict(),
            "valuation": valuation_summary(self.valuation),
            "rent": self.rent.to_dict() if self.rent else None,
            "returns": self.returns.to_dict(),
        }


def appraise(
    listing: Listing,
    enrichment: dict[str, Any],
    valuation: Valuation | None,
    rentals: list[rent.RentalComparable],
    as_of: date,
    assumptions: roi.Assumptions = roi.DEFAULT_ASSUMPTIONS,
) -> Appraisal:
    estimated_value = valuation.estimated_value if valuation else None
    rent_estimate = rent.estimate_rent(
        rent.Home(
            sqft=listing.sqft,
            bedrooms=listing.bedrooms,
            bathrooms=listing.bathrooms,
            property_type=listing.property_type,
            zip_code=listing.zip_code,
            estimated_value=estimated_value,
        ),
        area_rent(listing.zip_code, enrichment),
        as_of.year,
        rentals,
    )
    returns = roi.evaluate_listing(
        listing.status,
        listing.price,
        rent_estimate.monthly_rent if rent_estimate else None,
        estimated_value,
        listing.hoa_fee,
        listing.tax_annual_amount,
        assumptions,
    )
    bought = returns if isinstance(returns, roi.Returns) else None
    result = scores.score(
        scores.ScoreInputs(
            price=None if listing.is_rental else listing.price,
            estimated_value=estimated_value,
            value_low=valuation.value_low if valuation else None,
            value_high=valuation.value_high if valuation else None,
            cap_rate_percent=bought.cap_rate_percent if bought else None,
            cash_on_cash_percent=bought.cash_on_cash_percent if bought else None,
            dscr=bought.dscr if bought else None,
            distress_signals=tuple(signal.kind for signal in listing.distress_signals),
            completeness_percent=completeness(enrichment),
            year_built=listing.year_built,
            valuation_year=as_of.year,
            days_on_market=listing.days_on_market,
        )
    )
    features = features_used(listing, enrichment)
    model_version = valuation.model_version if valuation else NO_MODEL_VERSION
    return Appraisal(
        valuation=valuation,
        rent=rent_estimate,
        returns=returns,
        scores=result,
        features_used=features,
        input_hash=input_hash(features, model_version, assumptions, as_of),
    )


def home_of(listing: Listing) -> Home:
    """The facts the valuation model reads, from a listing."""
    return Home(
        sqft=listing.sqft,
        lot_sqft=listing.lot_sqft,
        bedrooms=listing.bedrooms,
        bathrooms=listing.bathrooms,
        year_built=listing.year_built,
        year_renovated=listing.year_renovated,
        stories=listing.stories,
        latitude=listing.latitude,
        longitude=listing.longitude,
        zip_code=listing.zip_code,
        property_type=listing.property_type,
    )


def area_rent(zip_code: str | None, enrichment: dict[str, Any]) -> rent.AreaRent | None:
    """The ZIP's Census median rent, as the enricher attached it (ACS 2009-2013)."""
    median = (enrichment.get("demographics") or {}).get("median_rent")
    if not zip_code or not isinstance(median, int | float) or median <= 0:
        return None
    return rent.AreaRent(zip_code=zip_code, median_contract_rent=float(median))


def completeness(enrichment: dict[str, Any]) -> float | None:
    """The record's completeness as the enricher measured it (percent of key facts)."""
    value = (enrichment.get("quality") or {}).get("completeness_percent")
    return float(value) if isinstance(value, int | float) else None


def features_used(listing: Listing, enrichment: dict[str, Any]) -> dict[str, Any]:
    facts = listing.model_dump(mode="json", include=set(SCORED_FACTS))
    demographics = enrichment.get("demographics") or {}
    return {
        **facts,
        "distress_signals": sorted(signal.kind for signal in listing.distress_signals),
        "zip_median_rent": demographics.get("median_rent"),
        "completeness_percent": completeness(enrichment),
        "location_precision": (enrichment.get("location") or {}).get("precision"),
    }


def input_hash(
    features: dict[str, Any], model_version: str, assumptions: roi.Assumptions, as_of: date
) -> str:
    canonical = orjson.dumps(
        {
            "model_version": model_version,
            "features": features,
            "assumptions": assumptions,
            "as_of": as_of,
        },
        option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
        default=str,
    )
    return hashlib.sha256(canonical).hexdigest()


def valuation_summary(valuation: Valuation | None) -> dict[str, Any] | None:
    """The valuation as JSON: estimate, band, the features that moved it, its reason."""
    if valuation is None:
        return None
    return {
        "model_version": valuation.model_version,
        "as_of": valuation.as_of.isoformat(),
        "estimated_value": valuation.estimated_value,
        "value_low": valuation.value_low,
        "value_high": valuation.value_high,
        "baseline_value": valuation.baseline_value,
        "missing_facts": list(valuation.missing_facts),
        "reason": valuation.reason,
        "shap_contributions": plain(valuation.contributions),
    }
