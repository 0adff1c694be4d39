"""Shapes of `/api/scoring`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import Field

from services.gateway.shapes.common import rounded
from services.gateway.shapes.records import Count, Record, ScoreFigures, ScoreRow


class ScoreDetails(ScoreRow):
    score_components: dict[str, Any] = Field(
        description="overall, investment and risk components, the valuation, rent and returns"
    )
    features_used: dict[str, Any]
    updated_at: datetime


class ScoreHistoryItem(ScoreFigures):
    id: int
    created_at: datetime


class ScoreHistory(Record):
    property_id: int
    data: list[ScoreHistoryItem] = Field(description="newest first")


class TopPropertyFacts(Record):
    address: str
    city: str | None
    state: str | None
    property_type: str | None
    bedrooms: int | None
    bathrooms: float | None
    sqft: int | None
    price: float | None
    estimated_value: float | None


class TopProperty(ScoreFigures):
    score_id: int
    property_id: int
    property: TopPropertyFacts
    created_at: datetime


class TopProperties(Record):
    data: list[TopProperty] = Field(description="latest score per property, best first")


class ScoreAverages(Record):
    overall_score: float
    investment_score: float
    risk_score: float
    roi_estimate: float


class ScoreDistribution(Record):
    """Scores per bucket `[min,max)`; the last bucket includes 100."""

    bucket_0_20: int = Field(alias="0-20")
    bucket_20_40: int = Field(alias="20-40")
    bucket_40_60: int = Field(alias="40-60")
    bucket_60_80: int = Field(alias="60-80")
    bucket_80_100: int = Field(alias="80-100")


class ScoringActivity(Record):
    last_24h_scores: int


class VersionCount(Count):
    version: str


class ScoringOverview(Record):
    total_scores: int
    properties_scored: int
    averages: ScoreAverages
    score_distribution: ScoreDistribution
    recent_activity: ScoringActivity
    model_versions: list[VersionCount] = Field(description="scores per model version, most first")


class ScoreTrend(Record):
    date: str = Field(description="YYYY-MM-DD (UTC)")
    scores_created: int
    average_score: float


class ScoreTrends(Record):
    data: list[ScoreTrend] = Field(description="one entry per day, oldest first")


TOP_PROPERTY_FIELDS = (
    "address",
    "city",
    "state",
    "property_type",
    "bedrooms",
    "bathrooms",
    "sqft",
    "price",
    "estimated_value",
)


def top_property(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "score_id": row["score_id"],
        "property_id": row["property_id"],
        "overall_score": row["overall_score"],
        "investment_score": row["investment_score"],
        "risk_score": row["risk_score"],
        "roi_estimate": row["roi_estimate"],
        "model_version": row["model_version"],
        "property": {field: row[field] for field in TOP_PROPERTY_FIELDS},
        "created_at": row["created_at"],
    }


BUCKET_WIDTH = 20
BUCKET_LABELS = ("0-20", "20-40", "40-60", "60-80", "80-100")

SCORE_FIELDS = (
    "id",
    "property_id",
    "dag_run_id",
    "overall_score",
    "investment_score",
    "risk_score",
    "roi_estimate",
    "model_version",
    "created_at",
)
HISTORY_FIELDS = (
    "id",
    "overall_score",
    "investment_score",
    "risk_score",
    "roi_estimate",
    "model_version",
    "created_at",
)


def bucket_of(score: float) -> str:
    """The label of the bucket a score falls in: `[min,max)`, except 100 in "80-100"."""
    return BUCKET_LABELS[min(max(int(score // BUCKET_WIDTH), 0), len(BUCKET_LABELS) - 1)]


def score_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """ScoreRow."""
    return {field: row[field] for field in SCORE_FIELDS}


def score_details(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **score_row(row),
        "score_components": row["score_components"],
        "features_used": row["features_used"],
        "updated_at": row["updated_at"],
    }


def score_history(property_id: int, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "property_id": property_id,
        "data": [{field: row[field] for field in HISTORY_FIELDS} for row in rows],
    }


def distribution(counts_by_whole_score: Mapping[int, int]) -> dict[str, int]:
    """Scores per bucket, every label present (zero where no score fell), from the number of
    scores per whole score (the bucket edges are whole numbers)."""
    counts = dict.fromkeys(BUCKET_LABELS, 0)
    for whole, count in counts_by_whole_score.items():
        counts[bucket_of(whole)] += int(count)
    return counts


def overview(
    totals: Mapping[str, Any],
    counts_by_whole_score: Mapping[int, int],
    versions: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    return {
        "total_scores": int(totals.get("total_scores") or 0),
        "properties_scored": int(totals.get("properties_scored") or 0),
        "averages": {
            name: rounded(totals.get(name))
            for name in ("overall_score", "investment_score", "risk_score", "roi_estimate")
        },
        "score_distribution": distribution(counts_by_whole_score),
        "recent_activity": {"last_24h_scores": int(totals.get("last_24h") or 0)},
        "model_versions": [{"version": row["version"], "count": row["count"]} for row in versions],
    }


def trend_entry(row: Mapping[str, Any] | None) -> dict[str, Any]:
    row = row or {}
    return {
        "scores_created": int(row.get("scores_created") or 0),
        "average_score": rounded(row.get("average_score")),
    }
