"""Statistics shapes: bucket edges, rates, and the same keys with zeros for empty tables."""

from __future__ import annotations

from datetime import date

import pytest

from services.gateway.shapes import enrichment, metrics, scoring, scraping
from services.gateway.shapes.common import job_counts, page, percent

BUCKETS = ["0-20", "20-40", "40-60", "60-80", "80-100"]
TIMESTAMP = "2026-11-27T22:10:00+00:00"


@pytest.mark.parametrize(
    ("score", "bucket"),
    [
        (0, "0-20"),
        (19.99, "0-20"),
        (20, "20-40"),
        (39.5, "20-40"),
        (40, "40-60"),
        (79.99, "60-80"),
        (80, "80-100"),
        (99.9, "80-100"),
        (100, "80-100"),
    ],
)
def test_score_buckets_are_half_open_except_the_last_which_holds_100(
    score: float, bucket: str
) -> None:
    assert scoring.bucket_of(score) == bucket


def test_distribution_sums_whole_scores_into_every_bucket() -> None:
    assert scoring.distribution({19: 2, 20: 1, 80: 3, 100: 4}) == {
        "0-20": 2,
        "20-40": 1,
        "40-60": 0,
        "60-80": 0,
        "80-100": 7,
    }


def test_scoring_overview_of_an_empty_table_has_every_key_at_zero() -> None:
    empty = scoring.overview(
        {"total_scores": 0, "properties_scored": 0, "overall_score": None}, {}, []
    )
    assert empty == {
        "total_scores": 0,
        "properties_scored": 0,
        "averages": {
            "overall_score": 0.0,
            "investment_score": 0.0,
            "risk_score": 0.0,
            "roi_estimate": 0.0,
        },
        "score_distribution": dict.fromkeys(BUCKETS, 0),
        "recent_activity": {"last_24h_scores": 0},
        "model_versions": [],
    }


def test_scoring_overview_rounds_averages_and_lists_model_versions() -> None:
    shaped = scoring.overview(
        {"total_scores": 3, "properties_scored": 2, "overall_score": 72.456, "last_24h": 1},
        {72: 3},
        [{"version": "avm-v2", "count": 3}],
    )
    assert shaped["averages"]["overall_score"] == 72.46
    assert shaped["score_distribution"]["60-80"] == 3
    assert shaped["model_versions"] == [{"version": "avm-v2", "count": 3}]


def test_job_counts_rate_is_successful_over_all_jobs() -> None:
    counts = job_counts({"total": 120, "running": 2, "successful": 95, "failed": 5})
    assert counts == {
        "total": 120,
        "running": 2,
        "queued": 0,
        "successful": 95,
        "failed": 5,
        "success_rate": 79.17,
    }
    assert job_counts({})["success_rate"] == 0.0


def test_percent_of_nothing_is_zero() -> None:
    assert percent(5, 0) == 0.0
    assert percent(1000, 1250) == 80.0


def test_page_has_total_limit_offset_and_data() -> None:
    assert page(7, 5, 5, [1, 2]) == {"total": 7, "limit": 5, "offset": 5, "data": [1, 2]}


def test_scraping_overview_matches_the_seed_example() -> None:
    shaped = scraping.overview(
        {
            "total": 120,
            "running": 2,
            "successful": 95,
            "failed": 5,
            "items_scraped": 90,
            "items_failed": 10,
        },
        {"total": 1250, "new": 150, "processed": 1000, "last_24h": 85},
        [{"source": "zillow", "count": 700}],
    )
    assert shaped["jobs"]["success_rate"] == 79.17
    assert shaped["prospects"] == {
        "total": 1250,
        "new": 150,
        "processed": 1000,
        "processing_rate": 80.0,
    }
    assert shaped["items"] == {"scraped": 90, "failed": 10, "success_rate": 90.0}
    assert shaped["recent_activity"] == {"last_24h_prospects": 85}
    assert shaped["sources"] == [{"source": "zillow", "count": 700}]


def test_scraping_overview_of_empty_tables_has_zeros() -> None:
    shaped = scraping.overview({}, {}, [])
    assert shaped["prospects"]["processing_rate"] == 0.0
    assert shaped["items"] == {"scraped": 0, "failed": 0, "success_rate": 0.0}
    assert shaped["jobs"]["total"] == 0


def test_scraping_daily_groups_sources_per_day() -> None:
    day = date(2026, 11, 27)
    days = scraping.daily_by_source(
        [{"day": day, "source": "demo", "count": 3}, {"day": day, "source": "zillow", "count": 2}]
    )
    assert scraping.daily_entry(days[day]) == {"total": 5, "by_source": {"demo": 3, "zillow": 2}}
    assert scraping.daily_entry(None) == {"total": 0, "by_source": {}}


