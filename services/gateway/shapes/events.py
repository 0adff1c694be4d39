"""Response model of `/api/events/asyncapi.json`: the platform's AsyncAPI 3 document."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from services.gateway.shapes.records import Record


class AsyncApiDocument(Record):
    """Every topic with the schema of its events (and each `.dlq` twin), as AsyncAPI 3."""

    asyncapi: str = Field(description="the AsyncAPI version, 3.x")
    info: dict[str, Any]
    defaultContentType: str  # AsyncAPI's spelling
    servers: dict[str, Any] = Field(description="the Kafka brokers")
    channels: dict[str, Any] = Field(description="one per topic")
    operations: dict[str, Any]
    components: dict[str, Any] = Field(description="message and event schemas")
