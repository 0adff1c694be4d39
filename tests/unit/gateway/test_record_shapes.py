"""Record shapes carry every field API-SHAPES.md names (extra fields are allowed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from services.gateway.shapes import enrichment, metrics, scoring, scraping

SCRAPING_JOB_ROW = {
    "id", "dag_id", "dag_run_id", "source", "status", "items_scraped", "items_failed",
    "started_at", "completed_at", "created_at",
}  # fmt: skip
ENRICHMENT_JOB_ROW = {
    "id", "dag_id", "dag_run_id", "property_id", "status", "enrichment_type", "started_at",
    "completed_at", "data_sources_used", "fields_enriched", "created_at",
}  # fmt: skip
PROPERTY_ROW = {
    "id", "prospect_id", "address", "city", "state", "zip_code", "property_type", "bedrooms",
    "bathrooms", "sqft", "lot_size", "year_built", "price", "estimated_value",
    "enrichment_sources", "created_at", "updated_at",
}  # fmt: skip
SCORE_ROW = {
    "id", "property_id", "dag_run_id", "overall_score", "investment_score", "risk_score",
    "roi_estimate", "model_version", "created_at",
}  # fmt: skip

QUALITY_METRIC = {
    "id", "metric_type", "metric_name", "value", "threshold", "is_passing", "entity_type",
    "entity_id", "details", "measured_at",
}  # fmt: skip


class EveryColumn(dict):
    """A row that answers every column with its own name."""

    def __missing__(self, key: str) -> str:
        return key


@pytest.mark.parametrize(
    ("shape", "fields"),
    [
        (scraping.scraping_job, SCRAPING_JOB_ROW),
        (
            scraping.scraping_job_details,
            SCRAPING_JOB_ROW | {"config", "error_log", "updated_at"},
        ),
        (
            scraping.prospect,
            {"id", "source", "source_id", "url", "status", "created_at", "updated_at", "payload"},
        ),
        (enrichment.enrichment_job, ENRICHMENT_JOB_ROW),
        (enrichment.enrichment_job_details, ENRICHMENT_JOB_ROW | {"error_log", "updated_at"}),
        (enrichment.property_row, PROPERTY_ROW),
        (enrichment.property_details, PROPERTY_ROW | {"enrichment_data"}),
        (scoring.score_row, SCORE_ROW),
        (
            scoring.score_details,
            SCORE_ROW | {"score_components", "features_used", "updated_at"},
        ),
        (metrics.quality_metric, QUALITY_METRIC),
    ],
)
def test_record_shape_has_every_documented_field(
    shape: Callable[[Any], dict[str, Any]], fields: set[str]
) -> None:
    shaped = shape(EveryColumn())
    assert fields <= set(shaped)
    assert all(shaped[field] == field for field in fields)


def test_property_list_rows_leave_out_the_bulky_enrichment_data() -> None:
    assert "enrichment_data" not in enrichment.property_row(EveryColumn())


def test_score_history_lists_the_scores_of_one_property() -> None:
    history = scoring.score_history(4, [EveryColumn()])
    assert history["property_id"] == 4
    assert set(history["data"][0]) == {
        "id", "overall_score", "investment_score", "risk_score", "roi_estimate",
        "model_version", "created_at",
    }  # fmt: skip
