"""The gateway's looks at its dependencies: the database, the broker, object storage and
the host. Each raises when its dependency does not answer within `timeout` seconds."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import psutil
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.storage import ObjectStore

CHECK_TIMEOUT_SECONDS = 3.0


def pool_status(engine: AsyncEngine) -> dict[str, int]:
    pool: Any = engine.pool
    return {
        "size": pool.size(),
        "checked_in": pool.checkedin(),
        "checked_out": pool.checkedout(),
        "overflow": pool.overflow(),
    }


async def describe_kafka(
    bootstrap_servers: str, timeout: float = CHECK_TIMEOUT_SECONDS
) -> tuple[dict[str, Any], list[str]]:
    """The cluster metadata (brokers, controller) and the topic names."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers,
        client_id="reos-gateway-health",
        request_timeout_ms=int(timeout * 1000),
    )
    try:
        await asyncio.wait_for(admin.start(), timeout)
        cluster = await asyncio.wait_for(admin.describe_cluster(), timeout)
        topics = await asyncio.wait_for(admin.list_topics(), timeout)
    finally:
        await admin.close()
    return cluster, list(topics)


async def check_storage(store: ObjectStore, timeout: float = CHECK_TIMEOUT_SECONDS) -> None:
    await asyncio.wait_for(store.acheck(), timeout)


@dataclass(frozen=True)
class SystemSnapshot:
    cpu_count: int
    cpu_percent: float
    memory_total: int
    memory_available: int
    memory_percent: float
    disk_total: int
    disk_used: int
    disk_free: int
    disk_percent: float


def _snapshot(cpu_interval: float | None) -> SystemSnapshot:
    cpu_percent = psutil.cpu_percent(interval=cpu_interval)
    memory = psutil.virtual_memory()
    disk = psutil.disk_usage("/")
    return SystemSnapshot(
        cpu_count=psutil.cpu_count() or 0,
        cpu_percent=cpu_percent,
        memory_total=memory.total,
        memory_available=memory.available,
        memory_percent=memory.percent,
        disk_total=disk.total,
        disk_used=disk.used,
        disk_free=disk.free,
        disk_percent=disk.percent,
    )


async def system_snapshot(cpu_interval: float | None = None) -> SystemSnapshot:
    """CPU use is sampled over `cpu_interval` seconds (None: since the previous call)."""
    return await asyncio.to_thread(_snapshot, cpu_interval)
