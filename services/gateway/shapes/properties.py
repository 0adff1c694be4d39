"""Shapes of `/api/properties`: a home as search shows it, everything known about one home,
its packets, and the CSV a spreadsheet gets from a search.

The facts are the enricher's (`properties`); the value, its band, the rent, the returns and
the scores are the scorer's latest score of the home (`property_scores`); packets are
docgen's (`documents`). Nothing here computes a figure: it only arranges stored ones.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.gateway.shapes.records import PropertyRow
from shared.listing import DistressKind, ListingStatus, PropertyType

SortKey = Literal[
    "newest",
    "oldest",
    "price",
    "-price",
    "score",
    "-score",
    "cap_rate",
    "-cap_rate",
    "estimated_value",
    "-estimated_value",
    "sqft",
    "-sqft",
    "year_built",
    "-year_built",
]
"""How a search is ordered: a field ascending, or descending with a leading `-`; `newest`
(the default) and `oldest` order by when the property was first stored."""

MAX_MONEY = 1e12
MAX_COUNT = 1000
MAX_AREA = 1e9
MAX_YEAR = 3000


class PropertyFilters(BaseModel):
    """Every filter of a property search; a home matches when it meets all that are given.
    Filters on the score, the cap rate and distress read the home's latest score."""

    model_config = ConfigDict(extra="ignore")

    min_price: float | None = Field(None, ge=0, le=MAX_MONEY)
    max_price: float | None = Field(None, ge=0, le=MAX_MONEY)
    min_beds: int | None = Field(None, ge=0, le=MAX_COUNT)
    max_beds: int | None = Field(None, ge=0, le=MAX_COUNT)
    min_baths: float | None = Field(None, ge=0, le=MAX_COUNT)
    max_baths: float | None = Field(None, ge=0, le=MAX_COUNT)
    min_sqft: int | None = Field(None, ge=0, le=MAX_AREA)
    max_sqft: int | None = Field(None, ge=0, le=MAX_AREA)
    min_year_built: int | None = Field(None, ge=0, le=MAX_YEAR)
    max_year_built: int | None = Field(None, ge=0, le=MAX_YEAR)
    zip_code: str | None = Field(None, min_length=5, max_length=5, pattern=r"^\d{5}$")
    city: str | None = Field(None, min_length=1, max_length=128, description="any letter case")
    state: str | None = Field(None, min_length=2, max_length=2, description="two-letter code")
    property_type: PropertyType | None = None
    status: ListingStatus | None = Field(None, description="the listing's status")
    min_score: float | None = Field(None, ge=0, le=100, description="on overall_score")
    max_score: float | None = Field(None, ge=0, le=100, description="on overall_score")
    min_cap_rate: float | None = Field(None, ge=-100, le=100, description="percent")
    max_cap_rate: float | None = Field(None, ge=-100, le=100, description="percent")
    distress: DistressKind | Literal["any"] | None = Field(
        None, description="a distress signal the home carries, or `any` for at least one"
    )
    source: str | None = Field(None, min_length=1, max_length=64, description="listing source")

    def contradictions(self) -> list[str]:
        """The ranges whose lower bound exceeds their upper bound."""
        return [
            f"{low} ({getattr(self, low)}) is greater than {high} ({getattr(self, high)})"
            for low, high in RANGES
            if getattr(self, low) is not None
            and getattr(self, high) is not None
            and getattr(self, low) > getattr(self, high)
        ]


FILTERS = frozenset(PropertyFilters.model_fields)
"""The names of a search's filters."""

JSON_PAGE_LIMIT = 100
CSV_PAGE_LIMIT = 10_000


class PropertySearch(PropertyFilters):
    """A property search as its query string gives it: the filters, and which page of the
    matching homes, in which order and format."""

    sort: SortKey = "newest"
    limit: int = Field(
        50,
        ge=1,
        le=CSV_PAGE_LIMIT,
        description=f"rows per page: JSON ≤ {JSON_PAGE_LIMIT}, CSV ≤ {CSV_PAGE_LIMIT:,}",
    )
    offset: int = Field(0, ge=0, le=2**31)
    format: Literal["json", "csv"] | None = None


RANGES = (
    ("min_price", "max_price"),
    ("min_beds", "max_beds"),
    ("min_baths", "max_baths"),
    ("min_sqft", "max_sqft"),
    ("min_year_built", "max_year_built"),
    ("min_score", "max_score"),
    ("min_cap_rate", "max_cap_rate"),
)


