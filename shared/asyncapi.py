"""The AsyncAPI document of the whole platform: every topic with the schema of its events,
for consumers outside the project. Each service also serves the part it reads and writes
at its own `/asyncapi`; the gateway serves this one.

    python -m shared.asyncapi > asyncapi.json
"""

from __future__ import annotations

import json
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from shared.events import EVENT_TYPES
from shared.topics import TOPICS, dlq

DEAD_LETTER_NOTE = (
    "Messages of {topic} that failed for good: the original value and headers byte for "
    "byte, plus x-reos-error-type, x-reos-error-message, x-reos-attempts, x-reos-service, "
    "x-reos-original-topic/-partition/-offset and x-reos-failed-at headers. Replay by "
    "publishing the value to {topic}."
)


def platform_document(bootstrap_servers: str = "localhost:9092") -> dict[str, Any]:
    broker = KafkaBroker(bootstrap_servers)
    for spec in TOPICS:
        event_type = EVENT_TYPES[spec.name]
        broker.publisher(
            spec.name,
            title=f"{spec.name}:{event_type.__name__}",
            description=f"{(event_type.__doc__ or '').strip()} Key: {spec.key}.",
            schema=event_type,
        )
        broker.publisher(
            dlq(spec.name),
            title=f"{dlq(spec.name)}:DeadLetter",
            description=DEAD_LETTER_NOTE.format(topic=spec.name),
            schema=bytes,
        )
    document = AsyncAPI(
        broker,
        title="Real Estate OS events",
        description="The topics between the platform's services. Every event carries "
        "event_id, event_type, schema_version, occurred_at (UTC) and run_id.",
    )
    return document.to_specification().to_jsonable()


if __name__ == "__main__":
    print(json.dumps(platform_document(), indent=2))