def test_data_quality_of_no_properties_keeps_field_completeness_with_zeros() -> None:
    shaped = enrichment.data_quality({"total": 0})
    assert shaped["total_properties"] == 0
    assert shaped["overall_completeness"] == 0.0
    assert "completeness" not in shaped
    assert set(shaped["field_completeness"]) == set(enrichment.QUALITY_FIELDS)
    assert shaped["field_completeness"]["price"] == {"count": 0, "percentage": 0.0}


def test_data_quality_covers_the_seed_fields_and_averages_them() -> None:
    counts = {"total": 1000, **dict.fromkeys(enrichment.QUALITY_FIELDS, 1000), "price": 950}
    shaped = enrichment.data_quality(counts)
    assert {"address", "price", "bedrooms", "estimated_value"} <= set(shaped["field_completeness"])
    assert shaped["field_completeness"]["price"] == {"count": 950, "percentage": 95.0}
    fields = len(enrichment.QUALITY_FIELDS)
    assert shaped["overall_completeness"] == round((100.0 * (fields - 1) + 95.0) / fields, 2)


def test_enrichment_overview_of_empty_tables_has_zeros() -> None:
    shaped = enrichment.overview({}, {}, [])
    assert shaped["properties"] == {
        "total": 0,
        "with_pricing": 0,
        "with_details": 0,
        "completeness_rate": 0.0,
    }
    assert shaped["recent_activity"] == {"last_24h_enrichments": 0}
    assert shaped["enrichment_types"] == []


def test_metrics_overview_of_an_empty_platform_has_every_key_at_zero() -> None:
    shaped = metrics.overview({}, TIMESTAMP)
    assert shaped["data_pipeline"] == {
        "total_prospects": 0,
        "total_properties": 0,
        "total_scores": 0,
        "new_prospects_pending": 0,
        "enriched_properties": 0,
    }
    assert shaped["pipeline_execution"] == {
        "total_runs": 0,
        "successful_runs": 0,
        "success_rate": 0.0,
    }
    assert shaped["active_jobs"] == {"scraping": 0, "enrichment": 0, "total": 0}
    assert shaped["data_flow"] == {"conversion_rate": 0.0, "scoring_rate": 0.0}
    assert shaped["timestamp"] == TIMESTAMP


def test_metrics_overview_rates() -> None:
    shaped = metrics.overview(
        {
            "total_prospects": 1250,
            "total_properties": 1000,
            "properties_with_scores": 450,
            "total_runs": 300,
            "successful_runs": 285,
            "active_scraping": 2,
            "active_enrichment": 3,
        },
        TIMESTAMP,
    )
    assert shaped["pipeline_execution"]["success_rate"] == 95.0
    assert shaped["active_jobs"]["total"] == 5
    assert shaped["data_flow"] == {"conversion_rate": 80.0, "scoring_rate": 45.0}


def test_funnel_has_five_stages_and_conversion_rates() -> None:
    shaped = metrics.funnel(
        {
            "scraped": 200,
            "processing": 10,
            "enriched": 150,
            "scored": 120,
            "documented": 60,
            "failed_prospects": 20,
        },
        TIMESTAMP,
    )
    assert list(shaped["stages"]) == [
        "1_scraped",
        "2_processing",
        "3_enriched",
        "4_scored",
        "5_documented",
    ]
    assert shaped["conversion_rates"] == {
        "prospect_to_property_percent": 75.0,
        "property_to_scored_percent": 80.0,
        "overall_conversion_percent": 60.0,
    }
    assert shaped["dropped"] == {"failed_prospects": 20, "drop_rate_percent": 10.0}
    assert metrics.funnel({}, TIMESTAMP)["conversion_rates"]["overall_conversion_percent"] == 0.0


def test_performance_reports_every_stage_with_zeros_when_nothing_ran() -> None:
    shaped = metrics.performance({}, TIMESTAMP)
    assert shaped["average_durations"] == {
        "scraping_seconds": 0.0,
        "enrichment_seconds": 0.0,
        "scoring_seconds": 0.0,
        "docgen_seconds": 0.0,
        "pipeline_seconds": 0.0,
    }
    assert set(shaped["error_rates"]) == {"scraping", "enrichment", "scoring", "docgen"}
    assert shaped["error_rates"]["scraping"] == {"total": 0, "failed": 0, "rate_percent": 0.0}


def test_throughput_lists_each_day_with_each_stage() -> None:
    days = [date(2026, 11, 26), date(2026, 11, 27)]
    shaped = metrics.throughput(
        days, {"scraped": {days[1]: 5}, "enriched": {}, "scored": {days[1]: 2}}
    )
    assert shaped == {
        "days": 2,
        "data": [
            {"date": "2026-11-26", "scraped": 0, "enriched": 0, "scored": 0},
            {"date": "2026-11-27", "scraped": 5, "enriched": 0, "scored": 2},
        ],
    }
