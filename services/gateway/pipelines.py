"""The five pipelines a client can trigger: what each one does, the `conf` it accepts and
the request events that start it.

A pipeline (the seed's DAG) is started by publishing its request event(s) with a new run
id; the services downstream carry that run id onto every job row they write, which is how
a run's progress is read back (see `runs.py`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, field_validator, model_validator

from shared.events import (
    DocgenRequested,
    EnrichmentRequested,
    Event,
    ScoringRequested,
    ScrapeRequested,
    derived_event_id,
)

MAX_IDS_PER_RUN = 1000
DEFAULT_CHOSEN = 10_000
MAX_CHOSEN = 100_000

Stage = Literal["scrape", "enrich", "score", "docgen"]
ListingType = Literal["for_sale", "for_rent", "sold", "off_market"]


class Conf(BaseModel):
    """A pipeline's `conf`; unknown keys are refused so that a typo is not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ScrapeListingsConf(Conf):
    source: str = Field("demo", min_length=1, max_length=64, description="spider to run")
    start_urls: list[str] = Field(default_factory=list, description="pages to start from")
    location: str | None = Field(None, description="city, ZIP or area to search")
    listing_type: ListingType = "for_sale"
    max_items: int | None = Field(None, ge=1, description="stop after this many listings")
    max_pages: int | None = Field(None, ge=1, description="stop after this many pages")


class DiscoveryOffmarketConf(Conf):
    source: str = Field(..., min_length=1, max_length=64, description="public-record feed")
    start_urls: list[str] = Field(default_factory=list)
    location: str | None = None
    max_items: int | None = Field(None, ge=1)
    max_pages: int | None = Field(None, ge=1)


def _distinct(ids: list[int]) -> list[int]:
    """The ids in their given order, each once: one request per item is enough."""
    return list(dict.fromkeys(ids))


class EnrichmentPropertyConf(Conf):
    prospect_ids: list[PositiveInt] = Field(
        ..., min_length=1, max_length=MAX_IDS_PER_RUN, description="prospects to re-enrich"
    )

    _distinct_ids = field_validator("prospect_ids")(_distinct)


class PropertyIdsConf(Conf):
    property_ids: list[PositiveInt] = Field(..., min_length=1, max_length=MAX_IDS_PER_RUN)

    _distinct_ids = field_validator("property_ids")(_distinct)


PropertySelection = Literal["stale", "all"]


class ScoreMasterConf(Conf):
    """Which properties to re-score: the ones listed, or chosen by the gateway, which is
    how a newly promoted model reaches the homes scored before it."""

    property_ids: list[PositiveInt] | None = Field(
        None, min_length=1, max_length=MAX_IDS_PER_RUN, description="properties to re-score"
    )
    stale: bool = Field(
        False,
        description="re-score every property whose latest score is not by the production AVM "
        "(model_registry: model_name 'avm', stage 'production'), unscored ones included",
    )
    all: bool = Field(False, description="re-score every property")
    limit: int = Field(
        DEFAULT_CHOSEN,
        ge=1,
        le=MAX_CHOSEN,
        description="with stale or all: at most this many properties, newest first",
    )
    reason: str | None = Field(None, max_length=200, description="why the properties are re-scored")

    @field_validator("property_ids")
    @classmethod
    def _distinct_ids(cls, ids: list[int] | None) -> list[int] | None:
        return None if ids is None else _distinct(ids)

    @model_validator(mode="after")
    def _one_way_to_choose(self) -> ScoreMasterConf:
        ways = (self.property_ids is not None, self.stale, self.all)
        if sum(ways) != 1:
            raise ValueError("give exactly one of property_ids, stale: true or all: true")
        return self

    @property
    def selection(self) -> PropertySelection | None:
        """How the gateway is to choose the properties; None when they are listed."""
        if self.stale:
            return "stale"
        return "all" if self.all else None


class DocgenPacketConf(PropertyIdsConf):
    pass


def _scrape_listings(conf: ScrapeListingsConf, run_id: str) -> list[Event]:
    return [
        ScrapeRequested(
            event_id=derived_event_id("gateway", run_id),
            run_id=run_id,
            pipeline="scrape_listings",
            **conf.model_dump(),
        )
    ]


