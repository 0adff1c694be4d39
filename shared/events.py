"""The event contract between services: one pydantic model per topic.

Every event carries the envelope fields. A change that is not backward compatible
gets a new `schema_version`; consumers keep accepting the versions they know.
Unknown fields are ignored so that producers may add fields without breaking
older consumers.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shared import topics
from shared.listing import Listing, ListingChange, listing_from_flat_payload

PipelineId = Literal[
    "scrape_listings",
    "discovery_offmarket",
    "enrichment_property",
    "score_master",
    "docgen_packet",
]

EVENT_NAMESPACE = uuid.UUID("5a0c1f1e-7d0b-4c36-9a53-2a4f5b0e8d11")


def utcnow() -> datetime:
    return datetime.now(UTC)


def derived_event_id(*parts: object) -> uuid.UUID:
    """A deterministic event id, so that re-publishing after a redelivery is idempotent."""
    return uuid.uuid5(EVENT_NAMESPACE, "|".join(str(part) for part in parts))


class Event(BaseModel):
    """Envelope shared by every event."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str
    schema_version: int = 1
    occurred_at: AwareDatetime = Field(default_factory=utcnow)
    run_id: str | None = Field(None, description="pipeline run this event belongs to")

    TOPIC: ClassVar[str] = ""

    def key(self) -> bytes:
        raise NotImplementedError

    def body(self) -> bytes:
        """The event as the JSON its topic carries (`model_dump_json`, as bytes)."""
        return self.__pydantic_serializer__.to_json(self)


class ListingFilters(BaseModel):
    """Which listings a crawl keeps; a listing lacking a filtered fact is kept (it may be a
    deal, and the platform never guesses the missing value)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_price: float | None = Field(None, ge=0)
    max_price: float | None = Field(None, ge=0)
    min_beds: int | None = Field(None, ge=0)
    max_beds: int | None = Field(None, ge=0)
    min_baths: float | None = Field(None, ge=0)
    min_sqft: float | None = Field(None, ge=0)
    max_sqft: float | None = Field(None, ge=0)
    min_year_built: int | None = Field(None, ge=0)
    max_year_built: int | None = Field(None, ge=0)
    max_days_on_market: int | None = Field(None, ge=0)

    def admits(self, listing: Listing) -> bool:
        bounds = (
            (listing.price, self.min_price, self.max_price),
            (listing.bedrooms, self.min_beds, self.max_beds),
            (listing.bathrooms, self.min_baths, None),
            (listing.sqft, self.min_sqft, self.max_sqft),
            (listing.year_built, self.min_year_built, self.max_year_built),
            (listing.days_on_market, None, self.max_days_on_market),
        )
        return all(
            value is None or ((low is None or value >= low) and (high is None or value <= high))
            for value, low, high in bounds
        )


class ScrapeRequested(Event):
    """Run a crawl of one source: where (a ZIP code, "City, ST", or start URLs), which
    listings (type and filters) and how far (limits)."""

    TOPIC = topics.SCRAPE_REQUESTED
    event_type: Literal["scrape.requested"] = "scrape.requested"
    pipeline: Literal["scrape_listings", "discovery_offmarket"] = "scrape_listings"
    source: str = Field(..., min_length=1, max_length=64)
    start_urls: list[str] = Field(default_factory=list)
    location: str | None = None
    listing_type: Literal["for_sale", "for_rent", "sold", "off_market"] = "for_sale"
    filters: ListingFilters = Field(default_factory=ListingFilters)
    max_items: int | None = Field(None, ge=1)
    max_pages: int | None = Field(None, ge=1)

    def key(self) -> bytes:
        return (self.run_id or str(self.event_id)).encode()


class ScrapeCancelRequested(Event):
    """Stop the crawls of a pipeline run (or one scraping job) that are still running."""

    TOPIC = topics.SCRAPE_CANCEL_REQUESTED
    event_type: Literal["scrape.cancel_requested"] = "scrape.cancel_requested"
    job_id: int | None = Field(None, description="one scraping job; else every job of run_id")
    reason: str | None = None

    @model_validator(mode="after")
    def _names_what_to_cancel(self) -> ScrapeCancelRequested:
        if self.job_id is None and self.run_id is None:
            raise ValueError("name a job_id or a run_id to cancel")
        return self

    def key(self) -> bytes:
        return (self.run_id or str(self.job_id)).encode()


class ProspectNew(Event):
    """One listing as scraped, stored in `prospect_queue`.

    Version 2 carries the typed `Listing` and what changed since the source last showed
    it; a version-1 event (flat `payload` facts) is read into the same shape.
    """

    TOPIC = topics.PROSPECT_NEW
    event_type: Literal["prospect.new"] = "prospect.new"
    schema_version: int = 2
    prospect_id: int
    source: str
    source_id: str
    url: str | None = None
    listing: Listing
    changes: list[ListingChange] = Field(default_factory=list)
    scraped_at: AwareDatetime = Field(default_factory=utcnow)

    @model_validator(mode="before")
    @classmethod
    def _upgrade_version_1(cls, data: Any) -> Any:
        if isinstance(data, dict) and "listing" not in data and "payload" in data:
            payload = data["payload"]
            if not isinstance(payload, dict):
                raise ValueError("payload must be an object")
            listing = listing_from_flat_payload(
                payload, str(data.get("source")), str(data.get("source_id")), data.get("url")
            )
            return {**data, "listing": listing}
        return data

    def key(self) -> bytes:
        return f"{self.source}:{self.source_id}".encode()


class EnrichmentRequested(Event):
    """Re-enrich a prospect already in `prospect_queue`."""

    TOPIC = topics.ENRICHMENT_REQUESTED
    event_type: Literal["enrichment.requested"] = "enrichment.requested"
    prospect_id: int

    def key(self) -> bytes:
        return str(self.prospect_id).encode()


class PropertyEnriched(Event):
    """One normalised, enriched property (a row of `properties`).

    `listing` holds the home's facts with the enricher's normalised address parts;
    `address` is the normalised one-line address. Version 1 carried the facts as
    `facts` (flat columns); such an event is read into the same shape.
    """

    TOPIC = topics.PROPERTY_ENRICHED
    event_type: Literal["property.enriched"] = "property.enriched"
    schema_version: int = 2
    property_id: int
    prospect_id: int | None = None
    property_key: str
    address: str
    listing: Listing
    enrichment: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _upgrade_version_1(cls, data: Any) -> Any:
        if isinstance(data, dict) and "listing" not in data and isinstance(data.get("facts"), dict):
            facts = data["facts"]
            listing = listing_from_flat_payload(
                {**facts, "address": facts.get("address")},
                "enricher",
                str(data.get("property_key") or data.get("property_id")),
                None,
            )
            return {**data, "address": facts.get("address"), "listing": listing}
        return data

    def key(self) -> bytes:
        return str(self.property_id).encode()


class ScoringRequested(Event):
    """Re-score a property (for example after a model change)."""

    TOPIC = topics.SCORING_REQUESTED
    event_type: Literal["scoring.requested"] = "scoring.requested"
    property_id: int
    reason: str | None = None

    def key(self) -> bytes:
        return str(self.property_id).encode()


class ComparableSale(BaseModel):
    """An earlier sale a valuation rests on."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    sale_date: date
    price: float
    price_per_sqft: float | None = None
    sqft: float | None = None
    bedrooms: float | None = None
    bathrooms: float | None = None
    year_built: int | None = None
    distance_km: float | None = None
    similarity: float
    latitude: float | None = None
    longitude: float | None = None


