"""Each pipeline's `conf` is validated, and turned into the right request events."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from services.gateway.pipelines import (
    DEFAULT_CHOSEN,
    MAX_CHOSEN,
    MAX_IDS_PER_RUN,
    PIPELINES,
    ScoreMasterConf,
    new_dag_run_id,
    score_requests,
)
from shared import topics
from shared.events import DocgenRequested, EnrichmentRequested, ScoringRequested, ScrapeRequested

RUN_ID = "manual__2026-11-27T22:10:00+00:00__0123abcd"


def events(dag_id: str, conf: dict) -> list:
    pipeline = PIPELINES[dag_id]
    return pipeline.events(pipeline.validate_conf(conf), RUN_ID)


def test_the_five_pipelines_of_the_seed_can_be_triggered() -> None:
    assert set(PIPELINES) == {
        "scrape_listings",
        "discovery_offmarket",
        "enrichment_property",
        "score_master",
        "docgen_packet",
    }


def test_scrape_listings_with_empty_conf_crawls_the_demo_source() -> None:
    [event] = events("scrape_listings", {})
    assert isinstance(event, ScrapeRequested)
    assert event.TOPIC == topics.SCRAPE_REQUESTED
    assert (event.pipeline, event.source, event.start_urls) == ("scrape_listings", "demo", [])
    assert event.listing_type == "for_sale"
    assert event.run_id == RUN_ID


def test_scrape_listings_passes_filters_and_limits_through() -> None:
    conf = {
        "source": "zillow",
        "start_urls": ["http://127.0.0.1:9180/search"],
        "location": "Seattle, WA",
        "listing_type": "for_rent",
        "max_items": 10,
        "max_pages": 2,
    }
    [event] = events("scrape_listings", conf)
    assert event.model_dump(include=set(conf)) == conf


@pytest.mark.parametrize(
    ("conf", "field"),
    [
        ({"max_items": 0}, "max_items"),
        ({"max_pages": -1}, "max_pages"),
        ({"listing_type": "auction"}, "listing_type"),
        ({"source": ""}, "source"),
        ({"max_itmes": 5}, "max_itmes"),
    ],
)
def test_scrape_listings_refuses_bad_conf_naming_the_field(conf: dict, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        PIPELINES["scrape_listings"].validate_conf(conf)
    assert [error["loc"][0] for error in raised.value.errors()] == [field]


def test_discovery_offmarket_requires_a_source() -> None:
    with pytest.raises(ValidationError, match="source"):
        PIPELINES["discovery_offmarket"].validate_conf({})


def test_discovery_offmarket_requests_an_off_market_crawl() -> None:
    [event] = events("discovery_offmarket", {"source": "tax_delinquency", "max_items": 5})
    assert isinstance(event, ScrapeRequested)
    assert (event.pipeline, event.listing_type, event.source) == (
        "discovery_offmarket",
        "off_market",
        "tax_delinquency",
    )
    assert event.max_items == 5


def test_discovery_offmarket_cannot_be_turned_into_a_listing_crawl() -> None:
    with pytest.raises(ValidationError, match="listing_type"):
        PIPELINES["discovery_offmarket"].validate_conf({"source": "x", "listing_type": "for_sale"})


def test_enrichment_property_publishes_one_request_per_distinct_prospect() -> None:
    published = events("enrichment_property", {"prospect_ids": [7, 3, 7]})
    assert all(isinstance(event, EnrichmentRequested) for event in published)
    assert [event.prospect_id for event in published] == [7, 3]
    assert {event.run_id for event in published} == {RUN_ID}
    assert len({event.event_id for event in published}) == 2


@pytest.mark.parametrize("dag_id", ["enrichment_property", "score_master", "docgen_packet"])
@pytest.mark.parametrize(
    "ids", [None, [], [0], [-3], ["seven"], list(range(1, MAX_IDS_PER_RUN + 2))]
)
def test_id_pipelines_refuse_missing_empty_non_positive_or_too_many_ids(
    dag_id: str, ids: list | None
) -> None:
    key = "prospect_ids" if dag_id == "enrichment_property" else "property_ids"
    conf = {} if ids is None else {key: ids}
    with pytest.raises(ValidationError, match=key):
        PIPELINES[dag_id].validate_conf(conf)


def test_a_thousand_ids_are_accepted() -> None:
    ids = list(range(1, MAX_IDS_PER_RUN + 1))
    assert len(events("score_master", {"property_ids": ids})) == MAX_IDS_PER_RUN


def test_score_master_publishes_one_scoring_request_per_property() -> None:
    published = events("score_master", {"property_ids": [5, 6], "reason": "model v2"})
    assert all(isinstance(event, ScoringRequested) for event in published)
    assert [(event.property_id, event.reason) for event in published] == [
        (5, "model v2"),
        (6, "model v2"),
    ]
    assert {event.TOPIC for event in published} == {topics.SCORING_REQUESTED}


def test_docgen_packet_publishes_one_docgen_request_per_property() -> None:
    published = events("docgen_packet", {"property_ids": [9]})
    assert [type(event) for event in published] == [DocgenRequested]
    assert published[0].property_id == 9
    assert published[0].TOPIC == topics.DOCGEN_REQUESTED


def test_request_event_ids_are_derived_from_the_run_so_a_retry_is_the_same_request() -> None:
    first = events("enrichment_property", {"prospect_ids": [1, 2]})
    again = events("enrichment_property", {"prospect_ids": [1, 2]})
    assert [event.event_id for event in first] == [event.event_id for event in again]


def test_every_pipeline_documents_its_parameters() -> None:
    for pipeline in PIPELINES.values():
        schema = pipeline.params_schema()
        assert schema["type"] == "object"
        assert schema["additionalProperties"] is False


def test_dag_run_id_names_the_trigger_time_and_a_random_suffix() -> None:
    now = datetime(2026, 11, 27, 22, 10, 0, 123456, tzinfo=UTC)
    run_id = new_dag_run_id(now)
    assert re.fullmatch(r"manual__2026-11-27T22:10:00\+00:00__[0-9a-f]{8}", run_id)
    assert new_dag_run_id(now) != run_id


@pytest.mark.parametrize(
    "conf",
    [
        {},
        {"property_ids": [1], "stale": True},
        {"stale": True, "all": True},
        {"all": False},
    ],
)
def test_score_master_takes_exactly_one_way_to_choose_properties(conf: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="exactly one of property_ids, stale"):
        PIPELINES["score_master"].validate_conf(conf)


def test_score_master_lets_the_gateway_choose_stale_or_all_properties_up_to_a_limit() -> None:
    stale = PIPELINES["score_master"].validate_conf({"stale": True})
    assert isinstance(stale, ScoreMasterConf)
    assert (stale.selection, stale.limit) == ("stale", DEFAULT_CHOSEN)
    chosen = PIPELINES["score_master"].validate_conf({"all": True, "limit": 5})
    assert isinstance(chosen, ScoreMasterConf)
    assert (chosen.selection, chosen.limit) == ("all", 5)
    with pytest.raises(ValidationError):
        PIPELINES["score_master"].validate_conf({"all": True, "limit": MAX_CHOSEN + 1})


def test_chosen_properties_get_one_scoring_request_each_under_the_run() -> None:
    published = score_requests("run-1", [7, 8], "model v3 promoted")
    assert [(event.property_id, event.run_id, event.reason) for event in published] == [
        (7, "run-1", "model v3 promoted"),
        (8, "run-1", "model v3 promoted"),
    ]
