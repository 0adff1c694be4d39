"""A known property as docgen receives it: the snapshot `property.enriched` carries and
one `score.created`, with invented figures shaped like what the enricher and the scorer
publish (the returns are `roi.analyse(425000, 2650, 468000, 35, 4100)`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from services.docgen.packet import PropertySnapshot
from shared.events import ScoreCreated
from shared.listing import Listing

GENERATED_AT = datetime(2025, 11, 27, 14, 30, 5, tzinfo=UTC)
ENRICHED_AT = datetime(2025, 11, 26, 9, 12, tzinfo=UTC)
SCORED_AT = datetime(2025, 11, 26, 9, 13, tzinfo=UTC)


def listing(**overrides: Any) -> Listing:
    facts: dict[str, Any] = {
        "source": "zillow",
        "source_id": "z-48213",
        "url": "http://127.0.0.1:9180/homes/48213",
        "status": "for_sale",
        "price": 425000.0,
        "list_date": date(2025, 9, 30),
        "street": "1234 Lakeview Dr",
        "city": "Seattle",
        "state": "WA",
        "zip_code": "98103",
        "latitude": 47.6733,
        "longitude": -122.3425,
        "property_type": "single_family",
        "bedrooms": 3,
        "bathrooms": 2.5,
        "bathrooms_full": 2,
        "bathrooms_half": 1,
        "sqft": 1850,
        "lot_sqft": 5400.0,
        "year_built": 1987,
        "stories": 2,
        "hoa_fee": 35.0,
        "days_on_market": 58,
        "mls_id": "NWM-2291734",
        "description": "Bright two-storey home near Green Lake with a fenced yard.",
        "price_history": [
            {"event_date": "2025-09-30", "event": "listed", "price": 449000, "source": "NWMLS"},
            {"event_date": "2025-10-21", "event": "price_change", "price": 425000},
            {
                "event_date": "2017-06-02",
                "event": "sold",
                "price": 362500,
                "source": "Public record",
            },
        ],
        "tax_assessed_value": 401000.0,
        "tax_annual_amount": 4100.0,
        "broker": {
            "name": "Lakeside Realty",
            "agent_name": "Dana Whitfield",
            "phone": "206-555-0147",
        },
        "distress_signals": [
            {
                "kind": "pre_foreclosure",
                "recorded_date": "2025-08-14",
                "amount": 18250.0,
                "detail": "Notice of trustee sale recorded",
                "record_id": "KC-2025-0814-332",
                "feed": "king-county-recorder",
            }
        ],
    }
    facts.update(overrides)
    return Listing.model_validate(facts)


ENRICHMENT: dict[str, Any] = {
    "location": {
        "city": "Seattle",
        "state": "WA",
        "county": "King",
        "population": 45911.0,
        "density_per_km2": 3824.2,
        "timezone": "America/Los_Angeles",
        "precision": "listing",
    },
    "demographics": {
        "zcta": "98103",
        "median_household_income": 84069.0,
        "median_household_income_top_coded": False,
        "median_rent": 1381.0,
        "median_age": 34.6,
        "total_population": 45911.0,
    },
    "provenance": {"address": "zillow", "price": "zillow", "county": "zip_centroids"},
    "quality": {"completeness_percent": 94.0, "missing": ["lot_size"], "failed_rules": []},
}


def snapshot(**overrides: Any) -> PropertySnapshot:
    values: dict[str, Any] = {
        "property_id": 7,
        "address": "1234 Lakeview Dr",
        "listing": listing(),
        "enrichment": ENRICHMENT,
        "enriched_at": ENRICHED_AT,
    }
    values.update(overrides)
    return PropertySnapshot(**values)


RETURNS: dict[str, Any] = {
    "price": 425000, "monthly_rent": 2650, "value_basis": 468000,
    "value_basis_source": "estimated_value", "hoa_monthly": 35, "annual_tax_source": "listing",
    "loan_amount": 318750.0, "monthly_mortgage_payment": 2120.65,
    "annual_debt_service": 25447.82,
    "operating": {
        "gross_rent": 31800.0, "vacancy_loss": 1908.0, "effective_gross_income": 29892.0,
        "property_tax": 4100.0, "insurance": 1700.0, "hoa": 420.0, "maintenance": 2544.0,
        "capital_reserves": 1590.0, "management": 2391.36, "operating_expenses": 12745.36,
        "net_operating_income": 17146.64,
    },
    "net_operating_income": 17146.64, "cap_rate_percent": 4.035, "monthly_cash_flow": -691.77,
    "annual_cash_flow": -8301.18,
    "cash_needed": {
        "down_payment": 106250.0, "closing_costs": 12750.0, "repair_costs": 0.0, "total": 119000.0
    },
    "cash_on_cash_percent": -6.976, "dscr": 0.674, "gross_rent_multiplier": 13.36,
    "rent_to_price_percent": 0.624, "meets_one_percent_rule": False,
    "meets_seventy_percent_rule": False,
    "projection": [
        {"year": 1, "rent_monthly": 2650.0, "net_operating_income": 17146.64,
         "cash_flow": -8301.18, "cumulative_cash_flow": -8301.18, "loan_balance": 315512.11,
         "property_value": 482040.0, "equity": 166527.89},
        {"year": 2, "rent_monthly": 2729.5, "net_operating_income": 17692.14,
         "cash_flow": -7755.68, "cumulative_cash_flow": -16056.86, "loan_balance": 312040.14,
         "property_value": 496501.2, "equity": 184461.06},
        {"year": 3, "rent_monthly": 2811.38, "net_operating_income": 18254.78,
         "cash_flow": -7193.04, "cumulative_cash_flow": -23249.9, "loan_balance": 308317.19,
         "property_value": 511396.24, "equity": 203079.04},
        {"year": 4, "rent_monthly": 2895.73, "net_operating_income": 18835.1,
         "cash_flow": -6612.72, "cumulative_cash_flow": -29862.62, "loan_balance": 304325.11,
         "property_value": 526738.12, "equity": 222413.01},
        {"year": 5, "rent_monthly": 2982.6, "net_operating_income": 19433.64,
         "cash_flow": -6014.18, "cumulative_cash_flow": -35876.8, "loan_balance": 300044.44,
         "property_value": 542540.27, "equity": 242495.82},
    ],
    "sale_proceeds": 209943.41, "irr_percent": 7.153,
    "assumptions": {
        "down_payment_share": 0.25, "mortgage_rate": 0.07, "term_years": 30,
        "closing_cost_share": 0.03, "property_tax_rate": 0.01, "insurance_rate": 0.004,
        "vacancy_rate": 0.06, "maintenance_share": 0.08, "capital_reserve_share": 0.05,
        "management_share": 0.08, "appreciation": 0.03, "rent_growth": 0.03,
        "expense_growth": 0.025, "holding_years": 5, "selling_cost_share": 0.06,
        "repair_costs": 0.0,
    },
    "roi_estimate": 4.035,
}  # fmt: skip

VALUATION: dict[str, Any] = {
    "model_version": "avm-20251120-3f9c",
    "estimated_value": 468000.0,
    "value_low": 431000.0,
    "value_high": 512000.0,
    "baseline_value": 402000.0,
    "contributions": [
        {"feature": "sqft", "feature_value": 1850, "log_effect": 0.0912, "percent_effect": 9.55},
        {"feature": "neighbour_price_per_sqft", "feature_value": 271.4, "log_effect": 0.0644,
         "percent_effect": 6.65},
        {"feature": "year_built", "feature_value": 1987, "log_effect": -0.0301,
         "percent_effect": -2.96},
        {"feature": "bathrooms", "feature_value": 2.5, "log_effect": 0.0188, "percent_effect": 1.9},
        {"feature": "lot_sqft", "feature_value": None, "log_effect": -0.0122,
         "percent_effect": -1.21},
    ],
    "comparables": [
        {"sale_date": "2025-08-19", "price": 455000, "price_per_sqft": 252.78, "sqft": 1800,
         "bedrooms": 3, "bathrooms": 2.25, "year_built": 1984, "distance_km": 0.41,
         "similarity": 0.93},
        {"sale_date": "2025-07-02", "price": 489500, "price_per_sqft": 255.61, "sqft": 1915,
         "bedrooms": 3, "bathrooms": 2.5, "year_built": 1991, "distance_km": 0.87,
         "similarity": 0.9},
        {"sale_date": "2025-05-28", "price": 441000, "price_per_sqft": 262.5, "sqft": 1680,
         "bedrooms": 3, "bathrooms": 2.0, "year_built": 1979, "distance_km": 1.12,
         "similarity": 0.86},
    ],
}  # fmt: skip


def score(**overrides: Any) -> ScoreCreated:
    values: dict[str, Any] = {
        "occurred_at": SCORED_AT,
        "run_id": "run-42",
        "score_id": 11,
        "property_id": 7,
        "model_version": "avm-20251120-3f9c",
        "overall_score": 72.46,
        "investment_score": 68.0,
        "risk_score": 35.3,
        "roi_estimate": 4.035,
        "valuation": VALUATION,
        "rent": {"monthly_rent": 2650.0, "low": 2380.0, "high": 2930.0},
        "returns": RETURNS,
    }
    values.update(overrides)
    return ScoreCreated.model_validate(values)