class FeatureContribution(BaseModel):
    """One feature's SHAP share of a valuation: `log_effect` adds to log(value), so the
    value is `percent_effect` % higher (or lower) than without it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    feature: str
    feature_value: float | None = None
    log_effect: float
    percent_effect: float


class ValueEstimate(BaseModel):
    """What the AVM says a property is worth: the estimate and its P10-P90 band, or the
    reason there is none; the features that moved it most (largest first) and the value
    of an average home before them (`baseline_value`)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    model_version: str
    estimated_value: float | None = None
    value_low: float | None = None
    value_high: float | None = None
    reason: str | None = None
    comparables: list[ComparableSale] = Field(default_factory=list)
    baseline_value: float | None = None
    contributions: list[FeatureContribution] = Field(default_factory=list)


class RentFigure(BaseModel):
    """A monthly rent estimate with its band."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    monthly_rent: float
    low: float
    high: float


class ScoreCreated(Event):
    """A score row was written to `property_scores`, with the valuation, rent and returns
    it rests on (`returns`: the ROI figures and their assumptions, or why there are none)."""

    TOPIC = topics.SCORE_CREATED
    event_type: Literal["score.created"] = "score.created"
    score_id: int
    property_id: int
    prospect_id: int | None = None
    model_version: str
    overall_score: float
    investment_score: float
    risk_score: float
    roi_estimate: float | None = None
    valuation: ValueEstimate | None = None
    rent: RentFigure | None = None
    returns: dict[str, Any] = Field(default_factory=dict)

    def key(self) -> bytes:
        return str(self.property_id).encode()


class DocgenRequested(Event):
    """(Re)generate packets, even those already rendered: one property's (from its latest
    score unless `score_id` names one), those of `property_ids`, or those of the `top`
    properties by overall score."""

    TOPIC = topics.DOCGEN_REQUESTED
    event_type: Literal["docgen.requested"] = "docgen.requested"
    property_id: int | None = None
    score_id: int | None = None
    property_ids: list[int] = Field(default_factory=list)
    top: int | None = Field(None, ge=1, le=1000)

    @model_validator(mode="after")
    def _names_what_to_render(self) -> DocgenRequested:
        named = [self.property_id is not None, bool(self.property_ids), self.top is not None]
        if sum(named) != 1:
            raise ValueError("name exactly one of property_id, property_ids or top")
        if self.score_id is not None and self.property_id is None:
            raise ValueError("score_id needs property_id")
        return self

    def key(self) -> bytes:
        if self.property_id is not None:
            return str(self.property_id).encode()
        return (self.run_id or str(self.event_id)).encode()


class PacketGenerated(Event):
    """A property packet was stored in object storage and recorded in `documents`."""

    TOPIC = topics.PACKET_GENERATED
    event_type: Literal["packet.generated"] = "packet.generated"
    document_id: int
    property_id: int
    score_id: int | None = None
    storage_uri: str
    content_type: str = "application/pdf"
    size_bytes: int
    sha256: str

    def key(self) -> bytes:
        return str(self.property_id).encode()


EVENT_TYPES: dict[str, type[Event]] = {
    model.TOPIC: model
    for model in (
        ScrapeRequested,
        ScrapeCancelRequested,
        ProspectNew,
        EnrichmentRequested,
        PropertyEnriched,
        ScoringRequested,
        ScoreCreated,
        DocgenRequested,
        PacketGenerated,
    )
}
