"""Shapes of `/api/deadletters`: a dead letter as an operator reads it (where it failed, why,
how often, the message itself), and what a replay did.

A dead letter is the original message, published to `<topic>.dlq` by the consumer that gave
up on it, with the original headers plus the `x-reos-*` headers saying why
(`shared.messaging.dead_letter_headers`). Replaying publishes the original value with the
original headers back to the original topic.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from shared import messaging
from shared.topics import DLQ_SUFFIX

VALUE_PREVIEW_CHARS = 20_000

FAILURE_HEADERS = frozenset(
    {
        messaging.HEADER_ERROR_TYPE,
        messaging.HEADER_ERROR_MESSAGE,
        messaging.HEADER_ATTEMPTS,
        messaging.HEADER_SERVICE,
        messaging.HEADER_ORIGINAL_TOPIC,
        messaging.HEADER_ORIGINAL_PARTITION,
        messaging.HEADER_ORIGINAL_OFFSET,
        messaging.HEADER_FAILED_AT,
    }
)
"""The headers a dead-lettering consumer adds; a replay leaves them out."""

HEADER_REPLAYED_FROM = "x-reos-replayed-from"


@dataclass(frozen=True)
class DeadLetter:
    """One record of a dead-letter topic, as read from Kafka."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    @property
    def header_map(self) -> dict[str, str]:
        return {name: raw.decode("utf-8", "replace") for name, raw in self.headers}

    @property
    def original_topic(self) -> str:
        return self.header_map.get(messaging.HEADER_ORIGINAL_TOPIC) or original_topic_of(self.topic)

    @property
    def address(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"

    def replay_headers(self) -> dict[str, str]:
        """The original headers, and where the replay came from."""
        kept = {k: v for k, v in self.header_map.items() if k not in FAILURE_HEADERS}
        return {**kept, HEADER_REPLAYED_FROM: self.address}

    def envelope(self) -> Mapping[str, object]:
        """The event envelope of the value, or nothing when the value is not a JSON object."""
        try:
            data = json.loads(self.value)
        except (ValueError, TypeError):
            return {}
        return data if isinstance(data, dict) else {}


def original_topic_of(dead_letter_topic: str) -> str:
    return dead_letter_topic.removesuffix(DLQ_SUFFIX)


class DeadLetterRow(BaseModel):
    """A dead letter: where it sits, where it came from, why it failed, and the message."""

    topic: str = Field(description="the dead-letter topic")
    partition: int
    offset: int
    timestamp: datetime = Field(description="when it was dead-lettered (broker time)")
    key: str | None
    original_topic: str
    original_partition: int | None
    original_offset: int | None
    error_type: str | None
    error_message: str | None
    attempts: int | None
    service: str | None = Field(description="the consumer that gave up on it")
    failed_at: str | None
    event_id: str | None
    event_type: str | None
    run_id: str | None
    headers: dict[str, str]
    value: str = Field(description=f"the message, the first {VALUE_PREVIEW_CHARS} characters")
    value_truncated: bool
    replayed_at: datetime | None = Field(description="when the gateway replayed it, if it did")


class DeadLetterPage(BaseModel):
    topic: str
    original_topic: str
    total: int = Field(description="dead letters the topic holds")
    limit: int
    offset: int
    data: list[DeadLetterRow]


class DeadLetterTopic(BaseModel):
    topic: str
    original_topic: str
    messages: int
    replayed: int


class DeadLetterTopics(BaseModel):
    data: list[DeadLetterTopic]


class ReplayResult(BaseModel):
    status: Literal["replayed", "already_replayed"]
    topic: str
    partition: int
    offset: int
    original_topic: str
    event_id: str | None
    replayed_at: datetime


class ReplayAllResult(BaseModel):
    topic: str
    original_topic: str
    replayed: int
    already_replayed: int


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text is not None and text.lstrip("-").isdigit() else None


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def row(letter: DeadLetter, replayed_at: datetime | None) -> DeadLetterRow:
    headers = letter.header_map
    envelope = letter.envelope()
    text = letter.value.decode("utf-8", "replace")
    return DeadLetterRow(
        topic=letter.topic,
        partition=letter.partition,
        offset=letter.offset,
        timestamp=datetime.fromtimestamp(letter.timestamp_ms / 1000, UTC),
        key=letter.key.decode("utf-8", "replace") if letter.key is not None else None,
        original_topic=letter.original_topic,
        original_partition=_int_or_none(headers.get(messaging.HEADER_ORIGINAL_PARTITION)),
        original_offset=_int_or_none(headers.get(messaging.HEADER_ORIGINAL_OFFSET)),
        error_type=headers.get(messaging.HEADER_ERROR_TYPE),
        error_message=headers.get(messaging.HEADER_ERROR_MESSAGE),
        attempts=_int_or_none(headers.get(messaging.HEADER_ATTEMPTS)),
        service=headers.get(messaging.HEADER_SERVICE),
        failed_at=headers.get(messaging.HEADER_FAILED_AT),
        event_id=_text_or_none(envelope.get("event_id")),
        event_type=_text_or_none(envelope.get("event_type")),
        run_id=_text_or_none(envelope.get("run_id")) or headers.get(messaging.HEADER_RUN_ID),
        headers=headers,
        value=text[:VALUE_PREVIEW_CHARS],
        value_truncated=len(text) > VALUE_PREVIEW_CHARS,
        replayed_at=replayed_at,
    )
