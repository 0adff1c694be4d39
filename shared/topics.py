"""The topic registry: every topic of the pipeline, its key and its dead-letter twin."""

from __future__ import annotations

from dataclasses import dataclass

SCRAPE_REQUESTED = "scrape.requested"
SCRAPE_CANCEL_REQUESTED = "scrape.cancel_requested"
PROSPECT_NEW = "prospect.new"
ENRICHMENT_REQUESTED = "enrichment.requested"
PROPERTY_ENRICHED = "property.enriched"
SCORING_REQUESTED = "scoring.requested"
SCORE_CREATED = "score.created"
DOCGEN_REQUESTED = "docgen.requested"
PACKET_GENERATED = "packet.generated"

DLQ_SUFFIX = ".dlq"
DEFAULT_PARTITIONS = 6


@dataclass(frozen=True)
class TopicSpec:
    name: str
    key: str
    description: str
    partitions: int = DEFAULT_PARTITIONS


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(SCRAPE_REQUESTED, "pipeline run id", "run a crawl"),
    TopicSpec(SCRAPE_CANCEL_REQUESTED, "pipeline run id", "stop a run's crawls"),
    TopicSpec(PROSPECT_NEW, "source:source_id", "one raw listing as scraped"),
    TopicSpec(ENRICHMENT_REQUESTED, "prospect id", "re-enrich an existing prospect"),
    TopicSpec(PROPERTY_ENRICHED, "property id", "one normalised, enriched property"),
    TopicSpec(SCORING_REQUESTED, "property id", "re-score a property"),
    TopicSpec(SCORE_CREATED, "property id", "one new score"),
    TopicSpec(DOCGEN_REQUESTED, "property id", "(re)generate a packet"),
    TopicSpec(PACKET_GENERATED, "property id", "a packet exists"),
)


def dlq(topic: str) -> str:
    """The dead-letter topic of `topic`."""
    return topic + DLQ_SUFFIX


def all_topic_names() -> list[str]:
    """Every topic the platform needs, dead-letter topics included."""
    names = [spec.name for spec in TOPICS]
    return names + [dlq(name) for name in names]
