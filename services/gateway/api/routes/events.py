"""The platform's topics and event schemas, as an AsyncAPI document."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter

from services.gateway.api.deps import GatewayDep, require_scope
from services.gateway.shapes.events import AsyncApiDocument
from shared.asyncapi import platform_document

router = APIRouter(prefix="/api/events", tags=["Events"], dependencies=[require_scope("read")])


@cache
def _document(bootstrap_servers: str) -> dict[str, Any]:
    return platform_document(bootstrap_servers)


@router.get(
    "/asyncapi.json",
    response_model=AsyncApiDocument,
    summary="AsyncAPI document of every topic and its events",
)
async def asyncapi(gateway: GatewayDep) -> dict[str, Any]:
    return _document(gateway.settings.kafka_bootstrap_servers)