def _discovery_offmarket(conf: DiscoveryOffmarketConf, run_id: str) -> list[Event]:
    return [
        ScrapeRequested(
            event_id=derived_event_id("gateway", run_id),
            run_id=run_id,
            pipeline="discovery_offmarket",
            listing_type="off_market",
            **conf.model_dump(),
        )
    ]


def _enrichment_property(conf: EnrichmentPropertyConf, run_id: str) -> list[Event]:
    return [
        EnrichmentRequested(
            event_id=derived_event_id("gateway", run_id, prospect_id),
            run_id=run_id,
            prospect_id=prospect_id,
        )
        for prospect_id in conf.prospect_ids
    ]


def score_requests(run_id: str, property_ids: Iterable[int], reason: str | None) -> list[Event]:
    """One ScoringRequested per property, under run `run_id`."""
    return [
        ScoringRequested(
            event_id=derived_event_id("gateway", run_id, property_id),
            run_id=run_id,
            property_id=property_id,
            reason=reason,
        )
        for property_id in property_ids
    ]


def _score_master(conf: ScoreMasterConf, run_id: str) -> list[Event]:
    """The listed properties' requests; chosen ones are requested by `score_requests`."""
    return score_requests(run_id, conf.property_ids or (), conf.reason)


def _docgen_packet(conf: DocgenPacketConf, run_id: str) -> list[Event]:
    return [
        DocgenRequested(
            event_id=derived_event_id("gateway", run_id, property_id),
            run_id=run_id,
            property_id=property_id,
        )
        for property_id in conf.property_ids
    ]


@dataclass(frozen=True)
class Pipeline:
    dag_id: str
    description: str
    conf_model: type[Conf]
    request_events: Callable[[Any, str], list[Event]]
    stages: tuple[Stage, ...]
    tags: tuple[str, ...]
    schedule: str | None = None

    def validate_conf(self, conf: dict[str, Any]) -> Conf:
        """The validated conf, defaults filled in; raises pydantic's ValidationError."""
        return self.conf_model.model_validate(conf)

    def events(self, conf: Conf, run_id: str) -> list[Event]:
        """The request events that start run `run_id`; their ids are derived from it, so a
        retried publish of the same run is recognised downstream as the same request."""
        return self.request_events(conf, run_id)

    def params_schema(self) -> dict[str, Any]:
        return self.conf_model.model_json_schema()


PIPELINES: dict[str, Pipeline] = {
    pipeline.dag_id: pipeline
    for pipeline in (
        Pipeline(
            "scrape_listings",
            "Crawl a listing site and push every listing through enrichment, scoring and "
            "packet generation",
            ScrapeListingsConf,
            _scrape_listings,
            ("scrape", "enrich", "score", "docgen"),
            ("scraping", "listings"),
        ),
        Pipeline(
            "discovery_offmarket",
            "Read an off-market public-record feed (tax delinquency, pre-foreclosure, code "
            "violations) and push every record through the pipeline",
            DiscoveryOffmarketConf,
            _discovery_offmarket,
            ("scrape", "enrich", "score", "docgen"),
            ("scraping", "off-market"),
        ),
        Pipeline(
            "enrichment_property",
            "Re-enrich prospects already scraped, then re-score them and regenerate packets",
            EnrichmentPropertyConf,
            _enrichment_property,
            ("enrich", "score", "docgen"),
            ("enrichment",),
        ),
        Pipeline(
            "score_master",
            "Re-score properties with the production models, then regenerate their packets",
            ScoreMasterConf,
            _score_master,
            ("score", "docgen"),
            ("scoring", "ml"),
        ),
        Pipeline(
            "docgen_packet",
            "Generate the PDF property packet of properties from their latest score",
            DocgenPacketConf,
            _docgen_packet,
            ("docgen",),
            ("documents",),
        ),
    )
}


def new_dag_run_id(now: datetime) -> str:
    """`manual__<trigger time to the second>__<8 hex>`: readable, sortable, unique."""
    return f"manual__{now.replace(microsecond=0).isoformat()}__{secrets.token_hex(4)}"
