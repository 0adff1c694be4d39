"""Response models of `/api/health`: the API, the database, the broker, object storage and
the host, one at a time or all at once."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from services.gateway.shapes.records import Record

Timestamp = str
"""An ISO 8601 time in UTC."""


class BasicHealth(Record):
    status: Literal["healthy"]
    timestamp: Timestamp
    service: str


class PoolStatus(Record):
    size: int
    checked_in: int
    checked_out: int
    overflow: int


class DatabaseHealth(Record):
    status: Literal["healthy"]
    database: Literal["connected"]
    pool: PoolStatus
    timestamp: Timestamp


class KafkaSummary(Record):
    status: str = Field(description="healthy, degraded or unhealthy")
    brokers: int
    controller_id: int | None
    topics: list[str] = Field(description="the topics present, internal ones left out")
    cluster_id: str | None = None
    missing_topics: list[str] = Field(default_factory=list)
    error: str | None = Field(None, description="why the broker is not healthy")


class KafkaHealth(Record):
    status: str
    kafka: KafkaSummary
    timestamp: Timestamp


class CpuUsage(Record):
    count: int | None
    usage_percent: float


class MemoryUsage(Record):
    total_bytes: int
    available_bytes: int
    usage_percent: float


class DiskUsage(Record):
    total_bytes: int
    used_bytes: int
    free_bytes: int
    usage_percent: float


class SystemUsage(Record):
    cpu: CpuUsage
    memory: MemoryUsage
    disk: DiskUsage


class SystemHealth(Record):
    status: Literal["healthy"]
    system: SystemUsage
    timestamp: Timestamp


class Component(Record):
    status: str = Field(description="healthy, or why not (unhealthy, degraded, ...)")
    error: str | None = None


class SystemComponent(Component):
    status: str = Field(description="healthy, warning (memory or disk above 90%) or error")
    message: str | None = None
    memory_percent: float | None = None
    disk_percent: float | None = None


class Components(Record):
    api: Component
    database: Component
    kafka: Component
    storage: Component
    system: SystemComponent


class ComprehensiveHealth(Record):
    status: Literal["healthy", "degraded"]
    components: Components
    timestamp: Timestamp


class Readiness(Record):
    status: Literal["ready"]
    timestamp: Timestamp


class Liveness(Record):
    status: Literal["alive"]
    timestamp: Timestamp


class Problem(Record):
    """An error answer (RFC 9457 problem details, `application/problem+json`)."""

    type: str = Field(description="a URI naming the kind of problem (about:blank)")
    title: str = Field(description="the HTTP status phrase")
    status: int
    detail: Any


class DatabaseFailure(Record):
    status: Literal["unhealthy"]
    database: Literal["disconnected"]
    error: str
    timestamp: Timestamp


class DatabaseProblem(Problem):
    """The database did not answer (503)."""

    detail: DatabaseFailure


class SystemFailure(Record):
    status: Literal["error"]
    error: str
    timestamp: Timestamp


class SystemProblem(Problem):
    """The host's statistics could not be read (500)."""

    detail: SystemFailure


class NotReady(Record):
    status: Literal["not ready"]
    error: str = Field(description="each dependency that failed, and how")
    timestamp: Timestamp


class NotReadyProblem(Problem):
    """A dependency of the gateway does not answer (503)."""

    detail: NotReady