class PropertySummary(PropertyRow):
    """A home as a search lists it: its facts, where it was listed, and the figures of its
    latest score (all None for a home not scored yet)."""

    status: str | None = Field(description="the listing's status (for_sale, sold, ...)")
    latitude: float | None
    longitude: float | None
    sources: list[str] = Field(description="the listing sources the home was seen on")
    score_id: int | None
    overall_score: float | None
    investment_score: float | None
    risk_score: float | None
    roi_estimate: float | None
    cap_rate: float | None = Field(description="percent, on the estimated value or the price")
    value_low: float | None
    value_high: float | None
    monthly_rent_estimate: float | None
    distress_signals: list[str]
    model_version: str | None
    scored_at: datetime | None


class PropertyPage(BaseModel):
    total: int
    limit: int
    offset: int
    data: list[PropertySummary]


class Comparable(BaseModel):
    """A recorded sale the valuation compared the home with."""

    model_config = ConfigDict(extra="allow")

    price: float | None = None
    sale_date: str | None = None
    sqft: float | None = None
    bedrooms: float | None = None
    bathrooms: float | None = None
    year_built: int | None = None
    distance_km: float | None = None
    price_per_sqft: float | None = None
    similarity: float | None = None


class Valuation(BaseModel):
    """The scorer's estimate of what the home is worth, with its band and comparables."""

    estimated_value: float | None
    value_low: float | None
    value_high: float | None
    model_version: str
    as_of: str | None
    reason: str | None = Field(description="why there is no estimate, when there is none")
    contributions: list[dict[str, Any]] = Field(
        description="the features that moved the estimate, largest effect first"
    )
    comparables: list[Comparable]


class LatestScore(BaseModel):
    """The latest score with each score's components, the rent and the returns behind it."""

    id: int
    overall_score: float
    investment_score: float
    risk_score: float
    roi_estimate: float | None
    cap_rate: float | None
    monthly_rent_estimate: float | None
    model_version: str
    dag_run_id: str | None
    created_at: datetime
    components: dict[str, Any] = Field(description="overall, investment and risk components")
    rent: dict[str, Any] | None
    returns: dict[str, Any] | None = Field(description="ROI: cash flow, cap rate, IRR, ...")
    features_used: dict[str, Any]


class ScoreHistoryEntry(BaseModel):
    id: int
    overall_score: float
    investment_score: float
    risk_score: float
    roi_estimate: float | None
    estimated_value: float | None
    model_version: str
    created_at: datetime


class ListingOrigin(BaseModel):
    """The scraped listing the property came from (the scraper's prospect)."""

    prospect_id: int
    source: str
    source_id: str
    url: str | None
    status: str
    scraped_at: datetime


class DocumentRow(BaseModel):
    """One stored packet version; `download_url` streams it."""

    id: int
    property_id: int
    score_id: int | None
    document_type: str
    content_type: str
    size_bytes: int
    sha256: str
    template_version: str
    dag_run_id: str | None
    created_at: datetime
    download_url: str


class DocumentList(BaseModel):
    property_id: int
    total: int
    data: list[DocumentRow]


class PropertyDetails(PropertySummary):
    """Everything known about one home."""

    listing_type: str | None
    dag_run_id: str | None
    enrichment_data: dict[str, Any] = Field(description="location, demographics, quality, ...")
    listing: ListingOrigin | None
    valuation: Valuation | None
    score: LatestScore | None
    score_history: list[ScoreHistoryEntry]
    documents: list[DocumentRow]
    packet_url: str | None = Field(description="the latest packet PDF, when one exists")


def listing_sources(enrichment_sources: Iterable[Mapping[str, Any]]) -> list[str]:
    """The names of the listing sources among a property's enrichment sources."""
    return [
        str(item["name"])
        for item in enrichment_sources
        if item.get("kind") == "listing" and item.get("name")
    ]


def summary(row: Mapping[str, Any]) -> dict[str, Any]:
    """A search row (property columns and its latest score's, as `queries.properties`
    selects them: PropertySummary's fields but the derived ones, with the listing type)
    as PropertySummary (written as JSON as it is; the conformance test checks it against
    the model). The row is copied and completed rather than rebuilt field by field: a
    page of 50 homes 35 against 105 us."""
    home = dict(row)
    sources = home["enrichment_sources"] or []
    home["enrichment_sources"] = sources
    home["sources"] = listing_sources(sources)
    home["status"] = home.pop("listing_type")
    home["distress_signals"] = list(home["distress_signals"] or [])
    return home


