"""The processed-event record: what a redelivered event re-publishes is what was published."""

import orjson

from shared.db.session import json_bytes
from shared.events import PropertyEnriched, ScoringRequested
from shared.listing import Listing
from shared.processing import _recorded, _replayed, _serialized

ENRICHED = PropertyEnriched(
    run_id="run-7",
    property_id=41,
    prospect_id=17,
    property_key="98052|1200 maple st",
    address="1200 MAPLE ST, REDMOND, WA 98052",
    listing=Listing(source="demo", source_id="DM-7", status="for_sale", zip_code="98052"),
    enrichment={"location": {"precision": "rooftop", "latitude": 47.6801}, "notes": ["é", 1.5]},
)


def test_an_event_body_is_its_topic_json() -> None:
    assert ENRICHED.body() == ENRICHED.model_dump_json().encode()


def test_recorded_outputs_replay_as_the_same_events_with_the_same_bodies() -> None:
    outputs = _serialized(
        [ENRICHED, ScoringRequested(run_id="run-7", property_id=41, reason="model")]
    )
    stored = orjson.loads(json_bytes(_recorded(outputs)))

    assert [item["topic"] for item in stored] == ["property.enriched", "scoring.requested"]
    replayed = _serialized(_replayed(stored))
    assert replayed == outputs
