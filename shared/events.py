"""The event contract between services: one pydantic model per topic.

Every event carries the envelope fields. A change that is not backward compatible
gets a new `schema_version`; consumers keep accepting the versions they know.
Unknown fields are ignored so that producers may add fields without breaking
older consumers.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared import topics

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


class ScrapeRequested(Event):
    """Run a crawl of one source."""

    TOPIC = topics.SCRAPE_REQUESTED
    event_type: Literal["scrape.requested"] = "scrape.requested"
    pipeline: Literal["scrape_listings", "discovery_offmarket"] = "scrape_listings"
    source: str = Field(..., min_length=1, max_length=64)
    start_urls: list[str] = Field(default_factory=list)
    location: str | None = None
    listing_type: Literal["for_sale", "for_rent", "sold", "off_market"] = "for_sale"
    max_items: int | None = Field(None, ge=1)
    max_pages: int | None = Field(None, ge=1)

    def key(self) -> bytes:
        return (self.run_id or str(self.event_id)).encode()


class ProspectNew(Event):
    """One raw listing as scraped, stored in `prospect_queue`."""

    TOPIC = topics.PROSPECT_NEW
    event_type: Literal["prospect.new"] = "prospect.new"
    prospect_id: int
    source: str
    source_id: str
    url: str | None = None
    payload: dict[str, Any]
    scraped_at: AwareDatetime = Field(default_factory=utcnow)

    def key(self) -> bytes:
        return f"{self.source}:{self.source_id}".encode()


class EnrichmentRequested(Event):
    """Re-enrich a prospect already in `prospect_queue`."""

    TOPIC = topics.ENRICHMENT_REQUESTED
    event_type: Literal["enrichment.requested"] = "enrichment.requested"
    prospect_id: int

    def key(self) -> bytes:
        return str(self.prospect_id).encode()


class PropertyFacts(BaseModel):
    """The normalised columns of a property, as the enricher writes them."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    address: str
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    property_type: str | None = None
    listing_type: str | None = None
    bedrooms: int | None = None
    bathrooms: float | None = None
    sqft: int | None = None
    lot_size: float | None = None
    year_built: int | None = None
    price: float | None = None
    latitude: float | None = None
    longitude: float | None = None


class PropertyEnriched(Event):
    """One normalised, enriched property (a row of `properties`)."""

    TOPIC = topics.PROPERTY_ENRICHED
    event_type: Literal["property.enriched"] = "property.enriched"
    property_id: int
    prospect_id: int | None = None
    property_key: str
    facts: PropertyFacts
    enrichment: dict[str, Any] = Field(default_factory=dict)

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


class ScoreCreated(Event):
    """A score row was written to `property_scores`."""

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

    def key(self) -> bytes:
        return str(self.property_id).encode()


class DocgenRequested(Event):
    """(Re)generate the packet of a property, from its latest score unless one is named."""

    TOPIC = topics.DOCGEN_REQUESTED
    event_type: Literal["docgen.requested"] = "docgen.requested"
    property_id: int
    score_id: int | None = None

    def key(self) -> bytes:
        return str(self.property_id).encode()


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
        ProspectNew,
        EnrichmentRequested,
        PropertyEnriched,
        ScoringRequested,
        ScoreCreated,
        DocgenRequested,
        PacketGenerated,
    )
}
