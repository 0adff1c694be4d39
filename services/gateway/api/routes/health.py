"""Health of the API and of everything it depends on."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from services.gateway import health, probes
from services.gateway.api.deps import GatewayDep, require_scope
from services.gateway.api.problems import PROBLEM_JSON
from services.gateway.shapes import health as shapes
from shared.service import ping_database

router = APIRouter(prefix="/api/health", tags=["Health"])
log = logging.getLogger("reos.gateway.health")

SERVICE_NAME = "Real Estate OS API"
# The probes (`/`, `/ready`, `/live`) answer anyone; what they depend on needs `read`.
READ = require_scope("read")
CPU_SAMPLE_SECONDS = 1.0


def _failure(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI entry of a health route's error answer, whose body is `model`."""
    reference = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {
        "model": model,
        "description": (model.__doc__ or "").strip(),
        "content": {PROBLEM_JSON: {"schema": reference}},
    }


@router.get("/", response_model=shapes.BasicHealth, summary="Basic health check")
async def basic() -> dict[str, Any]:
    return {"status": "healthy", "timestamp": health.timestamp(), "service": SERVICE_NAME}


@router.get(
    "/database",
    dependencies=[READ],
    response_model=shapes.DatabaseHealth,
    responses={503: _failure(shapes.DatabaseProblem)},
    summary="Database connectivity and connection pool",
)
async def database(gateway: GatewayDep) -> dict[str, Any]:
    try:
        await asyncio.wait_for(ping_database(gateway.engine), probes.CHECK_TIMEOUT_SECONDS)
    except Exception as error:
        raise HTTPException(
            503,
            detail={
                "status": "unhealthy",
                "database": "disconnected",
                "error": health.error_text(error),
                "timestamp": health.timestamp(),
            },
        ) from None
    return {
        "status": "healthy",
        "database": "connected",
        "pool": probes.pool_status(gateway.reads),
        "timestamp": health.timestamp(),
    }


async def _kafka(gateway: GatewayDep) -> dict[str, Any]:
    try:
        cluster, topics = await probes.describe_kafka(gateway.settings.kafka_bootstrap_servers)
    except Exception as error:
        return {
            "status": "unhealthy",
            "brokers": 0,
            "controller_id": None,
            "topics": [],
            "error": health.error_text(error),
        }
    return health.kafka_summary(cluster, topics)


@router.get(
    "/kafka",
    dependencies=[READ],
    response_model=shapes.KafkaHealth,
    response_model_exclude_unset=True,
    summary="Message broker: brokers, controller and topics",
)
async def kafka(gateway: GatewayDep) -> dict[str, Any]:
    summary = await _kafka(gateway)
    return {"status": summary["status"], "kafka": summary, "timestamp": health.timestamp()}


@router.get(
    "/system",
    dependencies=[READ],
    response_model=shapes.SystemHealth,
    responses={500: _failure(shapes.SystemProblem)},
    summary="CPU, memory and disk of the host",
)
async def system() -> dict[str, Any]:
    try:
        snapshot = await probes.system_snapshot(CPU_SAMPLE_SECONDS)
    except Exception as error:
        log.exception("system statistics unavailable")
        raise HTTPException(
            500,
            detail={
                "status": "error",
                "error": f"system statistics unavailable ({type(error).__name__})",
                "timestamp": health.timestamp(),
            },
        ) from None
    return {
        "status": "healthy",
        "system": {
            "cpu": {"count": snapshot.cpu_count, "usage_percent": snapshot.cpu_percent},
            "memory": {
                "total_bytes": snapshot.memory_total,
                "available_bytes": snapshot.memory_available,
                "usage_percent": snapshot.memory_percent,
            },
            "disk": {
                "total_bytes": snapshot.disk_total,
                "used_bytes": snapshot.disk_used,
                "free_bytes": snapshot.disk_free,
                "usage_percent": snapshot.disk_percent,
            },
        },
        "timestamp": health.timestamp(),
    }


async def _component(check: Awaitable[None]) -> dict[str, Any]:
    try:
        await check
    except Exception as error:
        return {"status": "unhealthy", "error": health.error_text(error)}
    return {"status": "healthy"}


async def _system_component() -> dict[str, Any]:
    try:
        snapshot = await probes.system_snapshot()
    except Exception as error:
        return {
            "status": "error",
            "error": f"system statistics unavailable ({type(error).__name__})",
        }
    return health.system_component(snapshot.memory_percent, snapshot.disk_percent)


async def _kafka_component(gateway: GatewayDep) -> dict[str, Any]:
    summary = await _kafka(gateway)
    component = {"status": summary["status"]}
    if "error" in summary:
        component["error"] = summary["error"]
    return component


@router.get(
    "/comprehensive",
    dependencies=[READ],
    response_model=shapes.ComprehensiveHealth,
    response_model_exclude_unset=True,
    summary="Every dependency at once; degraded when one fails",
)
async def comprehensive(gateway: GatewayDep) -> dict[str, Any]:
    database, kafka, storage, system = await asyncio.gather(
        _component(asyncio.wait_for(ping_database(gateway.engine), probes.CHECK_TIMEOUT_SECONDS)),
        _kafka_component(gateway),
        _component(probes.check_storage(gateway.store)),
        _system_component(),
    )
    components = {
        "api": {"status": "healthy"},
        "database": database,
        "kafka": kafka,
        "storage": storage,
        "system": system,
    }
    return {
        "status": health.overall_status(components),
        "components": components,
        "timestamp": health.timestamp(),
    }


@router.get(
    "/ready",
    response_model=shapes.Readiness,
    responses={503: _failure(shapes.NotReadyProblem)},
    summary="Readiness: the database and the broker answer",
)
async def ready(gateway: GatewayDep) -> dict[str, Any]:
    results = await gateway.readiness.run()
    failed = {name: result for name, result in results.items() if result != "ok"}
    if failed:
        raise HTTPException(
            503,
            detail={
                "status": "not ready",
                "error": "; ".join(f"{name} {result}" for name, result in failed.items()),
                "timestamp": health.timestamp(),
            },
        )
    return {"status": "ready", "timestamp": health.timestamp()}


@router.get("/live", response_model=shapes.Liveness, summary="Liveness: the process answers")
async def live() -> dict[str, Any]:
    return {"status": "alive", "timestamp": health.timestamp()}