def document_row(row: Mapping[str, Any]) -> DocumentRow:
    return DocumentRow(
        **{name: row[name] for name in DocumentRow.model_fields if name != "download_url"},
        download_url=f"/api/properties/{row['property_id']}/documents/{row['id']}",
    )


def valuation(score: Mapping[str, Any]) -> Valuation | None:
    """The valuation of a score row; None when the score has no valuation summary."""
    summary_ = (score["score_components"] or {}).get("valuation")
    if summary_ is None:
        return None
    return Valuation(
        estimated_value=score["estimated_value"],
        value_low=score["value_low"],
        value_high=score["value_high"],
        model_version=summary_.get("model_version") or score["model_version"],
        as_of=summary_.get("as_of"),
        reason=summary_.get("reason"),
        contributions=list(summary_.get("shap_contributions") or []),
        comparables=[Comparable(**item) for item in score["comparables"] or []],
    )


SCORE_PARTS = ("overall", "investment", "risk")


def latest_score(score: Mapping[str, Any]) -> LatestScore:
    components = score["score_components"] or {}
    return LatestScore(
        id=score["id"],
        overall_score=score["overall_score"],
        investment_score=score["investment_score"],
        risk_score=score["risk_score"],
        roi_estimate=score["roi_estimate"],
        cap_rate=score["cap_rate"],
        monthly_rent_estimate=score["monthly_rent_estimate"],
        model_version=score["model_version"],
        dag_run_id=score["dag_run_id"],
        created_at=score["created_at"],
        components={part: components[part] for part in SCORE_PARTS if part in components},
        rent=components.get("rent"),
        returns=components.get("returns"),
        features_used=score["features_used"] or {},
    )


def details(
    row: Mapping[str, Any],
    origin: Mapping[str, Any] | None,
    scores: Sequence[Mapping[str, Any]],
    documents: Sequence[Mapping[str, Any]],
) -> PropertyDetails:
    """One home: `row` is its search row plus `enrichment_data` and `dag_run_id`; `scores`
    every score of it, newest first (full rows); `documents` its packets, newest first."""
    latest = scores[0] if scores else None
    packets = [document_row(document) for document in documents]
    facts = summary(row) | {
        "listing_type": row["listing_type"],
        "enrichment_data": row["enrichment_data"] or {},
    }
    return PropertyDetails(
        **facts,
        listing=ListingOrigin(**origin) if origin else None,
        valuation=valuation(latest) if latest else None,
        score=latest_score(latest) if latest else None,
        score_history=[
            ScoreHistoryEntry(**{name: score[name] for name in ScoreHistoryEntry.model_fields})
            for score in scores
        ],
        documents=packets,
        packet_url=f"/api/properties/{row['id']}/packet" if packets else None,
    )


CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "address",
    "city",
    "state",
    "zip_code",
    "property_type",
    "status",
    "bedrooms",
    "bathrooms",
    "sqft",
    "lot_size",
    "year_built",
    "price",
    "estimated_value",
    "value_low",
    "value_high",
    "monthly_rent_estimate",
    "cap_rate",
    "roi_estimate",
    "overall_score",
    "investment_score",
    "risk_score",
    "distress_signals",
    "sources",
    "latitude",
    "longitude",
    "model_version",
    "scored_at",
    "created_at",
)
"""The columns of a CSV export, in order; lists are joined with `;`, None is empty."""


def csv_cell(value: Any) -> str:
    """A JSON value as a CSV cell: lists joined with `;`, None empty."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return str(value)


def csv_lines(homes: Iterable[Mapping[str, Any]], header: bool) -> str:
    """CSV text of `homes` (`summary` rows; RFC 4180, CRLF line ends), with the header row
    when asked. Cells are the values the JSON answer carries, so an export reads the same
    as the API."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(CSV_COLUMNS)
    for home in homes:
        values = PropertySummary.model_validate(home).model_dump(
            mode="json", include=set(CSV_COLUMNS)
        )
        writer.writerow(csv_cell(values[column]) for column in CSV_COLUMNS)
    return buffer.getvalue()
