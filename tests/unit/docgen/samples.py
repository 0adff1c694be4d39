"""Rows as docgen reads them from `properties` and `property_scores`, shaped like what the
enricher and the transparent scorer write."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

GENERATED_AT = datetime(2025, 11, 27, 14, 30, 5, tzinfo=UTC)


def property_row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": 7,
        "address": "1234 Lakeview Dr",
        "city": "Seattle",
        "state": "WA",
        "zip_code": "98103",
        "property_type": "single_family",
        "listing_type": "for_sale",
        "bedrooms": 3,
        "bathrooms": 2.5,
        "sqft": 1700,
        "lot_size": 5400.0,
        "year_built": 1977,
        "price": 500000.0,
        "estimated_value": None,
        "latitude": 47.6733,
        "longitude": -122.3425,
        "enrichment_data": {
            "location": {
                "city": "Seattle",
                "state": "WA",
                "county": "King",
                "county_fips": "53033",
                "population": 45911.0,
                "density_per_km2": 3824.2,
                "precision": "zip_centroid",
            },
            "demographics": {
                "zcta": "98103",
                "median_rent": 1081.0,
                "median_household_income": 84069.0,
                "median_household_income_top_coded": False,
            },
            "provenance": {
                "address": "zillow",
                "price": "zillow",
                "latitude": "zip_centroids",
                "longitude": "zip_centroids",
            },
        },
        "enrichment_sources": [
            {"kind": "listing", "name": "zillow"},
            {"key": "98103", "kind": "reference", "name": "census_acs_2016_b19013"},
        ],
        "listing_source": "zillow",
        "listing_url": "http://127.0.0.1:9180/homes/1",
    }
    row.update(overrides)
    return row


def score_row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": 11,
        "property_id": 7,
        "overall_score": 72.46,
        "investment_score": 68.0,
        "risk_score": 35.3,
        "roi_estimate": 1.627,
        "model_version": "transparent-v1",
        "score_components": {
            "assumptions": {"vacancy_rate": 0.05, "operating_expense_ratio": 0.4},
            "cap_rate_percent": 1.627,
            "net_operating_income": 8133.44,
            "rent_estimate_monthly": 1189.1,
            "price_to_income": 5.95,
            "meets_one_percent_rule": False,
            "missing_facts": [],
        },
    }
    row.update(overrides)
    return row
