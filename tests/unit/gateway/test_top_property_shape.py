"""`/api/scoring/top-properties` nests the property under its score."""

from __future__ import annotations

from services.gateway.shapes.scoring import top_property


def test_top_property_nests_the_property_details() -> None:
    row = {
        "score_id": 3,
        "property_id": 9,
        "overall_score": 88.0,
        "investment_score": 80.0,
        "risk_score": 20.0,
        "roi_estimate": 7.5,
        "model_version": "v1",
        "created_at": None,
        "address": "1 Main St",
        "city": "Austin",
        "state": "TX",
        "property_type": "single_family",
        "bedrooms": 3,
        "bathrooms": 2.0,
        "sqft": 1500,
        "price": 300000.0,
        "estimated_value": 320000.0,
    }
    shaped = top_property(row)
    assert set(shaped) >= {
        "score_id",
        "property_id",
        "overall_score",
        "investment_score",
        "risk_score",
        "roi_estimate",
        "property",
        "created_at",
    }
    assert shaped["property"] == {
        "address": "1 Main St",
        "city": "Austin",
        "state": "TX",
        "property_type": "single_family",
        "bedrooms": 3,
        "bathrooms": 2.0,
        "sqft": 1500,
        "price": 300000.0,
        "estimated_value": 320000.0,
    }
